"""The feature vocabulary: every rule that depends on a feature's kind lives here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

POINT = "Point"
LINE = "LineString"
POLYGON = "Polygon"


class Kind(StrEnum):
    """A feature kind of a layout or of a site's constraints."""

    BASKETBALL_COURT = "basketball_court"
    HALF_COURT = "half_court"
    COURT_3X3 = "court_3x3"
    HOOP = "hoop"
    BENCH = "bench"
    SEATING_AREA = "seating_area"
    PLANTER = "planter"
    LAWN = "lawn"
    TREE_EXISTING = "tree_existing"
    TREE_NEW = "tree_new"
    PATH = "path"
    SHADE_STRUCTURE = "shade_structure"
    LIGHTING = "lighting"
    FENCE = "fence"
    PLAY_AREA = "play_area"
    FITNESS_EQUIPMENT = "fitness_equipment"
    BIKE_PARKING = "bike_parking"
    WATER_POINT = "water_point"
    NOTICE_BOARD = "notice_board"
    # Site-only kinds: they describe what is there, a layout cannot draw them.
    UTILITY_COVER = "utility_cover"
    BUILDING_FACE = "building_face"
    ENTRANCE = "entrance"
    FIRE_LANE = "fire_lane"


@dataclass(frozen=True, slots=True)
class KindSpec:
    """Geometry types, names, style and rule flags of one kind.

    solid: takes floor space; two solid polygons may not share area.
    hard: a sealed surface (counts in the hard-surface ratio, may not cover a kept tree).
    green: planted ground (counts in the green ratio).
    obstacle: must stay out of a court's playing area and run-off.
    overhead: sits above other features (a shade structure over benches is fine).
    site_only: may appear in a site's constraints but not in a layout.
    """

    geometries: frozenset[str]
    name_zh: str
    name_en: str
    fill: str
    stroke: str
    solid: bool = False
    hard: bool = False
    green: bool = False
    obstacle: bool = False
    overhead: bool = False
    site_only: bool = False

    def name(self, language: str) -> str:
        """Display name in 'zh-CN' or (any other language) English."""
        return self.name_zh if language.lower().startswith("zh") else self.name_en


def _spec(geoms: tuple[str, ...], zh: str, en: str, colours: str, flags: str = "") -> KindSpec:
    fill, stroke = colours.split()
    return KindSpec(frozenset(geoms), zh, en, fill, stroke, **dict.fromkeys(flags.split(), True))


_P, _L, _A = (POINT,), (LINE,), (POLYGON,)
_PA, _LA, _PL = (POINT, POLYGON), (LINE, POLYGON), (POINT, LINE)

# Shade structures are overhead: not solid, so benches or seating under a pergola are
# no conflict; their posts still make them obstacles near a court.
# Hoops are court equipment, not obstacles to the court they serve.
# Lawns and paths are ground that other things may stand on or cross: not solid.
SPECS: Mapping[Kind, KindSpec] = MappingProxyType({
    Kind.BASKETBALL_COURT: _spec(_A, "篮球场", "Basketball court", "#e07b39 #9c4a14", "solid hard"),
    Kind.HALF_COURT: _spec(_A, "半场篮球场", "Half court", "#e07b39 #9c4a14", "solid hard"),
    Kind.COURT_3X3: _spec(_A, "三人篮球场", "3x3 court", "#e8954f #9c4a14", "solid hard"),
    Kind.HOOP: _spec(_P, "篮球架", "Hoop", "#ffffff #9c4a14"),
    Kind.BENCH: _spec(_PA, "座椅", "Bench", "#8d6e63 #4e342e", "solid obstacle"),
    Kind.SEATING_AREA: _spec(_A, "休憩区", "Seating area", "#bcaaa4 #6d4c41", "solid hard obstacle"),
    Kind.PLANTER: _spec(_A, "花坛", "Planter", "#81c784 #2e7d32", "solid green obstacle"),
    Kind.LAWN: _spec(_A, "草坪", "Lawn", "#c5e1a5 #558b2f", "green"),
    Kind.TREE_EXISTING: _spec(_P, "现状树", "Existing tree", "#2e7d32 #1b5e20", "obstacle"),
    Kind.TREE_NEW: _spec(_P, "新植树", "New tree", "#66bb6a #1b5e20", "obstacle"),
    Kind.PATH: _spec(_LA, "步道", "Path", "#e0e0e0 #757575", "hard"),
    Kind.SHADE_STRUCTURE: _spec(_A, "遮阳构筑物", "Shade structure", "#90caf9 #1565c0",
                                "obstacle overhead"),
    Kind.LIGHTING: _spec(_P, "照明", "Lighting", "#fff176 #f9a825", "obstacle"),
    Kind.FENCE: _spec(_L, "围栏", "Fence", "#9e9e9e #424242", "obstacle"),
    Kind.PLAY_AREA: _spec(_A, "儿童游戏区", "Play area", "#f48fb1 #ad1457", "solid hard obstacle"),
    Kind.FITNESS_EQUIPMENT: _spec(_A, "健身器材", "Fitness equipment", "#ce93d8 #6a1b9a",
                                  "solid hard obstacle"),
    Kind.BIKE_PARKING: _spec(_A, "非机动车停放", "Bike parking", "#b0bec5 #37474f",
                             "solid hard obstacle"),
    Kind.WATER_POINT: _spec(_P, "饮水点", "Water point", "#4fc3f7 #0277bd", "obstacle"),
    Kind.NOTICE_BOARD: _spec(_P, "公告栏", "Notice board", "#ffcc80 #e65100", "obstacle"),
    Kind.UTILITY_COVER: _spec(_PA, "检查井盖", "Utility cover", "#616161 #212121", "site_only"),
    Kind.BUILDING_FACE: _spec(_LA, "建筑外墙", "Building face", "#9e9e9e #212121",
                              "obstacle site_only"),
    Kind.ENTRANCE: _spec(_PL, "出入口", "Entrance", "#ffffff #d32f2f", "site_only"),
    # must stay clear of anything standing or solid, for the fire brigade
    Kind.FIRE_LANE: _spec(_A, "消防通道", "Fire lane", "#ffcdd2 #c62828", "site_only"),
})

COURT_KINDS: frozenset[Kind] = frozenset({Kind.BASKETBALL_COURT, Kind.HALF_COURT, Kind.COURT_3X3})
TREE_KINDS: frozenset[Kind] = frozenset({Kind.TREE_EXISTING, Kind.TREE_NEW})
LAYOUT_KINDS: tuple[Kind, ...] = tuple(k for k in Kind if not SPECS[k].site_only)
SITE_KINDS: tuple[Kind, ...] = tuple(Kind)


def kind_of(value: object) -> Kind | None:
    """The Kind named by value, or None.

    >>> kind_of("half_court")
    <Kind.HALF_COURT: 'half_court'>
    >>> kind_of("swimming_pool") is None
    True
    """
    if isinstance(value, str):
        try:
            return Kind(value)
        except ValueError:
            return None
    return None


def spec(kind: Kind) -> KindSpec:
    """The KindSpec of a kind."""
    return SPECS[kind]


def is_solid(kind: Kind, geometry_type: str) -> bool:
    """Whether a feature of this kind and geometry takes floor space (points and lines never do).

    >>> is_solid(Kind.BENCH, "Polygon"), is_solid(Kind.BENCH, "Point")
    (True, False)
    >>> is_solid(Kind.SHADE_STRUCTURE, "Polygon")
    False
    """
    return geometry_type == POLYGON and SPECS[kind].solid
