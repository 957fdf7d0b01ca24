"""The designers' pages: the map editor (a new proposal or a new version) and the proposal page.

The editor is a folium map from geo.maps enlivened by static/js/editor.js: the page hands
the script what it needs (the kinds of features, the layout, the round's needs, the URLs
of the API and every string it shows) in one JSON data island. Submitting goes through
the JSON API, so the rules that refuse a submission live in one place.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

import geo
from deliberation import needs, proposals
from deliberation.enums import Role
from deliberation.errors import DomainError, allows
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.lookup import get_or_404
from deliberation.map_views import map_options
from deliberation.models import MemberRole, Membership, Need, Proposal, ProposalVersion, Round, User
from deliberation.publish import DESIGN_NAMESPACE, Event
from deliberation.sites import geo_site
from geo.codes import Code
from geo.kinds import LAYOUT_KINDS, LINE, POINT, POLYGON, Kind, spec
from geo.messages import render

bp = Blueprint("design", __name__)

# A path drawn as a line is this wide until the designer says otherwise (comfortably above
# the accessible minimum, geo.standards.MIN_PATH_WIDTH_M).
DEFAULT_PATH_WIDTH_M = 1.5
EDITOR_MAP_HEIGHT = "70vh"
PAGE_MAP_HEIGHT = "420px"
# Placeholder in a URL template the script fills with the new proposal's id.
ID_SLOT = 987654321

# The metrics shown beside a layout and in a diff, in this order.
METRIC_ROWS = (
    "site_area_m2",
    "green_area_m2",
    "green_ratio",
    "hard_surface_ratio",
    "shaded_ratio",
    "seats",
    "trees.kept",
    "trees.removed",
    "trees.new",
    "estimated_cost_cny",
)


def metric_names() -> dict[str, str]:
    """Names of the metrics, in the reader's language."""
    return {
        "site_area_m2": _("Site area (m²)"),
        "green_area_m2": _("Green area (m²)"),
        "green_ratio": _("Green ratio"),
        "hard_surface_ratio": _("Hard surface ratio"),
        "shaded_ratio": _("Shaded ratio"),
        "seats": _("Seats"),
        "trees.kept": _("Trees kept"),
        "trees.removed": _("Trees removed"),
        "trees.new": _("New trees"),
        "estimated_cost_cny": _("Estimated cost (¥)"),
    }


def kind_palette(language: str) -> list[dict[str, Any]]:
    """The kinds a layout may draw, from geo.kinds: geometry types, name and colours."""
    # A kind with a choice is drawn first the simple way: a bench as a point, a path as a line.
    order = {POINT: 0, LINE: 1, POLYGON: 2}
    palette = []
    for kind in LAYOUT_KINDS:
        s = spec(kind)
        geometries = sorted(s.geometries, key=lambda g: order[g])
        palette.append(
            {
                "kind": str(kind),
                "name": s.name(language),
                "geometries": geometries,
                "fill": s.fill,
                "stroke": s.stroke,
                "overhead": s.overhead,
            }
        )
    return palette


