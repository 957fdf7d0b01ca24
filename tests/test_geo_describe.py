"""Layouts in words: what is where, how big, what is kept, in both languages."""

from __future__ import annotations

import pytest

import geo
from geo.describe import describe_layout
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
