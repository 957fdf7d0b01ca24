"""The round pages: each phase's panel and who sees which control, comparison, ballot, tally,
the site page and the community map; nothing loaded from another host."""

from __future__ import annotations

import doctest
import html as html_lib
import json
import re

import pytest

from deliberation import asking, ballots, comparison, needs, proposals
from deliberation.enums import Language, Phase, Role
from deliberation.extensions import db
from deliberation.models import Site
from deliberation.rounds import available_moves
from tests import geo_layouts as g

OTHER_HOST = re.compile(r"""(?:https?:)?//(?!localhost[/:"'])[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)


def text(response) -> str:
    return response.get_data(as_text=True)


def has(html: str, testid: str) -> bool:
    return f'data-testid="{testid}"' in html


def island(html: str, element_id: str) -> dict:
    """A page's JSON data island."""
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert found, element_id
    return json.loads(found.group(1))


@pytest.fixture
def login(client, login):
    """Log in through the page, then read the pages in English."""

    def do_login(user) -> None:
        login(user)
        client.post("/preferences/language", data={"language": "en"})

    return do_login


@pytest.fixture
def resident(community, make_user):
    return make_user(Role.RESIDENT, community=community, name="Sun", age_band="80_plus")


@pytest.fixture
def designer(community, make_user):
    return make_user(Role.DESIGNER, Role.RESIDENT, community=community, name="Chen")


@pytest.fixture
def outsider(make_user):
    return make_user(name="Visitor")


@pytest.fixture
def with_proposals(make_round, designer):
    """A round with proposals (from given layouts), then placed in a phase."""

    def make(phase: Phase, *layouts: dict, titles: list[str] | None = None, round_=None):
        round_ = round_ or make_round(Phase.PROPOSING)
        round_.phase = Phase.PROPOSING.value
        made = []
        for index, layout in enumerate(layouts):
            title = titles[index] if titles else f"Plan {'ABCDEF'[index]}"
            proposal, _report = proposals.submit_proposal(
                round_, title, "summary", layout, by=designer, language=Language.EN
            )
            made.append(proposal)
        round_.phase = Phase(phase).value
        db.session.commit()
        return round_, made

    return make


ONE_BENCH = g.with_features(g.MINIMAL_LAYOUT, g.BENCH_EAST)  # 3 seats
TWO_BENCHES = g.with_features(g.MINIMAL_LAYOUT, g.BENCH_EAST, g.BENCH_POLYGON)  # 6 seats


# --- the round page ------------------------------------------------------------------------

# phase -> panels a member resident sees, and panels they must not see
PANELS = {
    Phase.DRAFT: (set(), {"whether-panel", "pin-panel", "needs-panel", "proposals-panel", "deciding-panel"}),
    Phase.ASKING: (
        {"whether-panel", "answer-yes", "answer-no"},
        {"pin-panel", "needs-panel", "proposals-panel"},
    ),
    Phase.NEEDS: ({"pin-panel", "needs-panel"}, {"whether-panel", "proposals-panel", "deciding-panel"}),
    Phase.PROPOSING: ({"proposals-panel"}, {"whether-panel", "pin-panel", "deciding-panel", "new-proposal"}),
    Phase.HEARING: ({"proposals-panel", "compare"}, {"whether-panel", "pin-panel", "deciding-panel"}),
    Phase.DECIDING: (
        {"proposals-panel", "deciding-panel", "ballot-link", "ballots-sealed"},
        {"pin-panel", "live-tally"},
    ),
    Phase.NOTICE: ({"proposals-panel", "tally-link"}, {"deciding-panel", "ballot-link", "pin-panel"}),
    Phase.DECIDED: ({"proposals-panel", "tally-link"}, {"deciding-panel", "ballot-link"}),
    Phase.IN_USE: ({"proposals-panel", "tally-link"}, {"deciding-panel", "ballot-link"}),
}


@pytest.mark.parametrize("phase", list(Phase))
def test_the_round_page_shows_the_panel_of_its_phase(client, login, resident, with_proposals, phase):
    round_, _made = with_proposals(phase, ONE_BENCH, TWO_BENCHES)
    login(resident)
    response = client.get(f"/rounds/{round_.id}")
    assert response.status_code == 200
    html = text(response)
    shown, hidden = PANELS[phase]
    for testid in {"round-head", "stepper", "round-map", "phase-record"} | shown:
        assert has(html, testid), (phase, testid)
    for testid in hidden | {"moderator-controls"}:
        assert not has(html, testid), (phase, testid)
    assert 'aria-current="step"' in html or phase is Phase.DRAFT


def test_the_round_page_has_a_stepper_with_planned_deadlines_and_skipped_steps(
    client, login, resident, community, make_round, make_user
):
    from datetime import UTC, datetime

    from deliberation import rounds

    round_ = make_round(Phase.DRAFT)
    moderator = make_user(Role.MODERATOR, community=community)
    rounds.advance(round_, Phase.PROPOSING, actor=moderator, reason="agreed at the meeting")
    rounds.set_deadline(round_, Phase.HEARING, datetime(2031, 5, 1, 10, 0, tzinfo=UTC))
    db.session.commit()
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}"))
    steps = re.findall(r'<li class="step step-(\w+)"', html)
    assert steps == [
        "skipped",
        "skipped",
        "current",
        "upcoming",
        "upcoming",
        "upcoming",
        "upcoming",
        "upcoming",
    ]
    assert "2031" in html
    assert "agreed at the meeting" in html


