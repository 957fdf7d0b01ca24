"""Jiayuan's geo package: layouts validated and measured against their site, and maps.

Pure Python (shapely, pyproj, folium); it imports nothing from Flask.
"""

from geo.codes import Code, Severity
from geo.describe import (
    describe_changes,
    describe_layout,
    describe_needs,
    describe_pin,
    describe_point,
    describe_site,
    feature_places,
    place_code,
    place_names,
    place_points,
)
from geo.diff import diff_layouts
from geo.findings import Finding, Report
from geo.kinds import Kind
from geo.layout import MAX_FEATURES, MAX_LABEL, MAX_LAYOUT_BYTES, MAX_VERTICES, feature_id, vertex_count
from geo.maps import (
    MapParts,
    SideBySide,
    SitePlanImage,
    comparison_map,
    diff_map,
    layout_map,
    side_by_side,
    site_plan_map,
)
from geo.metrics import compute_metrics
from geo.site import InvalidSite, Site
from geo.static_map import layout_svg
from geo.validate import validate_feature, validate_layout, validate_pin, validate_site

__all__ = [
    "MAX_FEATURES",
    "MAX_LABEL",
    "MAX_LAYOUT_BYTES",
    "MAX_VERTICES",
    "Code",
    "Finding",
    "InvalidSite",
    "Kind",
    "MapParts",
    "Report",
    "Severity",
    "SideBySide",
    "Site",
    "SitePlanImage",
    "comparison_map",
    "compute_metrics",
    "describe_changes",
    "describe_layout",
    "describe_needs",
    "describe_pin",
    "describe_point",
    "describe_site",
    "diff_layouts",
    "diff_map",
    "feature_id",
    "feature_places",
    "layout_map",
    "layout_svg",
    "place_code",
    "place_names",
    "place_points",
    "side_by_side",
    "site_plan_map",
    "validate_feature",
    "validate_layout",
    "validate_pin",
    "validate_site",
    "vertex_count",
]
