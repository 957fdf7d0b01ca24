"""The designers' pages: who may open the map editor, and what the proposal page shows."""

from __future__ import annotations

import json
import re

import pytest

from deliberation import proposals
from deliberation.enums import Phase, Role
from deliberation.extensions import db
from deliberation.models import Need
from geo.kinds import LAYOUT_KINDS
from tests import geo_layouts as g

# Any absolute or protocol-relative URL: the pages load everything from the app itself.
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)\\]+""", re.IGNORECASE)
NARROW_PATH = g.feature("path-1", "path", g.line((7.0, -14.0), (7.0, 12.0)), width_m=1.0)
FIRST_LAYOUT = g.with_features(g.GOOD_LAYOUT, NARROW_PATH, drop=["path-1", "bench-1"])
# Version 2: the court moves 2 m east, a bench comes back and the lawn goes.
SECOND_LAYOUT = g.with_features(
    g.GOOD_LAYOUT,
    g.feature("court", "half_court", g.rect(-2.0, -1.0, 15, 14)),
    NARROW_PATH,
    drop=["court", "path-1", "lawn"],
)


def html(response) -> str:
    return response.get_data(as_text=True)


def data_island(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', page, re.S)
    assert found, "the editor's data island is missing"
    return json.loads(found.group(1))


@pytest.fixture
def designer(community, make_user):
    return make_user(Role.DESIGNER, Role.RESIDENT, community=community, name="Chen Ming")


@pytest.fixture
def in_english(client):
    """Switch the logged-in person's pages to English."""

    def switch() -> None:
        client.post("/preferences/language", data={"language": "en"})

    return switch


@pytest.fixture
def make_proposal(designer):
    """A proposal submitted by ``designer`` (and co-designers), optionally revised once."""

    def make(round_, *, revise: bool = False, co_designers=(), need_ids=()):
        proposal, _report = proposals.submit_proposal(
            round_,
            "Shaded court",
            "A court with benches under a pergola.",
            FIRST_LAYOUT,
            by=designer,
            language="zh-CN",
            co_designers=[u.id for u in co_designers],
            need_ids=list(need_ids),
            note="First draft",
        )
        if revise:
            proposals.revise_proposal(
                proposal, SECOND_LAYOUT, by=designer, language="zh-CN", note="Court moved east"
            )
        db.session.commit()
        return proposal

    return make


def diff_row(page: str, metric: str) -> str:
    """One metric's row of the diff table."""
    table = re.search(r'data-testid="diff-metrics".*?</table>', page, re.S).group(0)
    return re.search(rf'<tr data-metric="{metric}">.*?</tr>', table, re.S).group(0)


def add_need(round_, author, text: str, category: str = "shade") -> Need:
    need = Need(round_id=round_.id, author_id=author.id, category=category, text=text, geometry=g.point(5, 5))
    db.session.add(need)
    db.session.commit()
    return need


# --- the map editor --------------------------------------------------------------------


def test_a_designer_opens_the_editor_for_a_new_proposal(
    client, login, in_english, community, make_user, make_round, designer
):
    round_ = make_round(Phase.PROPOSING)
    partner = make_user(Role.DESIGNER, community=community, name="Lin Xiao")
    make_user(Role.RESIDENT, community=community, name="Just A Resident")
    add_need(round_, partner, "Shade by the old tree")
    login(designer)
    in_english()
    response = client.get(f"/rounds/{round_.id}/proposals/new")
    assert response.status_code == 200
    page = html(response)
    data = data_island(page)
    assert data["mode"] == "new"
    assert [k["kind"] for k in data["kinds"]] == [str(k) for k in LAYOUT_KINDS]
    bench = next(k for k in data["kinds"] if k["kind"] == "bench")
    assert bench["geometries"] == ["Point", "Polygon"] and bench["name"] == "Bench"
    assert data["urls"]["validate"] == f"/api/v1/sites/{round_.site_id}/validate?round_id={round_.id}"
    assert data["urls"]["submit"] == f"/api/v1/rounds/{round_.id}/proposals"
    assert data["urls"]["proposal"] == "/proposals/{id}"
    # A new layout starts from the trees standing on the site.
    assert [f["id"] for f in data["layout"]["features"]] == ["tree-keep", "tree-other"]
    assert data["layout"]["features"][0]["properties"] == {
        "id": "tree-keep",
        "kind": "tree_existing",
        "keep": True,
        "canopy_m": 8.0,
    }
    assert data["strings"]["noFindings"] == "No findings: the layout fits the site."
    assert "/static/vendor/geoman/leaflet-geoman.js" in page and "/static/js/editor.js" in page
    assert 'data-testid="kind-half_court"' in page
    # Co-designers: the other designers of the community, not the author nor mere residents.
    assert "Lin Xiao" in page and "Just A Resident" not in page
    assert not re.search(rf'name="co_designers" value="{designer.id}"', page)
    assert "Shade by the old tree" in page  # the needs checklist