@pytest.mark.parametrize(
    ("roles", "phase", "targets"),
    [
        ((Role.MODERATOR,), Phase.DRAFT, ["asking", "proposing"]),
        ((Role.MODERATOR,), Phase.HEARING, ["deciding"]),
        ((Role.MODERATOR,), Phase.DECIDING, []),  # only the secretary's decision moves it on
        ((Role.SECRETARY,), Phase.NOTICE, []),  # reopening and finalising belong to the decision
        ((Role.SECRETARY,), Phase.DECIDED, ["in_use"]),
        ((Role.SECRETARY,), Phase.HEARING, []),
        ((Role.RESIDENT,), Phase.NEEDS, []),
        ((Role.DESIGNER,), Phase.PROPOSING, []),
    ],
)
def test_phase_controls_are_shown_only_to_whoever_may_move_the_round(
    client, login, community, make_user, make_round, roles, phase, targets
):
    round_ = make_round(phase)
    person = make_user(*roles, community=community)
    assert [str(m.target) for m in available_moves(round_, person)] == targets
    login(person)
    html = text(client.get(f"/rounds/{round_.id}"))
    assert has(html, "moderator-controls") == bool(targets)
    assert re.findall(r'<input type="radio" name="phase" value="(\w+)"', html) == targets
    if Phase.PROPOSING.value in targets:  # skipping from draft needs a reason
        assert 'value="proposing" data-needs-reason="true"' in html.replace("\n", " ").replace("  ", "")


def test_people_outside_the_community_watch_but_do_not_take_part(client, login, outsider, make_round):
    login(outsider)
    asking_round = make_round(Phase.ASKING)
    html = text(client.get(f"/rounds/{asking_round.id}"))
    assert has(html, "whether-panel") and not has(html, "answer-yes")
    needs_round = make_round(Phase.NEEDS)
    html = text(client.get(f"/rounds/{needs_round.id}"))
    assert has(html, "needs-panel") and not has(html, "pin-panel")
    assert "support-button" not in html


def test_designers_get_the_editor_link_while_proposing(client, login, designer, make_round):
    round_ = make_round(Phase.PROPOSING)
    login(designer)
    html = text(client.get(f"/rounds/{round_.id}"))
    assert has(html, "new-proposal")
    assert f'href="/rounds/{round_.id}/proposals/new"' in html


