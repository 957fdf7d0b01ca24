"""Validation of a layout against its site and the court standards, and of a site itself.

Every check runs once over all features with vectorised shapely calls; see standards.py
for each tolerance and its source, codes.py for the severity of each finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import shapely

from geo.codes import Code
from geo.findings import Finding, Report
from geo.kinds import COURT_KINDS, LINE, POINT, POLYGON, Kind, is_solid, spec
from geo.layout import (
    MAX_VERTICES,
    Budget,
    Feature,
    GeometryError,
    ParsedLayout,
    build_geometries,
    coordinate_finding,
    parse_features,
    project,
    read_geometry,
)
from geo.metrics import match_trees, measure
from geo.site import Site, build_site, distance_outside
from geo.standards import (
    COURT_RECTANGULARITY,
    COURT_STANDARDS,
    COURT_TOLERANCE,
    MIN_PATH_WIDTH_M,
    NARROW_PATH_EPSILON_M2,
    OUTSIDE_TOLERANCE_M,
    OVERLAP_EPSILON_M2,
    TREE_PIT_RADIUS_M,
)

# A feature farther than this from the site whose swapped coordinates land on the site
# is reported as coordinates_swapped rather than outside_site.
_SWAP_DISTANCE_M = 1000.0
# An obstacle this close to an entrance blocks it.
ENTRANCE_CLEARANCE_M = 1.0


def _array(features: Sequence[Feature]) -> np.ndarray:
    return np.array([f.geom_m for f in features], dtype=object)


def _sorted_pairs(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """STRtree query pairs in input order, so that findings come out in a stable order."""
    order = np.lexsort((pairs[1], pairs[0]))
    return pairs[0][order], pairs[1][order]


def _r2(value: float) -> float:
    return round(float(value), 2)


def _swapped_near_site(feature: Feature, site: Site) -> bool:
    coords = shapely.get_coordinates(feature.geom)[:, ::-1]
    if not (np.all(np.abs(coords[:, 0]) <= 180) and np.all(np.abs(coords[:, 1]) <= 90)):
        return False
    swapped = site.projection.to_metres(shapely.points(coords))
    return bool(np.min(shapely.distance(site.boundary_m, swapped)) < _SWAP_DISTANCE_M)


def check_outside(features: Sequence[Feature], site: Site) -> Iterator[Finding]:
    """Features reaching beyond the boundary by more than OUTSIDE_TOLERANCE_M."""
    if not features:
        return
    grown = shapely.buffer(site.boundary_m, OUTSIDE_TOLERANCE_M, join_style="mitre")
    shapely.prepare(grown)
    outside = ~shapely.covered_by(_array(features), grown)
    for f in (f for f, out in zip(features, outside, strict=True) if out):
        distance = distance_outside(site.boundary_m, f.geom_m)
        if distance > _SWAP_DISTANCE_M and _swapped_near_site(f, site):
            lon, lat = shapely.get_coordinates(f.geom)[0]
            yield Finding(Code.COORDINATES_SWAPPED, f.id, params={
                "index": f.index, "lon": float(lon), "lat": float(lat)})
            continue
        yield Finding(Code.OUTSIDE_SITE, f.id, params={
            "kind": f.kind and str(f.kind), "distance_m": _r2(distance),
            "tolerance_m": OUTSIDE_TOLERANCE_M})


# Pairs of touching solid features whose shared area is measured (see check_overlaps).
MAX_OVERLAP_PAIRS = 2_000


def check_overlaps(features: Sequence[Feature]) -> Iterator[Finding]:
    """Pairs of solid features sharing more than OVERLAP_EPSILON_M2 (one STRtree query).

    Measuring every touching pair of a layout drawn to break the checker (a thousand shapes
    on one spot) would take seconds: past MAX_OVERLAP_PAIRS pairs are reported with their
    shared area unmeasured, and past twice that not at all (the layout is invalid anyway).
    """
    solid = [f for f in features if is_solid(f.kind, f.geometry_type)]
    if len(solid) < 2:
        return
    geoms = _array(solid)
    left, right = _sorted_pairs(shapely.STRtree(geoms).query(geoms, predicate="intersects"))
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) > MAX_OVERLAP_PAIRS:
        rest = slice(MAX_OVERLAP_PAIRS, 2 * MAX_OVERLAP_PAIRS)
        for i, j in zip(left[rest], right[rest], strict=True):
            a, b = solid[i], solid[j]
            yield Finding(Code.SOLID_OVERLAP, a.id, (a.id, b.id), params={
                "area_m2": None, "kind_a": str(a.kind), "kind_b": str(b.kind)})
        left, right = left[:MAX_OVERLAP_PAIRS], right[:MAX_OVERLAP_PAIRS]
    if not len(left):
        return
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    for i, j, area in zip(left, right, areas, strict=True):
        if area > OVERLAP_EPSILON_M2:
            a, b = solid[i], solid[j]
            yield Finding(Code.SOLID_OVERLAP, a.id, (a.id, b.id), params={
                "area_m2": _r2(area), "kind_a": str(a.kind), "kind_b": str(b.kind)})


def court_sides(geoms: np.ndarray) -> np.ndarray:
    """(long, short) sides of each geometry's minimum rotated rectangle, shape (n, 2)."""
    envelopes = shapely.oriented_envelope(geoms)
    out = np.zeros((len(geoms), 2))
    for i, envelope in enumerate(envelopes):
        corners = shapely.get_coordinates(envelope)
        if len(corners) >= 3:
            a, b = np.hypot(*np.diff(corners[:3], axis=0).T)
            out[i] = max(a, b), min(a, b)
    return out


