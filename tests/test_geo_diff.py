"""Version diffs: features matched by id, classified, with metric deltas."""

from __future__ import annotations

import pytest

from geo import Site, diff_layouts
from geo.diff import metric_delta
from tests.geo_layouts import (
    GOOD_LAYOUT,
    GOOD_LAYOUT_IDS,
    PLANTER,
    SITE_BOUNDARY,
    SITE_CONSTRAINTS,
    feature,
    lonlat,
    point,
    rect,
    with_features,
)

SITE = Site.from_geojson(SITE_BOUNDARY, SITE_CONSTRAINTS)


def _replace(fid: str, new_feature: dict) -> dict:
    return with_features(GOOD_LAYOUT, new_feature, drop=[fid])


def test_same_layout_has_no_changes() -> None:
    diff = diff_layouts(GOOD_LAYOUT, GOOD_LAYOUT, SITE)
    assert (diff["added"], diff["removed"], diff["moved"], diff["reshaped"], diff["properties_changed"]) == (
        [],
        [],
        [],
        [],
        [],
    )
    assert diff["unchanged"] == len(GOOD_LAYOUT_IDS)
    assert diff["metrics"]["delta"]["estimated_cost_cny"] == 0
    assert diff["metrics"]["old"] == diff["metrics"]["new"]


def test_added_and_removed_by_id() -> None:
    new = with_features(GOOD_LAYOUT, feature("tree-new-2", "tree_new", point(-10, -12)), drop=["light-1"])
    diff = diff_layouts(GOOD_LAYOUT, new, SITE)
    assert diff["added"] == ["tree-new-2"]
    assert diff["removed"] == ["light-1"]
    assert diff["unchanged"] == len(GOOD_LAYOUT_IDS) - 1
    assert diff["metrics"]["delta"]["count_by_kind"]["tree_new"] == 1
    assert diff["metrics"]["delta"]["count_by_kind"]["lighting"] == -1
    assert diff["metrics"]["delta"]["estimated_cost_cny"] == 3000 - 5000


def test_translated_feature_is_moved() -> None:
    moved = _replace("planter", feature("planter", "planter", rect(10, 1, 4, 2)))
    diff = diff_layouts(GOOD_LAYOUT, moved, SITE)
    assert diff["moved"] == [{"id": "planter", "distance_m": pytest.approx(3.0, abs=0.01)}]
    assert diff["reshaped"] == []
    assert diff["unchanged"] == len(GOOD_LAYOUT_IDS) - 1
    assert diff["metrics"]["delta"]["area_by_kind_m2"]["planter"] == pytest.approx(0, abs=0.01)


def test_resized_or_rotated_feature_is_reshaped() -> None:
    bigger = _replace("planter", feature("planter", "planter", rect(10, 4, 6, 2)))
    turned = _replace("planter", feature("planter", "planter", rect(10, 4, 4, 2, 30)))
    diff = diff_layouts(GOOD_LAYOUT, bigger, SITE)
    assert diff["reshaped"] == [
        {
            "id": "planter",
            "area_delta_m2": pytest.approx(4, abs=0.01),
            "centroid_shift_m": pytest.approx(0, abs=0.01),
        }
    ]
    assert diff["metrics"]["delta"]["area_by_kind_m2"]["planter"] == pytest.approx(4, abs=0.01)
    assert diff["metrics"]["delta"]["estimated_cost_cny"] == pytest.approx(4 * 600, abs=2)
    assert [r["id"] for r in diff_layouts(GOOD_LAYOUT, turned, SITE)["reshaped"]] == ["planter"]


def test_point_moved() -> None:
    diff = diff_layouts(GOOD_LAYOUT, _replace("light-1", feature("light-1", "lighting", point(7, 9))), SITE)
    assert diff["moved"] == [{"id": "light-1", "distance_m": pytest.approx(4.0, abs=0.01)}]


def test_millimetre_noise_is_unchanged() -> None:
    nudged = _replace("planter", feature("planter", "planter", rect(10.002, 4.001, 4, 2)))
    diff = diff_layouts(GOOD_LAYOUT, nudged, SITE)
    assert diff["moved"] == [] and diff["reshaped"] == []
    assert diff["unchanged"] == len(GOOD_LAYOUT_IDS)


def test_property_change_is_listed() -> None:
    relabelled = _replace("planter", {**PLANTER, "properties": {**PLANTER["properties"], "label": "roses"}})
    diff = diff_layouts(GOOD_LAYOUT, relabelled, SITE)
    assert diff["properties_changed"] == ["planter"]
    assert diff["unchanged"] == len(GOOD_LAYOUT_IDS) - 1


def test_features_without_ids_or_with_broken_geometry_are_not_matched() -> None:
    anonymous = {
        "type": "Feature",
        "properties": {"kind": "tree_new"},
        "geometry": {"type": "Point", "coordinates": lonlat(0, 0)},
    }
    broken = feature("light-1", "lighting", {"type": "Point", "coordinates": "here"})
    diff = diff_layouts(GOOD_LAYOUT, with_features(GOOD_LAYOUT, anonymous, broken, drop=["light-1"]), SITE)
    assert diff["added"] == [] and diff["removed"] == ["light-1"]


def test_diff_of_junk_never_raises() -> None:
    diff = diff_layouts(None, GOOD_LAYOUT, SITE)
    assert diff["added"] == GOOD_LAYOUT_IDS
    assert diff["metrics"]["delta"]["count_by_kind"]["half_court"] == 1


def test_metric_delta_recurses_and_skips_lists() -> None:
    assert metric_delta({"a": 1, "l": [1], "n": {"x": 1.5}}, {"a": 4, "l": [2], "n": {"y": 2}}) == {
        "a": 3,
        "n": {"x": -1.5, "y": 2},
    }
