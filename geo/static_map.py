"""A layout drawn as a static SVG image: for printed notices and PDFs, no JavaScript needed.

The site and the layout are projected to metres (the site's local projection), fitted
into the image with north up, and styled by kind as on the interactive maps; a legend,
a scale bar and a north arrow make the printed plan readable on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import shapely
from shapely.geometry.base import BaseGeometry

from geo.kinds import Kind, spec
from geo.layout import Feature, parse_features
from geo.site import Site

MARGIN = 24
LEGEND_ROW = 18
POINT_RADIUS_M = 0.6
DEFAULT_PATH_WIDTH_M = 1.5
SCALE_STEPS_M = (1, 2, 5, 10, 20, 50, 100, 200)


class _Frame:
    """Maps metres to image pixels: north up, the site fitted into the drawing area."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float, height: float):
        minx, miny, maxx, maxy = bounds
        span_x, span_y = max(maxx - minx, 1e-6), max(maxy - miny, 1e-6)
        self.scale = min((width - 2 * MARGIN) / span_x, (height - 2 * MARGIN) / span_y)
        self.left = MARGIN + ((width - 2 * MARGIN) - span_x * self.scale) / 2 - minx * self.scale
        self.top = MARGIN + ((height - 2 * MARGIN) - span_y * self.scale) / 2 + maxy * self.scale

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.left + x * self.scale, self.top - y * self.scale

    def xy(self, x: float, y: float) -> str:
        px, py = self.point(x, y)
        return f"{px:.1f},{py:.1f}"

    def path(self, geometry: BaseGeometry) -> str:
        """SVG path data of a (multi)polygon's rings or a line."""
        parts = []
        for geom in getattr(geometry, "geoms", [geometry]):
            if isinstance(geom, shapely.Polygon):
                for ring in (geom.exterior, *geom.interiors):
                    coords = list(ring.coords)
                    parts.append("M" + " L".join(self.xy(x, y) for x, y in coords) + " Z")
            elif isinstance(geom, shapely.LineString):
                parts.append("M" + " L".join(self.xy(x, y) for x, y in geom.coords))
        return " ".join(parts)


def _shape(feature: Feature) -> str:
    """One feature as an SVG element, styled by its kind."""
    kind_spec = spec(feature.kind)
    geom = feature.geom_m
    fid = escape(str(feature.id or ""), quote=True)
    style = f'fill="{kind_spec.fill}" stroke="{kind_spec.stroke}"'
    if geom.geom_type == "Point":
        radius = POINT_RADIUS_M * (2.5 if feature.kind in (Kind.TREE_EXISTING, Kind.TREE_NEW) else 1)
        return (
            f'<circle data-id="{fid}" class="k-{feature.kind}" cx="{{x}}" cy="{{y}}" r="{{r}}" {style}/>',
            radius,
        )
    if geom.geom_type == "LineString":
        width = feature.number("width_m") or (DEFAULT_PATH_WIDTH_M if feature.kind == Kind.PATH else 0.3)
        return (
            f'<path data-id="{fid}" class="k-{feature.kind}" d="{{d}}" fill="none" '
            f'stroke="{kind_spec.fill}" stroke-width="{{w}}" stroke-linecap="round"/>'
        ), width
    polygon = f'<path data-id="{fid}" class="k-{feature.kind}" d="{{d}}" {style} fill-opacity="0.85"/>'
    return polygon, 0


def _elements(features: Iterable[Feature], frame: _Frame) -> list[str]:
    out = []
    # Larger areas first so that small features stay visible on top.
    ordered = sorted(features, key=lambda f: -float(shapely.area(f.geom_m)))
    for feature in ordered:
        template, size = _shape(feature)
        geom = feature.geom_m
        if geom.geom_type == "Point":
            x, y = frame.point(geom.x, geom.y)
            out.append(template.format(x=f"{x:.1f}", y=f"{y:.1f}", r=f"{max(size * frame.scale, 3):.1f}"))
        elif geom.geom_type == "LineString":
            out.append(template.format(d=frame.path(geom), w=f"{max(size * frame.scale, 1.5):.1f}"))
        else:
            out.append(template.format(d=frame.path(geom)))
    return out


def usable_features(layout: object, site: Site) -> list[Feature]:
    """The layout's features of a known kind with a valid geometry, projected to metres."""
    parsed = parse_features(layout, site_kinds=True)
    features = []
    for feature in parsed.features:
        if feature.geom is None or feature.kind is None:
            continue
        feature.geom_m = site.projection.to_metres(feature.geom)
        features.append(feature)
    return features


def _scale_bar(frame: _Frame, width: float, height: float) -> str:
    target = (width - 2 * MARGIN) / 4 / frame.scale
    metres = max((s for s in SCALE_STEPS_M if s <= target), default=SCALE_STEPS_M[0])
    pixels = metres * frame.scale
    y = height - 10
    return (
        f'<g class="scale"><line x1="{MARGIN}" y1="{y}" x2="{MARGIN + pixels:.1f}" y2="{y}" '
        f'stroke="#212121" stroke-width="3"/><text x="{MARGIN + pixels + 6:.1f}" y="{y + 4}" '
        f'font-size="12">{metres} m</text></g>'
    )


def _north_arrow(width: float) -> str:
    x = width - MARGIN
    return (
        f'<g class="north"><path d="M{x},{MARGIN - 14} L{x - 7},{MARGIN + 6} L{x},{MARGIN} '
        f'L{x + 7},{MARGIN + 6} Z" fill="#212121"/><text x="{x - 4}" y="{MARGIN + 20}" '
        f'font-size="12">N</text></g>'
    )


def _legend(kinds: list[Kind], language: str, x: float) -> list[str]:
    rows = []
    for index, kind in enumerate(kinds):
        y = MARGIN + index * LEGEND_ROW
        kind_spec = spec(kind)
        rows.append(
            f'<rect x="{x}" y="{y - 10}" width="14" height="12" fill="{kind_spec.fill}" '
            f'stroke="{kind_spec.stroke}"/><text x="{x + 20}" y="{y}" font-size="12">'
            f"{escape(kind_spec.name(language))}</text>"
        )
    return rows


def layout_svg(
    site: Site,
    layout: object | None = None,
    *,
    language: str = "zh-CN",
    width: int = 760,
    height: int = 520,
    legend_width: int = 170,
    title: str | None = None,
) -> str:
    """The site (boundary and constraints) and a layout as one standalone SVG document."""
    plan_width = width - legend_width
    frame = _Frame(tuple(shapely.bounds(site.boundary_m)), plan_width, height)
    site_features = [f for f in site.features if f.geom_m is not None and f.kind is not None]
    layout_features = usable_features(layout, site) if layout is not None else []
    kinds = sorted({f.kind for f in (*site_features, *layout_features)}, key=lambda k: list(Kind).index(k))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" font-family="Noto Sans CJK SC, sans-serif" role="img">',
        f"<title>{escape(title)}</title>" if title else "",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<path class="boundary" d="{frame.path(site.boundary_m)}" fill="#eceff1" stroke="#37474f" '
        'stroke-width="2" stroke-dasharray="8 4"/>',
        *_elements(site_features, frame),
        *_elements(layout_features, frame),
        _scale_bar(frame, plan_width, height),
        _north_arrow(plan_width),
        *_legend(kinds, language, plan_width + 10),
        "</svg>",
    ]
    return "".join(parts)
