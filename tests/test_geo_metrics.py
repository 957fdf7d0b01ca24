"""Metrics of layouts in metric units."""

from __future__ import annotations

import math

import pytest

from geo import Site, compute_metrics, validate_layout
from geo.layout import parse_features, project
from geo.standards import UNIT_COSTS
from tests.geo_layouts import (
    GOOD_HALF_COURT,
    GOOD_LAYOUT,
    KEEP_TREE_XY,
    MINIMAL_LAYOUT,
    SITE_AREA_M2,
    SITE_BOUNDARY,
    SITE_CONSTRAINTS,
    collection,
    feature,
    line,
    point,
    rect,
    with_features,
)

SITE = Site.from_geojson(SITE_BOUNDARY, SITE_CONSTRAINTS)
EMPTY_SITE = Site.from_geojson(SITE_BOUNDARY)


def _polygon_area(radius: float) -> float:
    """Area of the 32-gon shapely draws for a circle (quad_segs=8)."""
    return 16 * radius**2 * math.sin(2 * math.pi / 32)


@pytest.mark.parametrize("angle", [0, 17, 45, 90, 133])
def test_half_court_measures_210_square_metres(angle: float) -> None:
    court = feature("court", "half_court", rect(0, 0, 15, 14, angle))
    metrics = compute_metrics(collection(court), EMPTY_SITE)
    assert metrics["area_by_kind_m2"]["half_court"] == pytest.approx(210, rel=0.005)
    assert metrics["hard_surface_ratio"] == pytest.approx(210 / SITE_AREA_M2, abs=1e-4)


def test_good_layout_metrics() -> None:
    metrics = compute_metrics(GOOD_LAYOUT, SITE)
    assert metrics["site_area_m2"] == pytest.approx(1200, abs=0.01)
    assert metrics["area_by_kind_m2"] == pytest.approx(
        {
            "bench": 0.9,
            "half_court": 210,
            "lawn": 48,
            "path": 39,
            "planter": 8,
            "seating_area": 24,
            "shade_structure": 49,
        },
        abs=0.02,
    )
    assert metrics["length_by_kind_m"] == pytest.approx({"path": 26}, abs=0.01)
    assert metrics["count_by_kind"] == {
        "bench": 2,
        "half_court": 1,
        "hoop": 1,
        "lawn": 1,
        "lighting": 1,
        "path": 1,
        "planter": 1,
        "seating_area": 1,
        "shade_structure": 1,
        "tree_existing": 2,
        "tree_new": 1,
    }
    assert metrics["green_area_m2"] == pytest.approx(56, abs=0.02)
    assert metrics["green_ratio"] == pytest.approx(56 / 1200, abs=1e-4)
    assert metrics["hard_surface_area_m2"] == pytest.approx(273, abs=0.02)
    assert metrics["hard_surface_ratio"] == pytest.approx(273 / 1200, abs=1e-4)
    assert metrics["seats"] == 3 + 3 + 24
    assert metrics["trees"] == {"kept": 2, "removed": 0, "new": 1, "removed_ids": []}
    # The shade structure plus three canopies: the kept tree's 8 m (from the site), the
    # other tree's default 6 m, the new tree's default 3 m; none overlapping.
    assert metrics["shaded_area_m2"] == pytest.approx(
        49 + _polygon_area(4) + _polygon_area(3) + _polygon_area(1.5), abs=0.05
    )
    expected_cost = {
        "half_court": 210 * 400,
        "hoop": 8000,
        "bench": 2 * 2500,
        "seating_area": 24 * 500,
        "shade_structure": 49 * 1200,
        "planter": 8 * 600,
        "lawn": 48 * 80,
        "path": 39 * 250,
        "lighting": 5000,
        "tree_new": 3000,
    }
    assert metrics["cost_by_kind_cny"] == pytest.approx(expected_cost, abs=10)
    assert metrics["estimated_cost_cny"] == pytest.approx(sum(expected_cost.values()), abs=10)


def test_validate_and_compute_metrics_agree() -> None:
    assert validate_layout(GOOD_LAYOUT, SITE).metrics == compute_metrics(GOOD_LAYOUT, SITE)


