"""Parsing any decoded-JSON value into features, with structural findings instead of exceptions.

Why not the geojson package here: its ``to_instance`` raises on arbitrary input, accepts
NaN coordinates and explains problems in English only; this walker reports a reason code
(translated in messages.py) and never raises.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from geo.codes import Code
from geo.findings import Finding
from geo.kinds import LINE, POINT, POLYGON, Kind, kind_of, spec
from geo.projection import LocalProjection

MAX_FEATURES = 1000
MAX_VERTICES = 20_000
# Numeric properties (width_m, length_m, canopy_m: metres) above this are refused.
MAX_NUMBER = 1000.0
MAX_SEATS = 10_000
# A label is a short name shown on the map ("香樟 camphor"), not a description.
MAX_LABEL = 120
# For the HTTP layer: a body larger than this is answered 413 before it is decoded.
MAX_LAYOUT_BYTES = 2_000_000

_KNOWN_TYPES = frozenset({
    "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
    "GeometryCollection",
})
# Nesting depth of "coordinates" for each type, counting the position list as depth 1.
_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3,
          "MultiPolygon": 4}


class GeometryError(Exception):
    """A geometry's structure is broken (internal: becomes an invalid_geojson finding)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Budget:
    """Counts vertices across a document so that a huge one is refused early."""

    __slots__ = ("left",)

    def __init__(self, limit: int = MAX_VERTICES) -> None:
        self.left = limit

    def spend(self, n: int) -> bool:
        """Take n vertices; False once the limit is passed."""
        self.left -= n
        return self.left >= 0


@dataclass(slots=True, eq=False)
class Feature:
    """One parsed feature. geom is lon/lat (None when broken); geom_m is metres (set by project)."""

    index: int
    id: str | None
    kind: Kind | None
    geometry_type: str | None
    properties: Mapping[str, Any]
    geom: shapely.Geometry | None = None
    geom_m: shapely.Geometry | None = None

    @property
    def usable(self) -> bool:
        """Known kind, allowed and valid geometry, projected: fit for spatial checks."""
        return self.geom_m is not None and self.kind is not None

    def number(self, name: str) -> float | None:
        """A number property in (0, MAX_NUMBER] (all are metres), or None."""
        value = self.properties.get(name)
        if _is_number(value) and 0 < value <= MAX_NUMBER:
            return float(value)
        return None


@dataclass(slots=True, eq=False)
class ParsedLayout:
    """Features and structural findings of a document; broken means it cannot be measured."""

    features: list[Feature] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    broken: bool = False

    @property
    def usable(self) -> list[Feature]:
        """Features fit for spatial checks and metrics (after project)."""
        return [f for f in self.features if f.usable]

    def by_id(self) -> dict[str, Feature]:
        """Usable features by id (the first one wins on a duplicate)."""
        out: dict[str, Feature] = {}
        for f in self.usable:
            if f.id is not None:
                out.setdefault(f.id, f)
        return out


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _position(value: object) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or not 2 <= len(value) <= 3:
        raise GeometryError("bad_position")
    x, y = value[0], value[1]
    if not (_is_number(x) and _is_number(y)):
        raise GeometryError("bad_position")
    try:
        fx, fy = float(x), float(y)
    except OverflowError:  # an int too large for a float
        raise GeometryError("not_finite") from None
    if not (math.isfinite(fx) and math.isfinite(fy)):
        raise GeometryError("not_finite")
    return fx, fy


def _positions(value: object, minimum: int, budget: Budget) -> list[tuple[float, float]]:
    if not isinstance(value, list | tuple):
        raise GeometryError("bad_nesting")
    if not budget.spend(len(value)):
        raise OverflowError
    out = [_position(p) for p in value]
    if len(out) < minimum:
        raise GeometryError("too_few_positions")
    return out


def _count_leaves(value: object, depth: int, budget: Budget) -> None:
    stack = [(value, depth)]
    while stack:
        item, d = stack.pop()
        if not isinstance(item, list | tuple):
            continue
        if d <= 1:
            if not budget.spend(1):
                raise OverflowError
            continue
        stack.extend((child, d - 1) for child in item)


