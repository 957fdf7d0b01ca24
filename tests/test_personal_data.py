"""People are visible to their neighbours only, and everyone controls their own data:
consent to an age band and a tag, a guardian's consent under 14, export, and deletion."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from deliberation import ballots, decisions, hearings, needs, proposals
from deliberation.enums import Language, Phase, Role
from deliberation.extensions import db
from deliberation.models import Ballot, Comment, User
from tests import geo_layouts as g

DISTINCT = "Qiu Yuanfang"  # a name that appears nowhere else
RATIONALE = "Plan A keeps the plane tree and gives older neighbours seats in the shade."


@pytest.fixture
def someone(make_user, community):
    return make_user(Role.RESIDENT, community=community, name=DISTINCT, age_band="60_79")


@pytest.fixture
def busy_round(make_round, people, someone):
    """A round where `someone` pinned a need, commented, voted and objected."""
    round_ = make_round(Phase.NEEDS)
    need = needs.add_need(round_, "Shade by the gate", "shade", None, by=someone, language=Language.EN)
    round_.phase = Phase.PROPOSING.value
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.HEARING.value
    hearing = hearings.create_hearing(
        round_, "Evening talk", plan.created_at, "Hall", [], by=people["moderator"]
    )
    hearings.add_comment(hearing, "I would like benches", author=someone, client_id="c-1")
    round_.phase = Phase.DECIDING.value
    ballots.cast_ballot(round_, [plan.id], by=someone)
    ballots.close_ballots(round_, by=people["moderator"])
    decisions.decide(round_, plan.id, RATIONALE, by=people["secretary"])
    decisions.file_objection(round_, "The benches face the bins.", by=someone)
    db.session.commit()
    return round_, hearing, need, plan


def everything_public(client, token_for, viewer, round_, hearing) -> str:
    """Every page, API answer, export and PDF text about the round, as one text."""
    headers = token_for(viewer)
    texts = []
    for path in (
        f"/api/v1/rounds/{round_.id}",
        f"/api/v1/rounds/{round_.id}/needs",
        f"/api/v1/rounds/{round_.id}/decision",
        f"/api/v1/rounds/{round_.id}/audit",
        f"/api/v1/rounds/{round_.id}/export",
        f"/api/v1/hearings/{hearing.id}/comments",
        f"/rounds/{round_.id}",
        f"/rounds/{round_.id}/decision",
        f"/rounds/{round_.id}/notice",
        f"/rounds/{round_.id}/audit",
        f"/rounds/{round_.id}/participation",
        f"/rounds/{round_.id}/export.json",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        texts.append(response.get_data(as_text=True))
    pdf = client.get(f"/rounds/{round_.id}/notice.pdf?lang=en", headers=headers).data
    texts.append(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    return "\n".join(texts)


def test_names_are_for_the_communitys_members(client, token_for, people, someone, busy_round):
    round_, hearing, _need, _plan = busy_round
    member_view = client.get(f"/api/v1/hearings/{hearing.id}/comments", headers=token_for(people["resident"]))
    assert member_view.get_json()["comments"][0]["author"]["name"] == DISTINCT
    outsider_view = client.get(
        f"/api/v1/hearings/{hearing.id}/comments", headers=token_for(people["outsider"])
    )
    comment = outsider_view.get_json()["comments"][0]
    assert comment["body"] == "I would like benches" and comment["author"] == {
        "id": None,
        "name": None,
        "stakeholder": None,
    }
    assert DISTINCT not in everything_public(client, token_for, people["outsider"], round_, hearing)


def test_the_join_code_is_for_members(client, token_for, people, hearing):
    url = f"/api/v1/hearings/{hearing.id}"
    assert client.get(url, headers=token_for(people["resident"])).get_json()["join_code"] == hearing.join_code
    assert client.get(url, headers=token_for(people["outsider"])).get_json()["join_code"] is None
    listing = client.get(f"/rounds/{hearing.round_id}/hearings", headers=token_for(people["outsider"]))
    assert hearing.join_code not in listing.get_data(as_text=True)


def test_a_live_comment_reaches_members_with_its_author_and_others_without(live_client, people, hearing):
    member = live_client(people["neighbour"])
    stranger = live_client(people["outsider"])
    for client in (member, stranger):
        assert client.emit("join", {"hearing_id": hearing.id})["ok"]
    speaker = live_client(people["resident"])
    assert speaker.emit("join", {"hearing_id": hearing.id})["ok"]
    assert speaker.emit("comment", {"hearing_id": hearing.id, "client_id": "x", "body": "Hello"})["ok"]
    assert [c["author"]["name"] for c in member.received("comment")] == ["Res"]
    assert [(c["body"], c["author"]["name"]) for c in stranger.received("comment")] == [("Hello", None)]


def test_the_export_names_nobody_unless_a_moderator_gives_a_reason(
    client, token_for, people, someone, busy_round
):
    round_, _hearing, _need, _plan = busy_round
    url = f"/api/v1/rounds/{round_.id}/export"
    assert DISTINCT not in json.dumps(client.get(url, headers=token_for(people["moderator"])).get_json())
    refused = client.post(url, json={"reason": "audit"}, headers=token_for(people["resident"]))
    assert refused.status_code == 403
    no_reason = client.post(url, json={"reason": " "}, headers=token_for(people["moderator"]))
    assert no_reason.status_code == 422
    named = client.post(
        url, json={"reason": "The district asks who objected"}, headers=token_for(people["moderator"])
    )
    assert named.status_code == 200 and DISTINCT in json.dumps(named.get_json(), ensure_ascii=False)
    entries = client.get(
        f"/api/v1/rounds/{round_.id}/audit", headers=token_for(people["moderator"])
    ).get_json()
    exported = [e for e in entries["entries"] if e["action"] == "record.exported_with_people"]
    assert exported[0]["data"]["reason"] == "The district asks who objected"


def test_a_person_downloads_all_their_data(client, token_for, someone, busy_round):
    round_, _hearing, need, plan = busy_round
    mine = client.get("/api/v1/me/export", headers=token_for(someone)).get_json()
    assert mine["account"]["name"] == DISTINCT and mine["account"]["age_band"] == "60_79"
    assert mine["account"]["age_band_consent_at"] is not None
    assert [n["text"] for n in mine["needs"]] == [need.text]
    assert [c["body"] for c in mine["comments"]] == ["I would like benches"]
    assert mine["ballots"] == [{"round_id": round_.id, "ranking": [plan.id]}]
    assert [o["text"] for o in mine["objections"]] == ["The benches face the bins."]
    assert mine["memberships"][0]["roles"] == ["resident"]


def test_a_deleted_persons_name_appears_nowhere_and_their_ballot_still_counts(
    client, token_for, people, someone, busy_round
):
    round_, hearing, _need, _plan = busy_round
    before = client.get(f"/api/v1/rounds/{round_.id}/tally", headers=token_for(people["outsider"])).get_json()
    headers = token_for(someone)
    assert client.delete("/api/v1/me", json={"password": "wrong"}, headers=headers).status_code == 401
    assert (
        client.delete("/api/v1/me", json={"password": "correct horse battery"}, headers=headers).status_code
        == 204
    )
    db.session.expire_all()
    assert db.session.query(User).filter_by(name=DISTINCT).count() == 0
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401

    assert DISTINCT not in everything_public(client, token_for, people["resident"], round_, hearing)
    named = client.post(
        f"/api/v1/rounds/{round_.id}/export", json={"reason": "check"}, headers=token_for(people["moderator"])
    )
    assert DISTINCT not in json.dumps(named.get_json(), ensure_ascii=False)
    comments = client.get(f"/api/v1/hearings/{hearing.id}/comments", headers=token_for(people["resident"]))
    assert comments.get_json()["comments"][0]["author"]["name"] == "原居民"  # "former resident"
    after = client.get(f"/api/v1/rounds/{round_.id}/tally", headers=token_for(people["outsider"])).get_json()
    assert after["ballots"] == before["ballots"] == 1 and after["winner"] == before["winner"]
    assert (
        db.session.query(Ballot).one().user_id is None and db.session.query(Comment).one().author_id is None
    )


def test_deleting_through_the_profile_page(client, login, someone, busy_round):
    someone_id = someone.id
    login(someone)
    page = client.get("/profile").get_data(as_text=True)
    assert 'data-testid="my-data"' in page and 'data-testid="delete-account-form"' in page
    download = client.get("/profile/my-data.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(download.data)["account"]["name"] == DISTINCT
    wrong = client.post("/profile/delete", data={"password": "nope"})
    assert wrong.status_code == 400 and db.session.get(User, someone_id) is not None
    done = client.post("/profile/delete", data={"password": "correct horse battery"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, someone_id) is None
    assert client.get("/profile").status_code == 302  # logged out: back to the login page


def test_withdrawing_consent_to_the_age_band_removes_it_from_open_ballots_too(
    client, login, someone, make_round, people
):
    round_ = make_round(Phase.PROPOSING)
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    ballots.cast_ballot(round_, [plan.id], by=someone)
    db.session.commit()
    login(someone)
    assert db.session.query(Ballot).one().age_band == "60_79"
    # unticking the consent withdraws it, whatever the list of bands still shows
    response = client.post("/profile", data={"name": DISTINCT, "age_band": "60_79", "language": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, someone.id).age_band is None
    assert db.session.query(Ballot).one().age_band is None


def test_a_stakeholder_tag_shows_only_once_its_holder_consents(
    client, token_for, community, people, make_user, hearing
):
    merchant = make_user(Role.RESIDENT, community=community, name="Shopkeeper")
    granted = client.post(
        f"/api/v1/communities/{community.id}/members",
        json={"user_id": merchant.id, "role": "resident", "stakeholder": "merchant"},
        headers=token_for(people["moderator"]),
    )
    assert granted.status_code == 201
    hearings.add_comment(hearing, "Open late", author=merchant, client_id="m-1")
    db.session.commit()
    url = f"/api/v1/hearings/{hearing.id}/comments"

    def tag() -> str | None:
        return client.get(url, headers=token_for(people["resident"])).get_json()["comments"][0]["author"][
            "stakeholder"
        ]

    assert tag() is None  # proposed by the moderator, not yet agreed
    consent = f"/api/v1/me/memberships/{community.id}/stakeholder-consent"
    assert client.put(consent, json={"consent": True}, headers=token_for(merchant)).status_code == 200
    assert tag() == "merchant"
    assert client.put(consent, json={"consent": False}, headers=token_for(merchant)).status_code == 200
    assert tag() is None
    db.session.expire_all()
    assert db.session.get(User, merchant.id).membership_in(community.id).stakeholder is None


def test_under_14_takes_part_once_a_guardian_consents(
    client, token_for, community, people, make_user, make_round
):
    child = make_user(Role.RESIDENT, community=community, age_band="under_14", guardian=None)
    round_ = make_round(Phase.NEEDS)
    need = {"text": "A place to play", "category": "play"}
    url = f"/api/v1/rounds/{round_.id}/needs"
    refused = client.post(url, json=need, headers=token_for(child))
    assert refused.status_code == 403 and "监护人" in refused.get_json()["error"]["message"]  # guardian
    assert (
        client.get("/api/v1/auth/me", headers=token_for(child)).get_json()["user"]["can_take_part"] is False
    )
    record = f"/api/v1/communities/{community.id}/members/{child.id}/guardian-consent"
    assert (
        client.post(record, json={"guardian_name": "Mum"}, headers=token_for(people["resident"])).status_code
        == 403
    )
    assert (
        client.post(record, json={"guardian_name": "Mum"}, headers=token_for(people["moderator"])).status_code
        == 200
    )
    assert client.post(url, json=need, headers=token_for(child)).status_code == 201


def test_a_family_signs_up_together_with_the_guardians_consent(client):
    response = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "kid@example.org",
            "password": "long enough",
            "name": "Lele",
            "age_band": "under_14",
            "guardian_name": "Lele's father",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["user"]["can_take_part"] is True


def test_an_age_band_refused_consent_is_not_kept(client):
    response = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "a@example.org",
            "password": "long enough",
            "name": "A",
            "age_band": "35_59",
            "age_band_consent": False,
        },
    )
    assert response.status_code == 422
    assert db.session.query(User).filter_by(email="a@example.org").count() == 0


def test_the_privacy_notice_is_in_both_languages(client):
    english = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Children under 14" in english and "Your rights" in english
    chinese = client.get("/privacy", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "未满 14 岁的儿童" in chinese and "个人信息保护法" in chinese
