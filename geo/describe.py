"""A layout in words, for everyone who cannot see the map: what is where, how big, what is kept.

Places are named from the site's own frame: its bounding box in metres (x east, y north)
cut into thirds each way, so a feature is "in the middle", "along the north side" or "in
the south-east corner". Sizes are the sides of a polygon's smallest enclosing rectangle,
rounded to half a metre; a line gives its length and, for paths, its width.

    >>> from geo.site import Site
    >>> ring = [[121.496, 31.263], [121.4964, 31.263], [121.4964, 31.2633], [121.496, 31.2633],
    ...         [121.496, 31.263]]
    >>> site = Site.from_geojson({"type": "Polygon", "coordinates": [ring]})
    >>> describe_layout({"type": "FeatureCollection", "features": []}, site, "en")[0]
    'The site is about 38 × 33.5 m (1,267 m²); no features are drawn yet.'
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import shapely
import shapely.geometry

from geo.kinds import LINE, POINT, Kind, spec
from geo.layout import Feature
from geo.site import Site
from geo.static_map import usable_features

NEAR_KEPT_TREE_M = 5.0
# A pin this close to something on the site is "by" it.
NEAR_SITE_FEATURE_M = 6.0

# (row, column): row n/c/s from north to south, column w/c/e from west to east.
_PLACES = {
    "en": {
        ("n", "w"): "the north-west corner",
        ("n", "c"): "the north side",
        ("n", "e"): "the north-east corner",
        ("c", "w"): "the west side",
        ("c", "c"): "the middle",
        ("c", "e"): "the east side",
        ("s", "w"): "the south-west corner",
        ("s", "c"): "the south side",
        ("s", "e"): "the south-east corner",
    },
    "zh": {
        ("n", "w"): "西北角",
        ("n", "c"): "北侧",
        ("n", "e"): "东北角",
        ("c", "w"): "西侧",
        ("c", "c"): "中部",
        ("c", "e"): "东侧",
        ("s", "w"): "西南角",
        ("s", "c"): "南侧",
        ("s", "e"): "东南角",
    },
}
_SIDES = {("n", "c"), ("c", "w"), ("c", "e"), ("s", "c")}


def _lang(language: str) -> str:
    return "zh" if language.lower().startswith("zh") else "en"


def _metres(value: float) -> str:
    """Half a metre is as fine as words need to be: 14.96 -> '15', 1.5 -> '1.5'."""
    return f"{round(value * 2) / 2:g}"


def _area(value: float) -> str:
    return f"{round(value):,}"


class _Frame:
    """Where a point lies in the site: a third of its width and of its depth."""

    def __init__(self, site: Site):
        self.minx, self.miny, self.maxx, self.maxy = site.boundary_m.bounds

    def cell(self, point: shapely.Point) -> tuple[str, str]:
        def third(value: float, low: float, high: float, names: str) -> str:
            share = (value - low) / (high - low) if high > low else 0.5
            return names[0] if share < 1 / 3 else names[1] if share <= 2 / 3 else names[2]

        return (third(point.y, self.miny, self.maxy, "scn"), third(point.x, self.minx, self.maxx, "wce"))


def _where(cell: tuple[str, str], lang: str) -> str:
    """'in the middle', 'along the north side', 'in the north-east corner' (or zh)."""
    place = _PLACES[lang][cell]
    if lang == "zh":
        return place
    return ("along " if cell in _SIDES else "in ") + place


def _size(feature: Feature) -> tuple[float, float]:
    """The sides of the smallest rectangle around a polygon, longer first."""
    ring = shapely.minimum_rotated_rectangle(feature.geom_m).exterior.coords
    first, second = (shapely.Point(ring[i]).distance(shapely.Point(ring[i + 1])) for i in (0, 1))
    return max(first, second), min(first, second)


def _near_kept_tree(feature: Feature, kept: Sequence[Feature]) -> bool:
    return any(
        tree is not feature and feature.geom_m.distance(tree.geom_m) <= NEAR_KEPT_TREE_M for tree in kept
    )


def _is_kept_tree(feature: Feature) -> bool:
    return feature.kind is Kind.TREE_EXISTING and feature.properties.get("keep") is True


def _one(feature: Feature, frame: _Frame, kept: Sequence[Feature], lang: str) -> str:
    name = spec(feature.kind).name(lang)
    geom = feature.geom_m
    where = _where(frame.cell(geom.centroid), lang)
    near = _near_kept_tree(feature, kept) and not _is_kept_tree(feature)
    if feature.geometry_type == LINE:
        start, end = (frame.cell(shapely.Point(geom.coords[i])) for i in (0, -1))
        width, length = feature.number("width_m"), _metres(geom.length)
        if lang == "zh":
            size = f"宽 {_metres(width)} 米，长 {length} 米" if width else f"长 {length} 米"
            route = f"从{_PLACES['zh'][start]}到{_PLACES['zh'][end]}" if start != end else f"在{where}"
            return f"{name}（{size}），{route}" + ("，紧邻保留树木" if near else "") + "。"
        size = f"{_metres(width)} m wide and {length} m long" if width else f"{length} m long"
        route = f"from {_PLACES['en'][start]} to {_PLACES['en'][end]}" if start != end else where
        return f"{name}, {size}, {route}" + (", next to a kept tree" if near else "") + "."
    if feature.geometry_type == POINT:
        if lang == "zh":
            kept_word = "（保留）" if _is_kept_tree(feature) else ""
            return f"{where}有{name}{kept_word}" + ("，紧邻保留树木" if near else "") + "。"
        kept_word = " (kept)" if _is_kept_tree(feature) else ""
        return f"{name}{kept_word}, {where}" + (", next to a kept tree" if near else "") + "."
    long_side, short_side = _size(feature)
    if lang == "zh":
        return (
            f"{where}有{name}（{_metres(long_side)} × {_metres(short_side)} 米）"
            + ("，紧邻保留树木" if near else "")
            + "。"
        )
    return (
        f"{name}, {_metres(long_side)} × {_metres(short_side)} m, {where}"
        + (", next to a kept tree" if near else "")
        + "."
    )


def _several(kind: Kind, features: Sequence[Feature], frame: _Frame, lang: str) -> str:
    name = spec(kind).name(lang)
    places = Counter(frame.cell(f.geom_m.centroid) for f in features)
    kept = sum(1 for f in features if _is_kept_tree(f))
    if lang == "zh":
        where = "，".join(f"{_PLACES['zh'][cell]}{n}处" for cell, n in places.most_common())
        kept_words = f"，其中{kept}处保留" if kept else ""
        return f"{name}{len(features)}处：{where}{kept_words}。"
    where = ", ".join(f"{n} {_where(cell, 'en')}" for cell, n in places.most_common())
    kept_words = f"; {kept} of them kept" if kept else ""
    return f"{name} ({len(features)}): {where}{kept_words}."


def describe_layout(layout: object, site: Site, language: str) -> list[str]:
    """The layout in sentences, in 'zh-CN' or English: the site, then each kind of feature."""
    lang = _lang(language)
    features = usable_features(layout, site)
    size = _site_size(site, lang)
    if lang == "zh":
        opening = f"场地约 {size}"
        opening += "，尚未画任何要素。" if not features else f"，方案共有 {len(features)} 个要素。"
    else:
        opening = f"The site is about {size}"
        opening += (
            "; no features are drawn yet." if not features else f"; the layout has {len(features)} features."
        )
    return [opening, *_kind_sentences(features, _Frame(site), lang)]


def describe_site(site: Site, language: str) -> list[str]:
    """The site as it is today, in sentences: its size, then what stands on it (trees, entrances...)."""
    lang = _lang(language)
    features = [f for f in site.features if f.geom_m is not None and f.kind is not None]
    size = _site_size(site, lang)
    if lang == "zh":
        opening = f"场地约 {size}" + ("。" if not features else f"，现有 {len(features)} 处要素。")
    else:
        opening = f"The site is about {size}" + (
            "." if not features else f"; {len(features)} things stand on it today."
        )
    return [opening, *_kind_sentences(features, _Frame(site), lang)]


def _site_size(site: Site, lang: str) -> str:
    minx, miny, maxx, maxy = site.boundary_m.bounds
    size = f"{_metres(maxx - minx)} × {_metres(maxy - miny)}"
    area = _area(site.boundary_m.area)
    return f"{size} 米（{area} 平方米）" if lang == "zh" else f"{size} m ({area} m²)"


def _kind_sentences(features: Sequence[Feature], frame: _Frame, lang: str) -> list[str]:
    kept = [f for f in features if _is_kept_tree(f)]
    sentences = []
    for kind, group in _by_kind(features):
        if len(group) == 1:
            sentences.append(_one(group[0], frame, kept, lang))
        else:
            sentences.append(_several(kind, group, frame, lang))
    return sentences


def _by_kind(features: Iterable[Feature]) -> list[tuple[Kind, list[Feature]]]:
    """Features grouped by kind, in the vocabulary's order (courts first, utilities last)."""
    groups: dict[Kind, list[Feature]] = {}
    for feature in features:
        groups.setdefault(feature.kind, []).append(feature)
    return [(kind, groups[kind]) for kind in Kind if kind in groups]