def read_geometry(geometry: Mapping[str, Any], budget: Budget) -> tuple[str, list]:
    """Type and coordinate rings of a Point/LineString/Polygon geometry dict.

    Raises GeometryError on a broken structure and OverflowError past the vertex budget.
    Other known types are returned with no coordinates (no kind allows them).

    >>> read_geometry({"type": "Point", "coordinates": [121.5, 31.2]}, Budget())
    ('Point', [[(121.5, 31.2)]])
    """
    gtype = geometry.get("type")
    if not isinstance(gtype, str) or gtype not in _KNOWN_TYPES:
        raise GeometryError("unknown_type")
    if gtype == "GeometryCollection":
        return gtype, []
    coords = geometry.get("coordinates")
    if gtype == POINT:
        if not budget.spend(1):
            raise OverflowError
        return gtype, [[_position(coords)]]
    if gtype == LINE:
        return gtype, [_positions(coords, 2, budget)]
    if gtype == POLYGON:
        if not isinstance(coords, list | tuple) or not coords:
            raise GeometryError("bad_nesting")
        rings = [_positions(ring, 4, budget) for ring in coords]
        if any(ring[0] != ring[-1] for ring in rings):
            raise GeometryError("ring_not_closed")
        return gtype, rings
    if not isinstance(coords, list | tuple):
        raise GeometryError("bad_nesting")
    _count_leaves(coords, _DEPTH[gtype], budget)
    return gtype, []


def coordinate_finding(rings: list, index: int, fid: str | None) -> Finding | None:
    """A finding for the first position out of range (or swapped), or None."""
    for ring in rings:
        for lon, lat in ring:
            if -180 <= lon <= 180 and -90 <= lat <= 90:
                continue
            code = (Code.COORDINATES_SWAPPED if -90 <= lon <= 90 and -180 <= lat <= 180
                    else Code.COORDINATES_OUT_OF_RANGE)
            return Finding(code, fid, params={"index": index, "lon": lon, "lat": lat})
    return None


def _feature_id(raw: Mapping[str, Any], props: Mapping[str, Any]) -> str | None:
    for value in (raw.get("id"), props.get("id")):
        if isinstance(value, bool):
            continue
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int):
            return str(value)
    return None


def feature_id(raw: object) -> str | None:
    """The id a feature goes by: its ``id``, else ``properties.id`` (a number as text).

    >>> feature_id({"type": "Feature", "id": 7}), feature_id({"properties": {"id": "b1"}})
    ('7', 'b1')
    """
    if not isinstance(raw, Mapping):
        return None
    props = raw.get("properties")
    return _feature_id(raw, props if isinstance(props, Mapping) else {})


def vertex_count(raw: object) -> int:
    """How many positions a feature's geometry counts toward MAX_VERTICES (0 when unreadable).

    >>> vertex_count({"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}})
    2
    """
    geometry = raw.get("geometry") if isinstance(raw, Mapping) else None
    if not isinstance(geometry, Mapping):
        return 0
    budget = Budget()
    try:
        read_geometry(geometry, budget)
    except GeometryError:
        return 0
    except OverflowError:
        return MAX_VERTICES + 1
    return MAX_VERTICES - budget.left


def _property_findings(f: Feature) -> list[Finding]:
    out: list[Finding] = []

    def bad(name: str, expected: str) -> None:
        value = f.properties.get(name)
        shown = value if value is None or isinstance(value, str | int | bool) else reprlib.repr(value)
        if isinstance(value, float) and math.isfinite(value):
            shown = value
        if isinstance(shown, str):
            shown = shown[:100]
        elif isinstance(shown, int) and abs(shown) > 2**53:
            shown = "<large integer>"  # huge ints cannot even be printed (int_max_str_digits)
        out.append(Finding(Code.INVALID_PROPERTY, f.id, params={
            "index": f.index, "property": name, "value": shown, "expected": expected}))

    props = f.properties
    if f.kind is Kind.PATH and f.geometry_type == LINE and f.number("width_m") is None:
        bad("width_m", "positive_number")
    for name in ("canopy_m", "length_m"):
        if name in props and props[name] is not None and f.number(name) is None:
            bad(name, "positive_number")
    seats = props.get("seats")
    if seats is not None and not (type(seats) is int and 0 <= seats <= MAX_SEATS):
        bad("seats", "non_negative_integer")
    keep = props.get("keep")
    if keep is not None and not isinstance(keep, bool):
        bad("keep", "boolean")
    label = props.get("label")
    if label is not None and not (isinstance(label, str) and len(label) <= MAX_LABEL):
        bad("label", "short_text")
    return out