def test_trees_removed_are_listed() -> None:
    metrics = compute_metrics(with_features(GOOD_LAYOUT, drop=["tree-other"]), SITE)
    assert metrics["trees"] == {"kept": 1, "removed": 1, "new": 1, "removed_ids": ["tree-other"]}


def test_existing_tree_matches_by_location_within_a_metre() -> None:
    near = feature("renamed", "tree_existing", point(KEEP_TREE_XY[0] + 0.8, KEEP_TREE_XY[1]))
    far = feature("renamed", "tree_existing", point(KEEP_TREE_XY[0] + 1.5, KEEP_TREE_XY[1]))
    base = with_features(MINIMAL_LAYOUT, drop=["tree-keep"])
    assert compute_metrics(with_features(base, near), SITE)["trees"]["kept"] == 2
    assert compute_metrics(with_features(base, far), SITE)["trees"] == {
        "kept": 1,
        "removed": 1,
        "new": 0,
        "removed_ids": ["tree-keep"],
    }


@pytest.mark.parametrize(
    ("bench", "seats"),
    [
        (feature("b", "bench", point(0, 0)), 3),
        (feature("b", "bench", point(0, 0), length_m=2.4), 4),
        (feature("b", "bench", point(0, 0), seats=6), 6),
        (feature("b", "bench", rect(0, 0, 3.0, 0.5, 30)), 5),
        (feature("b", "bench", rect(0, 0, 3.0, 0.5), seats=2), 2),
        (feature("s", "seating_area", rect(0, 0, 5, 2)), 10),
        (feature("s", "seating_area", rect(0, 0, 5, 2), seats=40), 40),
    ],
)
def test_seats(bench: dict, seats: int) -> None:
    assert compute_metrics(collection(bench), EMPTY_SITE)["seats"] == seats


def test_unit_costs_can_be_overridden_and_junk_is_ignored() -> None:
    layout = collection(GOOD_HALF_COURT, feature("f", "fence", line((-12, -9), (4, -9))))
    base = compute_metrics(layout, EMPTY_SITE)["estimated_cost_cny"]
    assert base == pytest.approx(210 * UNIT_COSTS["half_court"].cny + 16 * UNIT_COSTS["fence"].cny, abs=5)
    cheaper = compute_metrics(layout, EMPTY_SITE, unit_costs={"half_court": 100, "fence": 50})
    assert cheaper["estimated_cost_cny"] == pytest.approx(210 * 100 + 16 * 50, abs=5)
    junk = {"half_court": -5, "fence": "cheap", "moon_base": 1, "hoop": math.nan, "lawn": True}
    assert compute_metrics(layout, EMPTY_SITE, unit_costs=junk)["estimated_cost_cny"] == base


def test_shade_under_a_canopy_counts_once() -> None:
    shade = feature("shade", "shade_structure", rect(0, 0, 4, 4))
    tree = feature("t", "tree_new", point(0, 0), canopy_m=2.0)
    metrics = compute_metrics(collection(shade, tree), EMPTY_SITE)
    assert metrics["shaded_area_m2"] == pytest.approx(16, abs=0.01)
    assert metrics["shaded_ratio"] == pytest.approx(16 / 1200, abs=1e-4)


def test_surfaces_are_clipped_to_the_site_and_overlaps_counted_once() -> None:
    half_out = feature("s", "seating_area", rect(20, 0, 4, 4))
    lawn_a = feature("a", "lawn", rect(0, 0, 4, 4))
    lawn_b = feature("b", "lawn", rect(2, 0, 4, 4))
    metrics = compute_metrics(collection(half_out, lawn_a, lawn_b), EMPTY_SITE)
    assert metrics["area_by_kind_m2"] == pytest.approx({"seating_area": 16, "lawn": 32}, abs=0.01)
    assert metrics["hard_surface_area_m2"] == pytest.approx(8, abs=0.01)
    assert metrics["green_area_m2"] == pytest.approx(24, abs=0.01)


def test_whole_site_lawn_is_a_green_ratio_of_one() -> None:
    metrics = compute_metrics(collection(feature("l", "lawn", SITE_BOUNDARY)), EMPTY_SITE)
    assert metrics["green_ratio"] == pytest.approx(1.0, abs=1e-4)


