"""A neighbourhood runs itself through its pages: who may give which role (on every
transport), asking to join and the answer, the QR code's sign-up, neighbours without a
phone and their paper entries, starting a round and moving it on, and pages that lead
with what matters now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from deliberation import accounts, decisions, hearings, joining, needs, proposals
from deliberation.enums import JoinStatus, Phase, Role
from deliberation.extensions import db
from deliberation.models import AuditEntry, Ballot, JoinRequest, Need, Round, User
from tests import geo_layouts as g
from tests.conftest import PASSWORD


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def login(client, login):
    """Log in and read the pages in English (the assertions quote them)."""

    def in_english(user: User) -> None:
        login(user)
        client.post("/preferences/language", data={"language": "en"})

    return in_english


@pytest.fixture
def staff(community, make_user):
    return {
        "secretary": make_user(Role.SECRETARY, community=community, name="Secretary Zhou"),
        "moderator": make_user(Role.MODERATOR, community=community, name="Vice director Wang"),
        "resident": make_user(Role.RESIDENT, community=community, name="Resident Sun"),
        "newcomer": make_user(name="Newcomer Li"),
    }


def roles_of(person: User, community) -> set[Role]:
    db.session.expire_all()
    return db.session.get(User, person.id).roles_in(community.id)


def role_entries(community) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.community_id == community.id,
                AuditEntry.action.in_(("member.role_granted", "member.role_removed")),
            )
            .order_by(AuditEntry.id)
        )
    )


# --- who may give which role, on every transport ---------------------------------------------


@pytest.mark.parametrize("role", ["secretary", "moderator"])
@pytest.mark.parametrize("whom", ["moderator", "resident"])
def test_a_moderator_cannot_appoint_staff_over_the_api(client, staff, community, token_for, role, whom):
    before = roles_of(staff[whom], community)
    response = client.post(
        f"/api/v1/communities/{community.id}/members",
        json={"user_id": staff[whom].id, "role": role},
        headers=token_for(staff["moderator"]),
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert roles_of(staff[whom], community) == before


@pytest.mark.parametrize("role", ["secretary", "moderator"])
@pytest.mark.parametrize("whom", ["moderator", "resident"])
def test_a_moderator_cannot_appoint_staff_on_the_members_page(client, login, staff, community, role, whom):
    before = roles_of(staff[whom], community)
    login(staff["moderator"])
    response = client.post(f"/communities/{community.id}/members/{staff[whom].id}/roles", data={"role": role})
    assert response.status_code == 403
    assert "Only the branch secretary" in page(response) or "role of their own" in page(response)
    assert roles_of(staff[whom], community) == before


@pytest.mark.parametrize("role", ["secretary", "moderator"])
def test_a_moderator_cannot_appoint_staff_from_the_command_line(runner, staff, community, role):
    result = runner.invoke(
        args=[
            "users",
            "grant",
            staff["resident"].email,
            community.name,
            role,
            "--by",
            staff["moderator"].email,
        ]
    )
    assert result.exit_code != 0
    assert "书记" in result.output or "secretary" in result.output
    assert roles_of(staff["resident"], community) == {Role.RESIDENT}


def test_the_command_line_alone_founds_only_the_first_secretary(runner, staff, community):
    result = runner.invoke(args=["users", "grant", staff["resident"].email, community.name, "secretary"])
    assert result.exit_code != 0
    assert roles_of(staff["resident"], community) == {Role.RESIDENT}


def test_the_secretary_appoints_a_moderator_and_the_record_says_who(client, login, staff, community):
    login(staff["secretary"])
    response = client.post(
        f"/communities/{community.id}/members/{staff['resident'].id}/roles", data={"role": "moderator"}
    )
    assert response.status_code == 302
    assert roles_of(staff["resident"], community) == {Role.RESIDENT, Role.MODERATOR}
    entry = role_entries(community)[-1]
    assert (entry.action, entry.actor_id, entry.data["user_id"], entry.data["role"]) == (
        "member.role_granted",
        staff["secretary"].id,
        staff["resident"].id,
        "moderator",
    )
    members_page = page(client.get(f"/communities/{community.id}/members"))
    assert 'data-testid="role-record"' in members_page
    assert "Secretary Zhou" in members_page.split('data-testid="role-record"')[1]


def test_nobody_grants_a_role_to_themself_not_even_the_secretary(client, staff, community, token_for):
    response = client.post(
        f"/api/v1/communities/{community.id}/members",
        json={"user_id": staff["secretary"].id, "role": "moderator"},
        headers=token_for(staff["secretary"]),
    )
    assert response.status_code == 403
    assert roles_of(staff["secretary"], community) == {Role.SECRETARY}


def test_a_moderator_gives_and_removes_the_designer_role(client, staff, community, token_for):
    as_moderator = token_for(staff["moderator"])
    given = client.post(
        f"/api/v1/communities/{community.id}/members",
        json={"user_id": staff["resident"].id, "role": "designer"},
        headers=as_moderator,
    )
    assert given.status_code == 201
    removed = client.delete(
        f"/api/v1/communities/{community.id}/members/{staff['resident'].id}/roles/designer",
        headers=as_moderator,
    )
    assert removed.status_code == 204
    assert roles_of(staff["resident"], community) == {Role.RESIDENT}
    assert [e.action for e in role_entries(community)][-2:] == ["member.role_granted", "member.role_removed"]


def test_only_the_secretary_removes_a_moderator(client, login, staff, community, token_for):
    url = f"/api/v1/communities/{community.id}/members/{staff['moderator'].id}/roles/moderator"
    other = accounts.grant_role(community, staff["resident"], Role.MODERATOR, by=staff["secretary"]).user
    db.session.commit()
    assert client.delete(url, headers=token_for(other)).status_code == 403
    assert Role.MODERATOR in roles_of(staff["moderator"], community)
    login(staff["secretary"])
    response = client.post(
        f"/communities/{community.id}/members/{staff['moderator'].id}/roles/moderator/remove"
    )
    assert response.status_code == 302
    # the only role gone, the person is no longer a member
    assert roles_of(staff["moderator"], community) == set()
    assert role_entries(community)[-1].action == "member.role_removed"


def test_the_last_secretary_cannot_be_removed(client, staff, community, make_user, token_for):
    other = make_user(Role.SECRETARY, community=community)
    url = f"/api/v1/communities/{community.id}/members/{staff['secretary'].id}/roles/secretary"
    assert client.delete(url, headers=token_for(other)).status_code == 204
    back = f"/api/v1/communities/{community.id}/members/{other.id}/roles/secretary"
    assert client.delete(back, headers=token_for(other)).status_code == 403  # one's own
    assert roles_of(other, community) == {Role.SECRETARY}


def test_the_members_page_offers_a_moderator_only_resident_and_designer(client, login, staff, community):
    login(staff["moderator"])
    html = page(client.get(f"/communities/{community.id}/members"))
    options = html.split(f'id="grant-{staff["resident"].id}"')[1].split("</select>")[0]
    assert 'value="designer"' in options
    assert 'value="moderator"' not in options and 'value="secretary"' not in options
    assert f'id="grant-{staff["moderator"].id}"' not in html  # never one's own


def test_the_members_page_searches_by_name(client, login, staff, community):
    login(staff["resident"])
    html = page(client.get(f"/communities/{community.id}/members?q=Wang"))
    listed = html.split('data-testid="members"')[1].split("</ul>")[0]
    assert "Vice director Wang" in listed and "Secretary Zhou" not in listed


def test_people_outside_the_community_do_not_see_its_members(client, login, staff, community):
    login(staff["newcomer"])
    html = page(client.get(f"/communities/{community.id}/members"))
    assert "Vice director Wang" not in html


# --- asking to join and the answer -------------------------------------------------------------


def test_asking_to_join_from_the_home_page_and_being_told_the_answer(client, login, staff, community):
    login(staff["newcomer"])
    home = page(client.get("/"))
    assert 'data-testid="ask-to-join"' in home
    client.post(
        f"/communities/{community.id}/join", data={"building": "Building 3", "message": "I play here"}
    )
    assert 'data-testid="join-waiting"' in page(client.get("/"))

    login(staff["moderator"])
    members_page = page(client.get(f"/communities/{community.id}/members"))
    assert "Newcomer Li" in members_page and "Building 3" in members_page
    request_ = db.session.scalar(select(JoinRequest).where(JoinRequest.user_id == staff["newcomer"].id))
    client.post(f"/join-requests/{request_.id}/approve", data={"role": "designer"})
    assert roles_of(staff["newcomer"], community) == {Role.DESIGNER}

    login(staff["newcomer"])
    told = page(client.get("/"))
    assert "you are now a member of" in told
    assert "you are now a member of" not in page(client.get("/"))  # told once


def test_a_declined_request_tells_the_reason(client, login, staff, community):
    join = joining.ask_to_join(community, by=staff["newcomer"])
    db.session.commit()
    login(staff["moderator"])
    client.post(f"/join-requests/{join.id}/decline", data={"reason": "Not a resident of this compound"})
    db.session.expire_all()
    assert db.session.get(JoinRequest, join.id).status == JoinStatus.DECLINED.value
    login(staff["newcomer"])
    assert "Not a resident of this compound" in page(client.get("/"))


def test_a_request_is_approved_only_as_resident_or_designer(client, staff, community, token_for):
    join = joining.ask_to_join(community, by=staff["newcomer"])
    db.session.commit()
    response = client.post(
        f"/api/v1/join-requests/{join.id}/approve",
        json={"role": "moderator"},
        headers=token_for(staff["moderator"]),
    )
    assert response.status_code == 422
    assert roles_of(staff["newcomer"], community) == set()


def test_residents_cannot_answer_requests(client, staff, community, token_for):
    join = joining.ask_to_join(community, by=staff["newcomer"])
    db.session.commit()
    response = client.post(
        f"/api/v1/join-requests/{join.id}/approve",
        json={"role": "resident"},
        headers=token_for(staff["resident"]),
    )
    assert response.status_code == 403


def test_signing_up_from_a_hearings_qr_code_lands_in_the_hearing_with_a_request_filed(client, hearing):
    code = hearing.join_code
    to_login = client.get(f"/j/{code}")
    assert to_login.status_code == 302 and "/login" in to_login.headers["Location"]
    login_page = page(client.get(to_login.headers["Location"]))
    signup_link = login_page.split('data-testid="signup-link"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert f"next=/j/{code}" in signup_link.replace("%2F", "/")
    signed_up = client.post(
        signup_link.replace("&amp;", "&"),
        data={
            "name": "Neighbour Qian",
            "email": "qian@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "language": "en",
        },
    )
    assert signed_up.status_code == 302 and signed_up.headers["Location"] == f"/j/{code}"
    landed = client.get(f"/j/{code}")
    assert landed.headers["Location"] == f"/hearings/{hearing.id}"
    qian = db.session.scalar(select(User).where(User.email == "qian@example.org"))
    filed = db.session.scalar(select(JoinRequest).where(JoinRequest.user_id == qian.id))
    assert filed.hearing_id == hearing.id and filed.status == JoinStatus.PENDING.value
    watching = page(client.get(f"/hearings/{hearing.id}"))
    assert 'data-testid="watching"' in watching and "waiting for the committee" in watching
    client.get(f"/j/{code}")  # a second scan files nothing more
    count = db.session.scalars(select(JoinRequest).where(JoinRequest.user_id == qian.id)).all()
    assert len(count) == 1


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\t/evil.example"])
def test_a_form_s_way_back_never_leaves_the_site(client, login, staff, community, target):
    login(staff["newcomer"])
    response = client.post(f"/communities/{community.id}/join", data={"next": target})
    assert response.headers["Location"] == "/"


# --- neighbours without a phone -------------------------------------------------------------


def test_registering_a_neighbour_without_a_phone_needs_their_consent(client, login, staff, community):
    login(staff["moderator"])
    url = f"/communities/{community.id}/offline-residents"
    client.post(url, data={"name": "Grandma Zhang", "building": "Building 1", "age_band": "80_plus"})
    assert db.session.scalar(select(User).where(User.name == "Grandma Zhang")) is None
    client.post(
        url, data={"name": "Grandma Zhang", "building": "Building 1", "age_band": "80_plus", "consent": "yes"}
    )
    person = db.session.scalar(select(User).where(User.name == "Grandma Zhang"))
    assert person.offline and person.roles_in(community.id) == {Role.RESIDENT}
    assert person.age_band == "80_plus"
    assert accounts.find_user_by_email(person.email) is person
    login_attempt = client.post("/login", data={"email": person.email, "password": "!"})
    assert login_attempt.status_code != 302  # this account never logs in
    listing = page(client.get(f"/communities/{community.id}/members"))
    assert "entries on their behalf" in listing


def test_residents_cannot_register_neighbours(client, login, staff, community):
    login(staff["resident"])
    response = client.post(
        f"/communities/{community.id}/offline-residents", data={"name": "Someone", "consent": "yes"}
    )
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.name == "Someone")) is None


def test_the_moderator_enters_a_paper_ballot_marked_as_on_paper(client, login, staff, community, with_round):
    round_, first, second = with_round
    person = joining.register_offline(community, "Grandpa Ma", by=staff["moderator"], consent=True)
    db.session.commit()
    login(staff["moderator"])
    form = page(client.get(f"/rounds/{round_.id}/paper"))
    assert 'data-testid="paper-ballots"' in form and "Grandpa Ma" in form
    client.post(
        f"/rounds/{round_.id}/paper-ballots",
        data={"user_id": person.id, "choice-1": second.id, "choice-2": first.id},
    )
    ballot = db.session.scalar(select(Ballot).where(Ballot.user_id == person.id))
    assert ballot.on_paper and ballot.ranking == [second.id, first.id]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "ballot.recorded_on_paper" and "user_id" not in entry.data


def test_paper_ballots_are_only_for_the_neighbours_registered_without_a_phone(
    client, login, staff, community, with_round
):
    round_, first, _second = with_round
    login(staff["moderator"])
    response = client.post(
        f"/rounds/{round_.id}/paper-ballots", data={"user_id": staff["resident"].id, "choice-1": first.id}
    )
    assert response.status_code == 403
    assert db.session.scalar(select(Ballot).where(Ballot.user_id == staff["resident"].id)) is None


@pytest.fixture
def with_round(make_round, community, make_user):
    """A round in deciding with two proposals of a designer."""
    round_ = make_round(Phase.PROPOSING)
    designer = make_user(Role.DESIGNER, community=community)
    first, _ = proposals.submit_proposal(round_, "Plan A", "", g.GOOD_LAYOUT, by=designer, language="en")
    second, _ = proposals.submit_proposal(round_, "Plan B", "", g.GOOD_LAYOUT, by=designer, language="en")
    round_.phase = Phase.DECIDING.value
    db.session.commit()
    return round_, first, second


# --- a round, started and moved on -----------------------------------------------------------


def test_the_moderator_starts_a_round_with_its_ballot_deadline(client, login, staff, make_site):
    site = make_site()
    login(staff["moderator"])
    assert client.get(f"/sites/{site.id}/rounds/new").status_code == 200
    due = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/sites/{site.id}/rounds/new",
        data={
            "title": "Renew the court",
            "brief": "What should it be?",
            "budget_cny": "80,000",
            "ballot_deadline": due,
        },
    )
    assert response.status_code == 302
    round_ = db.session.scalar(select(Round).where(Round.title == "Renew the court"))
    assert (round_.phase, round_.budget_cny) == ("draft", 80_000)
    assert round_.deadline_of(Phase.DECIDING) is not None


def test_a_round_with_a_ballot_deadline_in_the_past_is_not_started(client, login, staff, make_site):
    site = make_site()
    login(staff["moderator"])
    response = client.post(
        f"/sites/{site.id}/rounds/new", data={"title": "Late", "ballot_deadline": "2020-01-01T10:00"}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(Round).where(Round.title == "Late")) is None


def test_residents_cannot_start_a_round(client, login, staff, make_site):
    site = make_site()
    login(staff["resident"])
    assert client.post(f"/sites/{site.id}/rounds/new", data={"title": "Mine"}).status_code == 403


def test_a_second_press_cannot_skip_a_phase(client, staff, make_round, token_for):
    round_ = make_round(Phase.DRAFT)
    url = f"/api/v1/rounds/{round_.id}/phase"
    headers = token_for(staff["moderator"])
    assert client.post(url, json={"phase": "asking", "from": "draft"}, headers=headers).status_code == 200
    again = client.post(url, json={"phase": "needs", "from": "draft"}, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "wrong_phase"
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "asking"


def test_the_round_page_says_what_each_move_does(client, login, staff, make_round):
    round_ = make_round(Phase.NEEDS)
    login(staff["moderator"])
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "Residents can no longer add needs" in html
    assert 'data-testid="phase-confirm"' in html


# --- one's own need, one's own question ----------------------------------------------------------


def test_nobody_supports_their_own_need(client, staff, make_round, token_for):
    round_ = make_round(Phase.NEEDS)
    need = needs.add_need(round_, "Shade please", "shade", None, by=staff["resident"], language="en")
    db.session.commit()
    own = client.post(f"/api/v1/needs/{need.id}/support", headers=token_for(staff["resident"]))
    assert own.status_code == 403
    other = client.post(f"/api/v1/needs/{need.id}/support", headers=token_for(staff["moderator"]))
    assert other.status_code == 200
    db.session.expire_all()
    assert db.session.get(Need, need.id).support_count == 1


def test_nobody_upvotes_their_own_question(live_client, hearing, people):
    asker = live_client(people["resident"])
    asker.emit("join", {"hearing_id": hearing.id})
    sent = asker.emit(
        "comment",
        {"hearing_id": hearing.id, "client_id": "q-1", "body": "How tall is the fence?", "is_question": True},
    )
    comment_id = sent["comment"]["id"]
    refused = asker.emit("upvote", {"comment_id": comment_id})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    other = live_client(people["neighbour"])
    other.emit("join", {"hearing_id": hearing.id})
    assert other.emit("upvote", {"comment_id": comment_id})["ok"] is True


# --- pages that lead with what matters now ----------------------------------------------------


def decided(round_, community, make_user, phase: Phase):
    designer = make_user(Role.DESIGNER, community=community)
    secretary = make_user(Role.SECRETARY, community=community)
    plan, _ = proposals.submit_proposal(round_, "Shady corner", "", g.GOOD_LAYOUT, by=designer, language="en")
    round_.phase = Phase.DECIDING.value
    round_.ballots_closed_at = datetime.now(UTC)
    decisions.decide(round_, plan.id, "The residents asked for shade above all.", by=secretary)
    round_.phase = phase.value
    db.session.commit()
    return plan


def test_in_the_notice_period_the_round_page_leads_with_the_plan_and_objecting(
    client, login, staff, community, make_round, make_user
):
    round_ = make_round(Phase.PROPOSING)
    decided(round_, community, make_user, Phase.NOTICE)
    login(staff["resident"])
    html = page(client.get(f"/rounds/{round_.id}"))
    lead = html.index('data-testid="round-now"')
    assert lead < html.index('data-testid="round-map"')
    assert 'data-lead="plan"' in html
    assert "Shady corner" in html[lead:] and "shade above all" in html[lead:]
    assert 'data-testid="now-deadline"' in html and 'data-testid="object-now"' in html
    home = page(client.get("/"))
    assert 'data-testid="round-lead"' in home and "Shady corner" in home


def test_once_in_use_the_round_page_leads_with_rating(client, login, staff, community, make_round, make_user):
    round_ = make_round(Phase.PROPOSING)
    decided(round_, community, make_user, Phase.IN_USE)
    login(staff["resident"])
    html = page(client.get(f"/rounds/{round_.id}"))
    assert 'data-lead="rate"' in html
    assert html.index('data-testid="rate-now"') < html.index('data-testid="round-map"')


def test_a_live_hearing_is_a_banner_at_the_top(client, login, hearing, people):
    hearings.move_slot(hearing, "start", by=people["moderator"])
    db.session.commit()
    login(people["resident"])
    for url in ("/", f"/rounds/{hearing.round_id}"):
        html = page(client.get(url))
        assert 'data-testid="live-now"' in html
        assert f'href="/hearings/{hearing.id}" data-testid="join-live"' in html


def test_a_refusal_is_a_page_that_explains_and_leads_back(client, login, staff, make_round):
    round_ = make_round(Phase.DRAFT)
    login(staff["resident"])
    response = client.get(f"/rounds/{round_.id}/hearings/new")
    html = page(response)
    assert response.status_code == 403
    assert 'data-testid="error-page"' in html and "<h1>403</h1>" not in html
    assert f'href="/rounds/{round_.id}" data-testid="error-back"' in html


def test_the_committee_s_pages_open_for_the_moderator(client, login, staff, community, make_site, with_round):
    site = make_site()
    round_, _first, _second = with_round
    login(staff["moderator"])
    for url in (
        f"/communities/{community.id}/members",
        f"/communities/{community.id}/sites/new",
        f"/sites/{site.id}/rounds/new",
        f"/rounds/{round_.id}/paper",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    new_site = page(client.get(f"/communities/{community.id}/sites/new"))
    assert "%(kind)s" in new_site  # the script fills in the kind being drawn
    login(staff["resident"])
    for url in (
        f"/communities/{community.id}/sites/new",
        f"/sites/{site.id}/rounds/new",
        f"/rounds/{round_.id}/paper",
    ):
        assert client.get(url).status_code == 403, url