def parse_features(value: object, *, site_kinds: bool = False) -> ParsedLayout:
    """Features of a decoded-JSON FeatureCollection, with findings for everything malformed.

    site_kinds allows utility_cover, building_face and entrance (a site's constraints).
    Geometries are built (lon/lat) but not yet checked for validity: see project().

    >>> parsed = parse_features({"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "id": "t1", "properties": {"kind": "tree_new"},
    ...      "geometry": {"type": "Point", "coordinates": [121.496, 31.263]}}]})
    >>> [(f.id, f.kind.value, f.geom.wkt) for f in parsed.features], parsed.findings
    ([('t1', 'tree_new', 'POINT (121.496 31.263)')], [])
    >>> [f.code.value for f in parse_features([1, 2]).findings]
    ['not_a_feature_collection']
    """
    out = ParsedLayout()
    if (not isinstance(value, Mapping) or value.get("type") != "FeatureCollection"
            or not isinstance(value.get("features"), list | tuple)):
        out.findings.append(Finding(Code.NOT_A_FEATURE_COLLECTION))
        out.broken = True
        return out
    raw_features = value["features"]
    if len(raw_features) > MAX_FEATURES:
        out.findings.append(Finding(Code.TOO_MANY_FEATURES, params={
            "count": len(raw_features), "max": MAX_FEATURES}))
        out.broken = True
        return out

    budget = Budget()
    shapes: list[tuple[Feature, str, list]] = []
    for index, raw in enumerate(raw_features):
        if not isinstance(raw, Mapping) or raw.get("type") != "Feature":
            out.findings.append(Finding(Code.NOT_A_FEATURE, params={"index": index}))
            continue
        props = raw.get("properties")
        fid = _feature_id(raw, props if isinstance(props, Mapping) else {})
        has_properties = isinstance(props, Mapping)
        if not has_properties:
            out.findings.append(Finding(Code.MISSING_PROPERTIES, fid, params={"index": index}))
            props = {}
        kind_value = props.get("kind")
        kind = kind_of(kind_value)
        feature = Feature(index, fid, kind, None, props)
        out.features.append(feature)
        if fid is None:
            out.findings.append(Finding(Code.MISSING_ID, params={"index": index}))

        geometry = raw.get("geometry")
        if not isinstance(geometry, Mapping):
            out.findings.append(Finding(Code.MISSING_GEOMETRY, fid, params={"index": index}))
            rings = None
        else:
            try:
                feature.geometry_type, rings = read_geometry(geometry, budget)
            except OverflowError:
                out.findings = [Finding(Code.TOO_MANY_VERTICES, params={"max": MAX_VERTICES})]
                out.features = []
                out.broken = True
                return out
            except GeometryError as exc:
                out.findings.append(Finding(Code.INVALID_GEOJSON, fid, params={
                    "index": index, "reason": exc.reason}))
                rings = None

        if kind is None:
            if kind_value is None:
                if has_properties:
                    out.findings.append(Finding(Code.MISSING_KIND, fid, params={"index": index}))
            else:
                shown = (kind_value if isinstance(kind_value, str) else reprlib.repr(kind_value))[:100]
                out.findings.append(Finding(Code.UNKNOWN_KIND, fid, params={
                    "index": index, "kind": shown}))
            continue
        if spec(kind).site_only and not site_kinds:
            out.findings.append(Finding(Code.SITE_KIND_IN_LAYOUT, fid, params={
                "index": index, "kind": kind.value}))
            feature.kind = None
            continue
        if feature.geometry_type is not None and feature.geometry_type not in spec(kind).geometries:
            out.findings.append(Finding(Code.KIND_GEOMETRY_MISMATCH, fid, params={
                "index": index, "kind": kind.value, "geometry_type": feature.geometry_type,
                "allowed": sorted(spec(kind).geometries)}))
            continue
        out.findings.extend(_property_findings(feature))
        if rings is None:
            continue
        bad_coordinates = coordinate_finding(rings, index, fid)
        if bad_coordinates is not None:
            out.findings.append(bad_coordinates)
            continue
        shapes.append((feature, feature.geometry_type, rings))

    out.findings.extend(_duplicate_findings(out.features))
    build_geometries(shapes)
    return out


