"""Metrics of a layout in metric units: areas, ratios, seats, trees, shade and cost."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from geo.kinds import LINE, POLYGON, Kind, spec
from geo.layout import MAX_SEATS, Feature, ParsedLayout, parse_features, project
from geo.site import Site
from geo.standards import (
    BENCH_M_PER_SEAT,
    CANOPY_EXISTING_M,
    CANOPY_NEW_M,
    DEFAULT_BENCH_LENGTH_M,
    SEATING_AREA_M2_PER_SEAT,
    TREE_MATCH_M,
    UNIT_COSTS,
    CostBasis,
)
from geo.standards import unit_costs as cost_table


def _r2(value: float) -> float:
    return round(float(value), 2)


def match_trees(features: Sequence[Feature], site: Site) -> dict[int, Feature]:
    """Site existing trees (by index in site.existing_trees) found again in a layout.

    A layout tree_existing is the same tree when it has the site tree's id or, failing
    that, stands within TREE_MATCH_M of it (nearest first).
    """
    site_trees = site.existing_trees
    layout_trees = [f for f in features if f.kind is Kind.TREE_EXISTING and f.usable]
    matched: dict[int, Feature] = {}
    if not site_trees or not layout_trees:
        return matched
    by_id = {f.id: f for f in layout_trees if f.id is not None}
    used: set[int] = set()
    for i, tree in enumerate(site_trees):
        if tree.id is not None and tree.id in by_id and id(by_id[tree.id]) not in used:
            matched[i] = by_id[tree.id]
            used.add(id(by_id[tree.id]))
    left = [f for f in layout_trees if id(f) not in used]
    if left and len(matched) < len(site_trees):
        todo = [i for i in range(len(site_trees)) if i not in matched]
        a = np.array([site_trees[i].geom_m for i in todo], dtype=object)
        b = np.array([f.geom_m for f in left], dtype=object)
        distances = shapely.distance(a[:, None], b[None, :])
        pairs = sorted((float(distances[r, c]), r, c) for r, c in zip(
            *np.nonzero(distances <= TREE_MATCH_M), strict=True))
        taken_rows: set[int] = set()
        taken_cols: set[int] = set()
        for _, r, c in pairs:
            if r in taken_rows or c in taken_cols:
                continue
            taken_rows.add(r)
            taken_cols.add(c)
            matched[todo[r]] = left[c]
    return matched


def union_area(parts: Sequence[shapely.Geometry], clip: shapely.Geometry) -> float:
    """Area of the union of parts inside clip.

    Only parts that intersect another part go through union_all (slow on many disjoint
    shapes); the others are summed directly.
    """
    if not len(parts):
        return 0.0
    geoms = np.asarray(parts, dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    overlapping = np.zeros(len(geoms), dtype=bool)
    overlapping[left[left != right]] = True
    alone = geoms[~overlapping]
    inside = shapely.covered_by(alone, clip)
    total = float(shapely.area(alone[inside]).sum())
    total += float(shapely.area(shapely.intersection(alone[~inside], clip)).sum())
    if overlapping.any():
        total += float(shapely.intersection(shapely.union_all(geoms[overlapping]), clip).area)
    return total


def seats_of(feature: Feature) -> int:
    """Seats of a bench or seating area: properties.seats, else estimated from its size."""
    seats = feature.properties.get("seats")
    if type(seats) is int and 0 <= seats <= MAX_SEATS:
        return seats
    g = feature.geom_m
    if feature.kind is Kind.BENCH:
        if feature.geometry_type == POLYGON and g is not None:
            corners = shapely.get_coordinates(shapely.oriented_envelope(g))
            sides = np.hypot(*np.diff(corners[:3], axis=0).T) if len(corners) >= 3 else [0.0]
            length = float(max(sides))
        else:
            length = feature.number("length_m") or DEFAULT_BENCH_LENGTH_M
        return max(1, math.floor(length / BENCH_M_PER_SEAT + 0.01))
    if feature.kind is Kind.SEATING_AREA and g is not None:
        return math.floor(float(g.area) / SEATING_AREA_M2_PER_SEAT + 0.01)
    return 0


def measure(features: Sequence[Feature], site: Site,
            costs: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Metrics of usable (projected, valid) features; see compute_metrics."""
    feats = [f for f in features if f.usable]
    table = cost_table(costs)
    geoms = np.array([f.geom_m for f in feats], dtype=object)
    areas = shapely.area(geoms) if feats else np.zeros(0)
    lengths = shapely.length(geoms) if feats else np.zeros(0)

    area_by_kind: dict[str, float] = defaultdict(float)
    length_by_kind: dict[str, float] = defaultdict(float)
    count_by_kind: dict[str, int] = defaultdict(int)
    cost_by_kind: dict[str, float] = defaultdict(float)
    hard: list[shapely.Geometry] = []
    green: list[shapely.Geometry] = []
    shade: list[shapely.Geometry] = []
    seats = 0

    line_paths = [(i, f) for i, f in enumerate(feats)
                  if f.kind is Kind.PATH and f.geometry_type == LINE and f.number("width_m")]
    path_polygons: dict[int, shapely.Geometry] = {}
    if line_paths:
        widths = np.array([f.number("width_m") for _, f in line_paths])
        buffered = shapely.buffer(geoms[[i for i, _ in line_paths]], widths / 2,
                                  cap_style="flat", join_style="mitre")
        path_polygons = {i: g for (i, _), g in zip(line_paths, buffered, strict=True)}

    for i, f in enumerate(feats):
        kind = f.kind
        assert kind is not None
        s = spec(kind)
        count_by_kind[kind] += 1
        area = float(areas[i])
        length = float(lengths[i])
        if f.geometry_type == LINE:
            length_by_kind[kind] += length
            if i in path_polygons:
                area = length * (f.number("width_m") or 0.0)
                hard.append(path_polygons[i])
        if area:
            area_by_kind[kind] += area
        if f.geometry_type == POLYGON:
            if s.hard:
                hard.append(f.geom_m)
            if s.green:
                green.append(f.geom_m)
            if kind is Kind.SHADE_STRUCTURE:
                shade.append(f.geom_m)
        if kind in (Kind.BENCH, Kind.SEATING_AREA):
            seats += seats_of(f)
        basis = UNIT_COSTS[kind].basis if kind in UNIT_COSTS else CostBasis.ITEM
        quantity = {CostBasis.SQUARE_METRE: area, CostBasis.METRE: length,
                    CostBasis.ITEM: 1.0}[basis]
        cost_by_kind[kind] += quantity * table.get(kind, 0.0)

    matched = match_trees(feats, site)
    site_canopy = {id(f): site.existing_trees[i].number("canopy_m") for i, f in matched.items()}
    trees = [f for f in feats if f.kind in (Kind.TREE_EXISTING, Kind.TREE_NEW)]
    if trees:
        diameters = np.array([
            f.number("canopy_m") or site_canopy.get(id(f))
            or (CANOPY_NEW_M if f.kind is Kind.TREE_NEW else CANOPY_EXISTING_M)
            for f in trees])
        shade.extend(shapely.buffer(np.array([f.geom_m for f in trees], dtype=object),
                                    diameters / 2, quad_segs=8))

    boundary = site.boundary_m
    site_area = site.area_m2

    green_area, hard_area, shaded_area = (
        union_area(parts, boundary) for parts in (green, hard, shade))
    removed = [t for i, t in enumerate(site.existing_trees) if i not in matched]
    cost = sum(cost_by_kind.values())

    def ratio(value: float) -> float:
        return round(value / site_area, 4) if site_area else 0.0

    return {
        "site_area_m2": _r2(site_area),
        "area_by_kind_m2": {str(k): _r2(v) for k, v in sorted(area_by_kind.items())},
        "length_by_kind_m": {str(k): _r2(v) for k, v in sorted(length_by_kind.items())},
        "count_by_kind": {str(k): v for k, v in sorted(count_by_kind.items())},
        "green_area_m2": _r2(green_area),
        "green_ratio": ratio(green_area),
        "hard_surface_area_m2": _r2(hard_area),
        "hard_surface_ratio": ratio(hard_area),
        "shaded_area_m2": _r2(shaded_area),
        "shaded_ratio": ratio(shaded_area),
        "seats": seats,
        "trees": {
            "kept": len(matched),
            "removed": len(removed),
            "new": count_by_kind.get(Kind.TREE_NEW, 0),
            "removed_ids": sorted(t.id for t in removed if t.id is not None),
        },
        "estimated_cost_cny": round(cost),
        "cost_by_kind_cny": {str(k): round(v) for k, v in sorted(cost_by_kind.items()) if v},
    }


def compute_metrics(features: object, site: Site,
                    unit_costs: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Metrics of a layout: a decoded FeatureCollection, a ParsedLayout or parsed Features.

    Areas in m² (2 decimals), ratios of the site area (4 decimals), cost in whole CNY.
    Only well-formed, valid features count; broken input measures as empty.
    Shade is the union of shade structures and tree canopies (canopy_m or a default
    crown diameter), clipped to the site.
    """
    if isinstance(features, ParsedLayout):
        parsed_features = features.features
    elif isinstance(features, Sequence) and all(isinstance(f, Feature) for f in features):
        parsed_features = list(features)
    else:
        parsed = parse_features(features)
        project(parsed, site.projection)
        parsed_features = parsed.features
    if any(f.geom is not None and f.geom_m is None for f in parsed_features):
        # Parsed but never projected: project now (invalid geometries stay unmeasured).
        project(ParsedLayout(features=[f for f in parsed_features if f.geom_m is None]),
                site.projection)
    return measure(parsed_features, site, unit_costs)
