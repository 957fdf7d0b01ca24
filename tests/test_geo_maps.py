"""Folium maps: own static files only, layers reachable by feature id, escaped text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable

import folium
import folium.folium
import pytest

from geo import Site
from geo.maps import (
    DEFAULT_STATIC_PREFIX,
    MapParts,
    SideBySide,
    SitePlanImage,
    community_map,
    comparison_map,
    diff_map,
    layout_map,
    side_by_side,
    site_plan_map,
)
from tests.geo_layouts import (
    GOOD_HALF_COURT,
    GOOD_LAYOUT,
    GOOD_LAYOUT_IDS,
    MINIMAL_LAYOUT,
    SITE_BOUNDARY,
    SITE_CONSTRAINTS,
    feature,
    point,
    rect,
    with_features,
)

SITE = Site.from_geojson(SITE_BOUNDARY, SITE_CONSTRAINTS)
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)\\]+""", re.IGNORECASE)
LINKS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"
NEEDS = [
    {"id": 1, "text": "多些树荫", "category": "shade", "geometry": point(5, 5)},
    {"id": 2, "text": "no geometry", "category": "play"},
]

BUILDERS: dict[str, Callable[..., MapParts | SideBySide]] = {
    "site_plan": lambda **kw: site_plan_map(SITE, **kw),
    "layout": lambda **kw: layout_map(SITE, GOOD_LAYOUT, needs=NEEDS, editable=True, **kw),
    "comparison": lambda **kw: comparison_map(SITE, [("A", GOOD_LAYOUT), ("B", MINIMAL_LAYOUT)], **kw),
    "side_by_side": lambda **kw: side_by_side(SITE, ("A", GOOD_LAYOUT), ("B", MINIMAL_LAYOUT), **kw),
    "diff": lambda **kw: diff_map(SITE, MINIMAL_LAYOUT, GOOD_LAYOUT, **kw),
    "community": lambda **kw: community_map([(SITE, {"id": 1, "tooltip": "Court", "open": True})], **kw),
}


def text_of(parts: MapParts | SideBySide) -> str:
    """Everything a page would include for these parts."""
    if isinstance(parts, SideBySide):
        return "".join(
            [
                parts.header,
                parts.left.html,
                parts.right.html,
                parts.left.script,
                parts.right.script,
                parts.script,
            ]
        )
    return parts.header + parts.html + parts.script


@pytest.mark.parametrize("name", BUILDERS)
def test_rendered_map_loads_only_the_apps_own_files(name: str) -> None:
    out = text_of(BUILDERS[name]())
    assert URL.findall(out) == []
    links = LINKS.findall(out)
    assert links and all(link.startswith(DEFAULT_STATIC_PREFIX + "/") for link in links)
    for vendor in ("jquery", "bootstrap", "awesome", "font-awesome", "fontawesome", "cdn"):
        assert vendor not in out.lower()


@pytest.mark.parametrize("name", BUILDERS)
def test_configured_tile_url_is_the_only_url(name: str) -> None:
    out = text_of(BUILDERS[name](tile_url=TILES, attribution="Shanghai survey"))
    assert set(URL.findall(out)) == {"https://tiles.example.cn/{z}/{x}/{y}.png"}
    assert "Shanghai survey" in out


@pytest.mark.parametrize("name", BUILDERS)
def test_static_prefix_is_configurable(name: str) -> None:
    out = text_of(BUILDERS[name](static_prefix="/assets/"))
    assert all(link.startswith("/assets/") and "//" not in link for link in LINKS.findall(out))
    assert "/assets/leaflet/leaflet.js" in out


def test_folium_defaults_are_left_alone() -> None:
    before_js, before_css = list(folium.Map.default_js), list(folium.Map.default_css)
    module_js = list(folium.folium._default_js)
    for build in BUILDERS.values():
        build()
    assert folium.Map.default_js == before_js == module_js
    assert folium.Map.default_css == before_css
    assert any("jquery" in url for _, url in folium.Map.default_js)  # still folium's own


def test_parts_name_the_map() -> None:
    parts = layout_map(SITE, GOOD_LAYOUT)
    assert parts.map_name.startswith("map_")
    assert f'id="{parts.map_name}"' in parts.html
    assert f"var {parts.map_name} = L.map(" in parts.script
    assert f'window.jiayuanMaps["{parts.map_name}"]' in parts.script
    assert f"#{parts.map_name} {{position: relative; width: 100%; height: 480px;}}" in parts.header
    # folium's page-wide styles (html, body, #map) would restyle the app's page.
    assert "html, body" not in parts.header and "#map {" not in parts.header


def test_features_can_be_found_by_id() -> None:
    parts = layout_map(SITE, GOOD_LAYOUT)
    for fid in GOOD_LAYOUT_IDS:
        assert f'"id": "{fid}"' in parts.script
    assert "data-feature-id" in parts.script
    assert "entry.layers[group]" in parts.script
    assert '.groups["layout"]' in parts.script and '.groups["site"]' in parts.script


@pytest.mark.parametrize(
    ("language", "names"),
    [("zh-CN", ["半场篮球场", "花坛", "图例"]), ("en", ["Half court", "Planter", "Legend"])],
)
def test_legend_is_in_the_users_language(language: str, names: list[str]) -> None:
    script = layout_map(SITE, GOOD_LAYOUT, language=language).script
    assert "jiayuan-legend" in script
    for name in names:
        assert name in script