def check_courts(features: Sequence[Feature], site: Site) -> Iterator[Finding]:
    """Court size against its standard, and obstacles in its playing area or run-off."""
    courts = [f for f in features if f.kind in COURT_KINDS and f.geometry_type == POLYGON]
    if not courts:
        return
    geoms = _array(courts)
    sides = court_sides(geoms)
    envelope_areas = sides[:, 0] * sides[:, 1]
    for court, (length, width), area, envelope in zip(
            courts, sides, shapely.area(geoms), envelope_areas, strict=True):
        standard = COURT_STANDARDS[court.kind]
        rectangularity = area / envelope if envelope else 0.0
        if rectangularity < COURT_RECTANGULARITY:
            yield Finding(Code.COURT_NOT_RECTANGULAR, court.id, params={
                "kind": str(court.kind), "rectangularity_pct": round(100 * rectangularity, 1)})
        elif not standard.accepts(length, width):
            yield Finding(Code.COURT_DIMENSIONS, court.id, params={
                "kind": str(court.kind), "length_m": _r2(length), "width_m": _r2(width),
                "expected_length_m": standard.length_m, "expected_width_m": standard.width_m,
                "tolerance_pct": round(100 * COURT_TOLERANCE, 1)})
    yield from _check_court_clearance(courts, geoms, features, site)


def _check_court_clearance(courts: list[Feature], court_geoms: np.ndarray,
                           features: Sequence[Feature], site: Site) -> Iterator[Finding]:
    obstacles = [f for f in features if spec(f.kind).obstacle]
    obstacles += [f for f in site.features if f.kind is Kind.BUILDING_FACE]
    if not obstacles:
        return
    obstacle_geoms = _array(obstacles)
    runoffs = np.array([COURT_STANDARDS[c.kind].runoff_m for c in courts])
    court_index, obstacle_index = _sorted_pairs(shapely.STRtree(obstacle_geoms).query(
        court_geoms, predicate="dwithin", distance=runoffs))
    if not len(court_index):
        return
    a, b = court_geoms[court_index], obstacle_geoms[obstacle_index]
    inside = shapely.relate_pattern(a, b, "T********")
    distances = shapely.distance(a, b)
    shared = shapely.area(shapely.intersection(a, b))
    for ci, oi, is_inside, distance, area in zip(
            court_index, obstacle_index, inside, distances, shared, strict=True):
        court, obstacle = courts[ci], obstacles[oi]
        ids = (court.id, obstacle.id)
        if is_solid(obstacle.kind, obstacle.geometry_type) and area > OVERLAP_EPSILON_M2:
            continue  # already a solid_overlap
        if is_inside:
            yield Finding(Code.COURT_OBSTRUCTED, court.id, ids, params={
                "kind": str(court.kind), "obstacle_kind": str(obstacle.kind)})
        else:
            yield Finding(Code.COURT_RUNOFF_OBSTRUCTED, court.id, ids, params={
                "kind": str(court.kind), "obstacle_kind": str(obstacle.kind),
                "distance_m": _r2(distance), "runoff_m": float(runoffs[ci])})


def _path_surfaces(features: Sequence[Feature]) -> list[tuple[Feature, shapely.Geometry]]:
    out = []
    for f in features:
        if f.kind is Kind.PATH and f.geometry_type == LINE:
            width = f.number("width_m")
            if width:
                out.append((f, shapely.buffer(f.geom_m, width / 2, cap_style="flat")))
        elif f.geometry_type == POLYGON and spec(f.kind).hard:
            out.append((f, f.geom_m))
    return out