def _duplicate_findings(features: Sequence[Feature]) -> list[Finding]:
    counts = Counter(f.id for f in features if f.id is not None)
    return [Finding(Code.DUPLICATE_ID, fid, params={"count": n})
            for fid, n in counts.items() if n > 1]


def build_geometries(shapes: list[tuple[Feature, str, list]]) -> None:
    """Build every geometry with a few vectorised shapely calls (one per geometry type)."""
    points = [(f, rings[0][0]) for f, gtype, rings in shapes if gtype == POINT]
    if points:
        geoms = shapely.points(np.array([xy for _, xy in points], dtype=float))
        for (f, _), g in zip(points, geoms, strict=True):
            f.geom = g
    lines = [(f, rings[0]) for f, gtype, rings in shapes if gtype == LINE]
    if lines:
        coords = np.array([xy for _, line in lines for xy in line], dtype=float)
        indices = np.repeat(np.arange(len(lines)), [len(line) for _, line in lines])
        for (f, _), g in zip(lines, shapely.linestrings(coords, indices=indices), strict=True):
            f.geom = g
    polygons = [(f, rings) for f, gtype, rings in shapes if gtype == POLYGON]
    if polygons:
        all_rings = [ring for _, rings in polygons for ring in rings]
        coords = np.array([xy for ring in all_rings for xy in ring], dtype=float)
        ring_index = np.repeat(np.arange(len(all_rings)), [len(r) for r in all_rings])
        linear_rings = shapely.linearrings(coords, indices=ring_index)
        polygon_index = np.repeat(np.arange(len(polygons)), [len(r) for _, r in polygons])
        built = shapely.polygons(linear_rings, indices=polygon_index)
        for (f, _), g in zip(polygons, built, strict=True):
            f.geom = g


_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")


def project(parsed: ParsedLayout, projection: LocalProjection) -> list[Finding]:
    """Check validity of all built geometries, then project the valid ones to metres.

    Returns invalid_geometry findings (the GEOS reason and its lon/lat location).
    """
    built = [f for f in parsed.features if f.geom is not None]
    if not built:
        return []
    geoms = np.array([f.geom for f in built], dtype=object)
    reasons = shapely.is_valid_reason(geoms)
    findings: list[Finding] = []
    valid_mask = reasons == "Valid Geometry"
    for f, reason, ok in zip(built, reasons, valid_mask, strict=True):
        if ok:
            continue
        text = str(reason)
        match = _LOCATION.search(text)
        location = [float(match.group(1)), float(match.group(2))] if match else None
        findings.append(Finding(Code.INVALID_GEOMETRY, f.id, params={
            "index": f.index, "reason": text.split("[")[0].strip(), "location": location}))
    valid = [f for f, ok in zip(built, valid_mask, strict=True) if ok]
    if valid:
        projected = projection.to_metres(np.array([f.geom for f in valid], dtype=object))
        coords, owner = shapely.get_coordinates(projected, return_index=True)
        finite = np.ones(len(valid), dtype=bool)
        finite[owner[~np.isfinite(coords).all(axis=1)]] = False
        # A sliver that is valid in degrees can fold over itself once projected (rounding):
        # it cannot be measured, so it is invalid like any other broken shape.
        metric_reasons = shapely.is_valid_reason(projected)
        for f, g, ok, reason in zip(valid, projected, finite, metric_reasons, strict=True):
            if not ok:  # near the antipode of the site: as far outside as it gets
                findings.append(Finding(Code.OUTSIDE_SITE, f.id, params={
                    "kind": str(f.kind), "distance_m": None, "tolerance_m": None}))
            elif reason != "Valid Geometry":
                match = _LOCATION.search(str(reason))
                location = (list(projection.to_lonlat_xy(float(match.group(1)), float(match.group(2))))
                            if match else None)
                findings.append(Finding(Code.INVALID_GEOMETRY, f.id, params={
                    "index": f.index, "reason": str(reason).split("[")[0].strip(), "location": location}))
            else:
                f.geom_m = g
    return findings
