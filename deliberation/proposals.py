"""Proposals (问计): designers submit layouts; every submission is a new, validated version."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

import geo
from deliberation import limits
from deliberation.accounts import require_role
from deliberation.audit import record
from deliberation.enums import Phase, ProposalStatus, Role
from deliberation.errors import InvalidInput, InvalidLayout, NotAllowed, NotFound
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.models import (
    Decision,
    FeatureAuthor,
    Need,
    Proposal,
    ProposalDesigner,
    ProposalVersion,
    Round,
    User,
    VersionNeed,
)
from deliberation.models.types import utcnow
from deliberation.rounds import require_phase
from deliberation.sites import check_layout, geo_site

# A round takes new proposals while proposing; versions also between hearings; from
# deciding on every version is frozen.
SUBMITTING_PHASES = (Phase.PROPOSING,)
REVISING_PHASES = (Phase.PROPOSING, Phase.HEARING)


def _checked_layout(round_: Round, layout: Any, *, language: str) -> dict[str, Any]:
    """The report of a layout against the round's site and budget; errors block it (422)."""
    report = check_layout(round_.site, layout, language=language, round_=round_)
    if not report["valid"]:
        raise InvalidLayout(_("The layout has errors: fix them and submit again."), report)
    return report


def _needs_of_round(round_: Round, need_ids: list[int]) -> list[int]:
    if not need_ids:
        return []
    found = set(db.session.scalars(select(Need.id).where(Need.round_id == round_.id, Need.id.in_(need_ids))))
    missing = sorted(set(need_ids) - found)
    if missing:
        raise InvalidInput(_("These are not needs of this round: %(ids)s", ids=", ".join(map(str, missing))))
    return sorted(found)


def _add_version(
    proposal: Proposal,
    layout: Any,
    note: str,
    need_ids: list[int],
    report: dict,
    *,
    by: User,
    drawn_by: dict[str, int | None] | None = None,
) -> ProposalVersion:
    number = (proposal.latest_version.number + 1) if proposal.versions else 1
    version = ProposalVersion(
        number=number,
        layout=layout,
        note=note.strip(),
        report={"errors": report["errors"], "warnings": report["warnings"]},
        metrics=report["metrics"],
        author_id=by.id,
        answers=[VersionNeed(need_id=nid) for nid in need_ids],
        authors=[
            FeatureAuthor(feature_id=feature_id, author_id=author_id)
            for feature_id, author_id in (drawn_by or {}).items()
        ],
    )
    proposal.versions.append(version)
    return version


def check_can_submit(round_: Round, user: User) -> None:
    """Refuse unless this person may submit a new proposal now (designers, while proposing)."""
    require_role(user, round_.community_id, Role.DESIGNER)
    require_phase(round_, *SUBMITTING_PHASES)


def submit_proposal(
    round_: Round,
    title: str,
    summary: str,
    layout: Any,
    *,
    by: User,
    language: str,
    co_designers: list[int] | None = None,
    need_ids: list[int] | None = None,
    note: str = "",
) -> tuple[Proposal, dict[str, Any]]:
    """A designer (and co-designers) submit a layout to a round taking proposals."""
    check_can_submit(round_, by)
    limits.require_room(
        select(Proposal.id).where(Proposal.round_id == round_.id, Proposal.created_by_id == by.id),
        limits.PROPOSALS_PER_DESIGNER,
        _(
            "You have submitted the most proposals one designer may submit in a round (%(n)d).",
            n=limits.PROPOSALS_PER_DESIGNER,
        ),
    )
    team = [by]
    for user_id in dict.fromkeys(co_designers or []):
        if user_id == by.id:
            continue
        partner = db.session.get(User, user_id)
        if partner is None or not partner.has_role(round_.community_id, Role.DESIGNER):
            raise InvalidInput(_("Every co-designer must be a designer of this community."))
        team.append(partner)
    needs = _needs_of_round(round_, need_ids or [])
    report = _checked_layout(round_, layout, language=language)
    proposal = Proposal(round=round_, title=title.strip(), summary=summary.strip(), created_by_id=by.id)
    proposal.designers = [ProposalDesigner(user=member) for member in team]
    db.session.add(proposal)
    _add_version(proposal, layout, note, needs, report, by=by)
    record(
        "proposal.submitted",
        proposal,
        actor=by,
        community_id=round_.community_id,
        round_id=round_.id,
        title=proposal.title,
    )
    return proposal, report


