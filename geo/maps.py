"""Folium maps of sites and layouts that load only the app's own static files.

Each builder returns MapParts (header, html, script, map_name) to place in a Jinja
template, as in folium's "using folium with Flask" pattern. No CDN: every Map gets its
own default_js/default_css lists pointing at the vendored Leaflet (folium's class-wide
lists, with jQuery, Bootstrap and awesome-markers, are never used or mutated), there is
no base layer unless a tile URL is configured, and no folium element that needs jQuery
(Popup, Marker icons) is used.

Page JavaScript reaches a map as ``window[map_name]`` or
``window.jiayuanMaps[map_name].map``, a layer group as ``.groups[group]`` and one
feature's Leaflet layer as ``.layers[group][feature_id]``; each feature's SVG element
also carries ``data-feature-id`` and ``data-layer-group``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode
from shapely.geometry import mapping, shape

from geo.diff import diff_layouts
from geo.kinds import LINE, POINT, POLYGON, Kind, spec
from geo.layout import Feature, parse_features
from geo.messages import normalise_language
from geo.site import Site
from geo.standards import CANOPY_EXISTING_M, CANOPY_NEW_M

DEFAULT_STATIC_PREFIX = "/static/vendor"
LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"
GEOMAN_JS = "geoman/leaflet-geoman.js"
GEOMAN_CSS = "geoman/leaflet-geoman.css"
SYNC_JS = "leaflet.sync/L.Map.Sync.js"

_SIZE = re.compile(r"^\d+(\.\d+)?(px|%|vh|vw|rem|em)$")
_TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")

NEED_COLOURS: Mapping[str, str] = {
    "shade": "#1565c0", "seating": "#6d4c41", "lighting": "#f9a825", "play": "#ad1457",
    "sport": "#e65100", "greenery": "#2e7d32", "accessibility": "#6a1b9a", "other": "#455a64",
}
NEED_FILL = "#ffffff"
_FOLD_LAYERS_BELOW_PX = 480
_TEXT: Mapping[str, Mapping[str, str]] = {
    "site": {"zh-CN": "场地", "en": "Site"},
    "boundary": {"zh-CN": "场地边界", "en": "Site boundary"},
    "layout": {"zh-CN": "方案", "en": "Layout"},
    "needs": {"zh-CN": "居民需求", "en": "Residents' needs"},
    "legend": {"zh-CN": "图例", "en": "Legend"},
    "keep": {"zh-CN": "保留", "en": "keep"},
    "added": {"zh-CN": "新增", "en": "Added"},
    "removed": {"zh-CN": "移除", "en": "Removed"},
    "changed": {"zh-CN": "移动或改形", "en": "Moved or reshaped"},
    "before": {"zh-CN": "改动前", "en": "Before"},
    "unchanged": {"zh-CN": "未变", "en": "Unchanged"},
    "site_plan": {"zh-CN": "场地平面图", "en": "Site plan"},
}
_DIFF_STYLES: Mapping[str, Mapping[str, Any]] = {
    "added": {"color": "#1b5e20", "fillColor": "#66bb6a", "weight": 3, "fillOpacity": 0.6},
    "removed": {"color": "#b71c1c", "fillColor": "#ef9a9a", "weight": 2, "fillOpacity": 0.3,
                "dashArray": "6 4"},
    "changed": {"color": "#e65100", "fillColor": "#ffb74d", "weight": 3, "fillOpacity": 0.6},
    "before": {"color": "#757575", "fillColor": "#bdbdbd", "weight": 1, "fillOpacity": 0.1,
               "dashArray": "4 4"},
    "unchanged": {"color": "#9e9e9e", "fillColor": "#e0e0e0", "weight": 1, "fillOpacity": 0.4},
}


@dataclass(frozen=True, slots=True)
class MapParts:
    """The pieces of one rendered map: header (<link>/<script>/<style> tags), html (the
    div), script (the JavaScript, to run after the header's scripts) and map_name (the
    JS variable holding the Leaflet map)."""

    header: str
    html: str
    script: str
    map_name: str


@dataclass(frozen=True, slots=True)
class SideBySide:
    """Two maps kept in step by L.Map.Sync: put header once, both html parts, then
    left.script, right.script and finally script (the sync)."""

    left: MapParts
    right: MapParts
    header: str
    script: str


@dataclass(frozen=True, slots=True)
class SitePlanImage:
    """An uploaded site-plan image placed by its south-west and north-east corners.

    url is a path on the app (starting with '/') or a data:image URL.
    """

    url: str
    south: float
    west: float
    north: float
    east: float
    opacity: float = 0.7

    def __post_init__(self) -> None:
        if not ((self.url.startswith("/") and not self.url.startswith("//"))
                or self.url.startswith("data:image/")):
            raise ValueError("a site-plan image must be served by the app (a path starting "
                             "with '/') or be a data:image URL")


@dataclass(frozen=True, slots=True)
class _Options:
    language: str
    static_prefix: str
    tile_url: str | None
    attribution: str | None
    site_plan_image: SitePlanImage | None
    height: str

    def text(self, key: str) -> str:
        return _TEXT[key][self.language]


def _options(language: str, static_prefix: str, tile_url: str | None, attribution: str | None,
             site_plan_image: SitePlanImage | None, height: str) -> _Options:
    if not _SIZE.match(height):
        raise ValueError(f"height must be a CSS length such as '480px', not {height!r}")
    if tile_url is not None and not all(p in tile_url for p in _TILE_PLACEHOLDERS):
        raise ValueError("tile_url must be a URL template with {z}, {x} and {y}")
    return _Options(normalise_language(language), static_prefix.rstrip("/"), tile_url,
                    attribution, site_plan_image, height)


class _Script(MacroElement):
    """Raw JavaScript (and optional CSS) built by this module, rendered in place."""

    _template = Template(
        "{% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}"
        "{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}"
    )

    def __init__(self, code: str, css: str = "") -> None:
        super().__init__()
        self._name = "JiayuanScript"
        self.code = code
        self.css = f"<style>{css}</style>" if css else ""


def _js(value: Any) -> str:
    """A value as a JavaScript literal safe inside a <script> element."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))


