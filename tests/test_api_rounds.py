"""Rounds over the API: phases, ask whether, needs, proposals and versions, ballots and the tally.

Each endpoint is tested for the roles that may and may not call it, and for bad input.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deliberation.enums import Phase, Role
from deliberation.extensions import db
from deliberation.models import Ballot, Need, Proposal, ProposalVersion, Round, WhetherAnswer
from deliberation.models.types import utcnow
from tests import geo_layouts as g

OTHER_ROLES = [Role.RESIDENT, Role.DESIGNER, Role.SECRETARY]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


# --- rounds and phases -------------------------------------------------------------


def test_a_moderator_opens_a_round(client, community, make_site, make_user, token_for):
    site = make_site()
    moderator = make_user(Role.MODERATOR, community=community)
    response = client.post(
        "/api/v1/rounds",
        json={"site_id": site.id, "title": "Renew", "brief": "Why", "budget_cny": 100_000},
        headers=token_for(moderator),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["phase"], body["title"], body["budget_cny"]) == ("draft", "Renew", 100_000)
    assert body["next_phases"] == ["asking", "proposing"]
    read = client.get(f"/api/v1/rounds/{body['id']}", headers=token_for(make_user()))
    assert read.status_code == 200 and read.get_json()["id"] == body["id"]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_moderators_open_rounds(client, community, make_site, make_user, token_for, role):
    site = make_site()
    response = client.post(
        "/api/v1/rounds",
        json={"site_id": site.id, "title": "Renew", "budget_cny": 1},
        headers=token_for(make_user(role, community=community)),
    )
    assert response.status_code == 403
    assert count(Round) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"title": "x", "budget_cny": 1}, 422),
        ({"site_id": 1, "title": "", "budget_cny": 1}, 422),
        ({"site_id": 1, "title": "x", "budget_cny": -5}, 422),
        ({"site_id": 1, "title": "x", "budget_cny": "lots"}, 422),
        ({"site_id": 999, "title": "x", "budget_cny": 1}, 404),
    ],
)
def test_opening_a_round_with_bad_input(client, community, make_site, make_user, token_for, body, status):
    make_site()
    response = client.post(
        "/api/v1/rounds", json=body, headers=token_for(make_user(Role.MODERATOR, community=community))
    )
    assert response.status_code == status
    assert count(Round) == 0


def test_moving_a_round_through_its_phases(client, community, make_round, make_user, token_for):
    round_ = make_round(Phase.DRAFT)
    headers = token_for(make_user(Role.MODERATOR, community=community))
    url = f"/api/v1/rounds/{round_.id}/phase"
    skip = client.post(url, json={"phase": "proposing"}, headers=headers)
    assert skip.status_code == 422  # skipping needs a reason
    ok = client.post(url, json={"phase": "asking", "deadline": "2026-12-24T20:00:00+08:00"}, headers=headers)
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["phase"] == "asking"
    assert body["deadlines"] == {"asking": "2026-12-24T12:00:00+00:00"}
    assert [c["to"] for c in body["phase_changes"]] == ["draft", "asking"]
    backwards = client.post(url, json={"phase": "draft"}, headers=headers)
    assert backwards.status_code == 409
    assert error_code(backwards) == "forbidden_transition"


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_moderators_move_rounds_on(client, community, make_round, make_user, token_for, role):
    round_ = make_round(Phase.DRAFT)
    response = client.post(
        f"/api/v1/rounds/{round_.id}/phase",
        json={"phase": "asking"},
        headers=token_for(make_user(role, community=community)),
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "draft"


def test_a_round_reaches_its_notice_period_only_by_a_decision(
    client, community, make_round, make_user, token_for
):
    round_ = make_round(Phase.DECIDING)
    headers = token_for(make_user(Role.SECRETARY, Role.MODERATOR, community=community))
    response = client.post(f"/api/v1/rounds/{round_.id}/phase", json={"phase": "notice"}, headers=headers)
    assert response.status_code == 409


@pytest.mark.parametrize("body", [{"phase": "finished"}, {}, {"phase": "asking", "deadline": "tomorrow"}])
def test_moving_a_round_with_bad_input(client, community, make_round, make_user, token_for, body):
    round_ = make_round(Phase.DRAFT)
    response = client.post(
        f"/api/v1/rounds/{round_.id}/phase",
        json=body,
        headers=token_for(make_user(Role.MODERATOR, community=community)),
    )
    assert response.status_code == 422


def test_deadlines_are_planned_by_moderators(client, community, make_round, make_user, token_for):
    round_ = make_round(Phase.NEEDS)
    url = f"/api/v1/rounds/{round_.id}/deadlines"
    soon, later = (utcnow() + timedelta(days=days) for days in (7, 21))
    body = {"deadlines": {"needs": soon.isoformat(), "proposing": later.isoformat()}}
    assert (
        client.put(
            url, json=body, headers=token_for(make_user(Role.RESIDENT, community=community))
        ).status_code
        == 403
    )
    response = client.put(url, json=body, headers=token_for(make_user(Role.MODERATOR, community=community)))
    assert response.status_code == 200
    assert set(response.get_json()["deadlines"]) == {"needs", "proposing"}
    cleared = client.put(
        url,
        json={"deadlines": {"needs": None}},
        headers=token_for(make_user(Role.MODERATOR, community=community)),
    )
    assert set(cleared.get_json()["deadlines"]) == {"proposing"}


# --- ask whether -------------------------------------------------------------------


def test_residents_answer_whether_once_each_and_see_the_results_once_it_closes(
    client, community, make_round, make_user, token_for
):
    round_ = make_round(Phase.ASKING)
    url = f"/api/v1/rounds/{round_.id}/whether"
    young = make_user(Role.RESIDENT, community=community, age_band="under_14")
    old = make_user(Role.RESIDENT, community=community, age_band="80_plus")
    assert client.put(url, json={"support": True}, headers=token_for(young)).status_code == 200
    assert client.put(url, json={"support": True}, headers=token_for(old)).status_code == 200
    changed = client.put(url, json={"support": False}, headers=token_for(old))  # changes the answer
    results = changed.get_json()
    # while the question is open: turnout only
    assert results["sealed"] is True and results["mine"] is False
    assert (results["yes"], results["no"], results["answers"]) == (None, None, 2)
    assert results["by_age_band"] == {}
    assert results["turnout"] == pytest.approx(2 / 3, abs=1e-3)  # the round's moderator is a member too
    assert count(WhetherAnswer) == 2
    moderator = make_user(Role.MODERATOR, community=community)
    moved = client.post(
        f"/api/v1/rounds/{round_.id}/phase", json={"phase": "needs"}, headers=token_for(moderator)
    )
    assert moved.status_code == 200
    closed = client.get(url, headers=token_for(young)).get_json()
    assert (closed["sealed"], closed["yes"], closed["no"], closed["answers"]) == (False, 1, 1, 2)
    assert closed["by_age_band"] == {}  # two people: no age group could hold five


def test_answering_whether_needs_membership_and_the_asking_phase(
    client, community, make_round, make_user, token_for
):
    round_ = make_round(Phase.NEEDS)
    url = f"/api/v1/rounds/{round_.id}/whether"
    assert client.put(url, json={"support": True}, headers=token_for(make_user())).status_code == 403
    wrong_phase = client.put(
        url, json={"support": True}, headers=token_for(make_user(Role.RESIDENT, community=community))
    )
    assert wrong_phase.status_code == 409
    assert error_code(wrong_phase) == "wrong_phase"
    bad = client.put(
        url, json={"support": "yes"}, headers=token_for(make_user(Role.RESIDENT, community=community))
    )
    assert bad.status_code == 422
    assert count(WhetherAnswer) == 0


# --- needs ---------------------------------------------------------------------------


def test_residents_pin_needs_and_support_them(client, community, make_round, make_user, token_for):
    round_ = make_round(Phase.NEEDS)
    author = make_user(Role.RESIDENT, community=community)
    neighbour = make_user(Role.RESIDENT, community=community)
    created = client.post(
        f"/api/v1/rounds/{round_.id}/needs",
        json={"text": "Shade for the benches", "category": "shade", "geometry": g.point(10, -4)},
        headers=token_for(author),
    )
    assert created.status_code == 201
    need = created.get_json()
    assert need["properties"]["supports"] == 0
    whole_site = client.post(
        f"/api/v1/rounds/{round_.id}/needs",
        json={"text": "Lights", "category": "lighting"},
        headers=token_for(author),
    )
    assert whole_site.status_code == 201 and whole_site.get_json()["geometry"] is None
    for _ in range(2):  # supporting twice counts once
        supported = client.post(f"/api/v1/needs/{need['id']}/support", headers=token_for(neighbour))
        assert supported.status_code == 200
    assert supported.get_json()["properties"] == {
        **supported.get_json()["properties"],
        "supports": 1,
        "supported_by_me": True,
    }
    layer = client.get(f"/api/v1/rounds/{round_.id}/needs", headers=token_for(make_user())).get_json()
    assert layer["type"] == "FeatureCollection"
    assert [f["properties"]["text"] for f in layer["features"]] == ["Shade for the benches", "Lights"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "", "category": "shade"}, 422, "invalid_input"),
        ({"text": "x", "category": "moat"}, 422, "invalid_input"),
        ({"text": "x", "category": "shade", "geometry": g.point(500, 500)}, 422, "invalid_layout"),
        ({"text": "x", "category": "shade", "geometry": g.line((0, 0), (1, 1))}, 422, "invalid_layout"),
        ({"text": "x", "category": "shade", "geometry": g.BOWTIE}, 422, "invalid_layout"),
        ({"text": "x", "category": "shade", "geometry": "here"}, 422, "invalid_input"),
    ],
    ids=["empty", "unknown-category", "outside-site", "a-line", "self-intersecting", "not-geojson"],
)
def test_bad_needs_are_refused(client, community, make_round, make_user, token_for, body, status, code):
    round_ = make_round(Phase.NEEDS)
    response = client.post(
        f"/api/v1/rounds/{round_.id}/needs",
        json=body,
        headers=token_for(make_user(Role.RESIDENT, community=community)),
    )
    assert response.status_code == status
    assert error_code(response) == code
    assert count(Need) == 0


def test_needs_need_membership_and_the_needs_phase(client, community, make_round, make_user, token_for):
    round_ = make_round(Phase.NEEDS)
    body = {"text": "Shade", "category": "shade"}
    assert (
        client.post(
            f"/api/v1/rounds/{round_.id}/needs", json=body, headers=token_for(make_user())
        ).status_code
        == 403
    )
    closed = make_round(Phase.PROPOSING)
    response = client.post(
        f"/api/v1/rounds/{closed.id}/needs",
        json=body,
        headers=token_for(make_user(Role.RESIDENT, community=community)),
    )
    assert response.status_code == 409
    assert client.post("/api/v1/needs/999/support", headers=token_for(make_user())).status_code == 404


# --- proposals and versions -----------------------------------------------------------


@pytest.fixture
def designer(community, make_user):
    return make_user(Role.DESIGNER, Role.RESIDENT, community=community, name="Chen")


def submit(client, round_, user, token_for, layout=None, **extra):
    return client.post(
        f"/api/v1/rounds/{round_.id}/proposals",
        json={
            "title": "Shaded court",
            "summary": "Benches under shade",
            "layout": layout or g.GOOD_LAYOUT,
            **extra,
        },
        headers=token_for(user),
    )


def test_a_designer_submits_a_proposal_with_its_report(client, make_round, designer, token_for):
    round_ = make_round(Phase.PROPOSING)
    response = submit(client, round_, designer, token_for)
    assert response.status_code == 201
    body = response.get_json()
    assert body["report"]["valid"] is True
    assert body["report"]["metrics"]["area_by_kind_m2"]["half_court"] == pytest.approx(210, rel=0.005)
    assert [v["number"] for v in body["versions"]] == [1]
    assert body["designers"] == [{"id": designer.id, "name": "Chen"}]


def test_a_couple_submits_as_a_team(client, community, make_round, designer, make_user, token_for):
    partner = make_user(Role.DESIGNER, community=community, name="Lin")
    response = submit(client, make_round(Phase.PROPOSING), designer, token_for, co_designers=[partner.id])
    assert response.status_code == 201
    assert {d["name"] for d in response.get_json()["designers"]} == {"Chen", "Lin"}
    # the partner can revise it
    revised = client.post(
        f"/api/v1/proposals/{response.get_json()['id']}/versions",
        json={"layout": g.GOOD_LAYOUT, "note": "same"},
        headers=token_for(partner),
    )
    assert revised.status_code == 201


def test_a_co_designer_must_be_a_designer_here(client, make_round, designer, make_user, token_for):
    response = submit(client, make_round(Phase.PROPOSING), designer, token_for, co_designers=[make_user().id])
    assert response.status_code == 422
    assert count(Proposal) == 0


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.SECRETARY])
def test_only_designers_submit_proposals(client, community, make_round, make_user, token_for, role):
    response = submit(client, make_round(Phase.PROPOSING), make_user(role, community=community), token_for)
    assert response.status_code == 403
    assert count(Proposal) == 0


def test_an_invalid_layout_is_422_with_the_geo_findings(client, make_round, designer, token_for):
    outside = g.feature("bench-far", "bench", g.point(60, 0))
    response = submit(
        client,
        make_round(Phase.PROPOSING),
        designer,
        token_for,
        layout=g.with_features(g.GOOD_LAYOUT, outside),
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_layout"
    assert [(e["code"], e["feature_id"]) for e in error["report"]["errors"]] == [
        ("outside_site", "bench-far")
    ]
    assert count(Proposal) == 0 and count(ProposalVersion) == 0


@pytest.mark.parametrize("phase", [Phase.NEEDS, Phase.HEARING, Phase.DECIDING])
def test_proposals_are_taken_only_while_proposing(client, make_round, designer, token_for, phase):
    response = submit(client, make_round(phase), designer, token_for)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "layout": {"type": "Feature"}},
        {"title": "", "layout": g.GOOD_LAYOUT},
        {"title": "x"},
        {"title": "x", "layout": g.GOOD_LAYOUT, "needs": ["a"]},
    ],
)
def test_malformed_proposals_are_422(client, make_round, designer, token_for, body):
    round_ = make_round(Phase.PROPOSING)
    response = client.post(f"/api/v1/rounds/{round_.id}/proposals", json=body, headers=token_for(designer))
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"


def test_a_version_cites_the_needs_it_answers(client, community, make_round, designer, make_user, token_for):
    round_ = make_round(Phase.NEEDS)
    resident = make_user(Role.RESIDENT, community=community)
    need = client.post(
        f"/api/v1/rounds/{round_.id}/needs",
        json={"text": "Shade", "category": "shade"},
        headers=token_for(resident),
    ).get_json()
    round_.phase = "proposing"
    db.session.commit()
    response = submit(client, round_, designer, token_for, needs=[need["id"]])
    assert response.get_json()["versions"][0]["needs"] == [need["id"]]
    assert submit(client, round_, designer, token_for, needs=[need["id"] + 100]).status_code == 422


def test_versions_diffs_and_layouts(client, community, make_round, designer, make_user, token_for):
    round_ = make_round(Phase.PROPOSING)
    proposal = submit(client, round_, designer, token_for).get_json()
    moved_bench = g.feature("bench-1", "bench", g.point(10.0, -1.0), seats=3)
    layout_v2 = g.with_features(g.GOOD_LAYOUT, moved_bench, drop=["bench-1"])
    url = f"/api/v1/proposals/{proposal['id']}/versions"
    assert (
        client.post(
            url, json={"layout": layout_v2}, headers=token_for(make_user(Role.DESIGNER, community=community))
        ).status_code
        == 403
    )
    revised = client.post(
        url, json={"layout": layout_v2, "note": "bench nearer the court"}, headers=token_for(designer)
    )
    assert revised.status_code == 201
    assert revised.get_json()["number"] == 2
    assert revised.get_json()["report"]["valid"] is True

    reader = token_for(make_user())
    diff = client.get(f"/api/v1/proposals/{proposal['id']}/versions/2/diff", headers=reader).get_json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert diff["moved"] == ["bench-1"] or [m["id"] if isinstance(m, dict) else m for m in diff["moved"]] == [
        "bench-1"
    ]
    assert diff["added"] == [] and diff["removed"] == []
    # and in words, in the language the program asks for
    assert "移动：座椅（东侧）向北移了 3 米。" in diff["words"]
    in_english = client.get(
        f"/api/v1/proposals/{proposal['id']}/versions/2/diff", headers={**reader, "Accept-Language": "en"}
    ).get_json()
    assert "Moved: Bench, along the east side, 3 m to the north." in in_english["words"]
    assert (
        client.get(f"/api/v1/proposals/{proposal['id']}/versions/9/diff", headers=reader).status_code == 404
    )

    latest = client.get(f"/api/v1/proposals/{proposal['id']}/layout.geojson", headers=reader)
    assert latest.headers["Content-Type"] == "application/geo+json"
    assert latest.get_json()["properties"]["version"] == 2
    first = client.get(
        f"/api/v1/proposals/{proposal['id']}/layout.geojson?version=1", headers=reader
    ).get_json()
    assert first["features"] == g.GOOD_LAYOUT["features"]


def test_versions_freeze_from_deciding_on(client, make_round, designer, token_for):
    round_ = make_round(Phase.PROPOSING)
    proposal = submit(client, round_, designer, token_for).get_json()
    round_.phase = "hearing"
    db.session.commit()
    url = f"/api/v1/proposals/{proposal['id']}/versions"
    assert client.post(url, json={"layout": g.GOOD_LAYOUT}, headers=token_for(designer)).status_code == 201
    round_.phase = "deciding"
    db.session.commit()
    assert client.post(url, json={"layout": g.GOOD_LAYOUT}, headers=token_for(designer)).status_code == 409
    assert count(ProposalVersion) == 2


def test_withdrawing_a_proposal(client, community, make_round, designer, make_user, token_for):
    round_ = make_round(Phase.PROPOSING)
    proposal = submit(client, round_, designer, token_for).get_json()
    url = f"/api/v1/proposals/{proposal['id']}/withdraw"
    assert (
        client.post(url, headers=token_for(make_user(Role.MODERATOR, community=community))).status_code == 403
    )
    response = client.post(url, headers=token_for(designer))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert client.post(url, headers=token_for(designer)).status_code == 422
    listed = client.get(f"/api/v1/rounds/{round_.id}/proposals", headers=token_for(make_user())).get_json()
    assert [p["status"] for p in listed["proposals"]] == ["withdrawn"]


# --- ballots and the tally ---------------------------------------------------------------


@pytest.fixture
def deciding_round(client, make_round, designer, token_for):
    """A round in deciding with three proposals, returned with their ids."""
    round_ = make_round(Phase.PROPOSING)
    ids = [submit(client, round_, designer, token_for, title=f"Plan {n}").get_json()["id"] for n in "ABC"]
    round_.phase = "deciding"
    db.session.commit()
    return round_, ids


def test_ranked_ballots_and_the_instant_runoff_tally(client, community, deciding_round, make_user, token_for):
    round_, (a, b, c) = deciding_round
    url = f"/api/v1/rounds/{round_.id}/ballot"
    rankings = [[a]] * 4 + [[b, a]] * 3 + [[c, b]] * 2
    bands = ["under_14", "14_34", "35_59", "60_79", "80_plus", "35_59", "60_79", "80_plus", "under_14"]
    for ranking, band in zip(rankings, bands, strict=True):
        voter = make_user(Role.RESIDENT, community=community, age_band=band)
        assert client.put(url, json={"ranking": ranking}, headers=token_for(voter)).status_code == 200
    tally_url = f"/api/v1/rounds/{round_.id}/tally"
    sealed = client.get(tally_url, headers=token_for(make_user())).get_json()
    assert (sealed["sealed"], sealed["ballots"], sealed["winner"]) == (True, 9, None)
    assert (sealed["first_preferences"], sealed["rounds"], sealed["by_age_band"]) == ({}, [], {})
    moderator = make_user(Role.MODERATOR, community=community)
    closed = client.post(f"/api/v1/rounds/{round_.id}/ballots/close", headers=token_for(moderator))
    assert closed.status_code == 200
    tally = client.get(tally_url, headers=token_for(make_user())).get_json()
    assert (tally["sealed"], tally["ballots"]) == (False, 9)
    assert tally["first_preferences"] == {str(a): 4, str(b): 3, str(c): 2}
    assert [r["eliminated"] for r in tally["rounds"]] == [c, None]
    assert tally["winner"] == b
    # 9 ballots cannot make two age groups of five: no breakdown at all
    assert tally["by_age_band"] == {}


def test_a_ballot_can_be_changed_and_counts_once(client, community, deciding_round, make_user, token_for):
    round_, (a, b, _c) = deciding_round
    voter = token_for(make_user(Role.RESIDENT, community=community))
    url = f"/api/v1/rounds/{round_.id}/ballot"
    client.put(url, json={"ranking": [a]}, headers=voter)
    client.put(url, json={"ranking": [b, a]}, headers=voter)
    assert client.get(url, headers=voter).get_json() == {"ranking": [b, a]}
    assert count(Ballot) == 1


@pytest.mark.parametrize(
    "ranking", [[], [1, 1], [999], ["a"]], ids=["empty", "duplicate", "not-a-proposal", "not-a-number"]
)
def test_bad_rankings_are_422(client, community, deciding_round, make_user, token_for, ranking):
    round_, (a, _b, _c) = deciding_round
    if ranking == [1, 1]:
        ranking = [a, a]
    response = client.put(
        f"/api/v1/rounds/{round_.id}/ballot",
        json={"ranking": ranking},
        headers=token_for(make_user(Role.RESIDENT, community=community)),
    )
    assert response.status_code == 422
    assert count(Ballot) == 0


def test_ballots_need_membership_and_the_deciding_phase(
    client, community, make_round, deciding_round, make_user, token_for
):
    round_, (a, _b, _c) = deciding_round
    outsider = client.put(
        f"/api/v1/rounds/{round_.id}/ballot", json={"ranking": [a]}, headers=token_for(make_user())
    )
    assert outsider.status_code == 403
    round_.phase = "hearing"
    db.session.commit()
    early = client.put(
        f"/api/v1/rounds/{round_.id}/ballot",
        json={"ranking": [a]},
        headers=token_for(make_user(Role.RESIDENT, community=community)),
    )
    assert early.status_code == 409
    assert count(Ballot) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/rounds"),
        ("get", "/api/v1/rounds/1"),
        ("post", "/api/v1/rounds/1/phase"),
        ("put", "/api/v1/rounds/1/deadlines"),
        ("put", "/api/v1/rounds/1/whether"),
        ("get", "/api/v1/rounds/1/whether"),
        ("post", "/api/v1/rounds/1/needs"),
        ("get", "/api/v1/rounds/1/needs"),
        ("post", "/api/v1/needs/1/support"),
        ("post", "/api/v1/rounds/1/proposals"),
        ("get", "/api/v1/rounds/1/proposals"),
        ("get", "/api/v1/proposals/1"),
        ("post", "/api/v1/proposals/1/versions"),
        ("post", "/api/v1/proposals/1/withdraw"),
        ("get", "/api/v1/proposals/1/versions/1/diff"),
        ("get", "/api/v1/proposals/1/layout.geojson"),
        ("put", "/api/v1/rounds/1/ballot"),
        ("get", "/api/v1/rounds/1/ballot"),
        ("get", "/api/v1/rounds/1/tally"),
    ],
)
def test_every_round_endpoint_needs_a_login(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/rounds/999"),
        ("get", "/api/v1/rounds/999/needs"),
        ("get", "/api/v1/rounds/999/tally"),
        ("get", "/api/v1/proposals/999"),
        ("get", "/api/v1/proposals/999/layout.geojson"),
        ("post", "/api/v1/proposals/999/withdraw"),
    ],
)
def test_unknown_ids_are_404(client, make_user, token_for, method, path):
    assert getattr(client, method)(path, headers=token_for(make_user())).status_code == 404
