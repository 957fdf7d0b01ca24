"""A site: its boundary, its constraints and the local projection both are measured in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.codes import Code
from geo.findings import Finding, Report
from geo.kinds import POLYGON, Kind
from geo.layout import (
    MAX_VERTICES,
    Budget,
    Feature,
    GeometryError,
    parse_features,
    project,
    read_geometry,
)
from geo.projection import LocalProjection
from geo.standards import OUTSIDE_TOLERANCE_M

_EMPTY_COLLECTION: Mapping[str, Any] = {"type": "FeatureCollection", "features": []}


class InvalidSite(ValueError):
    """Raised by Site.from_geojson when the boundary or constraints have errors."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(f.message("en") for f in report.errors))
        self.report = report


@dataclass(frozen=True, slots=True, eq=False)
class Site:
    """A site boundary (lon/lat and metres) and its constraint features, projected once.

    Build it with Site.from_geojson, which raises InvalidSite (carrying the Report) on
    errors; validate_site gives the same findings without raising.
    """

    boundary: Mapping[str, Any]
    constraints: Mapping[str, Any]
    projection: LocalProjection
    boundary_lonlat: BaseGeometry
    boundary_m: BaseGeometry
    features: tuple[Feature, ...]

    @classmethod
    def from_geojson(cls, boundary: object, constraints: object | None = None) -> Site:
        """A Site from a GeoJSON Polygon (or a Feature holding one) and a FeatureCollection."""
        site, findings = build_site(boundary, constraints)
        report = Report.of(findings, None)
        if site is None or not report.valid:
            raise InvalidSite(report)
        return site

    @property
    def area_m2(self) -> float:
        """Area inside the boundary, square metres."""
        return float(self.boundary_m.area)

    existing_trees: tuple[Feature, ...] = field(init=False)
    kept_trees: tuple[Feature, ...] = field(init=False)

    def __post_init__(self) -> None:
        existing = tuple(f for f in self.features if f.kind is Kind.TREE_EXISTING)
        # Trees standing on the site today, and those marked properties.keep: true.
        object.__setattr__(self, "existing_trees", existing)
        object.__setattr__(self, "kept_trees",
                           tuple(f for f in existing if f.properties.get("keep") is True))

    def summary(self) -> dict[str, Any]:
        """Site metrics: area, perimeter, trees."""
        return {
            "area_m2": round(self.area_m2, 2),
            "perimeter_m": round(float(self.boundary_m.length), 2),
            "existing_trees": len(self.existing_trees),
            "kept_trees": len(self.kept_trees),
        }


def _boundary_polygon(boundary: object) -> tuple[shapely.Polygon | None, list[Finding]]:
    geometry = boundary
    if isinstance(boundary, Mapping) and boundary.get("type") == "Feature":
        geometry = boundary.get("geometry")
    if not isinstance(geometry, Mapping) or geometry.get("type") != POLYGON:
        return None, [Finding(Code.INVALID_BOUNDARY, params={"reason": "not_polygon"})]
    try:
        _, rings = read_geometry(geometry, Budget())
    except OverflowError:
        return None, [Finding(Code.TOO_MANY_VERTICES, params={"max": MAX_VERTICES})]
    except GeometryError as exc:
        return None, [Finding(Code.INVALID_BOUNDARY, params={"reason": exc.reason})]
    for ring in rings:
        for lon, lat in ring:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                swapped = -90 <= lon <= 90 and -180 <= lat <= 180
                code = Code.COORDINATES_SWAPPED if swapped else Code.COORDINATES_OUT_OF_RANGE
                return None, [Finding(code, params={"lon": lon, "lat": lat})]
    polygon = shapely.Polygon(rings[0], rings[1:])
    reason = shapely.is_valid_reason(polygon)
    if reason != "Valid Geometry":
        parts = reason.split("[")
        location = None
        if len(parts) > 1:
            try:
                location = [float(v) for v in parts[1].rstrip("]").split()[:2]]
            except ValueError:
                location = None
        return None, [Finding(Code.INVALID_GEOMETRY, params={
            "reason": parts[0].strip(), "location": location})]
    return polygon, []


def distance_outside(boundary_m: BaseGeometry, geom_m: BaseGeometry) -> float:
    """How far (metres) the farthest point of a geometry lies outside the boundary.

    Edges are sampled every 0.25 m (coarser on huge geometries) so that an edge crossing a
    concave boundary counts even when both its ends are inside.
    """
    step = max(0.25, float(shapely.length(geom_m)) / 2000)
    vertices = shapely.points(shapely.get_coordinates(shapely.segmentize(geom_m, step)))
    return float(np.max(shapely.distance(boundary_m, vertices), initial=0.0))


def build_site(boundary: object, constraints: object | None) -> tuple[Site | None, list[Finding]]:
    """The Site and the findings about it (the Site is None when the boundary is unusable)."""
    polygon, findings = _boundary_polygon(boundary)
    parsed = parse_features(_EMPTY_COLLECTION if constraints is None else constraints,
                            site_kinds=True)
    findings.extend(parsed.findings)
    if polygon is None:
        return None, findings
    projection = LocalProjection.centred_on(polygon)
    boundary_m = projection.to_metres(polygon)
    if boundary_m.area < 1.0:
        findings.append(Finding(Code.INVALID_BOUNDARY, params={"reason": "empty"}))
        return None, findings
    findings.extend(project(parsed, projection))
    usable = parsed.usable
    if usable:
        geoms = np.array([f.geom_m for f in usable], dtype=object)
        grown = shapely.buffer(boundary_m, OUTSIDE_TOLERANCE_M, join_style="mitre")
        outside = ~shapely.covered_by(geoms, grown)
        for f, out in zip(usable, outside, strict=True):
            if out:
                distance = distance_outside(boundary_m, f.geom_m)
                findings.append(Finding(Code.CONSTRAINT_OUTSIDE_SITE, f.id, params={
                    "kind": f.kind.value if f.kind else None, "distance_m": round(distance, 2)}))
    site = Site(
        boundary=boundary if isinstance(boundary, Mapping) else {},
        constraints=constraints if isinstance(constraints, Mapping) else _EMPTY_COLLECTION,
        projection=projection,
        boundary_lonlat=polygon,
        boundary_m=boundary_m,
        features=tuple(usable),
    )
    return site, findings
