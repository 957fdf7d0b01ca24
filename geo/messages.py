"""Human messages of findings in zh-CN and English, filled from a finding's params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geo.codes import Code
from geo.kinds import kind_of, spec

ZH = "zh-CN"
EN = "en"

MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.NOT_A_FEATURE_COLLECTION: {
        ZH: "布局必须是 GeoJSON FeatureCollection（含 features 数组）。",
        EN: "A layout must be a GeoJSON FeatureCollection with a features array.",
    },
    Code.TOO_MANY_FEATURES: {
        ZH: "要素过多：{count} 个，上限 {max} 个。",
        EN: "Too many features: {count}, at most {max}.",
    },
    Code.TOO_MANY_VERTICES: {
        ZH: "顶点过多：超过上限 {max} 个。",
        EN: "Too many vertices: more than {max}.",
    },
    Code.NOT_A_FEATURE: {
        ZH: "第 {index} 项不是 GeoJSON Feature。",
        EN: "Item {index} is not a GeoJSON Feature.",
    },
    Code.MISSING_GEOMETRY: {
        ZH: "第 {index} 个要素缺少几何图形。",
        EN: "Feature {index} has no geometry.",
    },
    Code.MISSING_PROPERTIES: {
        ZH: "第 {index} 个要素缺少 properties 对象。",
        EN: "Feature {index} has no properties object.",
    },
    Code.INVALID_GEOJSON: {
        ZH: "第 {index} 个要素的几何结构无效：{reason}。",
        EN: "Feature {index} has a malformed geometry: {reason}.",
    },
    Code.COORDINATES_OUT_OF_RANGE: {
        ZH: "坐标超出范围：经度 {lon}，纬度 {lat}（经度应在 ±180 之间，纬度在 ±90 之间）。",
        EN: "Coordinates out of range: longitude {lon}, latitude {lat} "
            "(longitude must be within ±180, latitude within ±90).",
    },
    Code.COORDINATES_SWAPPED: {
        ZH: "坐标顺序可能颠倒：[{lon}, {lat}]。GeoJSON 要求先经度、后纬度。",
        EN: "Coordinates look swapped: [{lon}, {lat}]. GeoJSON wants longitude first, then latitude.",
    },
    Code.MISSING_ID: {
        ZH: "第 {index} 个要素缺少 id。",
        EN: "Feature {index} has no id.",
    },
    Code.DUPLICATE_ID: {
        ZH: "id 重复：{count} 个要素使用同一个 id。",
        EN: "Duplicate id: {count} features share this id.",
    },
    Code.MISSING_KIND: {
        ZH: "要素缺少 properties.kind。",
        EN: "The feature has no properties.kind.",
    },
    Code.UNKNOWN_KIND: {
        ZH: "未知的要素类型「{kind}」。",
        EN: "Unknown feature kind \u201c{kind}\u201d.",
    },
    Code.SITE_KIND_IN_LAYOUT: {
        ZH: "「{kind}」是场地现状要素，不能画在方案中。",
        EN: "\u201c{kind}\u201d describes the site and cannot be drawn in a layout.",
    },
    Code.KIND_GEOMETRY_MISMATCH: {
        ZH: "{kind}不能使用 {geometry_type} 几何，应为：{allowed}。",
        EN: "{kind} cannot be a {geometry_type}; expected: {allowed}.",
    },
    Code.INVALID_PROPERTY: {
        ZH: "属性 {property} 的值无效（{value}），应为{expected}。",
        EN: "Property {property} has an invalid value ({value}); expected {expected}.",
    },
    Code.INVALID_GEOMETRY: {
        ZH: "几何图形无效：{reason}，位置 {location}。",
        EN: "Invalid geometry: {reason} at {location}.",
    },
    Code.OUTSIDE_SITE: {
        ZH: "{kind}超出场地边界 {distance_m} 米（允许 {tolerance_m} 米）。",
        EN: "{kind} extends {distance_m} m beyond the site boundary (tolerance {tolerance_m} m).",
    },
    Code.SOLID_OVERLAP: {
        ZH: "{kind_a}与{kind_b}重叠 {area_m2} 平方米。",
        EN: "{kind_a} and {kind_b} overlap by {area_m2} m².",
    },
    Code.COURT_DIMENSIONS: {
        ZH: "{kind}尺寸为 {length_m} × {width_m} 米，标准为 {expected_length_m} × "
            "{expected_width_m} 米（允许偏差 ±{tolerance_pct}%）。",
        EN: "{kind} measures {length_m} × {width_m} m; the standard is {expected_length_m} × "
            "{expected_width_m} m (±{tolerance_pct}%).",
    },
    Code.COURT_NOT_RECTANGULAR: {
        ZH: "{kind}不是矩形（面积仅为其最小外接矩形的 {rectangularity_pct}%）。",
        EN: "{kind} is not a rectangle (its area is {rectangularity_pct}% of its minimum "
            "rotated rectangle).",
    },
    Code.COURT_OBSTRUCTED: {
        ZH: "{obstacle_kind}位于{kind}的比赛区域内。",
        EN: "{obstacle_kind} stands inside the playing area of the {kind}.",
    },
    Code.COURT_RUNOFF_OBSTRUCTED: {
        ZH: "{obstacle_kind}距{kind}边线仅 {distance_m} 米，缓冲区应至少 {runoff_m} 米无障碍物。",
        EN: "{obstacle_kind} is {distance_m} m from the {kind}'s boundary line; "
            "{runoff_m} m around it should be free of obstacles.",
    },
    Code.KEPT_TREE_COVERED: {
        ZH: "需保留的现状树被{cover_kind}覆盖（树干周围 {pit_radius_m} 米内应为非硬质地面）。",
        EN: "A tree marked to keep is covered by {cover_kind} (keep {pit_radius_m} m around "
            "its trunk unpaved).",
    },
    Code.KEPT_TREE_REMOVED: {
        ZH: "方案移除了一棵需保留的现状树。",
        EN: "The layout removes a tree marked to keep.",
    },
    Code.PATH_TOO_NARROW: {
        ZH: "步道宽 {width_m} 米，窄于无障碍通行宽度 {min_width_m} 米。",
        EN: "The path is {width_m} m wide, narrower than the accessible width of {min_width_m} m.",
    },
    Code.OVER_BUDGET: {
        ZH: "估算造价 {cost_cny} 元，超出本轮预算 {budget_cny} 元。",
        EN: "Estimated cost CNY {cost_cny} exceeds the round's budget of CNY {budget_cny}.",
    },
    Code.BLOCKS_SITE_CONSTRAINT: {
        ZH: "{kind}妨碍了场地现状要素：{constraint_kind}。",
        EN: "{kind} obstructs a site feature: {constraint_kind}.",
    },
    Code.INVALID_BOUNDARY: {
        ZH: "场地边界无效：{reason}。",
        EN: "Invalid site boundary: {reason}.",
    },
    Code.CONSTRAINT_OUTSIDE_SITE: {
        ZH: "场地现状要素{kind}位于边界外 {distance_m} 米。",
        EN: "Site feature {kind} lies {distance_m} m outside the boundary.",
    },
}

REASONS: Mapping[str, Mapping[str, str]] = {
    "unknown_type": {ZH: "未知的几何类型", EN: "unknown geometry type"},
    "bad_nesting": {ZH: "coordinates 的嵌套层次不对", EN: "coordinates are not nested as the type needs"},
    "bad_position": {ZH: "坐标点应为 2 或 3 个数字", EN: "a position must be 2 or 3 numbers"},
    "not_finite": {ZH: "坐标不是有限数值", EN: "a coordinate is not a finite number"},
    "too_few_positions": {ZH: "坐标点太少", EN: "too few positions"},
    "ring_not_closed": {ZH: "多边形的环没有闭合", EN: "a polygon ring does not end where it starts"},
    "pin_type": {ZH: "需求只能标为一个点或一个区域", EN: "a need is pinned as a point or an area"},
    "not_polygon": {ZH: "边界必须是 Polygon", EN: "the boundary must be a Polygon"},
    "empty": {ZH: "面积为零", EN: "it has no area"},
    # GEOS reasons from shapely.is_valid_reason.
    "Self-intersection": {ZH: "自相交", EN: "self-intersection"},
    "Ring Self-intersection": {ZH: "环自相交", EN: "ring self-intersection"},
    "Too few points": {ZH: "点数太少", EN: "too few points"},
    "Hole lies outside shell": {ZH: "内环位于外环之外", EN: "a hole lies outside the shell"},
    "Nested holes": {ZH: "内环相互嵌套", EN: "nested holes"},
    "Interior is disconnected": {ZH: "内部不连通", EN: "the interior is disconnected"},
    "Nested shells": {ZH: "外环相互嵌套", EN: "nested shells"},
    "Duplicate Rings": {ZH: "环重复", EN: "duplicate rings"},
    "Invalid Coordinate": {ZH: "坐标无效", EN: "invalid coordinate"},
}

_EXPECTED: Mapping[str, Mapping[str, str]] = {
    "positive_number": {ZH: "不超过 1000 的正数", EN: "a positive number up to 1000"},
    "non_negative_integer": {ZH: "不超过 10000 的非负整数", EN: "a whole number from 0 to 10000"},
    "boolean": {ZH: "true 或 false", EN: "true or false"},
    "short_text": {ZH: "不超过 120 个字符的文字", EN: "text of at most 120 characters"},
}


def normalise_language(language: str | None) -> str:
    """'zh-CN' for any Chinese tag, otherwise 'en'.

    >>> normalise_language("zh-Hans"), normalise_language("fr")
    ('zh-CN', 'en')
    """
    return ZH if (language or "").lower().startswith("zh") else EN


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _show(key: str, value: Any, language: str) -> Any:
    if key.endswith("kind") or key in ("kind_a", "kind_b"):
        if value is None:
            return "该位置" if language == ZH else "The place"
        kind = kind_of(value)
        return spec(kind).name(language) if kind is not None else value
    if key == "allowed" and isinstance(value, list | tuple):
        return " / ".join(str(v) for v in value)
    if key == "reason" and isinstance(value, str):
        return REASONS.get(value, {}).get(language, value)
    if key == "expected" and isinstance(value, str):
        return _EXPECTED.get(value, {}).get(language, value)
    if key == "location":
        if isinstance(value, list | tuple) and len(value) == 2:
            return f"({value[0]:.6f}, {value[1]:.6f})"
        return "?" if language == EN else "未知"
    if key == "index" and isinstance(value, int):
        return value + 1  # people count from 1
    if key == "value":
        text = repr(value) if not isinstance(value, str) else f'"{value}"'
        return text if len(text) <= 40 else text[:37] + "..."
    return value


def render(code: Code, params: Mapping[str, Any], language: str | None) -> str:
    """The message of a finding in a language ('zh-CN' or English for anything else).

    >>> render(Code.PATH_TOO_NARROW, {"width_m": 0.9, "min_width_m": 1.2}, "en")
    'The path is 0.9 m wide, narrower than the accessible width of 1.2 m.'
    >>> render(Code.UNKNOWN_KIND, {"kind": "pool"}, "zh-CN")
    '未知的要素类型「pool」。'
    """
    lang = normalise_language(language)
    shown = _Params({key: _show(key, value, lang) for key, value in params.items()})
    return MESSAGES[code][lang].format_map(shown)
