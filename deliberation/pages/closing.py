"""The pages of closing a round and after (issue 6): the decision, the printable decision
notice (HTML and PDF), asking how well, participation by age band, and the audit log.

Handlers load the round (making its decision final first when its notice period is over:
"final on read"), ask the domain what this person may do, and render; the pages' scripts
call the JSON API (deliberation/api/decisions.py) with the session cookie.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import safe_join

import geo
from deliberation import ballots, decisions, record_export
from deliberation.age_groups import ordered_groups
from deliberation.audit import round_entries
from deliberation.enums import Language, Phase, ProposalStatus
from deliberation.errors import NotFound, allows
from deliberation.extensions import db
from deliberation.i18n import current_language
from deliberation.labels import PHASE_NAMES
from deliberation.lookup import round_for_reading
from deliberation.models import (
    AuditEntry,
    Decision,
    Evaluation,
    Hearing,
    NoticePdf,
    Proposal,
    ProposalVersion,
    Round,
    User,
)
from deliberation.models.types import utcnow
from deliberation.offload import run_heavy
from deliberation.privacy import sees_people
from deliberation.proposals import version_of
from geo.kinds import kind_of, spec

bp = Blueprint("closing", __name__)


def round_proposals(round_: Round) -> dict[int, Proposal]:
    """Every proposal of a round by id, withdrawn ones too (an old tally may name them)."""
    found = db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id).order_by(Proposal.id))
    return {p.id: p for p in found}


# --- the plan and its figures ---------------------------------------------------------------


def plan_svg(round_: Round, version: ProposalVersion, *, title: str, language: str) -> Markup:
    """The chosen layout on its site as inline SVG (geo escapes every text it writes)."""
    site = round_.site
    svg = run_heavy(_layout_svg, site.boundary, site.constraints, version.layout, language, title)
    return Markup(svg)


def plan_words(round_: Round, version: ProposalVersion, language: str) -> list[str]:
    """The chosen layout in words, for the notice and its PDF (worked out off the loop)."""
    site = round_.site
    return run_heavy(_plan_words, site.boundary, site.constraints, version.layout, language)


def _plan_words(boundary: Any, constraints: Any, layout: Any, language: str) -> list[str]:
    return geo.describe_layout(layout, geo.Site.from_geojson(boundary, constraints), language)


def _layout_svg(boundary: Any, constraints: Any, layout: Any, language: str, title: str) -> str:
    site = geo.Site.from_geojson(boundary, constraints)
    return geo.layout_svg(site, layout, language=language, title=title)


def kind_name(kind: str, language: str) -> str:
    found = kind_of(kind)
    return spec(found).name(language) if found else kind


def area_rows(metrics: dict[str, Any] | None, language: str) -> list[tuple[str, float]]:
    """Areas by kind, largest first, with the kinds' names in the reader's language."""
    areas = (metrics or {}).get("area_by_kind_m2") or {}
    return [(kind_name(k, language), v) for k, v in sorted(areas.items(), key=lambda kv: -kv[1])]


def reopened_decisions(round_: Round) -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.round_id == round_.id, Decision.reopened_at.is_not(None))
            .order_by(Decision.id)
        )
    )


def title_of(proposals: dict[int, Proposal], proposal_id: int | str | None) -> str:
    if proposal_id is None:
        return "–"
    proposal = proposals.get(int(proposal_id))
    return proposal.title if proposal else f"#{proposal_id}"


# --- the decision page ----------------------------------------------------------------------


def decision_script_data(round_: Round, tally: dict[str, Any] | None, proposals: dict[int, Proposal]) -> dict:
    """What decision.js needs: the API's URLs, the rule's numbers and the strings it shows."""
    return {
        "urls": {
            "decide": url_for("api_decisions.decide", round_id=round_.id),
            "object": url_for("api_decisions.object_to", round_id=round_.id),
            "answer": url_for("api_decisions.answer", objection_id=0).replace("/0/", "/{id}/"),
            "reopen": url_for("api_decisions.reopen", round_id=round_.id),
            "in_use": url_for("api_decisions.in_use", round_id=round_.id),
        },
        "tally_winner": tally["winner"] if tally else None,
        "min_rationale": decisions.MIN_RATIONALE,
        "min_rationale_against_tally": decisions.MIN_RATIONALE_AGAINST_TALLY,
        "titles": {str(pid): p.title for pid, p in proposals.items()},
        "strings": {
            "count": _("%(n)s characters (at least %(min)s)", n="{n}", min="{min}"),
            "choose": _("Choose a plan first."),
            "sending": _("Sending…"),
            "decided": _("The round is closed. Its notice period begins."),
            "error": _("Something went wrong; please try again."),
            "status_403": _("You are not allowed to do this."),
        },
    }


@bp.get("/rounds/<int:round_id>/decision")
@login_required
def decision_page(round_id: int):
    """The decision: the secretary's form while deciding; then the plan, the notice period and objections."""
    round_ = round_for_reading(round_id)
    decision = decisions.standing_decision(round_)
    proposals = round_proposals(round_)
    can = {
        "decide": decision is None and allows(decisions.check_can_decide, round_, current_user),
        "object": decision is not None and allows(decisions.check_can_object, round_, current_user),
        "answer": decision is not None and allows(decisions.check_can_answer, round_, current_user),
        "reopen": decision is not None and allows(decisions.check_can_reopen, round_, current_user),
        "in_use": allows(decisions.check_can_mark_in_use, round_, current_user),
        "evaluate_link": Phase(round_.phase) is Phase.IN_USE,
    }
    tally = ballots.tally(round_) if can["decide"] else None
    people_visible = sees_people(current_user, round_.community_id)
    language = current_language().value
    chosen = version_of(decision.proposal, decision.version_number) if decision else None
    return render_template(
        "decision.html",
        round=round_,
        decision=decision,
        chosen=chosen,
        plan=plan_svg(round_, chosen, title=decision.proposal.title, language=language) if chosen else None,
        proposals=proposals,
        active=[p for p in proposals.values() if p.status == ProposalStatus.ACTIVE],
        tally=tally,
        can=can,
        ballots_open=ballots.ballots_open(round_),
        people_visible=people_visible,
        reopened=reopened_decisions(round_),
        notice_over=decision is not None and decision.notice_ends_at <= utcnow(),
        min_rationale=decisions.MIN_RATIONALE,
        min_rationale_against_tally=decisions.MIN_RATIONALE_AGAINST_TALLY,
        title_of=lambda pid: title_of(proposals, pid),
        script_data=decision_script_data(round_, tally, proposals),
    )


