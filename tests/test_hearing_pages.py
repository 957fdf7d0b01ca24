"""The hearing pages: who sees which page, joining by code, the QR code, and what the pages'
scripts are handed (event names, strings) — the live behaviour is in tests/e2e."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import segno

from deliberation.extensions import db
from deliberation.pages import hearings as hearing_pages
from deliberation.publish import Event

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["live.js", "hearing_ui.js", "hearing.js", "screen.js", "console.js", "schedule.js"]
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.\-]+(?::\d+)?""")
LOADS_FROM_ELSEWHERE = re.compile(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["'](?:https?:)?//""")
ISLAND = re.compile(r'<script type="application/json" id="hearing-config">(.*?)</script>', re.S)


def page_paths(hearing) -> list[str]:
    return [
        f"/hearings/{hearing.id}",
        f"/hearings/{hearing.id}/screen",
        f"/hearings/{hearing.id}/console",
        f"/rounds/{hearing.round_id}/hearings",
        f"/rounds/{hearing.round_id}/hearings/new",
        "/j",
    ]


def island(html: str) -> dict:
    found = ISLAND.search(html)
    assert found, "the page has no hearing-config data island"
    return json.loads(found.group(1))


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "resident", "designer", "secretary"])
def test_members_see_the_hearing_page_and_the_big_screen(client, login, people, hearing, role):
    login(people[role])
    for path in (f"/hearings/{hearing.id}", f"/hearings/{hearing.id}/screen"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "Evening talk" in html
        assert "/static/vendor/socket.io/socket.io.min.js" in html
        assert "Plan A" in html


def test_members_get_a_compose_box_and_onlookers_do_not(client, login, people, hearing):
    login(people["resident"])
    html = client.get(f"/hearings/{hearing.id}").get_data(as_text=True)
    assert 'data-testid="compose"' in html
    assert island(html)["can_take_part"] is True

    client.post("/logout")
    login(people["outsider"])
    html = client.get(f"/hearings/{hearing.id}").get_data(as_text=True)
    assert 'data-testid="compose"' not in html
    assert island(html)["can_take_part"] is False


@pytest.mark.parametrize("role", ["resident", "designer", "secretary", "outsider"])
def test_only_moderators_open_the_console(client, login, people, hearing, role):
    login(people[role])
    assert client.get(f"/hearings/{hearing.id}/console").status_code == 403
    assert client.get(f"/rounds/{hearing.round_id}/hearings/new").status_code == 403


def test_the_moderator_opens_the_console_and_the_schedule_form(client, login, people, hearing):
    login(people["moderator"])
    console = client.get(f"/hearings/{hearing.id}/console")
    assert console.status_code == 200
    html = console.get_data(as_text=True)
    for action in ("start", "next", "extend", "stop"):
        assert f'data-slot-action="{action}"' in html
    assert island(html)["moderator"] is True
    form = client.get(f"/rounds/{hearing.round_id}/hearings/new").get_data(as_text=True)
    assert form.count('class="slot-row"') == 2
    assert 'type="datetime-local"' in form


def test_the_list_links_the_console_for_moderators_only(client, login, people, hearing):
    login(people["moderator"])
    html = client.get(f"/rounds/{hearing.round_id}/hearings").get_data(as_text=True)
    assert f"/hearings/{hearing.id}/console" in html
    assert f"/hearings/{hearing.id}/screen" in html
    assert f"/rounds/{hearing.round_id}/hearings/new" in html
    client.post("/logout")
    login(people["resident"])
    html = client.get(f"/rounds/{hearing.round_id}/hearings").get_data(as_text=True)
    assert f'href="/hearings/{hearing.id}"' in html
    assert f"/hearings/{hearing.id}/console" not in html
    assert f"/rounds/{hearing.round_id}/hearings/new" not in html


def test_pages_need_a_login(client, hearing):
    for path in [*page_paths(hearing)[:-1], f"/j/{hearing.join_code}"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login?next=" in response.headers["Location"], path


@pytest.mark.parametrize(
    "path",
    [
        "/hearings/999",
        "/hearings/999/screen",
        "/hearings/999/console",
        "/rounds/999/hearings",
        "/rounds/999/hearings/new",
        "/j/ZZZZZZ",
    ],
)
def test_unknown_ids_and_codes_are_404(client, login, people, hearing, path):
    login(people["moderator"])
    assert client.get(path).status_code == 404


# --- joining by code ----------------------------------------------------------------------------


def test_a_join_code_leads_to_its_hearing_in_any_case(client, login, people, hearing):
    login(people["resident"])
    for code in (hearing.join_code, hearing.join_code.lower()):
        response = client.get(f"/j/{code}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/hearings/{hearing.id}")


def test_a_join_code_logs_in_first_then_goes_on(client, people, hearing):
    response = client.get(f"/j/{hearing.join_code}")
    assert response.headers["Location"].endswith(f"/login?next=/j/{hearing.join_code}")
    after = client.post(
        f"/login?next=/j/{hearing.join_code}",
        data={"email": people["resident"].email, "password": "correct horse battery"},
    )
    assert after.headers["Location"] == f"/j/{hearing.join_code}"
    assert client.get(after.headers["Location"]).headers["Location"].endswith(f"/hearings/{hearing.id}")


def test_the_join_form_takes_a_typed_code(client, hearing):
    assert 'name="code"' in client.get("/j").get_data(as_text=True)
    response = client.get("/j", query_string={"code": f" {hearing.join_code.lower()} "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/j/{hearing.join_code}")
    unknown = client.get("/j", query_string={"code": "NOPE42"})
    assert unknown.status_code == 404
    assert 'role="alert"' in unknown.get_data(as_text=True)


# --- the big screen's QR code, and no other host ---------------------------------------------


def test_the_big_screen_shows_an_inline_qr_code_of_its_join_link_and_the_code(client, login, people, hearing):
    login(people["resident"])
    client.post("/preferences/language", data={"language": "en"})
    html = client.get(f"/hearings/{hearing.id}/screen").get_data(as_text=True)
    target = f"http://localhost/j/{hearing.join_code}"
    expected = segno.make(target, error="m").svg_inline(
        scale=1, border=2, omitsize=True, dark="#1f2a2e", light="#ffffff", title="Join from a phone"
    )
    assert expected in html, "the QR code should encode this app's own join link"
    assert re.search(r'<svg[^>]*class="segno"', html)
    assert f'data-testid="join-code">{hearing.join_code}<' in html
    assert target in html


def test_no_page_points_at_another_host(client, login, people, hearing):
    login(people["moderator"])
    for path in page_paths(hearing):
        html = client.get(path).get_data(as_text=True)
        hosts = {m.group(0).split("//", 1)[1] for m in URL.finditer(html)}
        assert hosts <= {"localhost"}, (path, hosts)
        # No tag loads anything from elsewhere (protocol-relative included).
        assert not LOADS_FROM_ELSEWHERE.search(html), path
        links = re.findall(r"""<a[^>]+href=["']([^"']+)""", html)
        assert all(not URL.match(link) or "//localhost" in link for link in links), path


# --- what the scripts are handed -------------------------------------------------------------------


def test_event_names_come_from_one_definition(client, login, people, hearing):
    login(people["resident"])
    client.post("/preferences/language", data={"language": "en"})
    config = island(client.get(f"/hearings/{hearing.id}").get_data(as_text=True))
    assert config["events"]["server"] == {event.name.lower(): event.value for event in Event}
    assert set(config["events"]["client"]) >= {
        "join",
        "comment",
        "react",
        "upvote",
        "slot",
        "poll",
        "vote",
        "hide",
    }
    assert config["events"]["slot_actions"] == ["start", "next", "extend", "stop"]
    assert config["namespace"] == "/hearing"
    assert config["hearing_id"] == hearing.id
    assert [s["position"] for s in config["slots"]] == [0, 1]
    first = config["proposals"][str(hearing.slots[0].proposal_id)]
    assert first["group"] == "proposal-0"
    assert first["features"]["court"].startswith("Half court")


def test_the_scripts_show_only_strings_they_are_handed():
    known = set(hearing_pages.script_text())
    for name in SCRIPTS:
        source = (ROOT / "static" / "js" / name).read_text()
        used = set(re.findall(r"\btext\.(\w+)", source)) | set(re.findall(r"config\.text\.(\w+)", source))
        assert used <= known, (name, used - known)


def test_the_scripts_never_insert_html():
    for name in SCRIPTS:
        source = (ROOT / "static" / "js" / name).read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, (name, sink)


def test_the_strings_and_labels_follow_the_language(client, login, people, hearing, community):
    people["resident"].memberships[0].stakeholder = "merchant"
    db.session.commit()
    login(people["resident"])
    client.post("/preferences/language", data={"language": "en"})
    english = island(client.get(f"/hearings/{hearing.id}").get_data(as_text=True))
    assert english["text"]["connected"] == "Connected"
    assert english["stakeholders"]["merchant"] == "Merchant"
    client.post("/preferences/language", data={"language": "zh-CN"})
    chinese = island(client.get(f"/hearings/{hearing.id}").get_data(as_text=True))
    assert chinese["text"]["connected"] == "已连接"
    assert chinese["stakeholders"]["merchant"] not in ("", "Merchant")
    assert chinese["proposals"][str(hearing.slots[0].proposal_id)]["features"]["court"].startswith("半场")


def test_user_text_in_the_data_island_cannot_close_the_script(client, login, people, hearing):
    hearing.slots[0].proposal.title = "</script><script>alert(1)</script>"
    db.session.commit()
    login(people["resident"])
    html = client.get(f"/hearings/{hearing.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert island(html)["slots"][0]["title"] == "</script><script>alert(1)</script>"