def check_trees(features: Sequence[Feature], site: Site) -> Iterator[Finding]:
    """Kept trees removed from the layout, or covered by hard surface within their pit."""
    kept = site.kept_trees
    if not kept:
        return
    matched = match_trees(features, site)
    present = {id(site.existing_trees[i]) for i in matched}
    for tree in kept:
        if id(tree) not in present:
            yield Finding(Code.KEPT_TREE_REMOVED, tree.id)
    covers = _path_surfaces(features)
    # Solid non-green features (a bench footprint) cover a tree only on its trunk.
    trunk_covers = [f for f in features if is_solid(f.kind, f.geometry_type)
                    and not spec(f.kind).hard and not spec(f.kind).green]
    trunks = np.array([t.geom_m for t in kept], dtype=object)
    if covers:
        pits = shapely.buffer(trunks, TREE_PIT_RADIUS_M)
        cover_geoms = np.array([g for _, g in covers], dtype=object)
        tree_index, cover_index = _sorted_pairs(
            shapely.STRtree(cover_geoms).query(pits, predicate="intersects"))
        for ti, ci in zip(tree_index, cover_index, strict=True):
            tree, cover = kept[ti], covers[ci][0]
            yield Finding(Code.KEPT_TREE_COVERED, tree.id, (tree.id, cover.id), params={
                "cover_kind": str(cover.kind), "pit_radius_m": TREE_PIT_RADIUS_M})
    if trunk_covers:
        tree_index, cover_index = _sorted_pairs(shapely.STRtree(_array(trunk_covers)).query(
            trunks, predicate="within"))
        for ti, ci in zip(tree_index, cover_index, strict=True):
            tree, cover = kept[ti], trunk_covers[ci]
            yield Finding(Code.KEPT_TREE_COVERED, tree.id, (tree.id, cover.id), params={
                "cover_kind": str(cover.kind), "pit_radius_m": TREE_PIT_RADIUS_M})


def check_paths(features: Sequence[Feature]) -> Iterator[Finding]:
    """Paths narrower than MIN_PATH_WIDTH_M.

    A line path is as wide as its properties.width_m. A polygon path is opened (eroded
    then dilated, mitred) by half the minimum width: whatever does not survive is
    narrower than the minimum; its width is reported as the diameter of its largest
    inscribed circle.
    """
    minimum = MIN_PATH_WIDTH_M
    polygons = []
    for f in features:
        if f.kind is not Kind.PATH:
            continue
        if f.geometry_type == LINE:
            width = f.number("width_m")
            if width is not None and width < minimum:
                yield Finding(Code.PATH_TOO_NARROW, f.id, params={
                    "width_m": _r2(width), "min_width_m": minimum})
        elif f.geometry_type == POLYGON:
            polygons.append(f)
    if not polygons:
        return
    geoms = _array(polygons)
    opened = shapely.buffer(shapely.buffer(geoms, -minimum / 2, join_style="mitre"),
                            minimum / 2, join_style="mitre")
    narrow = shapely.difference(geoms, opened)
    for f, part, area in zip(polygons, narrow, shapely.area(narrow), strict=True):
        if area > NARROW_PATH_EPSILON_M2:
            radius = shapely.length(shapely.maximum_inscribed_circle(part, tolerance=0.01))
            yield Finding(Code.PATH_TOO_NARROW, f.id, params={
                "width_m": _r2(2 * radius), "min_width_m": minimum})


def check_site_constraints(features: Sequence[Feature], site: Site) -> Iterator[Finding]:
    """Layout features blocking a building face, an entrance, a utility cover or a fire lane."""
    constraints = [f for f in site.features if f.kind in (
        Kind.BUILDING_FACE, Kind.ENTRANCE, Kind.UTILITY_COVER, Kind.FIRE_LANE)]
    if not constraints:
        return
    blockers = [f for f in features if spec(f.kind).obstacle
                or is_solid(f.kind, f.geometry_type)
                or (f.geometry_type == POLYGON and spec(f.kind).hard)]
    if not blockers:
        return
    tree = shapely.STRtree(_array(blockers))
    for c in constraints:
        if c.kind is Kind.ENTRANCE:
            hits = tree.query(c.geom_m, predicate="dwithin", distance=ENTRANCE_CLEARANCE_M)
            hits = [i for i in hits if spec(blockers[i].kind).obstacle
                    or is_solid(blockers[i].kind, blockers[i].geometry_type)]
        elif c.kind is Kind.FIRE_LANE:  # nothing standing or solid in the lane
            hits = [i for i in tree.query(c.geom_m, predicate="intersects")
                    if spec(blockers[i].kind).obstacle
                    or is_solid(blockers[i].kind, blockers[i].geometry_type)]
        elif c.kind is Kind.BUILDING_FACE:
            hits = [i for i in tree.query(c.geom_m, predicate="intersects")
                    if shapely.relate_pattern(blockers[i].geom_m, c.geom_m, "T********")]
        else:  # a utility cover stays reachable: hard paving over it is fine, a planter not
            hits = [i for i in tree.query(c.geom_m, predicate="intersects")
                    if is_solid(blockers[i].kind, blockers[i].geometry_type)
                    and not spec(blockers[i].kind).hard]
        for i in sorted(hits):
            b = blockers[i]
            yield Finding(Code.BLOCKS_SITE_CONSTRAINT, b.id, (b.id, c.id), params={
                "kind": str(b.kind), "constraint_kind": str(c.kind)})