def test_the_ask_whether_panel_keeps_answers_secret_until_the_question_closes(
    client, login, community, make_user, make_round
):
    round_ = make_round(Phase.ASKING)
    me = make_user(Role.RESIDENT, community=community, age_band="60_79")
    asking.answer_whether(round_, True, by=me)
    for n in range(9):  # five children and four more of my age group; six say yes in all
        band = "under_14" if n < 5 else "60_79"
        asking.answer_whether(
            round_, n % 2 == 0, by=make_user(Role.RESIDENT, community=community, age_band=band)
        )
    db.session.commit()
    login(me)
    html = text(client.get(f"/rounds/{round_.id}"))
    assert re.search(r'aria-pressed="true" data-testid="answer-yes"', html)
    assert re.search(r'data-testid="whether-answers">10<', html)
    assert has(html, "whether-sealed") and not has(html, "whether-support") and "whether-bands" not in html
    assert island(html, "round-data")["whether"]["by_age_band"] == {}

    round_.phase = Phase.NEEDS.value  # the question closed: the round moved on
    db.session.commit()
    html = text(client.get(f"/rounds/{round_.id}"))
    assert re.search(r'data-testid="whether-support">60%<', html) and not has(html, "whether-sealed")
    rows = dict(re.findall(r'<tr data-band="([^"]+)"><th scope="row">[^<]*</th><td>(\d+)</td>', html))
    assert rows == {"under_14": "3", "14_34+35_59+60_79+80_plus+unknown": "3"}
    assert "Under 14" in html and "14 and over, or age not given" in html
    data = island(html, "round-data")
    assert data["bands"] == ["under_14", "14_34+35_59+60_79+80_plus+unknown"]
    assert data["strings"]["yes"] == "Yes"


def test_the_round_page_watches_its_round_live(client, login, resident, make_round):
    round_ = make_round(Phase.HEARING)
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}"))
    live = island(html, "round-data")["live"]
    assert live == {
        "round_id": round_.id,
        "namespace": "/hearing",
        "socket_path": "/socket.io",
        "watch": "watch",
        "events": {"phase": "phase", "closed": "closed"},
    }
    assert "/static/vendor/socket.io/socket.io.min.js" in html
    assert has(html, "live-banner")


def test_needs_are_listed_with_their_support_and_on_the_map(client, login, community, make_user, make_round):
    round_ = make_round(Phase.NEEDS)
    me = make_user(Role.RESIDENT, community=community)
    need = needs.add_need(round_, "Shade <b>please</b>", "shade", g.point(5, 5), by=me, language=Language.EN)
    needs.add_need(round_, "Lights for the evening", "lighting", None, by=me, language=Language.EN)
    needs.support_need(need, by=make_user(Role.RESIDENT, community=community))
    db.session.commit()
    login(me)
    html = text(client.get(f"/rounds/{round_.id}"))
    assert "Shade &lt;b&gt;please&lt;/b&gt;" in html and "<b>please</b>" not in html
    assert "Lights for the evening" in html and "(the whole site)" in html
    assert re.search(rf'data-need-id="{need.id}">\s*<span class="need-dot"', html)
    assert '.groups["needs"]' in html  # the needs layer on the map
    assert island(html, "round-data")["category_names"]["shade"] == "Shade"


def test_the_round_map_switches_between_every_active_proposal(client, login, resident, with_proposals):
    round_, made = with_proposals(Phase.HEARING, ONE_BENCH, TWO_BENCHES, titles=["Benches <one>", "Two"])
    proposals.withdraw_proposal(made[1], by=made[1].designers[0].user)
    db.session.commit()
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}"))
    assert '.groups["proposal-0"]' in html and '.groups["proposal-1"]' not in html
    assert "Benches &lt;one&gt;" in html and "Benches <one>" not in html
    assert f'href="/proposals/{made[0].id}"' in html
    assert "withdrawn" in html