def test_the_editor_speaks_chinese_to_its_script(client, login, make_round, designer):
    login(designer)  # a new account reads Chinese
    data = data_island(html(client.get(f"/rounds/{make_round(Phase.PROPOSING).id}/proposals/new")))
    assert data["language"] == "zh-CN"
    assert data["strings"]["noFindings"] == "没有发现问题：方案与场地相符。"
    assert next(k for k in data["kinds"] if k["kind"] == "half_court")["name"] == "半场篮球场"


@pytest.mark.parametrize("roles", [(Role.RESIDENT,), (Role.MODERATOR, Role.RESIDENT), (Role.SECRETARY,), ()])
def test_only_designers_may_open_the_editor(
    client, login, in_english, community, make_user, make_round, roles
):
    round_ = make_round(Phase.PROPOSING)
    login(make_user(*roles, community=community))
    in_english()
    response = client.get(f"/rounds/{round_.id}/proposals/new")
    assert response.status_code == 403
    assert "Only designers can draw here" in html(response)
    assert "editor-data" not in html(response)


def test_a_designer_of_another_community_may_not_open_the_editor(
    client, login, make_community, make_user, make_round
):
    other = make_community("Elsewhere")
    login(make_user(Role.DESIGNER, community=other))
    assert client.get(f"/rounds/{make_round(Phase.PROPOSING).id}/proposals/new").status_code == 403


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.PROPOSING])
def test_the_editor_takes_new_proposals_only_while_proposing(
    client, login, in_english, make_round, designer, phase
):
    round_ = make_round(phase)
    login(designer)
    in_english()
    response = client.get(f"/rounds/{round_.id}/proposals/new")
    assert response.status_code == 409
    page = html(response)
    assert "The editor is closed in this phase" in page
    assert "The round is not in a phase that allows this" in page
    assert f'href="/rounds/{round_.id}"' in page  # a way back to the round


def test_a_designer_opens_the_editor_for_a_new_version(
    client, login, community, make_user, make_round, designer, make_proposal
):
    round_ = make_round(Phase.PROPOSING)
    need = add_need(round_, designer, "Light for evening games", "lighting")
    other_need = add_need(round_, designer, "A drinking fountain", "other")
    partner = make_user(Role.DESIGNER, community=community, name="Lin Xiao")
    proposal = make_proposal(round_, revise=True, co_designers=[partner], need_ids=[need.id])
    for person in (designer, partner):
        login(person)
        response = client.get(f"/proposals/{proposal.id}/edit")
        assert response.status_code == 200
        page = html(response)
        data = data_island(page)
        assert data["mode"] == "revise" and data["proposalId"] == proposal.id
        assert data["layout"] == SECOND_LAYOUT  # the latest version
        assert data["urls"]["submit"] == f"/api/v1/proposals/{proposal.id}/versions"
        assert re.search(rf'name="needs" value="{need.id}"\s+checked', page)
        assert not re.search(rf'name="needs" value="{other_need.id}"\s+checked', page)
        assert 'name="co_designers"' not in page and 'id="p-title"' not in page
        # The team draws the new version together, live, in the proposal's shared draft.
        live = data["live"]
        assert (live["namespace"], live["proposalId"], live["userId"]) == ("/design", proposal.id, person.id)
        assert live["events"]["client"]["draft_op"] == "draft_op"
        assert live["events"]["server"]["draft_sync"] == "draft_sync"
        assert "/static/vendor/socket.io/socket.io.min.js" in page and "/static/js/codesign.js" in page
        assert 'data-testid="codesign"' in page and 'data-testid="draft-undo"' in page
        client.post("/logout")