def validate_layout(layout: object, site: Site, *, budget_cny: float | None = None,
                    unit_costs: Mapping[str, float] | None = None) -> Report:
    """Validate and measure a layout (any decoded-JSON value) against a site; never raises.

    Metrics are None only when the document cannot be read as a FeatureCollection
    (or is over MAX_FEATURES / MAX_VERTICES); otherwise they cover the usable features.
    """
    parsed = parse_features(layout)
    if parsed.broken:
        return Report.of(parsed.findings, None)
    findings = list(parsed.findings)
    findings.extend(project(parsed, site.projection))
    usable = parsed.usable
    findings.extend(check_outside(usable, site))
    findings.extend(check_overlaps(usable))
    findings.extend(check_courts(usable, site))
    findings.extend(check_trees(usable, site))
    findings.extend(check_paths(usable))
    findings.extend(check_site_constraints(usable, site))
    metrics = measure(usable, site, unit_costs)
    if budget_cny is not None and metrics["estimated_cost_cny"] > budget_cny:
        findings.append(Finding(Code.OVER_BUDGET, params={
            "cost_cny": metrics["estimated_cost_cny"], "budget_cny": budget_cny}))
    return Report.of(findings, metrics)


def validate_feature(feature: object, site: Site) -> Report:
    """Validate one feature of a layout by itself, as a live edit of it is checked; never raises.

    These are the checks of validate_layout that need no other feature: structure, kind,
    geometry type, properties, coordinates and geometry validity (the site only lends its
    projection). Where the feature lies on the site and what it meets are findings of the
    whole layout. Metrics are None.

    >>> site = Site.from_geojson({"type": "Polygon", "coordinates": [[[121.496, 31.263],
    ...     [121.497, 31.263], [121.497, 31.264], [121.496, 31.264], [121.496, 31.263]]]})
    >>> validate_feature({"type": "Feature", "id": "b", "properties": {"kind": "pool"},
    ...     "geometry": {"type": "Point", "coordinates": [121.4965, 31.2635]}}, site).codes
    ['unknown_kind']
    """
    parsed = parse_features({"type": "FeatureCollection", "features": [feature]})
    findings = list(parsed.findings)
    if not parsed.broken:
        findings.extend(project(parsed, site.projection))
    return Report.of(findings, None)


def validate_site(boundary: object, constraints: object | None = None) -> Report:
    """Validate a site boundary (GeoJSON Polygon or Feature) and its constraints; never raises."""
    site, findings = build_site(boundary, constraints)
    return Report.of(findings, site.summary() if site is not None else None)


def validate_pin(geometry: object, site: Site) -> Report:
    """Validate where a need is pinned: a Point or Polygon geometry on the site; never raises.

    Metrics are {"geometry_type", "area_m2"} for a usable pin, else None.
    """
    if not isinstance(geometry, Mapping):
        return Report.of([Finding(Code.INVALID_GEOJSON, params={"index": 0, "reason": "unknown_type"})],
                         None)
    try:
        gtype, rings = read_geometry(geometry, Budget())
    except OverflowError:
        return Report.of([Finding(Code.TOO_MANY_VERTICES, params={"max": MAX_VERTICES})], None)
    except GeometryError as exc:
        return Report.of([Finding(Code.INVALID_GEOJSON, params={"index": 0, "reason": exc.reason})],
                         None)
    if gtype not in (POINT, POLYGON):
        return Report.of([Finding(Code.INVALID_GEOJSON, params={"index": 0, "reason": "pin_type"})],
                         None)
    bad_coordinates = coordinate_finding(rings, 0, None)
    if bad_coordinates is not None:
        return Report.of([bad_coordinates], None)
    pin = Feature(0, None, None, gtype, {})
    build_geometries([(pin, gtype, rings)])
    findings = project(ParsedLayout(features=[pin]), site.projection)
    if pin.geom_m is None:
        return Report.of(findings, None)
    findings.extend(check_outside([pin], site))
    return Report.of(findings, {"geometry_type": gtype, "area_m2": _r2(pin.geom_m.area)})