# --- places: where a pin, a need or a feature lies, in words --------------------------------

PLACE_CODES = tuple(row + column for row in "ncs" for column in "wce")


def place_code(point: Sequence[float], site: Site) -> str:
    """Which ninth of the site a [lon, lat] point lies in: 'nw', 'nc', ... 'se' (row, then column)."""
    x, y = site.projection.to_metres_xy(float(point[0]), float(point[1]))
    row, column = _Frame(site).cell(shapely.Point(x, y))
    return row + column


def place_words(code: str, language: str) -> str:
    """'in the north-west corner', 'along the east side', 'in the middle' (or zh) for a place code."""
    return _where((code[0], code[1]), _lang(language))


def place_names(language: str) -> dict[str, str]:
    """Every place code's words, for a page's script to name a place the server has coded."""
    return {code: place_words(code, language) for code in PLACE_CODES}


def place_points(site: Site) -> dict[str, list[float]]:
    """A [lon, lat] point inside each ninth of the site, for placing a pin without a pointer:
    chosen from a list of places, it lands where place_code says it is."""
    minx, miny, maxx, maxy = site.boundary_m.bounds
    width, depth = (maxx - minx) / 3, (maxy - miny) / 3
    points = {}
    for row_index, row in enumerate("scn"):
        for column_index, column in enumerate("wce"):
            x0, y0 = minx + column_index * width, miny + row_index * depth
            cell = shapely.box(x0, y0, x0 + width, y0 + depth).intersection(site.boundary_m)
            if cell.is_empty or cell.area < 0.01:
                continue
            # The middle of the part of the ninth inside the site; a point on its surface when
            # an odd outline leaves the middle outside.
            inner = shapely.box(x0 + width / 6, y0 + depth / 6, x0 + width * 5 / 6, y0 + depth * 5 / 6)
            core = cell.intersection(inner)
            spot = (
                core.centroid
                if not core.is_empty and core.contains(core.centroid)
                else cell.point_on_surface()
            )
            lon, lat = site.projection.to_lonlat_xy(spot.x, spot.y)
            points[row + column] = [round(lon, 7), round(lat, 7)]
    return points


