"""The security baseline, as an outside client sees it: sessions that end, local redirects,
throttled logins, CSRF on cookie writes, headers on every page, and no input that gives a 5xx."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import time

import pytest
from werkzeug.security import check_password_hash

from app import create_app
from deliberation import accounts, decisions, proposals
from deliberation.enums import Phase, Role
from deliberation.extensions import db
from deliberation.inputs import LARGE_BODY_BYTES
from deliberation.models import Objection
from tests import geo_layouts as g
from tests.conftest import PASSWORD, LiveClient

REMEMBER = "remember_token"


def cookie_jar(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


# --- sessions end at logout, on every device -----------------------------------------------


def test_a_copied_session_cookie_and_remember_me_die_with_the_logout(app, make_user):
    person = make_user()
    browser, thief = app.test_client(), app.test_client()
    assert browser.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 302
    stolen = cookie_jar(browser)
    assert REMEMBER in stolen
    for key, value in stolen.items():
        thief.set_cookie(key, value)
    assert thief.get("/api/v1/auth/me").status_code == 200
    browser.post("/logout")
    assert thief.get("/api/v1/auth/me").status_code == 401
    remember_only = app.test_client()
    remember_only.set_cookie(REMEMBER, stolen[REMEMBER])
    assert remember_only.get("/api/v1/auth/me").status_code == 401


def test_logging_out_over_the_api_ends_the_browser_session_and_every_token(app, client, make_user, token_for):
    person = make_user()
    browser = app.test_client()
    browser.post("/login", data={"email": person.email, "password": PASSWORD})
    first, second = token_for(person), token_for(person)
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert client.get("/api/v1/auth/me", headers=second).status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_an_open_socket_is_closed_when_its_person_logs_out(app, client, make_user, token_for, hearing):
    person = make_user()
    socket = LiveClient(app, auth={"token": accounts.issue_token(person)})
    assert socket.connected
    client.post("/api/v1/auth/logout", headers=token_for(person))
    deadline = time.monotonic() + 5
    while socket.connected and time.monotonic() < deadline:  # closed by a background task
        time.sleep(0.02)
    assert not socket.connected
    db.session.expire(person)
    again = LiveClient(app, auth={"token": accounts.issue_token(person)})  # a new login still works
    assert again.connected


def test_an_event_from_a_socket_of_a_logged_out_person_is_refused(app, make_user, hearing):
    person = make_user()
    socket = LiveClient(app, auth={"token": accounts.issue_token(person)})
    accounts.revoke_tokens(person)  # as if logged out by another process
    db.session.commit()
    ack = socket.emit("join", {"hearing_id": hearing.id})
    assert (ack["ok"], ack["error"]["code"]) == (False, "unauthorized")


def test_changing_the_password_logs_out_every_other_device(app, make_user, token_for):
    client = app.test_client()
    person = make_user()
    other_device = token_for(person)
    changed = client.post(
        "/api/v1/me/password", json={"current": PASSWORD, "new": "a new long one"}, headers=token_for(person)
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/auth/me", headers=other_device).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.get_json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200
    wrong = client.post(
        "/api/v1/me/password", json={"current": "nope", "new": "whatever 1234"}, headers=fresh
    )
    assert wrong.status_code == 401


def test_a_moderator_resets_a_residents_password_in_the_record_and_the_ballot_stays_hidden(
    client, community, make_round, make_user, people, token_for
):
    round_ = make_round(Phase.PROPOSING)
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    db.session.commit()
    resident = people["resident"]
    mine = token_for(resident)
    assert (
        client.put(
            f"/api/v1/rounds/{round_.id}/ballot", json={"ranking": [plan.id]}, headers=mine
        ).status_code
        == 200
    )
    url = f"/api/v1/communities/{community.id}/members/{resident.id}/password"
    assert (
        client.post(
            url, json={"password": "given by staff"}, headers=token_for(people["neighbour"])
        ).status_code
        == 403
    )
    assert (
        client.post(
            url, json={"password": "given by staff"}, headers=token_for(people["moderator"])
        ).status_code
        == 204
    )
    assert client.get("/api/v1/auth/me", headers=mine).status_code == 401  # every session ended
    staff_token = client.post(
        "/api/v1/auth/login", json={"email": resident.email, "password": "given by staff"}
    ).get_json()["token"]
    as_staff = {"Authorization": f"Bearer {staff_token}"}
    assert client.get(f"/api/v1/rounds/{round_.id}/ballot", headers=as_staff).status_code == 404
    exported = client.get("/api/v1/me/export", headers=as_staff).get_json()
    assert exported["ballots"] == [{"round_id": round_.id, "ranking": None}]
    # the moderator cannot reset the staff, nor their own
    staff_url = f"/api/v1/communities/{community.id}/members/{people['secretary'].id}/password"
    assert (
        client.post(
            staff_url, json={"password": "another one"}, headers=token_for(people["moderator"])
        ).status_code
        == 403
    )
    entries = db.session.execute(db.text("SELECT action FROM audit_entries")).scalars().all()
    assert "member.password_reset" in entries
    # once the resident chooses their own password, their ballot shows again
    own = client.post(
        "/api/v1/me/password", json={"current": "given by staff", "new": "my very own"}, headers=as_staff
    ).get_json()["token"]
    back = client.get(f"/api/v1/rounds/{round_.id}/ballot", headers={"Authorization": f"Bearer {own}"})
    assert back.get_json() == {"ranking": [plan.id]}


# --- redirects, logins, passwords and names ---------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https:%2F%2Fevil.example",
        "/%0D%0ASet-Cookie:x=1",
        "/%E2%80%8B/x",
    ],
)
def test_next_only_ever_leads_to_a_local_page(client, make_user, target):
    person = make_user()
    response = client.post(f"/login?next={target}", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_eleventh_wrong_password_in_a_minute_is_429_even_if_right(client, make_user):
    person = make_user()
    wrong = {"email": person.email, "password": "not the password"}
    for _attempt in range(10):
        assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
    refused = client.post("/api/v1/auth/login", json={"email": person.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    page = client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert page.status_code == 429


def test_one_address_guessing_many_accounts_is_throttled_too(client):
    for n in range(30):
        client.post("/api/v1/auth/login", json={"email": f"guess{n}@example.org", "password": "x"})
    assert (
        client.post("/api/v1/auth/login", json={"email": "other@example.org", "password": "x"}).status_code
        == 429
    )


def test_an_unknown_email_costs_a_password_check_like_a_known_one(client, make_user, monkeypatch):
    person = make_user()
    checks: list[str] = []

    def counting(hashed, password):
        checks.append(hashed.split("$")[0])
        return check_password_hash(hashed, password)

    monkeypatch.setattr("deliberation.accounts.check_password_hash", counting)
    monkeypatch.setattr("deliberation.models.accounts.check_password_hash", counting)
    known = client.post("/api/v1/auth/login", json={"email": person.email, "password": "wrong one"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.org", "password": "wrong one"})
    assert known.get_json() == unknown.get_json() and known.status_code == unknown.status_code == 401
    assert len(checks) == 2 and checks[0] == checks[1]  # the same hashing work either way


@pytest.mark.parametrize("password", ["        ", "aaaaaaaa", "abababab", "short"])
def test_weak_passwords_are_refused(client, password):
    response = client.post(
        "/api/v1/auth/signup", json={"email": "p@example.org", "password": password, "name": "Someone"}
    )
    assert response.status_code == 422


def test_names_must_be_visible_and_not_a_staff_members(client, people):
    for name in ("   ", "\u200b\u200b", "\u202e\u202e"):
        response = client.post(
            "/api/v1/auth/signup", json={"email": "n@example.org", "password": "long enough", "name": name}
        )
        assert response.status_code == 422, name
    copy = people["moderator"].name.upper().replace("", " ").strip()  # "M O D": spacing and case do not help
    response = client.post(
        "/api/v1/auth/signup", json={"email": "n@example.org", "password": "long enough", "name": copy}
    )
    assert response.status_code == 422
    assert (
        "committee" in response.get_json()["error"]["message"]
        or "居委" in response.get_json()["error"]["message"]
    )


# --- CSRF on the JSON API -----------------------------------------------------------------------


def separate_app(**config):
    """An app of a test's own on an in-memory database, its context popped again: each
    request then gets its own context, as in production."""
    app = create_app({"TESTING": True, **config})
    with app.app_context():
        db.create_all()
        accounts.sign_up("c@example.org", PASSWORD, "Cookie person")
        db.session.commit()
        token = accounts.issue_token(accounts.find_user_by_email("c@example.org"))
    return app, token


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_cookie_write_needs_the_pages_token_and_a_bearer_write_does_not(backend):
    csrf_app, token = separate_app(WTF_CSRF_ENABLED=True)
    browser = csrf_app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    form_token = page.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post("/login", data={"email": "c@example.org", "password": PASSWORD, "csrf_token": form_token})
    body = {"current": PASSWORD, "new": "a changed one"}
    assert browser.post("/api/v1/me/password", json=body).status_code == 403
    # a plain form from another site, no body at all: refused as well
    assert browser.post("/api/v1/auth/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    meta = (
        browser.get("/profile").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    )
    assert browser.post("/api/v1/me/password", json=body, headers={"X-CSRFToken": meta}).status_code == 200
    bearer = csrf_app.test_client()
    again = {"current": "a changed one", "new": "changed once more"}
    response = bearer.post("/api/v1/me/password", json=again, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401  # the password change revoked that token
    fresh = response.status_code  # noqa: F841


# --- headers and cookies ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/signup", "/privacy", "/api/v1/openapi.json", "/healthz"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_every_inline_script_of_a_map_page_carries_the_nonce(client, login, make_round, people):
    round_ = make_round(Phase.NEEDS)
    login(people["resident"])
    response = client.get(f"/rounds/{round_.id}")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_behind_a_trusted_https_proxy_cookies_are_secure_and_hsts_is_sent(backend):
    trusting, _token = separate_app(TRUSTED_PROXIES=1)
    response = trusting.test_client().post(
        "/login",
        data={"email": "c@example.org", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
    assert all("; Secure" in c for c in cookies)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    # without TRUSTED_PROXIES the same header is a client's word, and ignored
    plain = create_app({"TESTING": True})
    response = plain.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


# --- bad input: always a 4xx with the contract's body ---------------------------------------------


@pytest.mark.parametrize("ident", [2**31, 2**63, 10**30])
def test_ids_out_of_range_are_404(client, token_for, people, ident):
    for path in (f"/api/v1/rounds/{ident}", f"/api/v1/sites/{ident}", f"/rounds/{ident}"):
        response = client.get(path, headers=token_for(people["resident"]))
        assert response.status_code == 404, path


def test_an_id_out_of_range_in_a_body_is_422(client, token_for, people, community):
    response = client.post(
        f"/api/v1/communities/{community.id}/members",
        json={"user_id": 2**63, "role": "resident"},
        headers=token_for(people["moderator"]),
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("[" * 1000 + "]" * 1000, 400),
        ('{"email": "a@example.org", "password": ' + "1" * 5000 + "}", 400),
        ('{"email": "a\\u0000@example.org", "password": "x"}', 422),
        ('{"email": "a@example.org", "password": NaN}', 422),
        ('{"email": "a@example.org", "password": Infinity}', 422),
    ],
    ids=["nested-1000-deep", "5000-digit-integer", "nul-byte", "nan", "infinity"],
)
@pytest.mark.parametrize("padded", [False, True], ids=["small", "over-64-KiB"])
def test_bad_json_is_a_4xx_with_the_error_body(client, body, status, padded):
    if padded:  # a large body is checked on another thread under gevent; the answer is the same
        body = '{"padding": "' + "x" * LARGE_BODY_BYTES + '", "body": ' + body + "}"
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert response.status_code == status
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_nan_inside_a_layout_is_422_and_nothing_is_stored(client, token_for, people, make_round):
    round_ = make_round(Phase.PROPOSING)
    layout = json.dumps(g.GOOD_LAYOUT).replace('"width_m": 1.5', '"width_m": NaN')
    assert "NaN" in layout
    body = '{"title": "Plan", "summary": "", "layout": ' + layout + "}"
    response = client.post(
        f"/api/v1/rounds/{round_.id}/proposals",
        data=body,
        content_type="application/json",
        headers=token_for(people["designer"]),
    )
    assert response.status_code == 422
    assert client.get(f"/api/v1/rounds/{round_.id}", headers=token_for(people["designer"])).status_code == 200
    assert proposals.Proposal.query.count() == 0


def test_a_nul_byte_in_a_page_form_or_a_query_is_422(client, login, people):
    login(people["resident"])
    assert client.post("/profile", data={"name": "Nul\x00name", "language": "en"}).status_code == 422
    assert client.get("/?q=a%00b").status_code == 422


def test_a_nul_byte_in_a_live_comment_is_refused_cleanly(live_client, people, hearing):
    speaker = live_client(people["resident"])
    assert speaker.emit("join", {"hearing_id": hearing.id})["ok"]
    ack = speaker.emit("comment", {"hearing_id": hearing.id, "client_id": "n", "body": "a\x00b"})
    assert (ack["ok"], ack["error"]["code"]) == (False, "invalid_input")


def test_405_names_the_methods_allowed(client):
    response = client.put("/api/v1/auth/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}


def test_a_connect_event_sent_by_hand_is_refused_without_a_traceback(live_client, people, caplog):
    socket = live_client(people["resident"])
    with caplog.at_level(logging.ERROR):
        ack = socket.emit("connect", {"x": 1})
    assert ack["ok"] is False
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- lists a person can grow --------------------------------------------------------------------


def test_one_resident_cannot_bury_a_decision_in_objections(client, token_for, people, make_round):
    from deliberation import ballots

    round_ = make_round(Phase.PROPOSING)
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    ballots.close_ballots(round_, by=people["moderator"])
    decisions.decide(round_, plan.id, "The residents' choice, as it stands.", by=people["secretary"])
    db.session.commit()
    url = f"/api/v1/rounds/{round_.id}/objections"
    headers = token_for(people["resident"])
    statuses = [
        client.post(url, json={"text": f"Objection {n}"}, headers=headers).status_code for n in range(7)
    ]
    assert statuses == [201] * 5 + [409, 409]
    assert client.post(url, json={"text": "Mine"}, headers=token_for(people["neighbour"])).status_code == 201
    assert db.session.query(Objection).count() == 6


def test_the_embedded_database_file_is_readable_by_its_owner_only(tmp_path, backend):
    path = tmp_path / "private.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_roles_are_unchanged_by_the_rules(people, community):
    # (the staff-name rule looks at moderators and secretaries: the fixture people have them)
    assert Role.MODERATOR in people["moderator"].roles_in(community.id)
