"""Accounts over the API: signing up, logging in with a token, and the error contract."""

from __future__ import annotations

import pytest

from deliberation.enums import Role
from tests.conftest import PASSWORD


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    assert body["error"]["message"]
    return body["error"]


def test_signup_creates_an_account_that_belongs_to_no_community(client):
    response = client.post(
        "/api/v1/auth/signup",
        json={"email": "Mei@Example.org", "password": "long enough", "name": "Mei", "age_band": "60_79"},
    )
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert user["email"] == "mei@example.org"
    assert user["age_band"] == "60_79"
    assert user["memberships"] == []
    assert isinstance(user["id"], int)


def test_signing_up_twice_with_one_email_is_a_conflict(client):
    body = {"email": "mei@example.org", "password": "long enough", "name": "Mei"}
    assert client.post("/api/v1/auth/signup", json=body).status_code == 201
    response = client.post("/api/v1/auth/signup", json={**body, "email": "MEI@example.org"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "long enough", "name": "Mei"},
        {"email": "mei@example.org", "password": "short", "name": "Mei"},
        {"email": "mei@example.org", "password": "long enough", "name": ""},
        {"email": "mei@example.org", "password": "long enough", "name": "Mei", "age_band": "ancient"},
        {"email": "mei@example.org", "password": "long enough", "name": "Mei", "is_admin": True},
        {"password": "long enough", "name": "Mei"},
    ],
    ids=["bad-email", "short-password", "empty-name", "unknown-age-band", "unknown-field", "missing-email"],
)
def test_invalid_signups_are_refused_with_422_and_nothing_is_stored(client, body):
    response = client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert error["details"]
    login = client.post("/api/v1/auth/login", json={"email": "mei@example.org", "password": "long enough"})
    assert login.status_code == 401


def test_malformed_json_is_400_with_the_json_error(client):
    response = client.post(
        "/api/v1/auth/signup", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_a_body_that_is_not_json_is_415(client):
    response = client.post("/api/v1/auth/login", data="email=a&password=b")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_an_oversized_body_is_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/auth/signup",
        data='{"name": "' + "x" * limit + '"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_login_gives_a_token_that_authorises_api_calls(client, app, make_user):
    user = make_user(email="resident@example.org")
    response = client.post("/api/v1/auth/login", json={"email": "resident@example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == user.id
    token = body["token"]

    fresh = app.test_client()  # no session cookie: only the token
    me = fresh.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["user"]["email"] == "resident@example.org"
    assert fresh.get("/api/v1/communities", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_login_also_sets_the_session_cookie(client, make_user):
    make_user(email="resident@example.org")
    client.post("/api/v1/auth/login", json={"email": "resident@example.org", "password": PASSWORD})
    assert client.get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "resident@example.org", "password": "wrong password"},
        {"email": "nobody@example.org", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_credentials_are_401_with_the_json_error(client, make_user, credentials):
    make_user(email="resident@example.org")
    response = client.post("/api/v1/auth/login", json=credentials)
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"
    assert client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/auth/me"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/communities"),
        ("get", "/api/v1/communities/1/sites"),
        ("post", "/api/v1/communities/1/members"),
    ],
)
def test_protected_endpoints_without_credentials_are_401(client, community, method, path):
    response = getattr(client, method)(path, json={"user_id": 1, "role": "resident"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize("token", ["garbage", "", "a.b.c"])
def test_forged_tokens_are_401(client, token):
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_logout_revokes_the_token(client, app, make_user, token_for):
    user = make_user()
    headers = token_for(user)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert app.test_client().get("/api/v1/auth/me", headers=headers).status_code == 401


def test_unknown_api_path_is_404_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.DESIGNER, Role.SECRETARY])
def test_only_a_moderator_adds_members(client, community, make_user, token_for, role):
    caller = make_user(role, community=community)
    newcomer = make_user()
    response = client.post(
        f"/api/v1/communities/{community.id}/members",
        json={"user_id": newcomer.id, "role": "resident"},
        headers=token_for(caller),
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert newcomer.memberships == []


def test_a_moderator_of_another_community_cannot_add_members(client, make_community, make_user, token_for):
    here, elsewhere = make_community(), make_community()
    moderator = make_user(Role.MODERATOR, community=elsewhere)
    newcomer = make_user()
    response = client.post(
        f"/api/v1/communities/{here.id}/members",
        json={"user_id": newcomer.id, "role": "resident"},
        headers=token_for(moderator),
    )
    assert response.status_code == 403


def test_a_moderator_adds_a_member_with_several_roles(client, community, make_user, token_for):
    moderator = make_user(Role.MODERATOR, community=community)
    newcomer = make_user()
    url = f"/api/v1/communities/{community.id}/members"
    first = client.post(url, json={"user_id": newcomer.id, "role": "resident"}, headers=token_for(moderator))
    assert first.status_code == 201
    second = client.post(
        url,
        json={"user_id": newcomer.id, "role": "designer", "stakeholder": "school"},
        headers=token_for(moderator),
    )
    assert second.status_code == 201
    assert second.get_json() == {
        "user_id": newcomer.id,
        "community_id": community.id,
        "roles": ["designer", "resident"],
        "stakeholder": "school",
    }
    me = client.get("/api/v1/auth/me", headers=token_for(newcomer)).get_json()["user"]
    # the tag waits for the person's own consent before it is shown anywhere
    assert me["memberships"] == [
        {
            "community_id": community.id,
            "roles": ["designer", "resident"],
            "stakeholder": "school",
            "stakeholder_consented": False,
        }
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"user_id": 99999, "role": "resident"}, 404),
        ({"user_id": "1", "role": "resident"}, 422),
        ({"role": "resident"}, 422),
        ({"user_id": 1, "role": "king"}, 422),
        ({"user_id": 1, "role": "resident", "stakeholder": "bank"}, 422),
    ],
)
def test_adding_a_member_with_bad_input(client, community, make_user, token_for, body, status):
    moderator = make_user(Role.MODERATOR, community=community)
    response = client.post(
        f"/api/v1/communities/{community.id}/members", json=body, headers=token_for(moderator)
    )
    assert response.status_code == status
    error_of(response)


def test_adding_a_member_to_an_unknown_community_is_404(client, make_user, token_for):
    response = client.post(
        "/api/v1/communities/4242/members",
        json={"user_id": 1, "role": "resident"},
        headers=token_for(make_user()),
    )
    assert response.status_code == 404


def test_communities_and_their_sites_are_listed(client, community, make_user, token_for):
    headers = token_for(make_user())
    listed = client.get("/api/v1/communities", headers=headers).get_json()["communities"]
    assert [c["name"] for c in listed] == ["Ruihong test community"]
    sites = client.get(f"/api/v1/communities/{community.id}/sites", headers=headers)
    assert sites.status_code == 200
    assert sites.get_json() == {"sites": []}
    assert client.get("/api/v1/communities/999/sites", headers=headers).status_code == 404


def test_errors_speak_the_requested_language(client):
    response = client.get("/api/v1/auth/me", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401
    message = error_of(response)["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
