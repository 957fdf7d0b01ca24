"""Layouts in words: what is where, how big, what is kept, in both languages."""

from __future__ import annotations

import pytest

import geo
from geo.describe import (
    PLACE_CODES,
    describe_changes,
    describe_layout,
    describe_needs,
    describe_pin,
    describe_point,
    describe_site,
    feature_places,
    place_code,
    place_names,
    place_points,
)
from tests import geo_layouts as g


@pytest.fixture(scope="module")
def site() -> geo.Site:
    return geo.Site.from_geojson(g.SITE_BOUNDARY, g.SITE_CONSTRAINTS)


def test_the_site_and_each_feature_are_said_with_size_and_place(site):
    words = describe_layout(g.GOOD_LAYOUT, site, "en")
    assert words[0] == "The site is about 40 × 30 m (1,200 m²); the layout has 13 features."
    assert "Half court, 15 × 14 m, in the middle." in words
    assert "Lawn, 8 × 6 m, in the north-west corner." in words
    assert "Path, 1.5 m wide and 26 m long, from the south-east corner to the north-east corner." in words
    assert "Lighting, in the north-east corner." in words
    trees = "Existing tree (2): 1 in the north-east corner, 1 in the north-west corner; 1 of them kept."
    assert trees in words


def test_chinese_says_the_same(site):
    words = describe_layout(g.GOOD_LAYOUT, site, "zh-CN")
    assert words[0] == "场地约 40 × 30 米（1,200 平方米），方案共有 13 个要素。"
    assert "中部有半场篮球场（15 × 14 米）。" in words
    assert "步道（宽 1.5 米，长 26 米），从东南角到东北角。" in words
    assert len(words) == len(describe_layout(g.GOOD_LAYOUT, site, "en"))


def test_a_turned_court_is_measured_along_its_own_sides(site):
    words = describe_layout(g.with_features(g.MINIMAL_LAYOUT, g.ROTATED_HALF_COURT), site, "en")
    assert "Half court, 15 × 14 m, in the middle." in words


def test_what_stands_by_a_kept_tree_says_so(site):
    bench = g.feature("bench-tree", "bench", g.rect(12.0, 8.0, 1.8, 0.5))
    layout = g.with_features(g.MINIMAL_LAYOUT, bench)
    words = describe_layout(layout, site, "en")
    assert "Bench, 2 × 0.5 m, in the north-east corner, next to a kept tree." in words
    assert any("紧邻保留树木" in s for s in describe_layout(layout, site, "zh"))


def test_several_of_a_kind_are_counted_by_place(site):
    benches = [g.feature(f"b{n}", "bench", g.point(-12.0 + n, 12.0)) for n in range(3)]
    words = describe_layout(g.with_features(g.MINIMAL_LAYOUT, *benches), site, "en")
    assert "Bench (3): 3 in the north-west corner." in words


def test_an_empty_or_broken_layout_is_still_described(site):
    assert describe_layout({"type": "FeatureCollection", "features": []}, site, "en") == [
        "The site is about 40 × 30 m (1,200 m²); no features are drawn yet."
    ]
    assert describe_layout({"not": "geojson"}, site, "zh-CN")[0].endswith("尚未画任何要素。")


def test_a_pin_is_placed_in_its_part_of_the_site_and_by_what_stands_there(site):
    # The entrance is at the middle of the south side (0, -15); a pin 2 m north of it is by it.
    by_the_gate = g.lonlat(0.0, -13.0)
    assert place_code(by_the_gate, site) == "sc"
    assert describe_point(by_the_gate, site, "en") == "along the south side, by the entrance"
    assert describe_point(by_the_gate, site, "zh-CN") == "南侧，靠近出入口"
    # Far from anything of the site's own: only the part of the site.
    assert describe_point(g.lonlat(-16.0, 0.0), site, "en") == "along the west side"
    assert describe_point(g.lonlat(0.0, 0.0), site, "zh-CN") == "中部"