# --- the decision notice (公示), on screen, printed and as PDF --------------------------------


def requested_language() -> Language | None:
    """The language asked for with ``?lang=en`` or ``?lang=zh-CN``, if any."""
    asked = (request.args.get("lang") or "").strip().lower()
    return next((language for language in Language if language.value.lower() == asked), None)


@contextmanager
def in_requested_language() -> Iterator[None]:
    """Render in the language of ``?lang=`` whatever the session says; otherwise as usual."""
    language = requested_language()
    if language is None:
        yield
        return
    with force_locale(language.locale):
        yield


def render_notice(round_id: int, *, pdf: bool) -> str:
    """The decision notice's HTML; 404 when the round has no decision standing."""
    round_ = round_for_reading(round_id)
    decision = decisions.standing_decision(round_)
    if decision is None:
        raise NotFound(_("This round has no decision yet."))
    proposals = round_proposals(round_)
    version = version_of(decision.proposal, decision.version_number)
    language = current_language().value
    tally = decision.tally or {}
    metrics = version.metrics or {}
    return render_template(
        "notice.html",
        round=round_,
        decision=decision,
        version=version,
        plan=plan_svg(round_, version, title=decision.proposal.title, language=language),
        plan_words=plan_words(round_, version, language),
        metrics=metrics,
        areas=area_rows(metrics, language),
        tally=tally,
        candidates=tally.get("candidates") or [int(k) for k in tally.get("first_preferences", {})],
        age_groups=ordered_groups(tally.get("by_age_band") or {}),
        title_of=lambda pid: title_of(proposals, pid),
        pdf=pdf,
        now=utcnow(),
        other_languages=[lang for lang in Language if lang != current_language()],
        # A printed notice looks the same for everyone: no large text in the PDF.
        **({"large_text": False, "high_contrast": False} if pdf else {}),
    )


@bp.get("/rounds/<int:round_id>/notice")
@login_required
def notice_page(round_id: int):
    """The printable decision notice: plan, metrics, tally, rationale, objections and dates."""
    with in_requested_language():
        return render_notice(round_id, pdf=False)