# --- comparison ----------------------------------------------------------------------------


def test_two_proposals_are_compared_side_by_side(client, login, resident, with_proposals):
    round_, (a, b) = with_proposals(Phase.HEARING, ONE_BENCH, TWO_BENCHES)
    login(resident)
    response = client.get(f"/rounds/{round_.id}/compare?p={a.id}&p={b.id}")
    assert response.status_code == 200
    html = text(response)
    assert html.count('data-testid="compare-map"') == 2
    assert ".sync(" in html and "leaflet.sync/L.Map.Sync.js" in html
    assert has(html, "compare-metrics")
    seats = re.search(r'<tr data-metric="seats".*?</tr>', html, re.S).group(0)
    cells = re.findall(r'<td class="([^"]*)">\s*(\d+)', seats)
    assert cells == [("", "3"), ("best", "6")]


def test_three_proposals_share_one_map_with_a_layer_switcher(client, login, resident, with_proposals):
    round_, made = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES, g.GOOD_LAYOUT)
    login(resident)
    query = "&".join(f"p={p.id}" for p in made)
    html = text(client.get(f"/rounds/{round_.id}/compare?{query}"))
    assert html.count('data-testid="compare-map"') == 1
    for index in range(3):
        assert f'.groups["proposal-{index}"]' in html
    assert "L.control.layers(" in html
    rows = re.findall(r'<tr data-metric="([\w.]+)"', html)
    assert {"area.half_court", "green_ratio", "seats", "trees.kept", "trees.removed", "trees.new"} <= set(
        rows
    )
    assert {"shaded_area_m2", "estimated_cost_cny", "needs"} <= set(rows)
    cost = re.search(r'<tr data-metric="estimated_cost_cny".*?</tr>', html, re.S).group(0)
    assert "budget ¥500,000" in cost
    assert cost.count('class="best"') == 1


def test_the_comparison_shows_the_needs_each_proposal_answers(
    client, login, community, make_user, make_round, designer, resident
):
    round_ = make_round(Phase.NEEDS)
    shade = needs.add_need(round_, "More shade", "shade", None, by=resident, language=Language.EN)
    seats = needs.add_need(round_, "More seats", "seating", None, by=resident, language=Language.EN)
    round_.phase = Phase.PROPOSING.value
    a, _ = proposals.submit_proposal(
        round_, "A", "", ONE_BENCH, by=designer, language=Language.EN, need_ids=[shade.id, seats.id]
    )
    b, _ = proposals.submit_proposal(round_, "B", "", TWO_BENCHES, by=designer, language=Language.EN)
    db.session.commit()
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}/compare?p={a.id}&p={b.id}"))
    matrix = re.search(r'data-testid="needs-matrix".*?</table>', html, re.S).group(0)
    assert "More shade" in matrix and "More seats" in matrix
    assert matrix.count('<td class="answer"><span aria-hidden="true">✓') == 2


def test_fewer_than_two_proposals_ask_for_a_choice(client, login, resident, with_proposals):
    round_, (a, _b) = with_proposals(Phase.HEARING, ONE_BENCH, TWO_BENCHES)
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}/compare?p={a.id}"))
    assert has(html, "compare-too-few") and not has(html, "compare-map")
    assert has(html, "compare-chooser")


def test_comparing_a_proposal_of_another_round_is_404(client, login, resident, with_proposals):
    round_, (a,) = with_proposals(Phase.HEARING, ONE_BENCH)
    other, (b,) = with_proposals(Phase.HEARING, TWO_BENCHES)
    login(resident)
    assert client.get(f"/rounds/{round_.id}/compare?p={a.id}&p={b.id}").status_code == 404
    assert client.get(f"/rounds/{other.id}/compare?p={b.id}").status_code == 200
    assert client.get(f"/rounds/{round_.id}/compare?p={a.id}&p=9999").status_code == 404