def describe_point(point: Sequence[float], site: Site, language: str) -> str:
    """Where a pin is, in words: its part of the site and what of the site's own it stands by."""
    lang = _lang(language)
    where = place_words(place_code(point, site), lang)
    x, y = site.projection.to_metres_xy(float(point[0]), float(point[1]))
    pin = shapely.Point(x, y)
    nearest = min(
        (f for f in site.features if f.geom_m is not None and f.kind is not None),
        key=lambda f: f.geom_m.distance(pin),
        default=None,
    )
    if nearest is None or nearest.geom_m.distance(pin) > NEAR_SITE_FEATURE_M:
        return where
    name = spec(nearest.kind).name(lang)
    return f"{where}，靠近{name}" if lang == "zh" else f"{where}, by the {name.lower()}"


def describe_pin(geometry: Mapping[str, Any], site: Site, language: str) -> str:
    """Where a need's pin (a point) or area (a polygon) is, in words; an area also says its size."""
    shape = shapely.geometry.shape(geometry)
    where = describe_point(_middle(geometry), site, language)
    if shape.geom_type == "Point":
        return where
    area = _area(site.projection.to_metres(shape).area)
    return f"{where}，约 {area} 平方米" if _lang(language) == "zh" else f"{where}, about {area} m²"


def describe_needs(geometries: Sequence[Mapping[str, Any]], site: Site, language: str) -> str | None:
    """How many needs are pinned where: 'Needs pinned on the map (5): 3 in the middle, 2 ...'."""
    codes = Counter(place_code(_middle(geometry), site) for geometry in geometries)
    if not codes:
        return None
    total = sum(codes.values())
    if _lang(language) == "zh":
        places = "，".join(f"{place_words(code, 'zh')} {n} 条" for code, n in codes.most_common())
        return f"地图上的需求 {total} 条：{places}。"
    places = ", ".join(f"{n} {place_words(code, 'en')}" for code, n in codes.most_common())
    return f"Needs pinned on the map ({total}): {places}."