_LEGEND_CSS = (
    ".jiayuan-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.3);line-height:1.5;max-height:50vh;overflow:auto}"
    ".jiayuan-legend h4{margin:0 0 4px;font-size:1em}"
    ".jiayuan-legend i{display:inline-block;width:14px;height:14px;margin-right:6px;"
    "vertical-align:middle;border:2px solid;box-sizing:border-box}"
)


def _new_map(site: Site, opts: _Options, *, extra_js: Sequence[str] = (),
             extra_css: Sequence[str] = (), links: bool = True) -> folium.Map:
    m = folium.Map(location=[site.projection.lat_0, site.projection.lon_0], tiles=None,
                   zoom_start=19, control_scale=True, maxZoom=22, zoomSnap=0.25)
    # Per-instance lists shadow folium's module-wide ones (which point at CDNs).
    prefix = opts.static_prefix
    m.default_js = ([("leaflet", f"{prefix}/{LEAFLET_JS}")]
                    + [(path, f"{prefix}/{path}") for path in extra_js]) if links else []
    m.default_css = ([("leaflet_css", f"{prefix}/{LEAFLET_CSS}")]
                     + [(path, f"{prefix}/{path}") for path in extra_css]) if links else []
    name = m.get_name()
    _Script(f"window.jiayuanMaps = window.jiayuanMaps || {{}};\n"
            f"window.jiayuanMaps[{_js(name)}] = {{map: {name}, groups: {{}}, layers: {{}}}};"
            ).add_to(m)
    if opts.tile_url:
        folium.TileLayer(tiles=opts.tile_url, attr=opts.attribution or " ", max_zoom=22,
                         max_native_zoom=19, control=False).add_to(m)
    if opts.site_plan_image:
        image = opts.site_plan_image
        overlay = folium.raster_layers.ImageOverlay(
            image="data:,", bounds=[[image.south, image.west], [image.north, image.east]],
            opacity=image.opacity, pixelated=False, name=html.escape(opts.text("site_plan")))
        overlay.url = image.url  # folium would read a relative path as a local file
        overlay.add_to(m)
    return m


def _round(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.round(c, 7))


