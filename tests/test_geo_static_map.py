"""The static plan image: every feature drawn, styled by kind, with a legend; nothing external."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import geo
from geo.static_map import layout_svg
from tests import geo_layouts as g

SVG = "{http://www.w3.org/2000/svg}"


def site() -> geo.Site:
    return geo.Site.from_geojson(g.SITE_BOUNDARY, g.SITE_CONSTRAINTS)


def test_every_feature_of_the_layout_and_the_site_is_drawn():
    svg = layout_svg(site(), g.GOOD_LAYOUT, language="en")
    root = ET.fromstring(svg)
    drawn = {element.get("data-id") for element in root.iter() if element.get("data-id")}
    assert set(g.GOOD_LAYOUT_IDS) <= drawn
    assert {f["id"] for f in g.SITE_CONSTRAINTS["features"]} <= drawn


def test_features_take_their_kind_colours_and_the_legend_names_them():
    svg = layout_svg(site(), g.GOOD_LAYOUT, language="en")
    court = re.search(r'<path data-id="court"[^>]*>', svg).group(0)
    assert 'fill="#e07b39"' in court
    assert "Half court" in svg and "Planter" in svg
    assert "半场篮球场" in layout_svg(site(), g.GOOD_LAYOUT, language="zh-CN")


def test_north_is_up_and_the_court_keeps_its_proportions():
    svg = layout_svg(site(), g.court_layout("half_court", 15, 14), language="en")
    court = re.search(r'<path data-id="court"[^>]* d="([^"]+)"', svg)
    points = [tuple(map(float, p.split(","))) for p in re.findall(r"[-\d.]+,[-\d.]+", court.group(1))]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert abs((max(xs) - min(xs)) / (max(ys) - min(ys)) - 15 / 14) < 0.02


def test_user_text_is_escaped_and_no_external_reference_is_made():
    hostile = g.with_features(g.GOOD_LAYOUT, g.feature('x"><script>', "bench", g.point(0, 12)))
    svg = layout_svg(site(), hostile, language="en", title="<script>alert(1)</script>")
    assert "<script>" not in svg
    ET.fromstring(svg)  # still well-formed
    assert "href" not in svg and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_site_without_a_layout_is_drawn_alone():
    root = ET.fromstring(layout_svg(site(), None, language="en"))
    assert root.find(f"{SVG}path[@class='boundary']") is not None