def test_best_values_and_the_budget(app):
    failures, _tried = doctest.testmod(comparison)
    assert failures == 0
    rows = comparison.metric_rows(
        [{"estimated_cost_cny": 900, "seats": 4}, {"estimated_cost_cny": 1200, "seats": 4}],
        budget_cny=1000,
        language="en",
    )
    cost = next(r for r in rows if r.key == "estimated_cost_cny")
    assert cost.best == {0} and cost.over == [False, True]
    assert next(r for r in rows if r.key == "seats").best == set()  # equal: nothing stands out
    assert next(r for r in rows if r.key == "hard_surface_ratio").best == set()


# --- the ballot ----------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.DECIDING])
def test_a_stale_ballot_link_explains_where_the_round_is_now(client, login, resident, make_round, phase):
    round_ = make_round(phase)
    login(resident)
    response = client.get(f"/rounds/{round_.id}/ballot")
    html = text(response)
    assert response.status_code == 200
    assert 'data-testid="ballot-closed"' in html and "ballot-data" not in html
    assert f'href="/rounds/{round_.id}"' in html
    assert f'class="phase phase-{phase.value}" data-testid="round-phase"' in html


def test_a_ballot_link_kept_after_the_ballots_closed_leads_to_the_count(
    client, login, resident, community, make_user, with_proposals
):
    round_, _made = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES)
    ballots.close_ballots(round_, by=make_user(Role.MODERATOR, community=community))
    db.session.commit()
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}/ballot"))
    assert "The ballots are closed." in html
    assert f'href="/rounds/{round_.id}/tally"' in html


def test_the_ballot_page_is_refused_to_non_members(client, login, outsider, with_proposals):
    round_, _made = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES)
    login(outsider)
    assert client.get(f"/rounds/{round_.id}/ballot").status_code == 403


def test_a_member_ranks_every_active_proposal_and_sees_their_current_ranking(
    client, login, resident, with_proposals
):
    round_, (a, b, c) = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES, g.GOOD_LAYOUT)
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}/ballot"))
    ranking = re.search(r'id="ranking".*?</ol>', html, re.S).group(0)
    assert sorted(map(int, re.findall(r'data-proposal-id="(\d+)"', ranking))) == [a.id, b.id, c.id]
    assert "You have not ranked the proposals yet." in html
    assert island(html, "ballot-data")["ballot_url"] == f"/api/v1/rounds/{round_.id}/ballot"

    ballots.cast_ballot(round_, [c.id, a.id], by=resident)
    db.session.commit()
    html = text(client.get(f"/rounds/{round_.id}/ballot"))
    ranking = re.search(r'id="ranking".*?</ol>', html, re.S).group(0)
    left_out = re.search(r'id="left-out".*?</ul>', html, re.S).group(0)
    current = re.search(r'id="current-ranking".*?</ol>', html, re.S).group(0)
    assert list(map(int, re.findall(r'data-proposal-id="(\d+)"', ranking))) == [c.id, a.id]
    assert list(map(int, re.findall(r'data-proposal-id="(\d+)"', left_out))) == [b.id]
    assert list(map(int, re.findall(r'data-proposal-id="(\d+)"', current))) == [c.id, a.id]


def test_a_fresh_ballot_starts_in_an_order_of_its_own_for_each_person(community, make_user, with_proposals):
    round_, made = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES, g.GOOD_LAYOUT, ONE_BENCH)
    ids = sorted(p.id for p in made)
    orders = set()
    for _ in range(8):
        person = make_user(Role.RESIDENT, community=community)
        ranked, left_out = ballots.starting_order(round_, person)
        assert sorted(ranked) == ids and left_out == []
        assert ballots.starting_order(round_, person) == (ranked, left_out)  # stable per person
        orders.add(tuple(ranked))
    assert len(orders) > 1


# --- the tally -----------------------------------------------------------------------------


