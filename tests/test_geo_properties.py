"""Properties: any decoded JSON gives a report, never an exception; sane findings and metrics."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import Code, Report, Site, compute_metrics, diff_layouts, validate_layout, validate_site
from geo.codes import SEVERITY
from geo.kinds import Kind
from geo.maps import layout_map
from geo.standards import COURT_STANDARDS, COURT_TOLERANCE
from tests.geo_layouts import (
    BIG_SITE_BOUNDARY,
    SITE_BOUNDARY,
    SITE_CONSTRAINTS,
    collection,
    feature,
    lonlat,
    rect,
)

SITE = Site.from_geojson(SITE_BOUNDARY, SITE_CONSTRAINTS)
BIG_SITE = Site.from_geojson(BIG_SITE_BOUNDARY)
SITE_IDS = {f["id"] for f in SITE_CONSTRAINTS["features"]}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=40,
)
geojson_words = st.sampled_from(
    [
        "FeatureCollection",
        "Feature",
        "Point",
        "LineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
        "Circle",
    ]
)
# Junk shaped a little like GeoJSON, so that parsing goes deeper than the first check.
near_geojson = st.recursive(
    scalars | geojson_words,
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "features",
                    "geometry",
                    "properties",
                    "coordinates",
                    "id",
                    "kind",
                    "width_m",
                    "seats",
                    "keep",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=50,
)

metres = st.floats(min_value=-24, max_value=24, allow_nan=False)
positions = st.tuples(metres, metres).map(lambda xy: lonlat(*xy))


@st.composite
def geometries(draw: st.DrawFn) -> Any:
    """A Point, LineString or Polygon near the site (polygons often self-intersecting)."""
    kind = draw(st.sampled_from(["Point", "LineString", "Polygon", "Rect", "Junk"]))
    if kind == "Point":
        return {"type": "Point", "coordinates": draw(positions)}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": draw(st.lists(positions, min_size=2, max_size=5))}
    if kind == "Polygon":
        ring = draw(st.lists(positions, min_size=3, max_size=7))
        return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    if kind == "Rect":
        size = st.floats(min_value=0.3, max_value=16)
        return rect(draw(metres), draw(metres), draw(size), draw(size), draw(st.floats(0, 180)))
    return draw(near_geojson)


@st.composite
def features(draw: st.DrawFn) -> Any:
    """A Feature with a kind (mostly known), an id (often repeated) and some properties."""
    kind = draw(st.sampled_from([k.value for k in Kind]) | st.sampled_from(["pool", None, 3]))
    props: dict[str, Any] = {"kind": kind}
    extras = {
        "width_m": st.floats(min_value=0.1, max_value=4) | scalars,
        "seats": st.integers(-2, 30) | scalars,
        "keep": st.booleans() | scalars,
        "canopy_m": st.floats(min_value=0.5, max_value=12) | scalars,
        "label": st.text(max_size=20),
    }
    for name, strategy in extras.items():
        if draw(st.booleans()):
            props[name] = draw(strategy)
    out: dict[str, Any] = {"type": "Feature", "properties": props, "geometry": draw(geometries())}
    fid = draw(st.sampled_from(["a", "b", "c", "d", "e", "f", "tree-keep", None]) | st.integers(0, 5))
    if fid is not None:
        out["id"] = fid
    return out


layouts = st.builds(
    lambda fs: {"type": "FeatureCollection", "features": fs}, st.lists(features(), max_size=25)
)


def check_report(report: Report, layout: object) -> None:
    """Invariants of every report."""
    assert isinstance(report, Report)
    assert report.valid == (not report.errors)
    assert len(report.errors) + len(report.warnings) == len(report.findings)
    input_ids: set[str | None] = {None} | SITE_IDS
    if isinstance(layout, dict) and isinstance(layout.get("features"), list):
        for f in layout["features"]:
            if isinstance(f, dict):
                for value in (
                    f.get("id"),
                    (f.get("properties") or {}).get("id") if isinstance(f.get("properties"), dict) else None,
                ):
                    if isinstance(value, str | int) and not isinstance(value, bool):
                        input_ids.add(str(value))
    for finding in report.findings:
        assert finding.code in set(Code)
        assert finding.severity is SEVERITY[finding.code]
        assert finding.feature_id in input_ids
        assert set(finding.feature_ids) <= input_ids
        for language in ("zh-CN", "en"):
            assert not PLACEHOLDER.search(finding.message(language))
    for language in ("zh-CN", "en"):
        json.dumps(report.to_dict(language), allow_nan=False)
    if report.metrics is not None:
        check_metrics(report.metrics)


def check_metrics(metrics: dict[str, Any]) -> None:
    """Areas are non-negative and ratios lie in [0, 1]."""
    for key in ("green_ratio", "hard_surface_ratio", "shaded_ratio"):
        assert 0 <= metrics[key] <= 1.0001, key
    assert all(v >= 0 for v in metrics["area_by_kind_m2"].values())
    assert metrics["seats"] >= 0 and metrics["estimated_cost_cny"] >= 0
    json.dumps(metrics, allow_nan=False)


@SETTINGS
@given(json_values)
def test_any_json_value_gives_a_report(value: object) -> None:
    check_report(validate_layout(value, SITE, budget_cny=100_000), value)


@SETTINGS
@given(
    st.builds(lambda fs: {"type": "FeatureCollection", "features": fs}, st.lists(near_geojson, max_size=8))
)
def test_junk_features_give_a_report(layout: object) -> None:
    report = validate_layout(layout, SITE)
    check_report(report, layout)
    assert report.metrics is not None


@SETTINGS
@given(layouts)
def test_random_layouts_give_consistent_reports(layout: dict[str, Any]) -> None:
    report = validate_layout(layout, SITE, budget_cny=50_000)
    check_report(report, layout)
    assert report.metrics is not None
    again = validate_layout(layout, SITE, budget_cny=50_000)
    assert again.to_dict("en") == report.to_dict("en")
    assert compute_metrics(layout, SITE) == report.metrics


@settings(max_examples=50, deadline=None)
@given(layouts, layouts)
def test_diff_and_map_never_raise(old: dict[str, Any], new: dict[str, Any]) -> None:
    diff = diff_layouts(old, new, SITE)
    ids = set(diff["added"]) | set(diff["removed"]) | {m["id"] for m in diff["moved"]}
    assert ids <= {str(f.get("id")) for f in old["features"] + new["features"] if isinstance(f, dict)}
    parts = layout_map(SITE, new)
    assert parts.map_name in parts.html


@SETTINGS
@given(json_values, json_values)
def test_any_site_input_gives_a_report(boundary: object, constraints: object) -> None:
    report = validate_site(boundary, constraints)
    assert isinstance(report, Report)
    json.dumps(report.to_dict("en"), allow_nan=False)


@SETTINGS
@given(
    kind=st.sampled_from(sorted(COURT_STANDARDS)),
    angle=st.floats(0, 180),
    x=st.floats(-10, 10),
    y=st.floats(-10, 10),
    scale=st.floats(1 - COURT_TOLERANCE * 0.9, 1 + COURT_TOLERANCE * 0.9),
)
def test_courts_within_tolerance_pass_anywhere(
    kind: Kind, angle: float, x: float, y: float, scale: float
) -> None:
    standard = COURT_STANDARDS[kind]
    layout = collection(feature("c", kind, rect(x, y, standard.length_m * scale, standard.width_m, angle)))
    assert validate_layout(layout, BIG_SITE).findings == ()


@SETTINGS
@given(
    kind=st.sampled_from(sorted(COURT_STANDARDS)),
    angle=st.floats(0, 180),
    scale=st.floats(0.7, 1 - COURT_TOLERANCE * 1.1) | st.floats(1 + COURT_TOLERANCE * 1.1, 1.3),
    side=st.booleans(),
)
def test_courts_beyond_tolerance_fail_at_any_angle(
    kind: Kind, angle: float, scale: float, side: bool
) -> None:
    standard = COURT_STANDARDS[kind]
    length = standard.length_m * (scale if side else 1)
    width = standard.width_m * (1 if side else scale)
    if not side and math.isclose(width, standard.length_m, rel_tol=COURT_TOLERANCE):
        return  # a widened court that became its own length standard: sides swap
    layout = collection(feature("c", kind, rect(0, 0, length, width, angle)))
    assert [f.code for f in validate_layout(layout, BIG_SITE).findings] == [Code.COURT_DIMENSIONS]