def test_a_new_proposal_is_drawn_alone(client, login, make_round, designer):
    login(designer)
    page = html(client.get(f"/rounds/{make_round(Phase.PROPOSING).id}/proposals/new"))
    assert data_island(page)["live"] is None
    assert "codesign.js" not in page and 'data-testid="codesign"' not in page


def test_a_new_version_is_refused_to_others_and_outside_its_phases(
    client, login, in_english, community, make_user, make_round, make_proposal
):
    round_ = make_round(Phase.PROPOSING)
    proposal = make_proposal(round_)
    login(make_user(Role.DESIGNER, community=community))  # a designer, but not of this proposal
    in_english()
    response = client.get(f"/proposals/{proposal.id}/edit")
    assert response.status_code == 403
    assert "Only the designers of this proposal can change it." in html(response)


@pytest.mark.parametrize(
    ("phase", "status"), [(Phase.HEARING, 200), (Phase.DECIDING, 409), (Phase.NOTICE, 409)]
)
def test_versions_are_drawn_while_proposing_and_between_hearings(
    client, login, make_round, designer, make_proposal, phase, status
):
    round_ = make_round(Phase.PROPOSING)
    proposal = make_proposal(round_)
    round_.phase = phase.value
    db.session.commit()
    login(designer)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == status


def test_a_withdrawn_proposal_is_not_revised(client, login, in_english, make_round, designer, make_proposal):
    proposal = make_proposal(make_round(Phase.PROPOSING))
    proposals.withdraw_proposal(proposal, by=designer)
    db.session.commit()
    login(designer)
    in_english()
    response = client.get(f"/proposals/{proposal.id}/edit")
    assert response.status_code == 422
    assert "A withdrawn proposal cannot be revised." in html(response)


# --- the proposal page -----------------------------------------------------------------


def test_the_proposal_page_shows_the_latest_version_its_metrics_warnings_and_needs(
    client, login, in_english, community, make_user, make_round, designer, make_proposal
):
    round_ = make_round(Phase.PROPOSING)
    need = add_need(round_, designer, "Shade by the old tree")
    proposal = make_proposal(round_, need_ids=[need.id])
    login(make_user(Role.RESIDENT, community=community))
    in_english()
    response = client.get(f"/proposals/{proposal.id}")
    assert response.status_code == 200
    page = html(response)
    assert "Shaded court" in page and "Chen Ming" in page and "A court with benches under a pergola." in page
    assert 'data-testid="proposal-status">Active' in page
    metrics = proposal.latest_version.metrics
    seats = re.search(r'<tr data-metric="seats"><th scope="row">Seats</th><td>(\d+)', page)
    assert seats and int(seats.group(1)) == metrics["seats"]
    assert "Half court (m²)" in page  # area by kind
    assert re.search(r'data-metric="green_ratio">.*?<td>[\d.]+%', page)
    # The stored warning, in the reader's language although it was submitted in Chinese.
    assert 'data-code="path_too_narrow"' in page
    assert "The path is 1.0 m wide, narrower than the accessible width of 1.2 m." in page
    assert "Shade by the old tree" in page  # the need it answers
    assert "There is only one version so far." in page
    # The map in words, beside the map.
    assert 'data-testid="map-words"' in page and "Half court, 15 × 14 m, in the middle." in page
    assert f'href="/api/v1/proposals/{proposal.id}/layout.geojson"' in page
    # A resident sees neither the editor's link nor withdrawal.
    assert f"/proposals/{proposal.id}/edit" not in page and 'data-testid="withdraw"' not in page