def _display_features(features: Sequence[Feature], opts: _Options,
                      site_trees: bool = False) -> list[dict[str, Any]]:
    """GeoJSON features to draw: polygons (largest first), then lines, then points."""
    order = {POLYGON: 0, LINE: 1, POINT: 2}
    drawable = [f for f in features if f.geom is not None and f.kind is not None]
    drawable.sort(key=lambda f: (order.get(f.geometry_type or "", 3),
                                 -float(f.geom_m.area if f.geom_m is not None else 0)))
    out = []
    for f in drawable:
        s = spec(f.kind)
        style: dict[str, Any] = {"color": s.stroke, "fillColor": s.fill, "weight": 2,
                                 "fillOpacity": 0.55 if f.geometry_type == POLYGON else 0.9}
        if f.kind is Kind.SHADE_STRUCTURE:
            style.update(fillOpacity=0.25, dashArray="5 3")
        props: dict[str, Any] = {"id": f.id, "kind": str(f.kind), "name": s.name(opts.language),
                                 "style": style}
        label = f.properties.get("label")
        props["tooltip"] = (f"{s.name(opts.language)}: {label}" if isinstance(label, str)
                            and label.strip() else s.name(opts.language))
        if f.kind in (Kind.TREE_EXISTING, Kind.TREE_NEW):
            default = CANOPY_NEW_M if f.kind is Kind.TREE_NEW else CANOPY_EXISTING_M
            props["radius_m"] = (f.number("canopy_m") or default) / 2
            if site_trees and f.properties.get("keep") is True:
                style.update(color="#c62828", weight=3, dashArray="4 3")
                props["tooltip"] += f" ({opts.text('keep')})"
        if f.kind is Kind.PATH and f.geometry_type == LINE:
            style["weight"] = 5  # screen pixels: Leaflet cannot draw a line in metres
            if f.number("width_m"):
                props["width_m"] = f.number("width_m")
        out.append({"type": "Feature", "id": f.id, "properties": props,
                    "geometry": mapping(_round(f.geom))})
    return out


_POINT_TO_LAYER = JsCode(
    "function (feature, latlng) {\n"
    "  var p = feature.properties || {};\n"
    "  var style = Object.assign({radius: 6}, p.style || {});\n"
    "  if (p.radius_m) { return L.circle(latlng, Object.assign({}, style, "
    "{radius: p.radius_m})); }\n"
    "  return L.circleMarker(latlng, style);\n"
    "}"
)


def _on_each_feature(map_name: str, group: str) -> JsCode:
    return JsCode(
        "function (feature, layer) {\n"
        f"  var entry = window.jiayuanMaps[{_js(map_name)}], group = {_js(group)};\n"
        "  var byId = entry.layers[group] || (entry.layers[group] = {});\n"
        "  var p = feature.properties || {};\n"
        "  if (p.id !== null && p.id !== undefined) {\n"
        "    byId[String(p.id)] = layer;\n"
        "    layer.on('add', function () {\n"
        "      var el = layer.getElement && layer.getElement();\n"
        "      if (el) { el.setAttribute('data-feature-id', String(p.id));\n"
        "                el.setAttribute('data-layer-group', group); }\n"
        "    });\n"
        "  }\n"
        "  if (p.tooltip) {\n"
        "    var tip = document.createElement('span');\n"
        "    tip.textContent = p.tooltip;\n"
        "    layer.bindTooltip(tip, {sticky: true});\n"
        "  }\n"
        "}"
    )


def _add_group(m: folium.Map, group: str, title: str, features: list[dict[str, Any]], *,
               show: bool = True, control: bool = True) -> folium.GeoJson:
    """One GeoJSON layer registered under group; title is escaped (the switcher shows HTML)."""
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=html.escape(title), show=show, control=control,
        on_each_feature=_on_each_feature(m.get_name(), group),
        point_to_layer=_POINT_TO_LAYER,
    )
    layer.add_to(m)
    _Script(f"window.jiayuanMaps[{_js(m.get_name())}].groups[{_js(group)}] = "
            f"{layer.get_name()};").add_to(m)
    return layer


def _site_features(site: Site, opts: _Options) -> list[dict[str, Any]]:
    boundary = {"type": "Feature", "id": None, "geometry": mapping(
        _round(site.boundary_lonlat)), "properties": {
        "id": None, "kind": "site_boundary", "tooltip": opts.text("boundary"),
        "style": {"color": "#37474f", "weight": 3, "fillColor": "#eceff1", "fillOpacity": 0.35,
                  "dashArray": "8 4"}}}
    return [boundary, *_display_features(list(site.features), opts, site_trees=True)]


