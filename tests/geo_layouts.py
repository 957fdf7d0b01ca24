"""Named test geometries near 121.496 E, 31.263 N, drawn in metres so dimensions are exact.

The site is a 40 x 30 m courtyard centred on the projection origin (x east, y north).
Every constant is a plain GeoJSON dict; use with_features() to derive variants.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any

import shapely

from geo.projection import LocalProjection

ORIGIN = (121.496, 31.263)
PROJ = LocalProjection(*ORIGIN)

XY = tuple[float, float]


def lonlat(x: float, y: float) -> list[float]:
    """A position in metres from the origin as [lon, lat]."""
    lon, lat = PROJ.to_lonlat_xy(x, y)
    return [lon, lat]


def ring(points: Sequence[XY]) -> list[list[float]]:
    """A closed lon/lat ring from metre points."""
    coords = [lonlat(x, y) for x, y in points]
    return [*coords, coords[0]]


def rect_points(cx: float, cy: float, length: float, width: float, angle: float = 0) -> list[XY]:
    """Corners of a length (along the angle) x width rectangle centred at (cx, cy)."""
    a = math.radians(angle)
    ux, uy = math.cos(a), math.sin(a)
    vx, vy = -uy, ux
    hl, hw = length / 2, width / 2
    return [
        (cx + sx * hl * ux + sy * hw * vx, cy + sx * hl * uy + sy * hw * vy)
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]


def polygon(points: Sequence[XY], holes: Iterable[Sequence[XY]] = ()) -> dict[str, Any]:
    """A GeoJSON Polygon from metre points."""
    return {"type": "Polygon", "coordinates": [ring(points)] + [ring(h) for h in holes]}


def rect(cx: float, cy: float, length: float, width: float, angle: float = 0) -> dict[str, Any]:
    """A rectangular GeoJSON Polygon (see rect_points)."""
    return polygon(rect_points(cx, cy, length, width, angle))


def circle(cx: float, cy: float, radius: float, vertices: int) -> dict[str, Any]:
    """A GeoJSON Polygon approximating a circle with that many vertices (projected at once)."""
    angles = [2 * math.pi * i / vertices for i in range(vertices)]
    ring_m = shapely.Polygon([(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in angles])
    exterior = shapely.get_coordinates(PROJ.to_lonlat(ring_m)).tolist()
    return {"type": "Polygon", "coordinates": [exterior]}


def point(x: float, y: float) -> dict[str, Any]:
    """A GeoJSON Point at (x, y) metres."""
    return {"type": "Point", "coordinates": lonlat(x, y)}


def line(*points: XY) -> dict[str, Any]:
    """A GeoJSON LineString through metre points."""
    return {"type": "LineString", "coordinates": [lonlat(x, y) for x, y in points]}


def feature(fid: str | None, kind: str, geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    """A Feature with an id, a kind and extra properties."""
    out: dict[str, Any] = {
        "type": "Feature",
        "properties": {"kind": kind, **properties},
        "geometry": geometry,
    }
    if fid is not None:
        out["id"] = fid
    return out


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    """A FeatureCollection of deep copies of features."""
    return {"type": "FeatureCollection", "features": [copy.deepcopy(f) for f in features]}


def with_features(base: dict[str, Any], *extra: dict[str, Any], drop: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of a collection without the features whose ids are in drop, plus extra ones."""
    dropped = set(drop)
    kept = [f for f in base["features"] if f.get("id") not in dropped]
    return collection(*kept, *extra)


# --- The site -------------------------------------------------------------------------

SITE_BOUNDARY = rect(0, 0, 40, 30)
SITE_AREA_M2 = 1200.0

KEEP_TREE_XY = (14.0, 10.0)
OTHER_TREE_XY = (-15.0, 10.0)
UTILITY_COVER_XY = (-17.0, -12.0)
ENTRANCE_XY = (0.0, -15.0)

KEEP_TREE = feature("tree-keep", "tree_existing", point(*KEEP_TREE_XY), keep=True, canopy_m=8.0)
OTHER_TREE = feature("tree-other", "tree_existing", point(*OTHER_TREE_XY), keep=False)
SITE_CONSTRAINTS = collection(
    KEEP_TREE,
    OTHER_TREE,
    feature("wall-north", "building_face", line((-20, 15), (20, 15))),
    feature("gate-south", "entrance", point(*ENTRANCE_XY)),
    feature("manhole", "utility_cover", point(*UTILITY_COVER_XY)),
)

# --- Features of a good layout --------------------------------------------------------

HALF_COURT_CENTRE = (-4.0, -1.0)
GOOD_HALF_COURT = feature("court", "half_court", rect(*HALF_COURT_CENTRE, 15, 14))
HOOP = feature("hoop", "hoop", point(-4.0, -7.5))
BENCH_EAST = feature("bench-1", "bench", point(10.0, -4.0), seats=3)
BENCH_POLYGON = feature("bench-2", "bench", rect(13.0, -10.0, 1.8, 0.5))  # 3 seats by length
SEATING = feature("seating", "seating_area", rect(13.0, -5.0, 6.0, 4.0))
SHADE = feature("shade", "shade_structure", rect(13.0, -7.5, 7.0, 7.0))
PLANTER = feature("planter", "planter", rect(10.0, 4.0, 4.0, 2.0))
LAWN = feature("lawn", "lawn", rect(-15.0, 11.0, 8.0, 6.0))
PATH_LINE = feature("path-1", "path", line((7.0, -14.0), (7.0, 12.0)), width_m=1.5)
LIGHT = feature("light-1", "lighting", point(7.0, 13.0))
NEW_TREE = feature("tree-new-1", "tree_new", point(-15.0, -12.0))
LAYOUT_KEEP_TREE = feature("tree-keep", "tree_existing", point(*KEEP_TREE_XY), keep=True)
LAYOUT_OTHER_TREE = feature("tree-other", "tree_existing", point(*OTHER_TREE_XY))

GOOD_LAYOUT = collection(
    GOOD_HALF_COURT,
    HOOP,
    BENCH_EAST,
    BENCH_POLYGON,
    SEATING,
    SHADE,
    PLANTER,
    LAWN,
    PATH_LINE,
    LIGHT,
    NEW_TREE,
    LAYOUT_KEEP_TREE,
    LAYOUT_OTHER_TREE,
)
GOOD_LAYOUT_IDS = [f["id"] for f in GOOD_LAYOUT["features"]]

# A layout holding only what the site already has (the keep tree must stay in any layout).
MINIMAL_LAYOUT = collection(LAYOUT_KEEP_TREE, LAYOUT_OTHER_TREE)


def court_layout(
    kind: str, length: float, width: float, angle: float = 0, centre: XY = (-4.0, -1.0)
) -> dict[str, Any]:
    """The minimal layout plus one court of a kind, size and rotation."""
    return with_features(MINIMAL_LAYOUT, feature("court", kind, rect(*centre, length, width, angle)))


ROTATED_HALF_COURT = feature("court", "half_court", rect(-4.0, -1.0, 15, 14, 17))
SHORT_HALF_COURT = feature("court", "half_court", rect(-4.0, -1.0, 13.5, 14))  # 10 % short
L_SHAPED_COURT = feature(
    "court", "half_court", polygon([(-11.5, -8), (3.5, -8), (3.5, -1), (-4, -1), (-4, 6), (-11.5, 6)])
)

# --- A bigger site for full courts and the benchmark ---------------------------------

BIG_SITE_BOUNDARY = rect(0, 0, 80, 60)
BOWTIE = polygon([(0, 0), (4, 4), (4, 0), (0, 4)])