def test_every_place_has_words_in_both_languages():
    english, chinese = place_names("en"), place_names("zh-CN")
    assert set(english) == set(chinese) == set(PLACE_CODES) and len(PLACE_CODES) == 9
    assert english["nw"] == "in the north-west corner" and chinese["se"] == "东南角"


def test_each_feature_is_named_with_its_kind_label_and_place(site):
    labelled = g.feature("bench-x", "bench", g.point(-12.0, 12.0), label="Grandpa's bench")
    names = feature_places(g.with_features(g.MINIMAL_LAYOUT, labelled), site, "en")
    assert names["bench-x"] == "Bench “Grandpa's bench”, in the north-west corner"
    assert feature_places(g.GOOD_LAYOUT, site, "zh-CN")["court"] == "半场篮球场（中部）"


def test_the_site_as_it_is_today_is_described(site):
    words = describe_site(site, "en")
    assert words[0] == "The site is about 40 × 30 m (1,200 m²); 5 things stand on it today."
    assert "Entrance, along the south side." in words
    assert describe_site(site, "zh-CN")[0] == "场地约 40 × 30 米（1,200 平方米），现有 5 处要素。"


def test_changes_between_versions_are_said_in_words(site):
    moved_bench = g.feature("bench-1", "bench", g.point(13.0, -4.0), seats=3)  # 3 m east of (10, -4)
    bigger_lawn = g.feature("lawn", "lawn", g.rect(-15.0, 11.0, 8.0, 7.0))  # 48 -> 56 m²
    new_light = g.feature("light-2", "lighting", g.point(-18.0, -13.0))
    old = g.GOOD_LAYOUT
    new = g.with_features(old, moved_bench, bigger_lawn, new_light, drop=("bench-1", "lawn", "planter"))
    diff = geo.diff_layouts(old, new, site)
    words = describe_changes(diff, old, new, site, "en")
    assert "Added: Lighting, in the south-west corner." in words
    assert "Removed: Planter, along the east side." in words
    assert "Moved: Bench, along the east side, 3 m to the east." in words
    assert "Reshaped: Lawn, in the north-west corner, 8 m² larger." in words
    chinese = describe_changes(diff, old, new, site, "zh-CN")
    assert "移动：座椅（东侧）向东移了 3 米。" in chinese
    assert "改形：草坪（西北角），面积增加 8 平方米。" in chinese
    assert describe_changes(geo.diff_layouts(old, old, site), old, old, site, "en") == [
        "No feature changed between the two versions."
    ]


def test_a_place_chosen_from_the_list_lands_in_that_place(site):
    points = place_points(site)
    assert set(points) == set(PLACE_CODES)  # a rectangular site has all nine
    for code, point in points.items():
        assert place_code(point, site) == code
        assert geo.validate_pin({"type": "Point", "coordinates": point}, site).valid


def test_an_l_shaped_site_offers_only_the_places_it_has():
    # 30 × 30 m with the north-east ninth cut away: eight places.
    outline = [(-15, -15), (15, -15), (15, 5), (5, 5), (5, 15), (-15, 15)]
    site = geo.Site.from_geojson(g.polygon(outline))
    points = place_points(site)
    assert set(points) == set(PLACE_CODES) - {"ne"}
    assert all(place_code(point, site) == code for code, point in points.items())


def test_an_area_pinned_as_a_need_says_where_and_how_big(site):
    area = g.rect(-14.0, 11.0, 6.0, 5.0)  # by the tree at (-15, 10), in the north-west corner
    assert describe_pin(area, site, "en") == "in the north-west corner, by the existing tree, about 30 m²"
    assert describe_pin(g.point(0.0, 0.0), site, "zh-CN") == "中部"


def test_the_needs_on_a_map_are_counted_by_place(site):
    pins = [g.point(0.0, 0.0), g.point(1.0, 1.0), g.rect(-14.0, 11.0, 6.0, 5.0)]
    assert describe_needs(pins, site, "en") == (
        "Needs pinned on the map (3): 2 in the middle, 1 in the north-west corner."
    )
    assert describe_needs(pins, site, "zh-CN") == "地图上的需求 3 条：中部 2 条，西北角 1 条。"
    assert describe_needs([], site, "en") is None