def _legend(m: folium.Map, opts: _Options, kinds: Sequence[Kind],
            extra: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> None:
    rows = [(spec(k).name(opts.language), {"fillColor": spec(k).fill, "color": spec(k).stroke})
            for k in kinds]
    rows += [(opts.text(key), style) for key, style in extra]
    if not rows:
        return
    body = "".join(
        f'<div><i style="background:{html.escape(style["fillColor"])};'
        f'border-color:{html.escape(style["color"])}"></i>{html.escape(label)}</div>'
        for label, style in rows)
    content = f"<h4>{html.escape(opts.text('legend'))}</h4>{body}"
    name = m.get_name()
    _Script(
        "(function () {\n"
        "  var legend = L.control({position: 'bottomright'});\n"
        "  legend.onAdd = function () {\n"
        "    var div = L.DomUtil.create('div', 'jiayuan-legend');\n"
        f"    div.innerHTML = {_js(content)};\n"
        # On a small screen the legend scrolls: a keyboard must be able to reach and scroll it.
        "    div.tabIndex = 0;\n"
        "    div.setAttribute('role', 'region');\n"
        f"    div.setAttribute('aria-label', {_js(opts.text('legend'))});\n"
        "    return div;\n"
        "  };\n"
        f"  legend.addTo({name});\n"
        f"  window.jiayuanMaps[{_js(name)}].legend = legend;\n"
        "})();",
        css=_LEGEND_CSS,
    ).add_to(m)


def _open_layer_control(m: folium.Map) -> None:
    """A layer switcher shown open, except on a small map (a phone), where the open list would
    cover a third of it and its zoom buttons: there it folds into its button, opened by a tap."""
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    _Script(
        "setTimeout(function () {\n"  # after every script of the map, the switcher's included
        f"  var map = {m.get_name()}, control = {control.get_name()};\n"
        f"  if (map.getSize().x < {_FOLD_LAYERS_BELOW_PX}) {{\n"
        "    control.remove(); control.options.collapsed = true; control.addTo(map);\n"
        "  }\n"
        "}, 0);"
    ).add_to(m)


def _kinds_in(*groups: Sequence[Feature]) -> list[Kind]:
    present = {f.kind for group in groups for f in group if f.kind is not None}
    return [k for k in Kind if k in present]


def _fit(m: folium.Map, site: Site) -> None:
    minx, miny, maxx, maxy = (float(v) for v in site.boundary_lonlat.bounds)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12), max_zoom=22)


def _parts(m: folium.Map, height: str) -> MapParts:
    root = m.get_root()
    root.render()
    name = m.get_name()
    # folium's own map header styles html/body and #map for a whole page; an embedded
    # map needs only its own size.
    root.header._children.pop("meta_http", None)
    root.header._children[name] = Element(
        f"<style>#{name} {{position: relative; width: 100%; height: {height};}}</style>")
    return MapParts(header=root.header.render(), html=root.html.render(),
                    script=root.script.render(), map_name=name)


def _layout_features(layout: object, site: Site) -> list[Feature]:
    parsed = parse_features(layout)
    for f in parsed.features:  # projection only to order polygons by area
        if f.geom is not None and f.geom_m is None:
            f.geom_m = site.projection.to_metres(f.geom)
    return parsed.features


def _normalise_needs(needs: object) -> object:
    if isinstance(needs, Sequence) and not isinstance(needs, str | bytes):
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": n.get("id"), "geometry": n.get("geometry"),
             "properties": {k: v for k, v in n.items() if k != "geometry"}}
            for n in needs if isinstance(n, Mapping) and isinstance(n.get("geometry"), Mapping)]}
    return needs


def _needs_features(needs: object, opts: _Options) -> list[dict[str, Any]]:
    needs = _normalise_needs(needs)
    if not isinstance(needs, Mapping) or not isinstance(needs.get("features"), list):
        return []
    out = []
    for raw in needs["features"]:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("geometry"), Mapping):
            continue
        try:
            geom = shape(raw["geometry"])
        except Exception:  # shapely raises various types on bad input: skip that need
            continue
        if geom.is_empty or geom.geom_type not in (POINT, POLYGON):
            continue
        props = raw.get("properties") if isinstance(raw.get("properties"), Mapping) else {}
        category = props.get("category") if props.get("category") in NEED_COLOURS else "other"
        colour = NEED_COLOURS[category]
        text = props.get("text") if isinstance(props.get("text"), str) else ""
        fid = raw.get("id", props.get("id"))
        out.append({"type": "Feature", "id": fid, "geometry": mapping(
            _round(geom)), "properties": {
            "id": fid, "kind": "need", "category": category, "tooltip": text[:200],
            # A need is drawn as no proposed feature is (a white pin in a dashed ring of its
            # category's colour), so that it is never taken for a bench or a light.
            "style": {"color": colour, "fillColor": NEED_FILL, "fillOpacity": 0.85, "weight": 3,
                      "dashArray": "4 3", "radius": 8}}})
    return out


