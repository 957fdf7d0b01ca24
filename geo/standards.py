"""Court standards, clearances, accessible widths and default unit costs, with their sources."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from geo.kinds import Kind


@dataclass(frozen=True, slots=True)
class CourtStandard:
    """Nominal playing-area size of a court kind (long side x short side, metres)."""

    length_m: float
    width_m: float
    runoff_m: float
    source: str

    @property
    def area_m2(self) -> float:
        """Nominal playing area in square metres."""
        return self.length_m * self.width_m

    def accepts(self, length_m: float, width_m: float) -> bool:
        """Whether measured sides (either order) are within COURT_TOLERANCE of this standard.

        >>> COURT_STANDARDS[Kind.HALF_COURT].accepts(14.0, 15.2)
        True
        >>> COURT_STANDARDS[Kind.HALF_COURT].accepts(13.5, 14.0)
        False
        """
        long_side, short_side = max(length_m, width_m), min(length_m, width_m)
        return (abs(long_side - self.length_m) <= COURT_TOLERANCE * self.length_m
                and abs(short_side - self.width_m) <= COURT_TOLERANCE * self.width_m)


# Each side may differ from the standard by at most 5 %. A project choice for community
# courts drawn by residents on a map: FIBA itself lets existing courts go down to
# 26 x 14 m (-7 % x -7 %), so 5 % is stricter than that floor and looser than a
# competition court's centimetres.
COURT_TOLERANCE = 0.05

# Run-off: FIBA Official Basketball Rules, Art. 2 (court): any obstruction at least 2 m
# from the playing court. Applied to all three court kinds; the half-court value has no
# norm behind it and may be lowered per deployment.
COURT_STANDARDS: Mapping[Kind, CourtStandard] = MappingProxyType({
    Kind.BASKETBALL_COURT: CourtStandard(28.0, 15.0, 2.0, "FIBA Official Basketball Rules, Art. 2"),
    Kind.COURT_3X3: CourtStandard(15.0, 11.0, 2.0, "FIBA 3x3 Official Rules, Art. 1"),
    Kind.HALF_COURT: CourtStandard(15.0, 14.0, 2.0, "community half court (half of 28 x 15 m, "
                                                    "with run-off trimmed), project choice"),
})

# A court whose area is below this share of its minimum rotated rectangle is not a
# rectangle (an L shape, a trapezoid...): its measured sides would mean little.
COURT_RECTANGULARITY = 0.95

# Accessible path: China GB 55019-2021 (建筑与市政工程无障碍通用规范) §2.2.1 asks a clear
# width of at least 1.20 m for an accessible passage (GB 50763-2012 §3.5.1 likewise for
# corridors, and recommends 1.50 m outdoors). A warning, not an error: many existing
# courtyard paths are narrower and the finding is for residents to weigh.
MIN_PATH_WIDTH_M = 1.2

# A feature may stick out of the site boundary by this much (drawing slack on a map
# where one pixel is 0.1-0.3 m at the zoom residents draw at).
OUTSIDE_TOLERANCE_M = 0.3

# Two solid features conflict when they share more than this area (10 x 10 cm):
# features that only touch, or overlap by a drawing slip, do not.
OVERLAP_EPSILON_M2 = 0.01

# A kept tree needs an unpaved pit around its trunk: hard surface closer than this to the
# trunk point counts as covering it. A 1.2 m pit, a project choice (not a cited norm).
TREE_PIT_RADIUS_M = 0.6

# A layout tree within this distance of a site tree is the same tree (when ids differ).
TREE_MATCH_M = 1.0

# Canopy estimate for shade when a tree has no properties.canopy_m (crown diameter):
# mature courtyard trees in Shanghai (plane trees, camphor) are often 6-10 m across;
# a newly planted tree about 3 m. Rough figures, project choice.
CANOPY_EXISTING_M = 6.0
CANOPY_NEW_M = 3.0

# Seats: a bench seats one person per 0.6 m of length (a common furniture-planning
# figure); a point bench without seats or length_m is taken as 1.8 m long (3 seats);
# a seating area seats one person per 1.0 m² unless it says properties.seats.
BENCH_M_PER_SEAT = 0.6
DEFAULT_BENCH_LENGTH_M = 1.8
SEATING_AREA_M2_PER_SEAT = 1.0

# Part of a polygon path narrower than MIN_PATH_WIDTH_M counts only above this area,
# so that floating-point slivers at its ends do not.
NARROW_PATH_EPSILON_M2 = 0.05


class CostBasis(StrEnum):
    """What a unit cost is per."""

    SQUARE_METRE = "m2"
    ITEM = "item"
    METRE = "m"


@dataclass(frozen=True, slots=True)
class UnitCost:
    """A default unit cost of one kind."""

    cny: float
    basis: CostBasis


_M2, _ITEM, _M = CostBasis.SQUARE_METRE, CostBasis.ITEM, CostBasis.METRE

# Default unit costs in CNY. Placeholders of the right order of magnitude for a Shanghai
# courtyard renewal (surface and supply, no design fee), NOT quotes: a round passes its
# own table (kind -> CNY in the kind's basis) to override any of them. Paths drawn as
# lines are costed by area (length x width_m).
UNIT_COSTS: Mapping[Kind, UnitCost] = MappingProxyType({
    Kind.BASKETBALL_COURT: UnitCost(400, _M2),
    Kind.HALF_COURT: UnitCost(400, _M2),
    Kind.COURT_3X3: UnitCost(400, _M2),
    Kind.HOOP: UnitCost(8000, _ITEM),
    Kind.BENCH: UnitCost(2500, _ITEM),
    Kind.SEATING_AREA: UnitCost(500, _M2),
    Kind.PLANTER: UnitCost(600, _M2),
    Kind.LAWN: UnitCost(80, _M2),
    Kind.TREE_EXISTING: UnitCost(0, _ITEM),
    Kind.TREE_NEW: UnitCost(3000, _ITEM),
    Kind.PATH: UnitCost(250, _M2),
    Kind.SHADE_STRUCTURE: UnitCost(1200, _M2),
    Kind.LIGHTING: UnitCost(5000, _ITEM),
    Kind.FENCE: UnitCost(300, _M),
    Kind.PLAY_AREA: UnitCost(700, _M2),
    Kind.FITNESS_EQUIPMENT: UnitCost(1000, _M2),
    Kind.BIKE_PARKING: UnitCost(300, _M2),
    Kind.WATER_POINT: UnitCost(6000, _ITEM),
    Kind.NOTICE_BOARD: UnitCost(3000, _ITEM),
})


def unit_costs(overrides: Mapping[str, float] | None = None) -> dict[Kind, float]:
    """The unit-cost table (CNY per the kind's basis) with overrides for known kinds applied.

    >>> table = unit_costs({"lawn": 120, "moon_base": 1})
    >>> table[Kind.LAWN], table[Kind.HOOP]
    (120.0, 8000.0)
    """
    table = {kind: float(cost.cny) for kind, cost in UNIT_COSTS.items()}
    for key, value in (overrides or {}).items():
        try:
            kind = Kind(key)
        except ValueError:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind in table and number and math.isfinite(value) and value >= 0:
            table[kind] = float(value)
    return table
