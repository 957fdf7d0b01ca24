"""Maps for the pages: geo's folium builders with this deployment's settings and language."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from deliberation.i18n import current_language


def map_options() -> dict[str, Any]:
    """Keyword arguments every geo map builder takes: language, where assets live, base layer."""
    return {
        "language": current_language().value,
        "static_prefix": url_for("static", filename="vendor").rstrip("/"),
        "tile_url": current_app.config.get("TILE_URL"),
        "attribution": current_app.config.get("TILE_ATTRIBUTION") or None,
    }