def site_plan_map(site: Site, *, language: str = "zh-CN",
                  static_prefix: str = DEFAULT_STATIC_PREFIX, tile_url: str | None = None,
                  attribution: str | None = None, site_plan_image: SitePlanImage | None = None,
                  height: str = "480px") -> MapParts:
    """The site boundary and its constraints (keep trees marked), fitted to the site."""
    opts = _options(language, static_prefix, tile_url, attribution, site_plan_image, height)
    m = _new_map(site, opts)
    _add_group(m, "site", opts.text("site"), _site_features(site, opts), control=False)
    _legend(m, opts, _kinds_in(site.features))
    _fit(m, site)
    return _parts(m, opts.height)


def layout_map(site: Site, layout: object, needs: object | None = None, *,
               language: str = "zh-CN", static_prefix: str = DEFAULT_STATIC_PREFIX,
               tile_url: str | None = None, attribution: str | None = None,
               site_plan_image: SitePlanImage | None = None, height: str = "480px",
               editable: bool = False) -> MapParts:
    """A layout styled by kind over its site, with a legend, optionally the needs layer.

    editable adds Leaflet-Geoman's files to the header; the page's script turns its
    controls on (``map.pm.addControls(...)``) for the layers it wants editable.
    """
    opts = _options(language, static_prefix, tile_url, attribution, site_plan_image, height)
    m = _new_map(site, opts, extra_js=[GEOMAN_JS] if editable else [],
                 extra_css=[GEOMAN_CSS] if editable else [])
    features = _layout_features(layout, site)
    _add_group(m, "site", opts.text("site"), _site_features(site, opts))
    _add_group(m, "layout", opts.text("layout"), _display_features(features, opts))
    if needs is not None:
        _add_group(m, "needs", opts.text("needs"), _needs_features(needs, opts))
    _legend(m, opts, _kinds_in(features))
    folium.LayerControl(collapsed=True).add_to(m)
    _fit(m, site)
    return _parts(m, opts.height)


def comparison_map(site: Site, layouts: Sequence[tuple[str, object]],
                   needs: object | None = None, *,
                   language: str = "zh-CN", static_prefix: str = DEFAULT_STATIC_PREFIX,
                   tile_url: str | None = None, attribution: str | None = None,
                   site_plan_image: SitePlanImage | None = None,
                   height: str = "480px") -> MapParts:
    """Several layouts on one map, switched in a layer control (the first one shown),
    optionally with the needs layer (group "needs", shown) on top.

    Layer group names are "proposal-0", "proposal-1", ... in the order given.
    """
    opts = _options(language, static_prefix, tile_url, attribution, site_plan_image, height)
    m = _new_map(site, opts)
    _add_group(m, "site", opts.text("site"), _site_features(site, opts), control=False)
    all_features = []
    for i, (name, layout) in enumerate(layouts):
        features = _layout_features(layout, site)
        all_features.append(features)
        _add_group(m, f"proposal-{i}", str(name), _display_features(features, opts),
                   show=i == 0)
    if needs is not None:
        _add_group(m, "needs", opts.text("needs"), _needs_features(needs, opts))
    _legend(m, opts, _kinds_in(*all_features))
    _open_layer_control(m)
    _fit(m, site)
    return _parts(m, opts.height)