def test_line_path_area_is_length_times_width() -> None:
    path = feature("p", "path", line((0, 0), (10, 0), (10, 5)), width_m=2.0)
    metrics = compute_metrics(collection(path), EMPTY_SITE)
    assert metrics["area_by_kind_m2"]["path"] == pytest.approx(30, abs=0.01)
    assert metrics["length_by_kind_m"]["path"] == pytest.approx(15, abs=0.01)


def test_compute_metrics_accepts_parsed_layouts_and_features() -> None:
    expected = compute_metrics(GOOD_LAYOUT, SITE)
    parsed = parse_features(GOOD_LAYOUT)
    assert compute_metrics(parsed, SITE) == expected  # not yet projected
    project(parsed, SITE.projection)
    assert compute_metrics(parsed, SITE) == expected
    assert compute_metrics(parsed.features, SITE) == expected


@pytest.mark.parametrize("junk", [None, [], "x", {"type": "FeatureCollection", "features": [1, {}]}])
def test_broken_input_measures_as_empty(junk: object) -> None:
    metrics = compute_metrics(junk, SITE)
    assert metrics["count_by_kind"] == {} and metrics["estimated_cost_cny"] == 0
    assert metrics["trees"]["removed"] == 2


def test_invalid_features_are_not_measured() -> None:
    bowtie = feature(
        "x",
        "planter",
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [121.496, 31.263],
                    [121.4961, 31.2631],
                    [121.4961, 31.263],
                    [121.496, 31.2631],
                    [121.496, 31.263],
                ]
            ],
        },
    )
    metrics = compute_metrics(collection(bowtie), EMPTY_SITE)
    assert metrics["area_by_kind_m2"] == {}


@pytest.mark.parametrize("centre", [(121.496, 31.263), (116.4, 39.9), (-0.12, 51.5), (151.2, -33.9)])
def test_site_projection_is_proj_s_lambert_equal_area_both_ways(centre: tuple[float, float]) -> None:
    import numpy as np
    import shapely
    from pyproj import Transformer

    from geo.projection import LocalProjection

    lon_0, lat_0 = centre
    laea = f"+proj=laea +lat_0={lat_0!r} +lon_0={lon_0!r} +ellps=WGS84 +units=m +no_defs"
    forward = Transformer.from_crs("EPSG:4326", laea, always_xy=True)
    inverse = Transformer.from_crs(laea, "EPSG:4326", always_xy=True)
    rng = np.random.default_rng(7)
    lonlat = np.column_stack((lon_0 + rng.uniform(-0.01, 0.01, 200), lat_0 + rng.uniform(-0.01, 0.01, 200)))
    projection = LocalProjection(lon_0, lat_0)
    metres = shapely.get_coordinates(projection.to_metres(shapely.linestrings(lonlat)))
    assert np.abs(metres - np.column_stack(forward.transform(lonlat[:, 0], lonlat[:, 1]))).max() < 1e-9
    back = shapely.get_coordinates(projection.to_lonlat(shapely.linestrings(metres)))
    assert np.abs(back - np.column_stack(inverse.transform(metres[:, 0], metres[:, 1]))).max() < 1e-12
    assert projection.to_metres_xy(*lonlat[0]) == forward.transform(*lonlat[0])
    assert projection.to_lonlat_xy(*metres[0]) == pytest.approx(inverse.transform(*metres[0]), abs=1e-12)


def test_greenlets_share_their_threads_proj_transformer() -> None:
    """Served under gevent, every greenlet counts as a thread to pyproj, which would build its
    PROJ object again for every event and page; it is built once per OS thread."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
from gevent import monkey; monkey.patch_all()
import gevent
import pyproj.transformer as pt
built = []
build = pt.TransformerFromPipeline.__call__
pt.TransformerFromPipeline.__call__ = lambda self: built.append(1) or build(self)
from geo.projection import LocalProjection
projection = LocalProjection(121.496, 31.263)
events = [gevent.spawn(projection.to_metres_xy, 121.497, 31.264) for _ in range(20)]
gevent.joinall(events)
print(len(built), len({event.value for event in events}))
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
