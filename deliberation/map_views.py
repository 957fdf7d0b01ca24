"""Maps for the pages: geo's folium builders with this deployment's settings and language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, url_for

import geo
from deliberation.i18n import current_language
from deliberation.models import Proposal, Round, Site
from deliberation.sites import geo_site
from geo import maps
from geo.maps import MapParts, SideBySide


def map_options() -> dict[str, Any]:
    """Keyword arguments every geo map builder takes: language, where assets live, base layer."""
    return {
        "language": current_language().value,
        "static_prefix": url_for("static", filename="vendor").rstrip("/"),
        "tile_url": current_app.config.get("TILE_URL"),
        "attribution": current_app.config.get("TILE_ATTRIBUTION") or None,
    }


def round_map(round_: Round, proposals: Sequence[Proposal], needs_layer: dict[str, Any]) -> MapParts:
    """A round's site with every given proposal's latest layout on a layer switcher, and the needs."""
    layouts = [(p.title, p.latest_version.layout) for p in proposals if p.latest_version]
    return maps.comparison_map(geo_site(round_.site), layouts, needs_layer, height="440px", **map_options())


@dataclass(frozen=True)
class MapWords:
    """A map in words: sentences about the whole map, then a group of sentences per layout."""

    sentences: list[str]
    groups: list[tuple[str, list[str]]] = field(default_factory=list)


def round_words(
    site: geo.Site, proposals: Sequence[Proposal], needs_layer: dict[str, Any], language: str
) -> MapWords:
    """What a round's map shows, in words: the site today, where the needs are, each proposal."""
    needs = geo.describe_needs(
        [f["geometry"] for f in needs_layer["features"] if f["geometry"]], site, language
    )
    return MapWords(
        sentences=[*geo.describe_site(site, language), *([needs] if needs else [])],
        groups=layout_words(site, proposals, language),
    )


def layout_words(site: geo.Site, proposals: Sequence[Proposal], language: str) -> list[tuple[str, list[str]]]:
    """Each proposal's latest layout in words, under its title."""
    return [
        (p.title, geo.describe_layout(p.latest_version.layout, site, language))
        for p in proposals
        if p.latest_version is not None
    ]


def comparison_maps(round_: Round, proposals: Sequence[Proposal]) -> MapParts | SideBySide:
    """Two proposals side by side (kept in step), or three and more on one map with a switcher."""
    site = geo_site(round_.site)
    layouts = [(p.title, p.latest_version.layout if p.latest_version else None) for p in proposals]
    if len(layouts) == 2:
        return maps.side_by_side(site, layouts[0], layouts[1], height="420px", **map_options())
    return maps.comparison_map(site, layouts, height="480px", **map_options())


def site_map(site: Site) -> MapParts:
    """A site's plan: its boundary and constraints, with a legend."""
    return maps.site_plan_map(geo_site(site), **map_options())


def community_map(sites: Sequence[tuple[Site, dict[str, Any]]]) -> MapParts | None:
    """Every site of a community on one map; None when it has no site yet."""
    if not sites:
        return None
    return maps.community_map(
        [(geo_site(site), props) for site, props in sites], height="520px", **map_options()
    )