def editor_strings() -> dict[str, str]:
    """Every string the editor's script shows, translated here."""
    return {
        "drawing": _("Drawing: %(kind)s. Click on the map."),
        "noFindings": _("No findings: the layout fits the site."),
        "checkFailed": _("The layout could not be checked: %(message)s"),
        "errorsCount": _("%(errors)s errors, %(warnings)s warnings"),
        "error": _("Error"),
        "warning": _("Warning"),
        "showOnMap": _("Show on the map"),
        "empty": _("Nothing drawn yet: pick a kind in the palette, then click on the map."),
        "importBadFile": _("This file is not a GeoJSON FeatureCollection."),
        "importReplaceOrMerge": _(
            "The file has %(count)s features. Replace the current layout, or add them to it?"
        ),
        "importDone": _("Imported %(count)s features."),
        "titleMissing": _("Give the proposal a title."),
        "submitting": _("Submitting…"),
        "submitFailed": _("The submission failed: %(message)s"),
        "submitHasErrors": _("The layout has errors: they are marked on the map."),
        "leaveUnsaved": _("Your drawing is not submitted yet. Leave the page?"),
        "budget": _("Budget"),
        "overBudget": _("over the budget"),
        "withinBudget": _("within the budget"),
        "selected": _("Selected: %(kind)s"),
        # The feature list, deleting and undoing it.
        "moveUp": _("Move %(name)s up the list"),
        "moveDown": _("Move %(name)s down the list"),
        "rename": _("Rename %(name)s"),
        "deleteFeature": _("Delete %(name)s"),
        "reordered": _("%(name)s is now number %(n)s of %(count)s."),
        "deleted": _("Deleted %(name)s."),
        "restored": _("Restored %(name)s."),
        # Where features overlap on the map.
        "chooseFeature": _("Several features are here. Which one?"),
        "closeChooser": _("Close"),
        # Moving, turning and sizing without dragging.
        "moved": _("Moved %(name)s by %(east)s m east and %(north)s m north."),
        "resized": _("%(name)s: %(length)s × %(width)s m, at %(angle)s°."),
        "resizedLine": _("%(name)s: %(length)s m long, at %(angle)s°."),
        "badNumber": _("%(field)s: give a number from %(min)s to %(max)s."),
        # Geoman's own hints while drawing.
        "tooltipPlaceMarker": _("Click to place it"),
        "tooltipFirstVertex": _("Click to place the first corner"),
        "tooltipContinueLine": _("Click to continue"),
        "tooltipFinishLine": _("Click the last point again to finish"),
        "tooltipFinishPoly": _("Click the first corner to finish"),
        "tooltipFinishRect": _("Click to place the opposite corner"),
        **{f"metric.{key}": name for key, name in metric_names().items()},
    }


def codesign_strings() -> dict[str, str]:
    """Every string the co-design script (static/js/codesign.js) shows, translated here."""
    return {
        "connecting": _("Opening the shared draft…"),
        "connected": _("Drawing together: every change is saved as you make it."),
        "offline": _("Offline: your changes are kept on this device and sent when you are back."),
        "refused": _("The shared draft cannot be opened: %(message)s"),
        "pending": _("%(n)s changes waiting to be sent"),
        "allSent": _("All your changes are saved."),
        "you": _("you"),
        "joined": _("%(name)s opened the draft."),
        "left": _("%(name)s left the draft."),
        "overwroteYours": _("%(name)s's change of %(feature)s replaced yours. Restore yours?"),
        "youOverwrote": _("Your change of %(feature)s replaced %(name)s's. Restore theirs?"),
        "overwroteYoursMove": _("%(name)s's move of %(feature)s replaced yours. Restore yours?"),
        "youOverwroteMove": _("Your move of %(feature)s replaced %(name)s's. Restore theirs?"),
        "overwroteYoursDelete": _("%(name)s deleted %(feature)s, which you had changed. Restore yours?"),
        "youOverwroteDelete": _("You deleted %(feature)s, which %(name)s had changed. Restore theirs?"),
        "othersOverwrote": _("%(name)s's change of %(feature)s replaced %(other)s's. Restore %(other)s's?"),
        "othersOverwroteMove": _("%(name)s's move of %(feature)s replaced %(other)s's. Restore %(other)s's?"),
        "othersOverwroteDelete": _(
            "%(name)s deleted %(feature)s, which %(other)s had changed. Restore %(other)s's?"
        ),
        "restore": _("Restore"),
        "dismiss": _("Dismiss"),
        "restored": _("%(name)s restored %(feature)s."),
        "undone": _("Undone: %(feature)s."),
        "nothingToUndo": _("You have no change of yours to undo."),
        "refusedOp": _("Your change of %(feature)s was refused: %(message)s"),
        "submitted": _("%(name)s submitted the draft as version %(n)s."),
        "submitBusy": _("Sending your last changes first…"),
        "aFeature": _("a feature"),
        "someone": _("A teammate"),
    }


def _starting_layout(round_: Round) -> dict[str, Any]:
    """A new layout starts from the trees on the site today, so keeping them is the default."""
    trees = []
    for feature in (round_.site.constraints or {}).get("features", []):
        props = feature.get("properties") or {}
        if props.get("kind") != Kind.TREE_EXISTING or not isinstance(feature.get("geometry"), dict):
            continue
        fid = feature.get("id", props.get("id"))
        kept = {k: v for k, v in props.items() if k in ("keep", "label", "canopy_m")}
        trees.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": feature["geometry"],
                "properties": {**kept, "id": fid, "kind": str(Kind.TREE_EXISTING)},
            }
        )
    return {"type": "FeatureCollection", "features": trees}