def test_the_tally_page_shows_the_same_numbers_as_the_api(
    client, login, community, make_user, outsider, token_for, with_proposals
):
    round_, (a, b, c) = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES, g.GOOD_LAYOUT)
    rankings = [[a.id]] * 4 + [[b.id, a.id]] * 3 + [[c.id, b.id]] * 2 + [[b.id]]
    bands = ["under_14", "14_34", "14_34", "under_14", "14_34", "60_79", "80_plus", "60_79", "80_plus", None]
    for ranking, band in zip(rankings, bands, strict=True):
        ballots.cast_ballot(round_, ranking, by=make_user(Role.RESIDENT, community=community, age_band=band))
    db.session.commit()

    login(outsider)  # anyone logged in may read the tally
    sealed = text(client.get(f"/rounds/{round_.id}/tally"))
    assert has(sealed, "tally-sealed") and re.search(r'data-testid="tally-ballots">10<', sealed)
    assert "first-preferences" not in sealed and "runoff-rounds" not in sealed

    ballots.close_ballots(round_, by=make_user(Role.MODERATOR, community=community))
    db.session.commit()
    api = client.get(f"/api/v1/rounds/{round_.id}/tally", headers=token_for(outsider)).get_json()
    html = text(client.get(f"/rounds/{round_.id}/tally"))
    assert re.search(r'data-testid="tally-ballots">(\d+)<', html).group(1) == str(api["ballots"]) == "10"
    assert f'data-winner-id="{api["winner"]}"' in html and api["winner"] == b.id
    first = re.search(r'data-testid="first-preferences".*?</table>', html, re.S).group(0)
    shown = dict(re.findall(r'<tr data-proposal-id="(\d+)"><th scope="row">[^<]*</th><td>(\d+)</td>', first))
    assert shown == {k: str(v) for k, v in api["first_preferences"].items()}
    runoff = re.search(r'data-testid="runoff-rounds".*?</table>', html, re.S).group(0)
    for number, count in enumerate(api["rounds"], start=1):
        for pid, votes in count["counts"].items():
            row = re.search(rf'<tr data-proposal-id="{pid}".*?</tr>', runoff, re.S).group(0)
            assert re.search(rf'<td data-round="{number}">{votes}\b', row)
    assert runoff.count(">eliminated<") == 1
    # two age groups of five: the young and the rest, each named by the ages it spans
    assert {k: v["ballots"] for k, v in api["by_age_band"].items()} == {
        "under_14+14_34": 5,
        "35_59+60_79+80_plus+unknown": 5,
    }
    bands_table = re.search(r'data-testid="age-bands".*?</table>', html, re.S).group(0)
    for band, result in api["by_age_band"].items():
        row = re.search(rf'<tr data-band="{re.escape(band)}">.*?</tr>', bands_table, re.S).group(0)
        assert re.findall(r"<td>(\d+)</td>", row)[0] == str(result["ballots"])
    assert "Under 35" in bands_table and "35 and over, or age not given" in bands_table
    assert island(html, "tally-data")["tally"] == api
    assert "the proposal submitted last goes" in html  # the tie rule, in words


def test_an_empty_tally_says_so(client, login, resident, community, make_user, with_proposals):
    round_, _made = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES)
    login(resident)
    html = text(client.get(f"/rounds/{round_.id}/tally"))
    assert re.search(r'data-testid="tally-ballots">0<', html) and has(html, "tally-sealed")
    ballots.close_ballots(round_, by=make_user(Role.MODERATOR, community=community))
    db.session.commit()
    html = text(client.get(f"/rounds/{round_.id}/tally"))
    assert re.search(r'data-testid="tally-ballots">0<', html)
    assert has(html, "no-ballots")


# --- the site page and the community map ---------------------------------------------------