def test_the_proposal_page_lists_versions_and_diffs_any_two(
    client, login, in_english, make_round, designer, make_proposal
):
    proposal = make_proposal(make_round(Phase.PROPOSING), revise=True)
    login(designer)
    in_english()
    page = html(client.get(f"/proposals/{proposal.id}"))
    assert "First draft" in page and "Court moved east" in page
    assert re.findall(r'<li data-version="(\d+)">', page) == ["2", "1"]
    counts = dict(re.findall(r'data-count="(\w+)"><strong>(\d+)</strong>', page))
    # From version 1 to 2: bench-1 added, the lawn removed, the court moved.
    assert counts == {
        "added": "1",
        "removed": "1",
        "moved": "1",
        "reshaped": "0",
        "unchanged": counts["unchanged"],
    }
    # Said in words: what, where, how far and which way.
    words = re.search(r'data-testid="diff-words">(.*?)</ul>', page, re.S).group(1)
    assert "<li>Added: Bench, along the east side.</li>" in words
    assert "<li>Removed: Lawn, in the north-west corner.</li>" in words
    assert "<li>Moved: Half court, in the middle, 2 m to the east.</li>" in words
    assert '<span class="up">+3</span>' in diff_row(page, "seats")  # bench-1's three seats
    assert re.search(r'<option value="1" selected>Version 1</option>', page)
    assert re.search(r'<select name="to">.*?<option value="2" selected>', page, re.S)
    assert page.count('class="folium-map"') == 2  # the latest layout and the diff
    assert page.count('src="/static/vendor/leaflet/leaflet.js"') == 1  # loaded once for both maps

    # Chosen the other way round, the numbers follow.
    page = html(client.get(f"/proposals/{proposal.id}?from=2&to=1"))
    counts = dict(re.findall(r'data-count="(\w+)"><strong>(\d+)</strong>', page))
    assert (counts["added"], counts["removed"]) == ("1", "1")
    assert "<li>Added: Lawn, in the north-west corner.</li>" in page  # the lawn comes back
    assert '<span class="down">−3</span>' in diff_row(page, "seats")


def test_its_designers_see_new_version_and_withdraw_while_allowed(
    client, login, in_english, make_round, designer, make_proposal
):
    round_ = make_round(Phase.PROPOSING)
    proposal = make_proposal(round_)
    login(designer)
    in_english()
    page = html(client.get(f"/proposals/{proposal.id}"))
    assert f'href="/proposals/{proposal.id}/edit"' in page
    assert f'data-url="/api/v1/proposals/{proposal.id}/withdraw"' in page
    round_.phase = Phase.DECIDING.value
    db.session.commit()
    page = html(client.get(f"/proposals/{proposal.id}"))
    assert f'href="/proposals/{proposal.id}/edit"' not in page and 'data-testid="withdraw"' not in page


def test_a_withdrawn_proposal_says_so(client, login, in_english, make_round, designer, make_proposal):
    proposal = make_proposal(make_round(Phase.PROPOSING))
    proposals.withdraw_proposal(proposal, by=designer)
    db.session.commit()
    login(designer)
    in_english()
    page = html(client.get(f"/proposals/{proposal.id}"))
    assert 'data-testid="proposal-status">Withdrawn' in page
    assert 'data-testid="withdraw"' not in page and f"/proposals/{proposal.id}/edit" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/proposals/999",
        "/proposals/999/edit",
        "/rounds/999/proposals/new",
        "/proposals/{id}?to=9",
        "/proposals/{id}?from=7&to=1",
    ],
)
def test_unknown_proposals_rounds_and_versions_are_404(
    client, login, make_round, designer, make_proposal, path
):
    proposal = make_proposal(make_round(Phase.PROPOSING), revise=True)
    login(designer)
    assert client.get(path.format(id=proposal.id)).status_code == 404


@pytest.mark.parametrize("path", ["/proposals/1", "/proposals/1/edit", "/rounds/1/proposals/new"])
def test_the_design_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_pages_load_nothing_from_another_host(client, login, make_round, designer, make_proposal):
    round_ = make_round(Phase.PROPOSING)
    proposal = make_proposal(round_, revise=True)
    login(designer)
    for path in (
        f"/rounds/{round_.id}/proposals/new",
        f"/proposals/{proposal.id}/edit",
        f"/proposals/{proposal.id}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        page = html(response)
        assert URL.findall(page) == [], path
        sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)
        assert all(s.startswith(("/", "#")) for s in sources), (path, sources)