def _community_designers(community_id: int, *, besides: User) -> list[User]:
    """The other designers of a community, who may join a proposal as co-designers."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(MemberRole, MemberRole.membership_id == Membership.id)
        .where(
            Membership.community_id == community_id,
            MemberRole.role == Role.DESIGNER.value,
            User.id != besides.id,
        )
        .order_by(User.name)
    )
    return list(db.session.scalars(query))


def _refused(error: DomainError, *, back: str, back_label: str):
    """The page saying why the editor will not open (403, 409...), with a way back."""
    if error.status == 403:
        heading = _("Only designers can draw here")
    elif error.status == 409:
        heading = _("The editor is closed in this phase")
    else:
        heading = _("The editor cannot open")
    return (
        render_template(
            "design_refused.html", heading=heading, message=error.message, back=back, back_label=back_label
        ),
        error.status,
    )


def _editor(round_: Round, proposal: Proposal | None):
    language = current_language().value
    site = geo_site(round_.site)
    needs_layer = needs.needs_layer(round_, viewer=current_user)
    empty = {"type": "FeatureCollection", "features": []}
    # The script draws the layout itself (editable layers); the map starts with none.
    parts = geo.layout_map(
        site, empty, needs=needs_layer, editable=True, height=EDITOR_MAP_HEIGHT, **map_options()
    )
    latest = proposal.latest_version if proposal else None
    layout = latest.layout if latest else _starting_layout(round_)
    if proposal is None:
        submit_url = url_for("api_proposals.submit_proposal", round_id=round_.id)
    else:
        submit_url = url_for("api_proposals.revise", proposal_id=proposal.id)
    data = {
        "mode": "revise" if proposal else "new",
        "mapName": parts.map_name,
        "language": language,
        "roundId": round_.id,
        "siteId": round_.site_id,
        "proposalId": proposal.id if proposal else None,
        "budget": round_.budget_cny,
        "kinds": kind_palette(language),
        "layout": layout,
        "pathWidth": DEFAULT_PATH_WIDTH_M,
        "urls": {
            "validate": url_for("api_sites.validate_layout", site_id=round_.site_id, round_id=round_.id),
            "submit": submit_url,
            "proposal": url_for("design.proposal_page", proposal_id=ID_SLOT).replace(str(ID_SLOT), "{id}"),
        },
        "strings": editor_strings(),
        # The proposal's team draws its next version together, live, in its shared draft.
        "live": _live_config(proposal) if proposal else None,
    }
    return render_template(
        "editor.html",
        round=round_,
        proposal=proposal,
        map=parts,
        data=data,
        needs=needs.needs_of(round_),
        cited=set(latest.need_ids) if latest else set(),
        designers=[] if proposal else _community_designers(round_.community_id, besides=current_user),
    )


# The events a team member's browser sends on DESIGN_NAMESPACE (live_design.DesignNamespace).
CLIENT_EVENTS = ("draft_join", "draft_op", "draft_restore", "draft_undo", "draft_submit", "draft_presence")


def _live_config(proposal: Proposal) -> dict[str, Any]:
    """What the co-design script needs: the namespace, event names, who is drawing, strings."""
    return {
        "proposalId": proposal.id,
        "userId": current_user.id,
        "userName": current_user.name,
        "namespace": DESIGN_NAMESPACE,
        "socketPath": request.script_root + "/socket.io",
        "events": {
            "server": {
                e.name.lower(): e.value
                for e in (Event.DRAFT_OP, Event.DRAFT_PRESENCE, Event.DRAFT_SUBMITTED, Event.DRAFT_SYNC)
            }
            | {"session_ended": Event.SESSION_ENDED.value},
            "client": {name: name for name in CLIENT_EVENTS},
        },
        "strings": codesign_strings(),
    }


@bp.get("/rounds/<int:round_id>/proposals/new")
@login_required
def new_proposal(round_id: int):
    """The map editor for a new proposal; designers of the community, while the round takes them."""
    round_ = get_or_404(Round, round_id)
    try:
        proposals.check_can_submit(round_, current_user)
    except DomainError as error:
        return _refused(error, back=url_for("pages.round_page", round_id=round_.id), back_label=round_.title)
    return _editor(round_, None)


@bp.get("/proposals/<int:proposal_id>/edit")
@login_required
def edit_proposal(proposal_id: int):
    """The map editor for a new version, loaded with the latest; the proposal's designers only."""
    proposal = get_or_404(Proposal, proposal_id)
    try:
        proposals.check_can_revise(proposal, current_user)
    except DomainError as error:
        return _refused(
            error, back=url_for("design.proposal_page", proposal_id=proposal.id), back_label=proposal.title
        )
    return _editor(proposal.round, proposal)