def _middle(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """A pin's point, or a point inside an area: [lon, lat]."""
    middle = shapely.geometry.shape(geometry).representative_point()
    return middle.x, middle.y


def feature_places(layout: object, site: Site, language: str) -> dict[str, str]:
    """Each feature of a layout by id, named with where it lies: 'Bench, along the north side'."""
    lang = _lang(language)
    frame = _Frame(site)
    return {
        feature.id: _named(feature, frame, lang)
        for feature in usable_features(layout, site)
        if feature.id is not None
    }


def _named(feature: Feature, frame: _Frame, lang: str) -> str:
    name = spec(feature.kind).name(lang)
    label = feature.properties.get("label")
    if isinstance(label, str) and label.strip():
        name = f"{name}：{label.strip()}" if lang == "zh" else f"{name} “{label.strip()}”"
    where = _where(frame.cell(feature.geom_m.centroid), lang)
    return f"{name}（{where}）" if lang == "zh" else f"{name}, {where}"


# --- changes between two versions ------------------------------------------------------------

_DIRECTIONS = {
    "en": ("east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east"),
    "zh": ("东", "东北", "北", "西北", "西", "西南", "南", "东南"),
}


def _direction(dx: float, dy: float, lang: str) -> str:
    """The compass direction of a shift, to the nearest eighth."""
    eighth = round(math.degrees(math.atan2(dy, dx)) / 45) % 8
    return _DIRECTIONS[lang][eighth]


def describe_changes(
    diff: Mapping[str, Any], old: object, new: object, site: Site, language: str
) -> list[str]:
    """What a diff_layouts result says, in sentences: what was added, removed, moved where, reshaped."""
    lang = _lang(language)
    frame = _Frame(site)
    before = {f.id: f for f in usable_features(old, site) if f.id is not None}
    after = {f.id: f for f in usable_features(new, site) if f.id is not None}
    zh = lang == "zh"
    sentences = []

    def listed(heading: tuple[str, str], ids: Iterable[str], features: Mapping[str, Feature]) -> str:
        names = [_named(features[i], frame, lang) for i in ids if i in features]
        return f"{heading[0]}：{'；'.join(names)}。" if zh else f"{heading[1]}: {'; '.join(names)}."

    if diff.get("added"):
        sentences.append(listed(("新增", "Added"), diff["added"], after))
    if diff.get("removed"):
        sentences.append(listed(("移除", "Removed"), diff["removed"], before))
    for item in diff.get("moved", []):
        a, b = before.get(item["id"]), after.get(item["id"])
        if a is None or b is None:
            continue
        shift = (b.geom_m.centroid.x - a.geom_m.centroid.x, b.geom_m.centroid.y - a.geom_m.centroid.y)
        direction = _direction(*shift, lang)
        distance = _metres(item["distance_m"])
        if zh:
            sentences.append(f"移动：{_named(b, frame, lang)}向{direction}移了 {distance} 米。")
        else:
            sentences.append(f"Moved: {_named(b, frame, lang)}, {distance} m to the {direction}.")
    for item in diff.get("reshaped", []):
        b = after.get(item["id"])
        if b is None:
            continue
        delta = item["area_delta_m2"]
        if b.geometry_type != LINE and b.geometry_type != POINT and abs(delta) >= 0.5:
            if zh:
                change = f"面积{'增加' if delta > 0 else '减少'} {_area(abs(delta))} 平方米"
            else:
                change = f"{_area(abs(delta))} m² {'larger' if delta > 0 else 'smaller'}"
        else:
            change = "形状改变" if zh else "new shape"
        named = _named(b, frame, lang)
        sentences.append(f"改形：{named}，{change}。" if zh else f"Reshaped: {named}, {change}.")
    changed = [i for i in diff.get("properties_changed", []) if i in after]
    if changed:
        sentences.append(listed(("修改了类型或说明", "Kind or details changed"), changed, after))
    if not sentences:
        sentences.append("两个版本的要素没有变化。" if zh else "No feature changed between the two versions.")
    return sentences
