"""Validation findings: each code triggered by one layout and absent from a near miss."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from geo import (
    MAX_FEATURES,
    MAX_LABEL,
    MAX_VERTICES,
    Code,
    InvalidSite,
    Report,
    Site,
    feature_id,
    validate_feature,
    validate_layout,
    validate_pin,
    validate_site,
    vertex_count,
)
from geo.codes import SEVERITY, Severity
from geo.messages import MESSAGES
from geo.standards import COURT_STANDARDS, MIN_PATH_WIDTH_M, OUTSIDE_TOLERANCE_M, UNIT_COSTS
from tests.geo_layouts import (
    BIG_SITE_BOUNDARY,
    BOWTIE,
    GOOD_HALF_COURT,
    GOOD_LAYOUT,
    HOOP,
    KEEP_TREE_XY,
    L_SHAPED_COURT,
    MINIMAL_LAYOUT,
    ROTATED_HALF_COURT,
    SHORT_HALF_COURT,
    SITE_BOUNDARY,
    SITE_CONSTRAINTS,
    circle,
    collection,
    court_layout,
    feature,
    line,
    lonlat,
    point,
    polygon,
    rect,
    with_features,
)

SITE = Site.from_geojson(SITE_BOUNDARY, SITE_CONSTRAINTS)
EMPTY_SITE = Site.from_geojson(SITE_BOUNDARY)
BIG_SITE = Site.from_geojson(BIG_SITE_BOUNDARY)
# A site with a kiosk (building face polygon) and a wall line inside, for constraint checks.
KIOSK_SITE = Site.from_geojson(
    SITE_BOUNDARY,
    collection(
        feature("kiosk", "building_face", rect(12, 8, 4, 4)),
        feature("wall", "building_face", line((-12, -9.5), (4, -9.5))),
    ),
)

Found = list[tuple[str, str | None, tuple[str | None, ...]]]


def found(report: Report) -> Found:
    """(code, feature_id, feature_ids) of every finding, in order."""
    return [(str(f.code), f.feature_id, f.feature_ids) for f in report.findings]


def plus(*features: dict[str, Any]) -> dict[str, Any]:
    """The minimal valid layout (both site trees) plus some features."""
    return with_features(MINIMAL_LAYOUT, *features)


def raw_feature(fid: str | None, properties: Any, geometry: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature", "properties": properties, "geometry": geometry}
    if fid is not None:
        out["id"] = fid
    return out


@dataclass(frozen=True)
class Case:
    """A layout, the site and budget it is checked against, and the findings expected."""

    name: str
    code: Code
    layout: Callable[[], object]
    expected: Found
    site: Site = SITE
    budget: float | None = None
    unit_costs: dict[str, float] | None = None

    def run(self) -> Report:
        return validate_layout(self.layout(), self.site, budget_cny=self.budget, unit_costs=self.unit_costs)


def _many_trees(n: int) -> dict[str, Any]:
    return collection(
        *(feature(f"t{i}", "tree_new", point(-19 + (i % 38), -14 + (i // 38))) for i in range(n))
    )


def _l_shape(width: float) -> list[tuple[float, float]]:
    return [(-10, -10), (0, -10), (0, 0), (-width, 0), (-width, -10 + width), (-10, -10 + width)]


_BOTTLENECK = [
    (-10, -1),
    (-1, -1),
    (-1, -0.4),
    (1, -0.4),
    (1, -1),
    (10, -1),
    (10, 1),
    (1, 1),
    (1, 0.4),
    (-1, 0.4),
    (-1, 1),
    (-10, 1),
]

TRIGGERS = [
    Case(
        "layout is a list",
        Code.NOT_A_FEATURE_COLLECTION,
        lambda: [],
        [("not_a_feature_collection", None, ())],
    ),
    Case(
        "too many features",
        Code.TOO_MANY_FEATURES,
        lambda: _many_trees(MAX_FEATURES + 1),
        [("too_many_features", None, ())],
        site=EMPTY_SITE,
    ),
    Case(
        "too many vertices",
        Code.TOO_MANY_VERTICES,
        lambda: collection(feature("p", "planter", circle(0, 0, 3, MAX_VERTICES + 1))),
        [("too_many_vertices", None, ())],
        site=EMPTY_SITE,
    ),
    Case(
        "item is not a feature",
        Code.NOT_A_FEATURE,
        lambda: plus({"type": "Point"}),
        [("not_a_feature", None, ())],
    ),
    Case(
        "feature without geometry",
        Code.MISSING_GEOMETRY,
        lambda: plus(feature("p", "planter", None)),
        [("missing_geometry", "p", ())],
    ),
    Case(
        "feature without properties",
        Code.MISSING_PROPERTIES,
        lambda: plus(raw_feature("p", None, point(0, 0))),
        [("missing_properties", "p", ())],
    ),
    Case(
        "ring not closed",
        Code.INVALID_GEOJSON,
        lambda: plus(
            feature(
                "p",
                "planter",
                {
                    "type": "Polygon",
                    "coordinates": [[lonlat(0, 0), lonlat(2, 0), lonlat(2, 2), lonlat(0, 2)]],
                },
            )
        ),
        [("invalid_geojson", "p", ())],
    ),
    Case(
        "longitude out of range",
        Code.COORDINATES_OUT_OF_RANGE,
        lambda: plus(feature("t", "tree_new", {"type": "Point", "coordinates": [200.0, 31.263]})),
        [("coordinates_out_of_range", "t", ())],
    ),
    Case(
        "latitude and longitude swapped",
        Code.COORDINATES_SWAPPED,
        lambda: plus(feature("t", "tree_new", {"type": "Point", "coordinates": [31.263, 121.496]})),
        [("coordinates_swapped", "t", ())],
    ),
    Case(
        "feature without id",
        Code.MISSING_ID,
        lambda: plus(feature(None, "tree_new", point(0, 0))),
        [("missing_id", None, ())],
    ),
    Case(
        "two features share an id",
        Code.DUPLICATE_ID,
        lambda: plus(feature("t", "tree_new", point(0, 0)), feature("t", "tree_new", point(3, 0))),
        [("duplicate_id", "t", ())],
    ),
    Case(
        "feature without kind",
        Code.MISSING_KIND,
        lambda: plus(raw_feature("x", {"label": "?"}, point(0, 0))),
        [("missing_kind", "x", ())],
    ),
    Case(
        "unknown kind",
        Code.UNKNOWN_KIND,
        lambda: plus(feature("x", "swimming_pool", rect(0, 0, 4, 4))),
        [("unknown_kind", "x", ())],
    ),
    Case(
        "site-only kind drawn",
        Code.SITE_KIND_IN_LAYOUT,
        lambda: plus(feature("x", "entrance", point(0, 0))),
        [("site_kind_in_layout", "x", ())],
    ),
    Case(
        "hoop drawn as a polygon",
        Code.KIND_GEOMETRY_MISMATCH,
        lambda: plus(feature("h", "hoop", rect(0, 0, 1, 1))),
        [("kind_geometry_mismatch", "h", ())],
    ),
    Case(
        "line path without width",
        Code.INVALID_PROPERTY,
        lambda: plus(feature("p", "path", line((0, 0), (5, 0)))),
        [("invalid_property", "p", ())],
    ),
    Case(
        "self-intersecting planter",
        Code.INVALID_GEOMETRY,
        lambda: plus(feature("bowtie", "planter", BOWTIE)),
        [("invalid_geometry", "bowtie", ())],
    ),
    Case(
        "planter 1 m beyond the boundary",
        Code.OUTSIDE_SITE,
        lambda: plus(feature("p", "planter", rect(19.5, 0, 3, 2))),
        [("outside_site", "p", ())],
    ),
    Case(
        "two planters overlapping",
        Code.SOLID_OVERLAP,
        lambda: plus(feature("pa", "planter", rect(0, 0, 4, 2)), feature("pb", "planter", rect(3, 0, 4, 2))),
        [("solid_overlap", "pa", ("pa", "pb"))],
    ),
    Case(
        "half court 10 % short",
        Code.COURT_DIMENSIONS,
        lambda: plus(SHORT_HALF_COURT),
        [("court_dimensions", "court", ())],
    ),
    Case(
        "L-shaped court",
        Code.COURT_NOT_RECTANGULAR,
        lambda: plus(L_SHAPED_COURT),
        [("court_not_rectangular", "court", ())],
    ),
    Case(
        "light inside the court",
        Code.COURT_OBSTRUCTED,
        lambda: plus(GOOD_HALF_COURT, feature("light", "lighting", point(-4, -1))),
        [("court_obstructed", "court", ("court", "light"))],
    ),
    Case(
        "bench 1 m from the court",
        Code.COURT_RUNOFF_OBSTRUCTED,
        lambda: plus(GOOD_HALF_COURT, feature("bench", "bench", point(4.5, -1))),
        [("court_runoff_obstructed", "court", ("court", "bench"))],
    ),
    Case(
        "seating area paved over the kept tree",
        Code.KEPT_TREE_COVERED,
        lambda: plus(feature("seating", "seating_area", rect(*KEEP_TREE_XY, 4, 4))),
        [("kept_tree_covered", "tree-keep", ("tree-keep", "seating"))],
    ),
    Case(
        "kept tree left out",
        Code.KEPT_TREE_REMOVED,
        lambda: with_features(MINIMAL_LAYOUT, drop=["tree-keep"]),
        [("kept_tree_removed", "tree-keep", ())],
    ),
    Case(
        "line path 0.9 m wide",
        Code.PATH_TOO_NARROW,
        lambda: plus(feature("p", "path", line((0, -5), (0, 5)), width_m=0.9)),
        [("path_too_narrow", "p", ())],
    ),
    Case("cost over budget", Code.OVER_BUDGET, lambda: GOOD_LAYOUT, [("over_budget", None, ())], budget=1000),
    Case(
        "planter over the manhole",
        Code.BLOCKS_SITE_CONSTRAINT,
        lambda: plus(feature("planter", "planter", rect(-17, -12, 2, 2))),
        [("blocks_site_constraint", "planter", ("planter", "manhole"))],
    ),
]

NEAR_MISSES = [
    Case("good layout", Code.NOT_A_FEATURE_COLLECTION, lambda: GOOD_LAYOUT, []),
    Case(
        "exactly the most features",
        Code.TOO_MANY_FEATURES,
        lambda: _many_trees(MAX_FEATURES),
        [],
        site=EMPTY_SITE,
    ),
    Case(
        "a large but allowed polygon",
        Code.TOO_MANY_VERTICES,
        lambda: collection(feature("p", "planter", circle(0, 0, 3, MAX_VERTICES - 1000))),
        [],
        site=EMPTY_SITE,
    ),
    Case("only features", Code.NOT_A_FEATURE, lambda: plus(feature("t", "tree_new", point(0, 0))), []),
    Case(
        "feature with geometry",
        Code.MISSING_GEOMETRY,
        lambda: plus(feature("p", "planter", rect(0, 0, 2, 2))),
        [],
    ),
    Case(
        "id and kind in properties",
        Code.MISSING_PROPERTIES,
        lambda: plus(raw_feature(None, {"id": "t", "kind": "tree_new"}, point(0, 0))),
        [],
    ),
    Case(
        "closed ring with a hole",
        Code.INVALID_GEOJSON,
        lambda: plus(
            feature(
                "p",
                "planter",
                polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (2, 1), (2, 2), (1, 2)]]),
            )
        ),
        [],
    ),
    Case(
        "3D position in range",
        Code.COORDINATES_OUT_OF_RANGE,
        lambda: plus(feature("t", "tree_new", {"type": "Point", "coordinates": [*lonlat(0, 0), 4.0]})),
        [],
    ),
    Case(
        "longitude first", Code.COORDINATES_SWAPPED, lambda: plus(feature("t", "tree_new", point(0, 0))), []
    ),
    Case(
        "numeric id",
        Code.MISSING_ID,
        lambda: plus(raw_feature(None, {"kind": "tree_new"}, point(0, 0)) | {"id": 7}),
        [],
    ),
    Case(
        "distinct ids",
        Code.DUPLICATE_ID,
        lambda: plus(feature("t1", "tree_new", point(0, 0)), feature("t2", "tree_new", point(3, 0))),
        [],
    ),
    Case("kind given", Code.MISSING_KIND, lambda: plus(feature("x", "water_point", point(0, 0))), []),
    Case("known kind", Code.UNKNOWN_KIND, lambda: plus(feature("x", "play_area", rect(0, 0, 4, 4))), []),
    Case(
        "layout kind", Code.SITE_KIND_IN_LAYOUT, lambda: plus(feature("x", "notice_board", point(0, 0))), []
    ),
    Case(
        "bench as point and as polygon, path as line and polygon",
        Code.KIND_GEOMETRY_MISMATCH,
        lambda: plus(
            feature("b1", "bench", point(0, 0)),
            feature("b2", "bench", rect(3, 0, 1.8, 0.5)),
            feature("p1", "path", line((-5, 5), (5, 5)), width_m=1.5),
            feature("p2", "path", rect(0, -5, 10, 1.5)),
        ),
        [],
    ),
    Case(
        "good properties",
        Code.INVALID_PROPERTY,
        lambda: plus(
            feature("b", "bench", point(0, 0), seats=4, length_m=2.4),
            feature("t", "tree_new", point(3, 0), canopy_m=4),
        ),
        [],
    ),
    Case(
        "simple planter", Code.INVALID_GEOMETRY, lambda: plus(feature("p", "planter", rect(2, 2, 4, 4))), []
    ),
    Case(
        "planter within the boundary tolerance",
        Code.OUTSIDE_SITE,
        lambda: plus(feature("p", "planter", rect(19 + OUTSIDE_TOLERANCE_M - 0.1, 0, 2, 2))),
        [],
    ),
    Case(
        "touching planters, bench under a shade structure",
        Code.SOLID_OVERLAP,
        lambda: plus(
            feature("pa", "planter", rect(0, 0, 4, 2)),
            feature("pb", "planter", rect(4, 0, 4, 2)),
            feature("shade", "shade_structure", rect(0, -6, 4, 4)),
            feature("bench", "bench", rect(0, -6, 1.8, 0.5)),
        ),
        [],
    ),
    Case("half court 4 % long", Code.COURT_DIMENSIONS, lambda: court_layout("half_court", 15.6, 14), []),
    Case("rectangular court, rotated", Code.COURT_NOT_RECTANGULAR, lambda: plus(ROTATED_HALF_COURT), []),
    Case("hoop inside the court", Code.COURT_OBSTRUCTED, lambda: plus(GOOD_HALF_COURT, HOOP), []),
    Case(
        "bench 2.5 m from the court",
        Code.COURT_RUNOFF_OBSTRUCTED,
        lambda: plus(GOOD_HALF_COURT, feature("bench", "bench", point(6.0, -1))),
        [],
    ),
    Case(
        "planter around the kept tree, paving 1 m away",
        Code.KEPT_TREE_COVERED,
        lambda: plus(
            feature("planter", "planter", rect(*KEEP_TREE_XY, 1.6, 1.6)),
            feature("seating", "seating_area", rect(KEEP_TREE_XY[0] - 3.0, 10, 4, 4)),
        ),
        [],
    ),
    Case(
        "kept tree with another id at the same place, other tree removed",
        Code.KEPT_TREE_REMOVED,
        lambda: with_features(
            MINIMAL_LAYOUT,
            feature("my-tree", "tree_existing", point(KEEP_TREE_XY[0] + 0.3, KEEP_TREE_XY[1])),
            drop=["tree-keep", "tree-other"],
        ),
        [],
    ),
    Case(
        "line path exactly the accessible width",
        Code.PATH_TOO_NARROW,
        lambda: plus(feature("p", "path", line((0, -5), (0, 5)), width_m=MIN_PATH_WIDTH_M)),
        [],
    ),
    Case("cost within budget", Code.OVER_BUDGET, lambda: GOOD_LAYOUT, [], budget=10_000_000),
    Case(
        "seating area paved over the manhole",
        Code.BLOCKS_SITE_CONSTRAINT,
        lambda: plus(feature("seating", "seating_area", rect(-16, -11, 4, 4))),
        [],
    ),
]


def trigger(code: Code) -> Case:
    """The trigger case of a code."""
    return next(c for c in TRIGGERS if c.code is code)


def _ids(cases: list[Case]) -> list[str]:
    return [f"{c.code}: {c.name}" for c in cases]


@pytest.mark.parametrize("case", TRIGGERS, ids=_ids(TRIGGERS))
def test_layout_triggers_exactly_its_finding(case: Case) -> None:
    report = case.run()
    assert found(report) == case.expected
    assert report.valid is (SEVERITY[case.code] is Severity.WARNING)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=_ids(NEAR_MISSES))
def test_near_miss_has_no_finding(case: Case) -> None:
    report = case.run()
    assert found(report) == case.expected
    assert report.valid
    assert report.metrics is not None


def test_every_code_has_a_trigger_and_a_near_miss() -> None:
    site_only = {Code.INVALID_BOUNDARY, Code.CONSTRAINT_OUTSIDE_SITE}
    assert {c.code for c in TRIGGERS} == set(Code) - site_only
    assert {c.code for c in NEAR_MISSES} == set(Code) - site_only


@pytest.mark.parametrize("case", TRIGGERS, ids=_ids(TRIGGERS))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_messages_are_complete_in_both_languages(case: Case, language: str) -> None:
    for finding in case.run().findings:
        message = finding.message(language)
        assert message and "?" not in message and "{" not in message
    assert set(MESSAGES) == set(Code)
    assert all(set(m) == {"zh-CN", "en"} for m in MESSAGES.values())


# --- Structure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        "text",
        [],
        {},
        {"type": "Feature"},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {}},
    ],
)
def test_unreadable_documents_give_one_error_and_no_metrics(value: object) -> None:
    report = validate_layout(value, SITE)
    assert found(report) == [("not_a_feature_collection", None, ())]
    assert report.metrics is None and not report.valid


def test_too_many_features_gives_no_metrics() -> None:
    report = trigger(Code.TOO_MANY_FEATURES).run()
    assert report.metrics is None
    assert report.findings[0].params == {"count": MAX_FEATURES + 1, "max": MAX_FEATURES}


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Circle", "coordinates": [0, 0]}, "unknown_type"),
        ({"type": "Polygon", "coordinates": 5}, "bad_nesting"),
        ({"type": "Point", "coordinates": ["121.5", "31.2"]}, "bad_position"),
        ({"type": "Point", "coordinates": [True, 31.2]}, "bad_position"),
        ({"type": "Point", "coordinates": [121.5]}, "bad_position"),
        ({"type": "Point", "coordinates": [math.nan, 31.2]}, "not_finite"),
        ({"type": "Point", "coordinates": [10**400, 31.2]}, "not_finite"),
        ({"type": "LineString", "coordinates": [[121.5, 31.2]]}, "too_few_positions"),
        (
            {"type": "Polygon", "coordinates": [[[121.5, 31.2], [121.6, 31.2], [121.5, 31.2]]]},
            "too_few_positions",
        ),
    ],
)
def test_malformed_geometry_reason(geometry: dict[str, Any], reason: str) -> None:
    report = validate_layout(plus(feature("x", "tree_new", geometry)), SITE)
    assert found(report) == [("invalid_geojson", "x", ())]
    assert report.errors[0].params["reason"] == reason


# Valid in degrees, but so thin that it folds over itself once projected to metres.
FOLDING_SLIVER = {
    "type": "Polygon",
    "coordinates": [[
        [121.49600524983184, 31.262999988752103],
        [121.49620999327776, 31.263002243393363],
        [121.49601049966364, 31.26299998875178],
        [121.49601574949547, 31.262999988751243],
        [121.49600524983184, 31.262999988752103],
    ]],
}


def test_a_sliver_that_folds_when_projected_is_invalid_not_a_crash() -> None:
    report = validate_layout(plus(feature("s", "planter", FOLDING_SLIVER)), SITE)
    assert ("invalid_geometry", "s", ()) in found(report)
    assert report.metrics is not None


@pytest.mark.parametrize("geometry_type", ["MultiPolygon", "GeometryCollection"])
def test_multi_geometries_are_a_kind_mismatch(geometry_type: str) -> None:
    geometry = {"type": geometry_type, "coordinates": [rect(0, 0, 2, 2)["coordinates"]], "geometries": []}
    report = validate_layout(plus(feature("p", "planter", geometry)), SITE)
    assert found(report) == [("kind_geometry_mismatch", "p", ())]
    assert report.errors[0].params["allowed"] == ["Polygon"]


def test_invalid_geometry_names_the_reason_and_where() -> None:
    report = trigger(Code.INVALID_GEOMETRY).run()
    params = report.errors[0].params
    assert params["reason"] == "Self-intersection"
    assert params["location"] == pytest.approx(lonlat(2, 2), abs=1e-7)
    assert "自相交" in report.errors[0].message("zh-CN")


@pytest.mark.parametrize(
    ("properties", "name"),
    [
        ({"seats": "3"}, "seats"),
        ({"seats": -1}, "seats"),
        ({"seats": 2.5}, "seats"),
        ({"length_m": 0}, "length_m"),
        ({"canopy_m": "big"}, "canopy_m"),
    ],
)
def test_invalid_property_names_the_property(properties: dict[str, Any], name: str) -> None:
    report = validate_layout(plus(feature("b", "bench", point(0, 0), **properties)), SITE)
    assert found(report) == [("invalid_property", "b", ())]
    assert report.errors[0].params["property"] == name


def test_keep_must_be_a_boolean() -> None:
    layout = plus(feature("t", "tree_existing", point(0, 0), keep="yes"))
    assert found(validate_layout(layout, SITE)) == [("invalid_property", "t", ())]


# --- Against the site -------------------------------------------------------------------


def test_outside_site_reports_how_far() -> None:
    report = trigger(Code.OUTSIDE_SITE).run()
    assert report.errors[0].params["distance_m"] == pytest.approx(1.0, abs=0.01)


def test_swapped_coordinates_in_range_are_detected_against_the_site() -> None:
    # Near Kyiv both (lon, lat) and (lat, lon) are in range; swapped, a tree lands in Iran.
    proj_site = Site.from_geojson(
        {
            "type": "Polygon",
            "coordinates": [[[30.5, 50.4], [30.501, 50.4], [30.501, 50.401], [30.5, 50.401], [30.5, 50.4]]],
        }
    )
    layout = collection(feature("t", "tree_new", {"type": "Point", "coordinates": [50.4005, 30.5005]}))
    assert found(validate_layout(layout, proj_site)) == [("coordinates_swapped", "t", ())]


def test_a_solid_inside_another_is_an_overlap() -> None:
    layout = plus(
        feature("seating", "seating_area", rect(0, 0, 6, 6)), feature("planter", "planter", rect(0, 0, 2, 2))
    )
    report = validate_layout(layout, SITE)
    assert found(report) == [("solid_overlap", "seating", ("seating", "planter"))]
    assert report.errors[0].params["area_m2"] == pytest.approx(4.0, abs=0.01)


def test_overlap_below_epsilon_is_ignored() -> None:
    layout = plus(
        feature("pa", "planter", rect(0, 0, 4, 2)), feature("pb", "planter", rect(3.95, 1.95, 4, 2))
    )
    assert found(validate_layout(layout, SITE)) == []


def test_each_overlapping_pair_is_reported_once() -> None:
    layout = plus(*(feature(f"p{i}", "planter", rect(i * 1.0, 0, 2, 2)) for i in range(3)))
    assert found(validate_layout(layout, SITE)) == [
        ("solid_overlap", "p0", ("p0", "p1")),
        ("solid_overlap", "p1", ("p1", "p2")),
    ]


def test_runoff_warning_measures_the_distance() -> None:
    report = trigger(Code.COURT_RUNOFF_OBSTRUCTED).run()
    assert report.valid
    assert report.warnings[0].params["distance_m"] == pytest.approx(1.0, abs=0.01)
    assert report.warnings[0].params["runoff_m"] == COURT_STANDARDS["half_court"].runoff_m


def test_building_face_near_a_court_obstructs_its_runoff() -> None:
    report = validate_layout(with_features(GOOD_LAYOUT, drop=["tree-keep", "tree-other"]), KIOSK_SITE)
    assert found(report) == [("court_runoff_obstructed", "court", ("court", "wall"))]


def test_line_path_next_to_a_kept_tree_covers_it() -> None:
    path = feature("p", "path", line((KEEP_TREE_XY[0] + 0.5, -5), (KEEP_TREE_XY[0] + 0.5, 14)), width_m=1.5)
    assert found(validate_layout(plus(path), SITE)) == [
        ("kept_tree_covered", "tree-keep", ("tree-keep", "p"))
    ]


def test_bench_footprint_on_a_trunk_covers_it_but_beside_it_does_not() -> None:
    on = feature("bench", "bench", rect(*KEEP_TREE_XY, 1.8, 0.5))
    beside = feature("bench", "bench", rect(KEEP_TREE_XY[0], KEEP_TREE_XY[1] + 0.5, 1.8, 0.5))
    assert found(validate_layout(plus(on), SITE)) == [
        ("kept_tree_covered", "tree-keep", ("tree-keep", "bench"))
    ]
    assert found(validate_layout(plus(beside), SITE)) == []


def test_polygon_path_width_is_measured() -> None:
    narrow = plus(feature("p", "path", rect(0, 0, 10, 1.0)))
    wide_l = plus(feature("p", "path", polygon(_l_shape(1.5))))
    necked = plus(feature("p", "path", polygon(_BOTTLENECK)))
    report = validate_layout(narrow, SITE)
    assert found(report) == [("path_too_narrow", "p", ())]
    assert report.warnings[0].params["width_m"] == pytest.approx(1.0, abs=0.05)
    assert found(validate_layout(wide_l, SITE)) == []
    report = validate_layout(necked, SITE)
    assert found(report) == [("path_too_narrow", "p", ())]
    assert report.warnings[0].params["width_m"] == pytest.approx(0.8, abs=0.05)


def test_budget_uses_the_rounds_unit_costs() -> None:
    cost = validate_layout(GOOD_LAYOUT, SITE).metrics["estimated_cost_cny"]
    assert not validate_layout(GOOD_LAYOUT, SITE, budget_cny=cost).findings
    pricier = {"half_court": UNIT_COSTS["half_court"].cny * 2}
    report = validate_layout(GOOD_LAYOUT, SITE, budget_cny=cost, unit_costs=pricier)
    assert found(report) == [("over_budget", None, ())]
    assert report.warnings[0].params == {
        "cost_cny": cost + 210 * UNIT_COSTS["half_court"].cny,
        "budget_cny": cost,
    }


def test_entrance_and_building_are_site_constraints() -> None:
    at_gate = plus(feature("bench", "bench", point(0, -14.5)))
    off_gate = plus(feature("bench", "bench", point(3, -13)))
    assert found(validate_layout(at_gate, SITE)) == [
        ("blocks_site_constraint", "bench", ("bench", "gate-south"))
    ]
    assert found(validate_layout(off_gate, SITE)) == []
    on_kiosk = collection(feature("planter", "planter", rect(10, 8, 2, 2)))
    by_kiosk = collection(feature("planter", "planter", rect(9, 8, 2, 2)))
    assert found(validate_layout(on_kiosk, KIOSK_SITE)) == [
        ("blocks_site_constraint", "planter", ("planter", "kiosk"))
    ]
    assert found(validate_layout(by_kiosk, KIOSK_SITE)) == []


# --- Courts at any rotation ----------------------------------------------------------------


@pytest.mark.parametrize("angle", [0, 17, 45, 90, 133])
@pytest.mark.parametrize("kind", ["basketball_court", "half_court", "court_3x3"])
def test_standard_court_passes_at_any_rotation(kind: str, angle: float) -> None:
    standard = COURT_STANDARDS[kind]
    layout = court_layout(kind, standard.length_m, standard.width_m, angle, centre=(0, 0))
    report = validate_layout(with_features(layout, drop=["tree-keep", "tree-other"]), BIG_SITE)
    assert found(report) == []
    assert report.metrics["area_by_kind_m2"][kind] == pytest.approx(standard.area_m2, rel=0.005)


@pytest.mark.parametrize("angle", [0, 17, 45, 90, 133])
@pytest.mark.parametrize("kind", ["basketball_court", "half_court", "court_3x3"])
@pytest.mark.parametrize("short_side", ["length", "width"])
def test_court_ten_percent_short_fails_at_any_rotation(kind: str, angle: float, short_side: str) -> None:
    standard = COURT_STANDARDS[kind]
    length = standard.length_m * (0.9 if short_side == "length" else 1)
    width = standard.width_m * (0.9 if short_side == "width" else 1)
    layout = with_features(
        court_layout(kind, length, width, angle, centre=(0, 0)), drop=["tree-keep", "tree-other"]
    )
    report = validate_layout(layout, BIG_SITE)
    assert found(report) == [("court_dimensions", "court", ())]
    params = report.errors[0].params
    assert (params["length_m"], params["width_m"]) == pytest.approx(
        (max(length, width), min(length, width)), abs=0.01
    )


# --- Reports ---------------------------------------------------------------------------------


def test_report_to_dict_has_the_api_shape() -> None:
    layout = plus(
        feature("pa", "planter", rect(0, 0, 4, 2)),
        feature("pb", "planter", rect(3, 0, 4, 2)),
        feature("p", "path", line((-5, -5), (-5, 5)), width_m=1.0),
    )
    out = validate_layout(layout, SITE).to_dict("en")
    assert set(out) == {"valid", "errors", "warnings", "metrics", "omitted"} and out["omitted"] == 0
    assert out["valid"] is False
    assert out["errors"] == [
        {
            "code": "solid_overlap",
            "message": "Planter and Planter overlap by 2.0 m².",
            "feature_id": "pa",
            "feature_ids": ["pa", "pb"],
            "severity": "error",
            "params": {"area_m2": 2.0, "kind_a": "planter", "kind_b": "planter"},
        }
    ]
    assert out["warnings"] == [
        {
            "code": "path_too_narrow",
            "message": "The path is 1.0 m wide, narrower than the accessible width of 1.2 m.",
            "feature_id": "p",
            "severity": "warning",
            "params": {"width_m": 1.0, "min_width_m": 1.2},
        }
    ]
    json.dumps(out, allow_nan=False)


def test_messages_follow_the_language() -> None:
    report = trigger(Code.COURT_DIMENSIONS).run()
    assert report.to_dict("zh-CN")["errors"][0]["message"] == (
        "半场篮球场尺寸为 14.0 × 13.5 米，标准为 15.0 × 14.0 米（允许偏差 ±5.0%）。"
    )
    assert report.to_dict("en")["errors"][0]["message"] == (
        "Half court measures 14.0 × 13.5 m; the standard is 15.0 × 14.0 m (±5.0%)."
    )


# --- Sites -------------------------------------------------------------------------------------


def test_valid_site_has_a_summary() -> None:
    report = validate_site(SITE_BOUNDARY, SITE_CONSTRAINTS)
    assert found(report) == []
    assert report.metrics == {
        "area_m2": pytest.approx(1200, rel=1e-6),
        "perimeter_m": pytest.approx(140, rel=1e-6),
        "existing_trees": 2,
        "kept_trees": 1,
    }


def test_site_boundary_may_be_a_feature() -> None:
    site = Site.from_geojson({"type": "Feature", "properties": {}, "geometry": SITE_BOUNDARY})
    assert site.area_m2 == pytest.approx(1200, rel=1e-6)


@pytest.mark.parametrize(
    ("boundary", "expected"),
    [
        (None, [("invalid_boundary", None, ())]),
        (point(0, 0), [("invalid_boundary", None, ())]),
        (
            {"type": "Polygon", "coordinates": [[lonlat(0, 0), lonlat(1, 0), lonlat(1, 1), lonlat(0, 1)]]},
            [("invalid_boundary", None, ())],
        ),
        (BOWTIE, [("invalid_geometry", None, ())]),
        (
            {
                "type": "Polygon",
                "coordinates": [[[31.2, 121.4], [31.3, 121.4], [31.3, 121.5], [31.2, 121.4]]],
            },
            [("coordinates_swapped", None, ())],
        ),
        (polygon([(0, 0), (0.5, 0), (0.5, 0.5), (0, 0.5)]), [("invalid_boundary", None, ())]),
    ],
)
def test_invalid_boundaries(boundary: object, expected: Found) -> None:
    report = validate_site(boundary, None)
    assert found(report) == expected
    assert report.metrics is None
    with pytest.raises(InvalidSite) as raised:
        Site.from_geojson(boundary, None)
    assert found(raised.value.report) == expected


def test_constraint_outside_the_site_is_a_warning() -> None:
    far_tree = feature("far", "tree_existing", point(25, 0))
    report = validate_site(SITE_BOUNDARY, with_features(SITE_CONSTRAINTS, far_tree))
    assert found(report) == [("constraint_outside_site", "far", ())]
    assert report.valid and report.warnings[0].params["distance_m"] == pytest.approx(5.0, abs=0.01)
    assert found(validate_site(SITE_BOUNDARY, SITE_CONSTRAINTS)) == []


def test_site_constraints_follow_the_layout_rules() -> None:
    constraints = collection(
        feature("t", "tree_existing", point(0, 0)), feature("t", "hoop", rect(0, 0, 1, 1))
    )
    report = validate_site(SITE_BOUNDARY, constraints)
    assert found(report) == [("kind_geometry_mismatch", "t", ()), ("duplicate_id", "t", ())]
    with pytest.raises(InvalidSite):
        Site.from_geojson(SITE_BOUNDARY, constraints)
    not_a_collection = validate_site(SITE_BOUNDARY, {"type": "Feature"})
    assert found(not_a_collection) == [("not_a_feature_collection", None, ())]


def test_validate_site_never_raises_on_junk() -> None:
    for junk in (None, 1, "x", [], {"type": "Polygon", "coordinates": [[["a"]]]}):
        assert isinstance(validate_site(junk, junk), Report)


# --- Need pins ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (point(0, 0), []),
        (rect(0, 0, 4, 4), []),
        (point(25, 0), [("outside_site", None, ())]),
        (line((0, 0), (1, 1)), [("invalid_geojson", None, ())]),
        ({"type": "Point", "coordinates": [31.263, 121.496]}, [("coordinates_swapped", None, ())]),
        (BOWTIE, [("invalid_geometry", None, ())]),
        ("here", [("invalid_geojson", None, ())]),
    ],
)
def test_need_pins(geometry: object, expected: Found) -> None:
    report = validate_pin(geometry, SITE)
    assert found(report) == expected
    assert report.valid is (expected == [])
    if expected == []:
        assert report.metrics["geometry_type"] == geometry["type"]
    for finding in report.findings:
        assert "?" not in finding.message("zh-CN") and "?" not in finding.message("en")


# --- One feature at a time (a live edit of the team's draft) -----------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("香樟 camphor", []),
        ("x" * MAX_LABEL, []),
        ("x" * (MAX_LABEL + 1), [("invalid_property", "b", ())]),
        (42, [("invalid_property", "b", ())]),
    ],
)
def test_a_label_is_short_text(label: object, expected: Found) -> None:
    report = validate_layout(plus(feature("b", "bench", point(0, 0), label=label)), SITE)
    assert found(report) == expected
    for finding in report.findings:
        assert "120" in finding.message("en") and "120" in finding.message("zh-CN")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (feature("b", "bench", point(0, 0)), []),
        # where it lies and what it meets are the whole layout's findings
        (feature("b", "bench", point(60, 60)), []),
        (feature("p", "planter", rect(-4.0, -1.0, 4, 4)), []),
        (feature("x", "planter", BOWTIE), [("invalid_geometry", "x", ())]),
        (feature("x", "pool", point(0, 0)), [("unknown_kind", "x", ())]),
        (feature("x", "hoop", rect(0, 0, 2, 2)), [("kind_geometry_mismatch", "x", ())]),
        (feature(None, "bench", point(0, 0)), [("missing_id", None, ())]),
        ("bench", [("not_a_feature", None, ())]),
    ],
)
def test_one_feature_is_checked_by_itself(value: object, expected: Found) -> None:
    report = validate_feature(value, SITE)
    assert found(report) == expected
    assert report.metrics is None


def test_a_features_vertices_and_id_are_read_as_a_layout_reads_them() -> None:
    assert vertex_count(feature("p", "planter", rect(0, 0, 2, 2))) == 5
    assert vertex_count({"geometry": {"type": "Point", "coordinates": "x"}}) == 0
    assert vertex_count(feature("f", "fence", line(*[(i / 100, 0) for i in range(MAX_VERTICES + 1)]))) == (
        MAX_VERTICES + 1
    )
    assert feature_id({"id": 3, "properties": {}}) == "3"
    assert feature_id({"properties": {"id": "b"}}) == "b"
    assert feature_id({"id": True}) is None and feature_id("x") is None