def test_the_site_page_shows_the_plan_its_constraints_and_rounds(client, login, resident, make_round):
    round_ = make_round(Phase.NEEDS)
    login(resident)
    html = text(client.get(f"/sites/{round_.site_id}"))
    assert has(html, "site-map") and "jiayuan-legend" in html
    constraints = re.search(r'data-testid="constraints".*?</ul>', html, re.S).group(0)
    assert "Existing tree" in constraints and ">keep<" in constraints
    assert f'href="/rounds/{round_.id}"' in html and "Ask what: needs" in html


def test_the_community_map_lists_every_site_and_its_phase(
    client, login, community, resident, make_site, make_round
):
    empty_site = make_site()
    old = make_round(Phase.IN_USE)
    current = make_round(Phase.HEARING, site=old.site)
    asking_round = make_round(Phase.ASKING)
    login(resident)
    response = client.get(f"/communities/{community.id}/map")
    assert response.status_code == 200
    html = text(response)
    assert has(html, "community-map") and '.groups["sites"]' in html
    listing = re.search(r'data-testid="community-sites".*?</ol>', html, re.S).group(0)
    sites = db.session.query(Site).filter_by(community_id=community.id).all()
    assert len(sites) == 3
    for site in sites:
        assert f'data-site-id="{site.id}"' in listing
    assert f'href="/rounds/{current.id}"' in listing and f'href="/rounds/{old.id}"' not in listing
    assert f'href="/rounds/{asking_round.id}"' in listing
    assert re.findall(r'data-testid="site-phase">([^<]+)<', listing) == ["Hearings", "Ask whether"]
    assert f'data-site-id="{empty_site.id}"' in listing
    with client.get("/static/css/jiayuan.css") as css:  # printable
        assert "@media print" in css.get_data(as_text=True)


def test_the_home_page_links_sites_and_the_community_map(client, login, resident, community, make_site):
    site = make_site()
    login(resident)
    html = text(client.get("/"))
    assert f'href="/communities/{community.id}/map"' in html
    assert f'href="/sites/{site.id}"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/rounds/999",
        "/rounds/999/compare",
        "/rounds/999/ballot",
        "/rounds/999/tally",
        "/sites/999",
        "/communities/999/map",
    ],
)
def test_unknown_ids_are_404(client, login, resident, path):
    login(resident)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/rounds/1/compare?p=1&p=2", "/rounds/1/ballot", "/rounds/1/tally", "/sites/1", "/communities/1/map"],
)
def test_the_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- issue 3: nothing from another host ----------------------------------------------------


def test_pages_load_nothing_from_another_host(client, login, community, resident, with_proposals):
    round_, (a, b, c) = with_proposals(Phase.DECIDING, ONE_BENCH, TWO_BENCHES, g.GOOD_LAYOUT)
    login(resident)
    paths = [
        f"/sites/{round_.site_id}",
        f"/rounds/{round_.id}",
        f"/rounds/{round_.id}/compare?p={a.id}&p={b.id}",
        f"/rounds/{round_.id}/compare?p={a.id}&p={b.id}&p={c.id}",
        f"/rounds/{round_.id}/tally",
        f"/rounds/{round_.id}/ballot",
        f"/communities/{community.id}/map",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = html_lib.unescape(text(response))
        assert OTHER_HOST.findall(html) == [], path
        assert re.findall(r"https?://", html) == [], path
        for link in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html):
            assert link.startswith(("/", "#")) and not link.startswith("//"), (path, link)


def test_the_round_page_links_the_record_and_charts_who_took_part(
    client, login, community, make_user, make_round
):
    round_ = make_round(Phase.DECIDING)
    login(make_user(Role.RESIDENT, community=community))
    html = text(client.get(f"/rounds/{round_.id}"))
    assert has(html, "round-record")
    assert f'href="/rounds/{round_.id}/hearings"' in html
    assert f'href="/rounds/{round_.id}/decision"' in html
    assert f'href="/rounds/{round_.id}/audit"' in html
    assert 'id="participation"' in html
