"""The people's pages: home, log in, sign up, profile, language and large text."""

from __future__ import annotations

import pytest

from deliberation import demo
from deliberation.enums import Role
from deliberation.extensions import db
from deliberation.models import User
from tests.conftest import PASSWORD


def page(response) -> str:
    return response.get_data(as_text=True)


def test_visitors_see_what_jiayuan_is_and_how_to_join(client):
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = page(response)
    assert "redesign your shared spaces together" in html
    assert 'href="/login"' in html and 'href="/signup"' in html


def test_the_home_page_lists_communities_sites_and_rounds(app, client, login):
    demo.seed()
    db.session.commit()
    user = db.session.query(User).filter_by(email="resident1@demo.jiayuan.cn").one()
    client.post("/login", data={"email": user.email, "password": demo.DEMO_PASSWORD})
    client.post("/preferences/language", data={"language": "en"})
    html = page(client.get("/"))
    assert demo.COMMUNITY_NAME in html
    for name, _kind, _geometry in demo.SITES:
        assert name in html
    assert "Renewing the half court" in html
    assert "Hearings" in html  # the half court round's phase


@pytest.mark.parametrize("path", ["/profile", "/rounds/1"])
def test_pages_that_need_a_login_send_visitors_to_it(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logging_in_through_the_page_and_out_again(client, make_user):
    user = make_user(email="mei@example.org", name="Mei")
    response = client.post("/login?next=/profile", data={"email": "mei@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    assert "Mei" in page(client.get("/profile"))
    client.post("/logout")
    assert client.get("/profile").status_code == 302
    assert user.id


def test_a_wrong_password_on_the_page_says_so(client, make_user):
    make_user(email="mei@example.org")
    response = client.post(
        "/login", data={"email": "mei@example.org", "password": "nope"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "Wrong email or password." in page(response)


def test_login_never_redirects_to_another_host(client, make_user):
    make_user(email="mei@example.org")
    response = client.post(
        "/login?next=//evil.example/x", data={"email": "mei@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_the_login_page_lists_demo_accounts_only_in_demo_mode(app, client):
    demo.seed()
    db.session.commit()
    assert "resident1@demo.jiayuan.cn" not in page(client.get("/login"))
    app.config["DEMO_MODE"] = True
    html = page(client.get("/login"))
    for email in demo.DEMO_EMAILS:
        assert email in html
    assert demo.DEMO_PASSWORD in html


def test_signing_up_through_the_page(client):
    response = client.post(
        "/signup",
        data={
            "name": "Grandma Sun",
            "email": "sun@example.org",
            "password": "long enough",
            "confirm": "long enough",
            "age_band": "80_plus",
            "age_band_consent": "y",
            "language": "zh-CN",
        },
    )
    assert response.status_code == 302
    user = db.session.query(User).filter_by(email="sun@example.org").one()
    assert (user.age_band, user.language) == ("80_plus", "zh-CN")
    assert user.age_band_consent_at is not None
    assert "Grandma Sun" in page(client.get("/profile"))


def test_an_age_band_without_its_own_consent_is_refused_and_nothing_is_stored(client):
    response = client.post(
        "/signup",
        data={
            "name": "Grandpa Xie",
            "email": "xie@example.org",
            "password": "long enough",
            "confirm": "long enough",
            "age_band": "80_plus",
            "language": "en",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "Tick the box to agree that your age band is used" in page(response)
    assert db.session.query(User).filter_by(email="xie@example.org").count() == 0


def test_a_sign_up_with_differing_passwords_is_refused(client):
    response = client.post(
        "/signup",
        data={"name": "A", "email": "a@example.org", "password": "long enough", "confirm": "other one"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "The passwords differ." in page(response)
    assert db.session.query(User).filter_by(email="a@example.org").one_or_none() is None


def test_the_profile_is_saved(client, make_user, login):
    user = make_user()
    login(user)
    response = client.post(
        "/profile",
        data={
            "name": "New Name",
            "age_band": "60_79",
            "age_band_consent": "y",
            "language": "en",
            "large_text": "y",
            "high_contrast": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.age_band, saved.language, saved.large_text) == ("New Name", "60_79", "en", True)
    assert saved.high_contrast is True


def test_the_profile_shows_roles_per_community(client, community, make_user, login):
    user = make_user(Role.RESIDENT, Role.DESIGNER, community=community)
    login(user)
    client.post("/preferences/language", data={"language": "en"})
    html = page(client.get("/profile"))
    assert community.name in html
    assert "Resident designer" in html


def test_switching_language_persists_in_the_session_and_on_the_account(client, make_user, login):
    user = make_user()
    login(user)
    response = client.post("/preferences/language", data={"language": "en", "next": "/profile"})
    assert response.headers["Location"] == "/profile"
    assert '<html lang="en"' in page(client.get("/", headers={"Accept-Language": "zh-CN"}))
    client.post("/preferences/language", data={"language": "zh-CN"})
    html = page(client.get("/", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-CN"' in html and "首页" in html
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "zh-CN"


def test_a_visitor_can_switch_language_too(client):
    client.post("/preferences/language", data={"language": "en"})
    assert "Log in" in page(client.get("/", headers={"Accept-Language": "zh-CN"}))
    client.post("/preferences/language", data={"language": "zh-CN"})
    assert "登录" in page(client.get("/", headers={"Accept-Language": "en"}))


def test_the_language_comes_from_the_account_on_a_new_browser(app, make_user):
    user = make_user()
    user.language = "en"
    db.session.commit()
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert '<html lang="en"' in page(browser.get("/", headers={"Accept-Language": "zh-CN"}))


def test_large_text_turns_on_and_off(client, make_user, login):
    user = make_user()
    login(user)
    assert 'class="large-text"' not in page(client.get("/"))
    client.post("/preferences/large-text", data={"on": "1"})
    assert 'class="large-text"' in page(client.get("/"))
    db.session.expire_all()
    assert db.session.get(User, user.id).large_text is True
    client.post("/preferences/large-text", data={"on": "0"})
    assert 'class="large-text"' not in page(client.get("/"))


def test_the_elder_mode_brings_read_aloud_and_high_contrast_is_a_choice_of_its_own(client, make_user, login):
    user = make_user()
    login(user)
    home = page(client.get("/", headers={"Accept-Language": "en"}))
    assert "read_aloud.js" not in home and "data-label-read-aloud" not in home
    client.post("/preferences/large-text", data={"on": "1"})
    home = page(client.get("/"))
    assert "js/read_aloud.js" in home and 'data-label-read-aloud="朗读"' in home
    assert "这台设备没有朗读中文的语音" in home  # said where the device has no Chinese voice
    client.post("/preferences/high-contrast", data={"on": "1", "next": "/profile"})
    assert 'class="large-text high-contrast"' in page(client.get("/"))
    client.post("/preferences/large-text", data={"on": "0"})
    assert '<html lang="zh-CN" class="high-contrast">' in page(client.get("/"))
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.large_text, saved.high_contrast) == (False, True)
    # A new browser of the same person starts with the account's choice.
    browser = client.application.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert 'class="high-contrast"' in page(browser.get("/"))


def test_an_unknown_page_is_a_404_page(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "<html" in page(response) and "Not found." in page(response)


def test_the_round_page_shows_the_phase_and_its_history(client, login):
    demo.seed()
    db.session.commit()
    resident = db.session.query(User).filter_by(email="resident2@demo.jiayuan.cn").one()
    client.post("/login", data={"email": resident.email, "password": demo.DEMO_PASSWORD})
    client.post("/preferences/language", data={"language": "en"})
    html = page(client.get("/rounds/1"))
    assert "Renewing the half court" in html
    for phase in ("Draft", "Ask whether", "Ask what: needs", "Ask how: proposals", "Hearings"):
        assert phase in html
    assert client.get("/rounds/999").status_code == 404


def test_pages_refuse_posts_without_a_csrf_token(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(email="mei@example.org")
    response = app.test_client().post("/login", data={"email": "mei@example.org", "password": PASSWORD})
    assert response.status_code == 400