def static_only_fetcher(base_url: str, folder: str):
    """A WeasyPrint fetcher that gives the app's own static files and refuses every other URL."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    prefix = base_url.rstrip("/") + "/static/"

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(prefix):
                raise ValueError(f"not one of the app's static files: {url}")
            path = safe_join(folder, url[len(prefix) :].split("?")[0].split("#")[0])
            if path is None or not Path(path).is_file():
                raise ValueError(f"no such static file: {url}")
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": mime})

    return StaticOnly()


@bp.get("/rounds/<int:round_id>/notice.pdf")
@login_required
def notice_pdf(round_id: int):
    """The decision notice as an A4 PDF, from the same template (WeasyPrint).

    Drawn once for each version of the notice (a new objection, an answer, another day's
    date make a new one) and kept; the drawing runs off the live loop (offload.py).
    """
    with in_requested_language():
        html = render_notice(round_id, pdf=True)
        language = current_language().value
    decision = decisions.standing_decision(round_for_reading(round_id))
    digest = hashlib.sha256(html.encode()).hexdigest()
    kept = db.session.scalar(
        select(NoticePdf).where(NoticePdf.decision_id == decision.id, NoticePdf.language == language)
    )
    if kept is None or kept.digest != digest:
        pdf = run_heavy(draw_pdf, html, request.host_url, current_app.static_folder)
        if kept is None:
            kept = NoticePdf(decision_id=decision.id, language=language, digest=digest, pdf=pdf)
            db.session.add(kept)
        else:
            kept.digest, kept.pdf, kept.rendered_at = digest, pdf, utcnow()
        try:
            db.session.commit()
        except IntegrityError:  # another worker kept the same notice meanwhile
            db.session.rollback()
    response = Response(kept.pdf if kept.digest == digest else pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="notice-{round_id}.pdf"'
    return response


def draw_pdf(html: str, base_url: str, static_folder: str) -> bytes:
    """The notice's HTML drawn as PDF bytes (plain work: no Flask context)."""
    import weasyprint  # heavy; only this needs it

    document = weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=static_only_fetcher(base_url, static_folder)
    )
    return document.write_pdf()


# --- ask how well (问效) ----------------------------------------------------------------------


def criterion_names() -> dict[str, str]:
    return {
        "usability": _("Usability"),
        "safety": _("Safety"),
        "beauty": _("Beauty"),
        "all_ages": _("Fit for all ages"),
    }


@bp.get("/rounds/<int:round_id>/evaluate")
@login_required
def evaluate_page(round_id: int):
    """Rate the built space once it is in use (changeable), and the residents' results charted."""
    round_ = round_for_reading(round_id)
    in_use = Phase(round_.phase) is Phase.IN_USE
    mine = db.session.scalar(
        select(Evaluation).where(Evaluation.round_id == round_.id, Evaluation.user_id == current_user.id)
    )
    names = criterion_names()
    people_visible = sees_people(current_user, round_.community_id)
    results = decisions.evaluation_results(round_, people_visible=people_visible) if in_use else None
    return render_template(
        "evaluate.html",
        round=round_,
        in_use=in_use,
        can_rate=allows(decisions.check_can_evaluate, round_, current_user),
        criteria=[(c, names[c]) for c in decisions.CRITERIA],
        mine=mine,
        results=results,
        script_data={
            "url": url_for("api_decisions.evaluate", round_id=round_.id),
            "criteria": list(decisions.CRITERIA),
            "names": names,
            "results": results,
            "strings": {
                "average": _("Average (1 to 5)"),
                "stars": _("%(n)s stars", n="{n}"),
                "people": _("People"),
                "saved": _("Thank you: your rating is saved. You can change it at any time."),
                "rate_all": _("Rate every criterion from 1 to 5."),
                "sending": _("Sending…"),
                "error": _("Something went wrong; please try again."),
                "none": _("No comments yet."),
            },
        },
    )


# --- participation by age band --------------------------------------------------------------


@bp.get("/rounds/<int:round_id>/participation")
@login_required
def participation_page(round_id: int):
    """Who took part, by age band: needs, comments, ballots and evaluations, charted and tabled."""
    round_ = round_for_reading(round_id)
    return render_template("participation.html", round=round_, participation=decisions.participation(round_))