def _findings_in(language: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored findings with their message in the reader's language (they were stored in the author's)."""
    out = []
    for finding in findings:
        message = finding.get("message", "")
        with suppress(KeyError, ValueError):  # an unknown code keeps the stored message
            message = render(Code(finding["code"]), finding.get("params") or {}, language)
        out.append({**finding, "message": message})
    return out


def _metric(metrics: dict[str, Any] | None, key: str) -> Any:
    value: Any = metrics or {}
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def metric_table(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows of metrics: name, old value, new value, difference (old may be None)."""
    names = metric_names()
    rows = []
    for key in METRIC_ROWS:
        before, after = _metric(old, key), _metric(new, key)
        delta = None
        if isinstance(before, int | float) and isinstance(after, int | float):
            delta = round(after - before, 4)
        rows.append({"key": key, "name": names[key], "old": before, "new": after, "delta": delta})
    return rows


def _version_number(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is None or value >= 1 else None


@bp.get("/proposals/<int:proposal_id>")
@login_required
def proposal_page(proposal_id: int):
    """A proposal: its latest layout with metrics and warnings, its versions and what changed."""
    proposal = get_or_404(Proposal, proposal_id)
    language = current_language().value
    site = geo_site(proposal.round.site)
    latest: ProposalVersion = proposals.version_of(proposal)
    latest_map = geo.layout_map(site, latest.layout, height=PAGE_MAP_HEIGHT, **map_options())
    diff = diff_map = None
    if len(proposal.versions) > 1:
        to = _version_number("to") or latest.number
        start = _version_number("from") or max(to - 1, 1)
        diff = proposals.version_diff(proposal, to, start)
        old, new = proposals.version_of(proposal, start), proposals.version_of(proposal, to)
        diff_map = geo.diff_map(site, old.layout, new.layout, height=PAGE_MAP_HEIGHT, **map_options())
        diff["table"] = metric_table(diff["metrics"]["old"], diff["metrics"]["new"])
    cited = db.session.scalars(select(Need).where(Need.id.in_(latest.need_ids)).order_by(Need.id)).all()
    kinds = {str(k): spec(k).name(language) for k in Kind}
    return render_template(
        "proposal.html",
        proposal=proposal,
        round=proposal.round,
        latest=latest,
        latest_map=latest_map,
        latest_words=geo.describe_layout(latest.layout, site, language),
        diff=diff,
        diff_map=diff_map,
        metrics=metric_table(None, latest.metrics),
        area_by_kind=sorted(((latest.metrics or {}).get("area_by_kind_m2") or {}).items()),
        kind_names=kinds,
        warnings=_findings_in(language, latest.report.get("warnings", [])),
        cited=cited,
        can_revise=allows(proposals.check_can_revise, proposal, current_user),
        can_withdraw=allows(proposals.check_can_withdraw, proposal, current_user),
        map_header=_merged_headers(latest_map, *([diff_map] if diff_map else [])),
    )


def _merged_headers(*parts: geo.MapParts) -> str:
    """The headers of several maps on one page, each script and stylesheet loaded once."""
    seen: set[str] = set()
    lines = []
    for part in parts:
        for line in part.header.splitlines():
            key = line.strip()
            if not key or key in seen:
                continue
            seen.add(key)
            lines.append(line)
    return "\n".join(lines)
