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

from collections import Counter
from collections.abc import Iterable, Sequence

import shapely

from geo.kinds import LINE, POINT, Kind, spec
from geo.layout import Feature
from geo.site import Site
from geo.static_map import usable_features

NEAR_KEPT_TREE_M = 5.0

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
    frame = _Frame(site)
    width, depth = frame.maxx - frame.minx, frame.maxy - frame.miny
    area = site.boundary_m.area
    if lang == "zh":
        opening = f"场地约 {_metres(width)} × {_metres(depth)} 米（{_area(area)} 平方米）"
        opening += "，尚未画任何要素。" if not features else f"，方案共有 {len(features)} 个要素。"
    else:
        opening = f"The site is about {_metres(width)} × {_metres(depth)} m ({_area(area)} m²)"
        opening += (
            "; no features are drawn yet." if not features else f"; the layout has {len(features)} features."
        )
    kept = [f for f in features if _is_kept_tree(f)]
    sentences = [opening]
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