def side_by_side(site: Site, left: tuple[str, object], right: tuple[str, object], *,
                 language: str = "zh-CN", static_prefix: str = DEFAULT_STATIC_PREFIX,
                 tile_url: str | None = None, attribution: str | None = None,
                 site_plan_image: SitePlanImage | None = None,
                 height: str = "480px") -> SideBySide:
    """Two layouts in two maps that pan and zoom together (Leaflet.Sync, vendored)."""
    opts = _options(language, static_prefix, tile_url, attribution, site_plan_image, height)
    parts = []
    for index, (name, layout) in enumerate((left, right)):
        m = _new_map(site, opts, extra_js=[SYNC_JS], links=index == 0)
        features = _layout_features(layout, site)
        _add_group(m, "site", opts.text("site"), _site_features(site, opts), control=False)
        _add_group(m, "layout", str(name), _display_features(features, opts))
        _legend(m, opts, _kinds_in(features))
        _fit(m, site)
        parts.append(_parts(m, opts.height))
    a, b = parts[0].map_name, parts[1].map_name
    sync = f"{a}.sync({b});\n{b}.sync({a});\n"
    return SideBySide(left=parts[0], right=parts[1], header=parts[0].header + parts[1].header,
                      script=sync)


def diff_map(site: Site, old: object, new: object, *, language: str = "zh-CN",
             static_prefix: str = DEFAULT_STATIC_PREFIX, tile_url: str | None = None,
             attribution: str | None = None, site_plan_image: SitePlanImage | None = None,
             height: str = "480px") -> MapParts:
    """Two versions of a layout: added, removed, changed (with its old outline), unchanged."""
    opts = _options(language, static_prefix, tile_url, attribution, site_plan_image, height)
    diff = diff_layouts(old, new, site)
    before = {f.id: f for f in _layout_features(old, site) if f.id is not None}
    after = {f.id: f for f in _layout_features(new, site) if f.id is not None}
    changed = [d["id"] for d in diff["moved"]] + [d["id"] for d in diff["reshaped"]]
    added, removed = set(diff["added"]), set(diff["removed"])
    unchanged = [i for i in after if i in before and i not in changed and i not in added]

    def styled(features: list[Feature], key: str) -> list[dict[str, Any]]:
        out = _display_features(features, opts)
        for item in out:
            item["properties"]["style"] = dict(_DIFF_STYLES[key])
            item["properties"]["tooltip"] += f" ({opts.text(key)})"
        return out

    m = _new_map(site, opts)
    _add_group(m, "site", opts.text("site"), _site_features(site, opts), control=False)
    groups = [
        ("unchanged", [after[i] for i in unchanged]),
        ("before", [before[i] for i in changed if i in before]),
        ("removed", [before[i] for i in before if i in removed]),
        ("changed", [after[i] for i in changed if i in after]),
        ("added", [after[i] for i in after if i in added]),
    ]
    for key, features in groups:
        _add_group(m, key, opts.text(key), styled(features, key))
    _legend(m, opts, [], [(key, _DIFF_STYLES[key]) for key, _ in reversed(groups)])
    _open_layer_control(m)
    _fit(m, site)
    return _parts(m, opts.height)


_COMMUNITY_STYLES: Mapping[bool, Mapping[str, Any]] = {
    True: {"color": "#b3322b", "fillColor": "#f4a79f", "weight": 3, "fillOpacity": 0.45},
    False: {"color": "#37474f", "fillColor": "#cfd8dc", "weight": 2, "fillOpacity": 0.35},
}


def community_map(sites: Sequence[tuple[Site, Mapping[str, Any]]], *, language: str = "zh-CN",
                  static_prefix: str = DEFAULT_STATIC_PREFIX, tile_url: str | None = None,
                  attribution: str | None = None, height: str = "480px") -> MapParts:
    """Every site of a community on one map (group "sites"), fitted to them all.

    Each site comes with its properties: ``id`` (how page JavaScript finds its layer),
    ``tooltip`` (plain text), ``open`` (a round is under way: drawn in the accent
    colour) and any other JSON values, passed on to the feature for the page's script.
    """
    if not sites:
        raise ValueError("a community map needs at least one site")
    opts = _options(language, static_prefix, tile_url, attribution, None, height)
    m = _new_map(sites[0][0], opts)
    features = []
    for site, props in sites:
        extra = {k: v for k, v in props.items() if k not in ("style", "kind")}
        features.append({"type": "Feature", "id": props.get("id"),
                         "geometry": mapping(_round(site.boundary_lonlat)),
                         "properties": {**extra, "kind": "site",
                                        "style": dict(_COMMUNITY_STYLES[bool(props.get("open"))])}})
    _add_group(m, "sites", opts.text("site"), features, control=False)
    minx, miny, maxx, maxy = (float(v) for v in shapely.union_all(
        [site.boundary_lonlat for site, _ in sites]).bounds)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(24, 24), max_zoom=20)
    return _parts(m, opts.height)
