"""Sites over the API: create one, read it, and validate a layout against it."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from deliberation import sites
from deliberation.api.schemas import (
    CreateSiteSchema,
    FeatureCollectionSchema,
    SiteFeatureSchema,
    ValidateQuerySchema,
    ValidationReportSchema,
)
from deliberation.errors import InvalidInput
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.lookup import get_or_404
from deliberation.models import Community, Round, Site

blp = Blueprint("api_sites", __name__, url_prefix="/api/v1/sites", description="Sites and layouts")


@blp.post("")
@login_required
@blp.arguments(CreateSiteSchema)
@blp.response(201, SiteFeatureSchema)
@blp.alt_response(422, description="The boundary or constraints have errors: the report says which")
def create_site(body):
    """Create a site; moderators of its community only. Its geometry is validated first."""
    community = get_or_404(Community, body["community_id"])
    site = sites.create_site(
        community,
        body["name"],
        body["kind"],
        body["boundary"],
        body["constraints"],
        by=current_user,
        language=current_language().value,
    )
    db.session.commit()
    return site.to_feature()


@blp.get("/<int:site_id>")
@login_required
@blp.response(200, SiteFeatureSchema)
def get_site(site_id: int):
    """The site as a GeoJSON Feature with its constraints."""
    return get_or_404(Site, site_id).to_feature()


@blp.post("/<int:site_id>/validate")
@login_required
@blp.arguments(FeatureCollectionSchema)
@blp.arguments(ValidateQuerySchema, location="query")
@blp.response(200, ValidationReportSchema)
def validate_layout(layout, query, site_id: int):
    """Validate and measure a layout against the site; nothing is stored."""
    site = get_or_404(Site, site_id)
    round_ = None
    if query["round_id"] is not None:
        round_ = get_or_404(Round, query["round_id"])
        if round_.site_id != site.id:
            raise InvalidInput(_("That round is about another site."))
    return sites.check_layout(site, layout, language=current_language().value, round_=round_)
