"""The pages of closing a round (issue 6): the decision and the secretary's form, the notice
in both languages and as a PDF, asking how well, participation, the audit log and the export."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from deliberation import ballots, decisions, hearings, proposals
from deliberation.enums import Language, Phase, Role
from deliberation.extensions import db
from deliberation.models import Decision, Round
from deliberation.models.types import utcnow
from tests import geo_layouts as g

RATIONALE = "Plan A keeps the plane tree and gives older neighbours seats in the shade."
AGAINST = (
    "The residents ranked plan A first, but plan B keeps the fire lane to building 12 clear, "
    "which the fire brigade requires; so the branch chooses plan B."
)
RATINGS = {"usability": 4, "safety": 5, "beauty": 3, "all_ages": 2}
OTHER_HOST = re.compile(r"""(?:https?:)?//(?!localhost[/:"'])[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'


def text(response) -> str:
    return response.get_data(as_text=True)


def has(page: str, testid: str) -> bool:
    return f'data-testid="{testid}"' in page


def island(page: str, element_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def section(page: str, testid: str) -> str:
    """The HTML of the element carrying this test id, up to the end of its section (roughly)."""
    start = page.index(">", page.index(f'data-testid="{testid}"')) + 1
    end = page.find("</section>", start)
    return page[start : end if end > 0 else None]


def plain(value: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", value)).split())


@pytest.fixture
def people(community, make_user):
    return {
        "secretary": make_user(
            Role.SECRETARY, Role.RESIDENT, community=community, name="Zhang Hua", age_band="60_79"
        ),
        "moderator": make_user(Role.MODERATOR, community=community, name="Wang Li"),
        "designer": make_user(Role.DESIGNER, community=community, name="Chen Ming"),
        "resident": make_user(Role.RESIDENT, community=community, name="Grandma Sun", age_band="80_plus"),
        "neighbour": make_user(Role.RESIDENT, community=community, name="Xiao Jie", age_band="under_14"),
        "teacher": make_user(Role.RESIDENT, community=community, name="Teacher Wu", age_band="35_59"),
        "merchant": make_user(Role.RESIDENT, community=community, name="Liu Yang", age_band="14_34"),
        "outsider": make_user(name="Visitor"),
    }


@pytest.fixture
def login(client, login):
    """Log in through the page and read the pages in English."""

    def do_login(user, language: str = "en") -> None:
        login(user)
        client.post("/preferences/language", data={"language": language})

    return do_login


@pytest.fixture
def deciding(make_round, people):
    """A deciding round with plans A, B (two versions) and C, and five ballots.

    Round 1 of the count: A 2, B 2, C 1, so C is eliminated; its ballot moves to A,
    which wins round 2 with 3 of 5.
    """
    round_ = make_round(Phase.PROPOSING)
    made = [
        proposals.submit_proposal(round_, title, "", g.GOOD_LAYOUT, by=people["designer"], language="en")[0]
        for title in ("Plan A", "Plan B", "Plan C")
    ]
    a, b, c = made
    moved = g.with_features(
        g.GOOD_LAYOUT, g.feature("bench-1", "bench", g.point(10, -1), seats=3), drop=["bench-1"]
    )
    proposals.revise_proposal(b, moved, by=people["designer"], language="en", note="Bench moved")
    round_.phase = Phase.DECIDING.value
    db.session.flush()
    for who, ranking in (
        ("resident", [a.id, c.id]),
        ("neighbour", [a.id]),
        ("secretary", [b.id]),
        ("teacher", [b.id, a.id]),
        ("merchant", [c.id, a.id]),
    ):
        ballots.cast_ballot(round_, ranking, by=people[who])
    ballots.close_ballots(round_, by=people["moderator"])
    db.session.commit()
    return round_, a, b, c


@pytest.fixture
def decided(deciding, people):
    """The secretary chose plan A; Grandma Sun objected and the branch answered."""
    round_, a, b, c = deciding
    decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    objection = decisions.file_objection(round_, "The benches face the bins.", by=people["resident"])
    decisions.answer_objection(objection, "They will be turned towards the tree.", by=people["secretary"])
    db.session.commit()
    return round_, a, b, c


def end_notice_period(round_: Round) -> None:
    db.session.execute(
        Decision.__table__.update()
        .where(Decision.round_id == round_.id)
        .values(notice_ends_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


# --- the decision page: the secretary's form ------------------------------------------------


def test_the_secretary_sees_the_form_with_the_tally_and_the_latest_versions(client, login, people, deciding):
    round_, a, _b, _c = deciding
    login(people["secretary"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert has(page, "decide-form")
    assert plain(section(page, "decide-winner")).startswith("Plan A")
    assert re.search(r'data-testid="decide-ballots">5<', page)
    # the tally's winner is preselected; each plan's latest version is
    assert re.search(rf'value="{a.id}" checked', page)
    assert re.search(r'<option value="2" selected>', page)
    assert re.search(r'id="against-tally" class="warning" hidden', page)
    assert "at least 100 characters" in plain(section(page, "against-tally"))
    data = island(page, "decision-data")
    assert data["min_rationale"] == decisions.MIN_RATIONALE
    assert data["min_rationale_against_tally"] == decisions.MIN_RATIONALE_AGAINST_TALLY
    assert data["tally_winner"] == a.id
    assert data["urls"]["decide"] == f"/api/v1/rounds/{round_.id}/decision"


@pytest.mark.parametrize("role", ["moderator", "designer", "resident", "outsider"])
def test_other_roles_see_no_form_and_the_api_refuses_them(client, login, people, deciding, role):
    round_, a, _b, _c = deciding
    login(people[role])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert not has(page, "decide-form") and "decide-form" not in page
    assert has(page, "no-decision")
    refused = client.post(
        f"/api/v1/rounds/{round_.id}/decision", json={"proposal_id": a.id, "rationale": RATIONALE}
    )
    assert refused.status_code == 403
    assert db.session.get(Round, round_.id).phase == "deciding"


def test_the_secretary_sees_no_form_before_the_round_is_deciding(client, login, people, make_round):
    round_ = make_round(Phase.HEARING)
    login(people["secretary"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert not has(page, "decide-form") and has(page, "no-decision")


# --- the decision page after deciding -------------------------------------------------------


def test_after_deciding_the_page_shows_the_plan_rationale_and_notice_period(client, login, people, deciding):
    round_, a, _b, _c = deciding
    login(people["secretary"])
    response = client.post(
        f"/api/v1/rounds/{round_.id}/decision", json={"proposal_id": a.id, "rationale": RATIONALE}
    )
    assert response.status_code == 201
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert not has(page, "decide-form")
    assert plain(section(page, "decision-plan")).startswith("Plan A")
    assert RATIONALE in html_lib.unescape(page)
    assert "Decided by Zhang Hua" in html_lib.unescape(page)
    # the date as the neighbourhood's calendar has it (the display time zone), not UTC's
    display_zone = ZoneInfo(client.application.config["BABEL_DEFAULT_TIMEZONE"])
    ends = db.session.scalar(db.select(Decision.notice_ends_at)).astimezone(display_zone)
    state = plain(section(page, "notice-state"))
    assert state.startswith(f"The notice period ends on {ends:%B} {ends.day}, {ends.year}")
    assert "<svg" in section(page, "plan-figure") and 'class="k-bench"' in page
    assert not has(page, "departs")
    assert has(page, "reopen") and not has(page, "in-use")


def test_a_choice_against_the_tally_names_the_plan_the_residents_favoured(client, login, people, deciding):
    round_, _a, b, _c = deciding
    decisions.decide(round_, b.id, AGAINST, by=people["secretary"], version=1)
    db.session.commit()
    login(people["resident"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert plain(section(page, "departs")).startswith(
        "This choice differs from the residents' ranking, which favoured Plan A."
    )
    assert "Version 1" in plain(section(page, "decision"))


def test_members_object_and_the_secretary_answers_in_the_notice_period(client, login, people, deciding):
    round_, a, _b, _c = deciding
    decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    decisions.file_objection(round_, "The benches face the bins.", by=people["neighbour"])
    db.session.commit()

    login(people["resident"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert has(page, "object-form") and not has(page, "answer-form") and not has(page, "reopen")
    assert "Awaiting the branch&#39;s answer." in page or "Awaiting the branch's answer." in page

    login(people["outsider"])
    assert not has(text(client.get(f"/rounds/{round_.id}/decision")), "object-form")

    login(people["secretary"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert has(page, "answer-form") and has(page, "reopen")
    objection_id = island(page, "decision-data")["urls"]["answer"]
    assert objection_id == "/api/v1/objections/{id}/answer"


def test_answers_show_under_their_objections(client, login, people, decided):
    round_, *_ = decided
    login(people["neighbour"])
    page = html_lib.unescape(text(client.get(f"/rounds/{round_.id}/decision")))
    assert "The benches face the bins." in page
    assert "They will be turned towards the tree." in section(page, "objection-answer")


def test_the_decision_becomes_final_on_read_and_the_secretary_may_mark_it_in_use(
    client, login, people, decided
):
    round_, *_ = decided
    end_notice_period(round_)
    login(people["resident"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert 'data-state="final"' in page and not has(page, "in-use") and not has(page, "object-form")
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "decided"
    login(people["secretary"])
    page = text(client.get(f"/rounds/{round_.id}/decision"))
    assert has(page, "in-use") and not has(page, "reopen") and not has(page, "answer-form")


def test_a_reopened_decision_stays_on_the_page_with_its_reason(client, login, people, decided):
    round_, *_ = decided
    decisions.reopen(round_, "The fire brigade objected.", by=people["secretary"])
    db.session.commit()
    login(people["secretary"])
    page = html_lib.unescape(text(client.get(f"/rounds/{round_.id}/decision")))
    assert has(page, "decide-form")  # deciding again
    assert "The fire brigade objected." in section(page, "reopened")


# --- the decision notice --------------------------------------------------------------------

NOTICE_WORDS = {
    "en": ("Decision notice", "Round 1", "Eliminated", "Objections and answers"),
    "zh-CN": ("决定公示", "第 1 轮", "淘汰", "异议与答复"),
}


@pytest.mark.parametrize(("lang", "session_language"), [("en", "zh-CN"), ("zh-CN", "en")])
def test_the_notice_shows_plan_rationale_tally_and_objections_in_the_language_asked(
    client, login, people, decided, lang, session_language
):
    round_, *_ = decided
    login(people["neighbour"], language=session_language)
    response = client.get(f"/rounds/{round_.id}/notice?lang={lang}")
    assert response.status_code == 200
    page = html_lib.unescape(text(response))
    assert f'<html lang="{lang}"' in page
    title, round_one, eliminated, objections = NOTICE_WORDS[lang]
    assert title in page and round_one in page and eliminated in page and objections in page
    assert plain(section(page, "notice-plan-title")).startswith("Plan A")
    assert RATIONALE in section(page, "notice-rationale")
    assert re.search(r'data-testid="notice-ballots">5<', page)
    assert plain(section(page, "notice-winner")).startswith("Plan A")
    rounds = section(page, "notice-rounds")
    assert rounds.count('data-testid="notice-eliminated"') == 2
    assert "Plan C" in plain(rounds.split('data-testid="notice-eliminated"')[1])
    assert "They will be turned towards the tree." in section(page, "notice-objections")
    assert "<svg" in section(page, "notice-plan") and "<script" not in section(page, "notice-plan")
    assert "site-header" not in page  # a document, without the site's navigation


def test_the_notice_follows_the_session_without_lang(client, login, people, decided):
    round_, *_ = decided
    login(people["neighbour"], language="zh-CN")
    page = text(client.get(f"/rounds/{round_.id}/notice"))
    assert '<html lang="zh-CN"' in page and "决定公示" in page
    page = text(client.get(f"/rounds/{round_.id}/notice?lang=fr"))
    assert '<html lang="zh-CN"' in page


def test_the_notice_pdf_carries_the_plan_the_rationale_and_the_tally(client, login, people, decided):
    round_, *_ = decided
    login(people["neighbour"])
    response = client.get(f"/rounds/{round_.id}/notice.pdf?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Decision notice" in words
    assert "Plan A" in words
    assert " ".join(RATIONALE.split()) in words
    assert "Ballots 5" in words
    assert "Winner Plan A" in words
    assert "They will be turned towards the tree." in words
    assert "The map in words The site is about 40 × 30 m (1,200 m²)" in words


def test_the_chinese_pdf_is_readable_text(client, login, people, decided):
    round_, *_ = decided
    login(people["neighbour"])
    response = client.get(f"/rounds/{round_.id}/notice.pdf?lang=zh-CN")
    reader = PdfReader(io.BytesIO(response.data))
    words = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert "决定公示" in words and "PlanA" in words


@pytest.mark.parametrize("suffix", ["notice", "notice.pdf"])
def test_no_notice_without_a_decision(client, login, people, deciding, suffix):
    round_, *_ = deciding
    login(people["resident"])
    assert client.get(f"/rounds/{round_.id}/{suffix}").status_code == 404


# --- ask how well ---------------------------------------------------------------------------


def test_evaluating_waits_until_the_space_is_in_use(client, login, people, decided):
    round_, *_ = decided
    login(people["resident"])
    page = text(client.get(f"/rounds/{round_.id}/evaluate"))
    assert has(page, "not-in-use") and not has(page, "evaluate-form") and "chart.umd" not in page


def in_use(round_, people) -> None:
    end_notice_period(round_)
    decisions.finalise_if_due(round_)
    decisions.mark_in_use(round_, by=people["secretary"])
    db.session.commit()


def test_a_member_rates_the_space_prefilled_with_their_rating(client, login, people, decided):
    round_, *_ = decided
    in_use(round_, people)
    decisions.evaluate(round_, RATINGS, "Lovely <b>shade</b>", by=people["resident"])
    decisions.evaluate(round_, {**RATINGS, "safety": 3}, "", by=people["neighbour"])
    db.session.commit()
    login(people["resident"])
    page = text(client.get(f"/rounds/{round_.id}/evaluate"))
    assert has(page, "evaluate-form")
    for criterion, value in RATINGS.items():
        assert re.search(rf'name="{criterion}" value="{value}" checked', page), criterion
        assert not re.search(rf'name="{criterion}" value="{value % 5 + 1}" checked', page)
    assert "Lovely &lt;b&gt;shade&lt;/b&gt;</textarea>" in page
    assert "<b>shade</b>" not in page.split('id="evaluate-data"')[0]
    data = island(page, "evaluate-data")
    assert data["results"]["count"] == 2
    assert data["results"]["criteria"]["safety"] == {"average": 4.0, "distribution": [0, 0, 1, 0, 1]}
    assert data["url"] == f"/api/v1/rounds/{round_.id}/evaluations"
    assert re.search(r'data-testid="evaluation-count">2<', page)
    assert "chart.umd.min.js" in page


def test_someone_outside_the_community_sees_the_results_but_cannot_rate(client, login, people, decided):
    round_, *_ = decided
    in_use(round_, people)
    login(people["outsider"])
    page = text(client.get(f"/rounds/{round_.id}/evaluate"))
    assert has(page, "cannot-rate") and not has(page, "evaluate-form") and has(page, "evaluation-results")


# --- participation and the audit log --------------------------------------------------------


def test_participation_is_charted_and_tabled_without_small_age_groups(
    client, login, people, deciding, make_user, community
):
    round_, *_ = deciding
    login(people["resident"])
    page = text(client.get(f"/rounds/{round_.id}/participation"))
    assert has(page, "participation-chart") and "participation.js" in page
    data = island(page, "participation-data")
    assert data["ways"] == ["needs", "comments", "ballots", "evaluations"]
    # five voters, one in each age band: they are counted, but not shown by age
    assert data["table"]["ballots"] == {"people": 5, "by_age_band": {}}
    row = re.search(r'<tr data-way="ballots">(.*?)</tr>', page, re.S).group(1)
    assert plain(row) == "Ballots 5 too few people to show by age"


def test_the_audit_log_says_what_happened_in_words(client, login, people, deciding):
    round_, a, _b, _c = deciding
    round_.phase = Phase.HEARING.value
    hearing = hearings.create_hearing(
        round_, "Evening talk", datetime.now(UTC), "Hall", [], by=people["moderator"]
    )
    db.session.commit()
    comment, _new = hearings.add_comment(hearing, "rude words", author=people["resident"], client_id="c-1")
    hearings.hide_comment(comment, "Abusive language", by=people["moderator"])
    round_.phase = Phase.DECIDING.value
    decisions.decide(round_, a.id, RATIONALE, by=people["secretary"])
    decisions.reopen(round_, "New facts from the fire brigade", by=people["secretary"])
    db.session.commit()
    login(people["resident"])
    page = html_lib.unescape(text(client.get(f"/rounds/{round_.id}/audit")))
    rows = [plain(r) for r in re.findall(r"<tr data-action=.*?</tr>", page, re.S)]
    actions = re.findall(r'<tr data-action="([^"]+)"', page)
    assert actions[0] == "round.created"  # oldest first
    assert any("Hearing scheduled: Evening talk" in r for r in rows)
    assert any("Comment hidden. Reason: Abusive language" in r and "Wang Li" in r for r in rows)
    assert any("Phase changed: Deciding → Notice period" in r for r in rows)
    assert any("Round decided: Plan A, version 1" in r and "Zhang Hua" in r for r in rows)
    assert any("Round reopened. Reason: New facts from the fire brigade" in r for r in rows)
    assert actions.index("round.decided") < actions.index("round.reopened")
    assert f'href="/rounds/{round_.id}/export.json"' in page


def test_the_audit_log_speaks_chinese_too(client, login, people, decided):
    round_, *_ = decided
    login(people["resident"], language="zh-CN")
    page = html_lib.unescape(text(client.get(f"/rounds/{round_.id}/audit")))
    assert "阶段变更：投票排序 → 公示期" in page and "定案：Plan A，第 1 版" in page
    assert "Phase changed" not in page


def test_the_export_downloads_as_a_json_file(client, login, people, decided):
    round_, *_ = decided
    login(people["resident"])
    response = client.get(f"/rounds/{round_.id}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="round-{round_.id}.json"'
    record = json.loads(response.data)
    assert record["round"]["id"] == round_.id
    assert record["decisions"][0]["rationale"] == RATIONALE


# --- for everyone's pages: login, 404s, nothing from another host ---------------------------

PAGES = ["decision", "notice", "notice.pdf", "evaluate", "participation", "audit", "export.json"]


@pytest.mark.parametrize("suffix", PAGES)
def test_the_pages_need_a_login(client, decided, suffix):
    round_, *_ = decided
    response = client.get(f"/rounds/{round_.id}/{suffix}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("suffix", PAGES)
def test_an_unknown_round_is_404(client, login, people, suffix):
    login(people["resident"])
    assert client.get(f"/rounds/999/{suffix}").status_code == 404


def test_the_pages_load_nothing_from_another_host(client, login, people, decided):
    round_, *_ = decided
    in_use(round_, people)
    login(people["secretary"])
    for suffix in ("decision", "notice", "notice?lang=en", "evaluate", "participation", "audit"):
        response = client.get(f"/rounds/{round_.id}/{suffix}")
        assert response.status_code == 200, suffix
        page = html_lib.unescape(text(response)).replace(SVG_NAMESPACE, "")
        assert OTHER_HOST.findall(page) == [], suffix
        assert re.findall(r"https?://", page) == [], suffix
        for link in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page):
            assert link.startswith(("/", "#")) and not link.startswith("//"), (suffix, link)


def test_user_text_is_escaped_on_the_decision_page(client, login, people, deciding):
    round_, a, _b, _c = deciding
    decisions.decide(round_, a.id, RATIONALE + " <script>alert(1)</script>", by=people["secretary"])
    decisions.file_objection(round_, "<img src=x onerror=alert(1)>", by=people["resident"])
    db.session.commit()
    login(people["resident"])
    for suffix in ("decision", "notice"):
        page = text(client.get(f"/rounds/{round_.id}/{suffix}"))
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page, suffix
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_notice_words_cover_every_language():
    assert {language.value for language in Language} == set(NOTICE_WORDS)
