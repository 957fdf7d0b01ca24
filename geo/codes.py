"""Finding codes and the severity each always has."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Severity(StrEnum):
    """Errors block a submission; warnings are shown."""

    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    """Stable snake_case codes of validation findings (never rename one: clients match them)."""

    # Structure of the whole document.
    NOT_A_FEATURE_COLLECTION = "not_a_feature_collection"
    TOO_MANY_FEATURES = "too_many_features"
    TOO_MANY_VERTICES = "too_many_vertices"
    # Structure of one feature.
    NOT_A_FEATURE = "not_a_feature"
    MISSING_GEOMETRY = "missing_geometry"
    MISSING_PROPERTIES = "missing_properties"
    INVALID_GEOJSON = "invalid_geojson"
    COORDINATES_OUT_OF_RANGE = "coordinates_out_of_range"
    COORDINATES_SWAPPED = "coordinates_swapped"
    MISSING_ID = "missing_id"
    DUPLICATE_ID = "duplicate_id"
    MISSING_KIND = "missing_kind"
    UNKNOWN_KIND = "unknown_kind"
    SITE_KIND_IN_LAYOUT = "site_kind_in_layout"
    KIND_GEOMETRY_MISMATCH = "kind_geometry_mismatch"
    INVALID_PROPERTY = "invalid_property"
    INVALID_GEOMETRY = "invalid_geometry"
    # Against the site and the standards.
    OUTSIDE_SITE = "outside_site"
    SOLID_OVERLAP = "solid_overlap"
    COURT_DIMENSIONS = "court_dimensions"
    COURT_NOT_RECTANGULAR = "court_not_rectangular"
    COURT_OBSTRUCTED = "court_obstructed"
    COURT_RUNOFF_OBSTRUCTED = "court_runoff_obstructed"
    KEPT_TREE_COVERED = "kept_tree_covered"
    KEPT_TREE_REMOVED = "kept_tree_removed"
    PATH_TOO_NARROW = "path_too_narrow"
    OVER_BUDGET = "over_budget"
    BLOCKS_SITE_CONSTRAINT = "blocks_site_constraint"
    # Sites only.
    INVALID_BOUNDARY = "invalid_boundary"
    CONSTRAINT_OUTSIDE_SITE = "constraint_outside_site"


_E, _W = Severity.ERROR, Severity.WARNING

# Warnings rather than errors, each on purpose:
# - court_runoff_obstructed: a cramped courtyard may not fit FIBA's 2 m everywhere; residents
#   weigh it. An obstacle inside the playing area (court_obstructed) is an error.
# - path_too_narrow: many existing paths are narrower; the finding informs the hearing.
# - over_budget: the cost is an estimate from a unit-cost table, and hearings trim plans;
#   blocking a submission on an estimate would keep an ambitious option from being heard.
# - blocks_site_constraint, constraint_outside_site: site facts to check on the ground.

SEVERITY: Mapping[Code, Severity] = MappingProxyType({
    code: _W
    if code in {
        Code.COURT_RUNOFF_OBSTRUCTED,
        Code.PATH_TOO_NARROW,
        Code.OVER_BUDGET,
        Code.BLOCKS_SITE_CONSTRAINT,
        Code.CONSTRAINT_OUTSIDE_SITE,
    }
    else _E
    for code in Code
})

# Findings after which a document cannot be measured at all (Report.metrics is None).
FATAL: frozenset[Code] = frozenset({
    Code.NOT_A_FEATURE_COLLECTION, Code.TOO_MANY_FEATURES, Code.TOO_MANY_VERTICES,
})