def test_user_text_is_escaped() -> None:
    evil = "</script><script>alert(1)</script>"
    layout = with_features(MINIMAL_LAYOUT, feature("x", "planter", rect(0, 0, 2, 2), label=evil))
    out = text_of(comparison_map(SITE, [(evil, layout)]))
    assert "</script><script>" not in out and "<script>alert" not in out
    assert "&lt;/script&gt;" in out.replace("\\u0026", "&")  # the layer switcher shows HTML
    assert "textContent = p.tooltip" in out


def test_side_by_side_syncs_both_maps_with_the_vendored_plugin() -> None:
    parts = side_by_side(SITE, ("A", GOOD_LAYOUT), ("B", MINIMAL_LAYOUT))
    a, b = parts.left.map_name, parts.right.map_name
    assert a != b
    assert parts.script == f"{a}.sync({b});\n{b}.sync({a});\n"
    assert parts.header.count("leaflet.sync/L.Map.Sync.js") == 1
    assert parts.header.count("leaflet/leaflet.js") == 1


def test_layout_map_is_editable_with_geoman_only_when_asked() -> None:
    assert "geoman/leaflet-geoman.js" in layout_map(SITE, GOOD_LAYOUT, editable=True).header
    assert "geoman/leaflet-geoman.css" in layout_map(SITE, GOOD_LAYOUT, editable=True).header
    assert "geoman" not in layout_map(SITE, GOOD_LAYOUT).header


def test_needs_layer() -> None:
    script = layout_map(SITE, GOOD_LAYOUT, needs=NEEDS).script
    assert '.groups["needs"]' in script
    assert json.dumps("多些树荫")[1:-1] in script  # folium embeds data as ASCII JSON
    assert "no geometry" not in script


def test_comparison_map_can_show_the_needs_layer() -> None:
    layouts = [("A", GOOD_LAYOUT), ("B", MINIMAL_LAYOUT)]
    assert '.groups["needs"]' not in comparison_map(SITE, layouts).script
    script = comparison_map(SITE, layouts, needs=NEEDS).script
    assert '.groups["needs"]' in script
    assert json.dumps("多些树荫")[1:-1] in script


def test_community_map_draws_every_site_with_its_properties() -> None:
    evil = "</script><script>alert(1)</script>"
    other = Site.from_geojson(
        {
            "type": "Polygon",
            "coordinates": [
                [[121.5, 31.27], [121.5001, 31.27], [121.5001, 31.2701], [121.5, 31.2701], [121.5, 31.27]]
            ],
        }
    )
    parts = community_map(
        [
            (SITE, {"id": 7, "tooltip": evil, "open": True, "url": "/rounds/3"}),
            (other, {"id": 8, "tooltip": "B"}),
        ]
    )
    assert '.groups["sites"]' in parts.script
    assert '"url": "/rounds/3"' in parts.script
    assert "</script><script>" not in parts.script
    assert parts.script.count('"kind": "site"') == 2
    with pytest.raises(ValueError):
        community_map([])


def test_diff_map_styles_each_change() -> None:
    moved = with_features(
        GOOD_LAYOUT, feature("planter", "planter", rect(10, 1, 4, 2)), drop=["planter", "light-1"]
    )
    script = diff_map(SITE, GOOD_LAYOUT, moved, language="en").script
    for group in ("added", "removed", "changed", "before", "unchanged"):
        assert f'.groups["{group}"]' in script
    assert "Moved or reshaped" in script and "Removed" in script


def test_site_plan_image_is_placed_by_its_corners() -> None:
    image = SitePlanImage(
        "/media/site-7/plan.png", south=31.2628, west=121.4958, north=31.2632, east=121.4962
    )
    script = site_plan_map(SITE, site_plan_image=image).script
    assert '"/media/site-7/plan.png"' in script
    assert "[[31.2628, 121.4958], [31.2632, 121.4962]]" in script


@pytest.mark.parametrize("url", ["https://cdn.example.com/plan.png", "//cdn.example.com/p.png", "plan.png"])
def test_site_plan_image_must_be_the_apps_own(url: str) -> None:
    with pytest.raises(ValueError):
        SitePlanImage(url, 0, 0, 1, 1)


@pytest.mark.parametrize("kwargs", [{"tile_url": "OpenStreetMap"}, {"height": "1px;}</style>"}])
def test_bad_options_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        layout_map(SITE, GOOD_LAYOUT, **kwargs)


def test_broken_layouts_still_draw_the_site() -> None:
    parts = layout_map(SITE, None)
    assert '"kind": "site_boundary"' in parts.script
    assert '"id": "court"' not in parts.script
    assert '"id": "court"' in layout_map(SITE, with_features(MINIMAL_LAYOUT, GOOD_HALF_COURT)).script


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("name", BUILDERS)
def test_rendered_script_is_valid_javascript(name: str, tmp_path) -> None:
    parts = BUILDERS[name](tile_url=TILES)
    scripts = (
        [parts.left.script, parts.right.script, parts.script]
        if isinstance(parts, SideBySide)
        else [parts.script]
    )
    path = tmp_path / "map.js"
    path.write_text("\n".join(scripts), encoding="utf-8")
    result = subprocess.run(
        ["node", "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