def require_designer_of(proposal: Proposal, user: User) -> None:
    if not proposal.is_designer(user):
        raise NotAllowed(_("Only the designers of this proposal can change it."))


def check_can_revise(proposal: Proposal, user: User) -> None:
    """Refuse unless this person may add a version now (its designers, while versions are open)."""
    require_designer_of(proposal, user)
    require_phase(proposal.round, *REVISING_PHASES)
    if proposal.status != ProposalStatus.ACTIVE:
        raise InvalidInput(_("A withdrawn proposal cannot be revised."))


def check_can_withdraw(proposal: Proposal, user: User) -> None:
    """Refuse unless this person may withdraw the proposal now (its designers, before deciding)."""
    require_designer_of(proposal, user)
    require_phase(proposal.round, *REVISING_PHASES)
    if proposal.status == ProposalStatus.WITHDRAWN:
        raise InvalidInput(_("This proposal is withdrawn already."))


def revise_proposal(
    proposal: Proposal,
    layout: Any,
    *,
    by: User,
    language: str,
    note: str = "",
    need_ids: list[int] | None = None,
    drawn_by: dict[str, int | None] | None = None,
) -> tuple[ProposalVersion, dict[str, Any]]:
    """A new version of a proposal, by one of its designers, while versions are open.

    ``drawn_by`` (feature id to person id) records who drew each feature, when the team's
    draft says so (codesign.submit).
    """
    check_can_revise(proposal, by)
    limits.require_room(
        select(ProposalVersion.id).where(ProposalVersion.proposal_id == proposal.id),
        limits.VERSIONS_PER_PROPOSAL,
        _("This proposal has the most versions it may have (%(n)d).", n=limits.VERSIONS_PER_PROPOSAL),
    )
    needs = _needs_of_round(
        proposal.round, need_ids if need_ids is not None else proposal.latest_version.need_ids
    )
    report = _checked_layout(proposal.round, layout, language=language)
    version = _add_version(proposal, layout, note, needs, report, by=by, drawn_by=drawn_by)
    db.session.flush()
    record(
        "proposal.revised",
        proposal,
        actor=by,
        community_id=proposal.round.community_id,
        round_id=proposal.round_id,
        version=version.number,
    )
    return version, report


def withdraw_proposal(proposal: Proposal, *, by: User) -> Proposal:
    """A designer withdraws a proposal before the round decides."""
    check_can_withdraw(proposal, by)
    proposal.status = ProposalStatus.WITHDRAWN.value
    proposal.withdrawn_at = utcnow()
    record(
        "proposal.withdrawn",
        proposal,
        actor=by,
        community_id=proposal.round.community_id,
        round_id=proposal.round_id,
    )
    return proposal


def version_of(proposal: Proposal, number: int | None = None) -> ProposalVersion:
    """A version by number, or the latest."""
    if number is None:
        if proposal.latest_version is None:
            raise NotFound(_("This proposal has no version."))
        return proposal.latest_version
    for version in proposal.versions:
        if version.number == number:
            return version
    raise NotFound(_("This proposal has no version %(n)d.", n=number))


def version_diff(proposal: Proposal, number: int, against: int | None = None) -> dict[str, Any]:
    """What changed from one version (by default the one before) to version ``number``, also in
    words in the language of the request."""
    new = version_of(proposal, number)
    old = version_of(proposal, against if against is not None else max(number - 1, 1))
    site = geo_site(proposal.round.site)
    diff = geo.diff_layouts(old.layout, new.layout, site, unit_costs=proposal.round.site.community.unit_costs)
    words = geo.describe_changes(diff, old.layout, new.layout, site, current_language().value)
    return {"from": old.number, "to": new.number, **diff, "words": words}


def chosen_version_number(proposal: Proposal) -> int | None:
    """The version the branch chose, if a standing decision chose this proposal."""
    return db.session.scalar(
        select(Decision.version_number).where(
            Decision.proposal_id == proposal.id, Decision.reopened_at.is_(None)
        )
    )


def layout_geojson(proposal: Proposal, number: int | None = None) -> dict[str, Any]:
    """A version's layout as GeoJSON: the given one, else the chosen one, else the latest."""
    version = version_of(proposal, number if number is not None else chosen_version_number(proposal))
    layout = dict(version.layout)
    layout["properties"] = {
        "proposal_id": proposal.id,
        "title": proposal.title,
        "version": version.number,
    }
    return layout