# --- the audit log and the record's export --------------------------------------------------


def describe(entry: AuditEntry, proposals: dict[int, Proposal], hearings: dict[int, str]) -> str:
    """What an audit entry says happened, in the reader's language."""
    data = entry.data or {}
    action = entry.action
    if action == "round.phase_changed":
        text = _(
            "Phase changed: %(source)s → %(target)s",
            source=phase_name(data.get("source")),
            target=phase_name(data.get("target")),
        )
        return text + (" · " + _("Reason: %(reason)s", reason=data["reason"]) if data.get("reason") else "")
    if action == "round.decided":
        text = _(
            "Round decided: %(title)s, version %(n)s",
            title=title_of(proposals, data.get("proposal_id")),
            n=data.get("version", "?"),
        )
        if data.get("departs_from_tally"):
            text += " · " + _("differs from the residents' ranking")
        return text
    if action == "ballots.closed":
        return _("Ballots closed: %(n)s residents ranked the proposals", n=data.get("ballots", "?"))
    if action == "round.reopened":
        return _("Round reopened. Reason: %(reason)s", reason=data.get("reason", ""))
    if action == "comment.hidden":
        return _("Comment hidden. Reason: %(reason)s", reason=data.get("reason", ""))
    if action in ("proposal.submitted", "proposal.withdrawn", "proposal.revised"):
        title = title_of(proposals, entry.subject_id)
        if action == "proposal.submitted":
            return _("Proposal submitted: %(title)s", title=title)
        if action == "proposal.withdrawn":
            return _("Proposal withdrawn: %(title)s", title=title)
        return _("Proposal revised: %(title)s, version %(n)s", title=title, n=data.get("version", "?"))
    if action in ("hearing.created", "hearing.ended"):
        title = hearings.get(entry.subject_id or 0, f"#{entry.subject_id}")
        if action == "hearing.created":
            return _("Hearing scheduled: %(title)s", title=title)
        return _("Hearing ended: %(title)s", title=title)
    simple = {
        "round.created": _("Round created"),
        "round.deadlines_set": _("Phase deadlines planned"),
        "round.finalised": _("The decision became final"),
        "round.evaluated": _("Rated the built space"),
        "need.added": _("Pinned a need"),
        "need.supported": _("Supported a need"),
        "objection.filed": _("Objection filed"),
        "objection.answered": _("Objection answered"),
    }
    return simple.get(action, action)


def phase_name(value: str | None) -> str:
    try:
        return str(PHASE_NAMES[Phase(value)])
    except ValueError:
        return str(value)


@bp.get("/rounds/<int:round_id>/audit")
@login_required
def audit_page(round_id: int):
    """The round's audit log, oldest first, in words; and the public record to download."""
    round_ = round_for_reading(round_id)
    entries = round_entries(round_.id)
    # who did what is for the community's members; everyone else reads what happened
    people_visible = sees_people(current_user, round_.community_id)
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = (
        {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids and people_visible
        else {}
    )
    proposals = round_proposals(round_)
    hearings = dict(
        db.session.execute(select(Hearing.id, Hearing.title).where(Hearing.round_id == round_.id)).all()
    )
    rows = [
        {
            "at": entry.at,
            "who": actors.get(entry.actor_id, _("Former resident")) if entry.actor_id is not None else None,
            "action": entry.action,
            "what": describe(entry, proposals, hearings),
        }
        for entry in entries
    ]
    return render_template(
        "audit.html",
        round=round_,
        rows=rows,
        people_visible=people_visible,
        can_export_people=allows(record_export.check_can_export_people, round_, current_user),
    )


@bp.post("/rounds/<int:round_id>/export-with-people.json")
@login_required
def export_with_people_download(round_id: int):
    """A moderator downloads the record with the people in it, giving a reason the record keeps."""
    round_ = round_for_reading(round_id)
    document = record_export.export_round(
        round_, with_people_by=current_user, reason=request.form.get("reason", "")
    )
    db.session.commit()
    return json_download(document, f"round-{round_.id}-with-people.json")


def json_download(document: dict[str, Any], filename: str) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/rounds/<int:round_id>/export.json")
@login_required
def export_download(round_id: int):
    """The round's public record (as the API's export) as a file to download."""
    round_ = round_for_reading(round_id)
    return json_download(record_export.export_round(round_), f"round-{round_.id}.json")
