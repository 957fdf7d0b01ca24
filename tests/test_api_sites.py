"""Sites over the API: creation by moderators, reading, and validating a layout against a site."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from deliberation.enums import Role
from deliberation.extensions import db
from deliberation.models import Site
from tests import geo_layouts as g


@pytest.fixture
def moderator(community, make_user):
    return make_user(Role.MODERATOR, community=community)


@pytest.fixture
def site(client, community, moderator, token_for):
    response = client.post(
        "/api/v1/sites",
        json={
            "community_id": community.id,
            "name": "Half court",
            "kind": "half_court",
            "boundary": g.SITE_BOUNDARY,
            "constraints": g.SITE_CONSTRAINTS,
        },
        headers=token_for(moderator),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def site_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Site))


def test_a_moderator_creates_a_site_and_anyone_logged_in_reads_it(client, site, make_user, token_for):
    assert site["type"] == "Feature"
    assert isinstance(site["id"], int)
    assert site["geometry"] == g.SITE_BOUNDARY
    read = client.get(f"/api/v1/sites/{site['id']}", headers=token_for(make_user()))
    assert read.status_code == 200
    assert read.get_json()["properties"]["constraints"] == g.SITE_CONSTRAINTS


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.DESIGNER, Role.SECRETARY])
def test_only_moderators_create_sites(client, community, make_user, token_for, role):
    response = client.post(
        "/api/v1/sites",
        json={"community_id": community.id, "name": "X", "kind": "courtyard", "boundary": g.SITE_BOUNDARY},
        headers=token_for(make_user(role, community=community)),
    )
    assert response.status_code == 403
    assert site_count() == 0


def test_a_site_with_a_bowtie_boundary_is_refused_with_its_findings(client, community, moderator, token_for):
    response = client.post(
        "/api/v1/sites",
        json={"community_id": community.id, "name": "X", "kind": "courtyard", "boundary": g.BOWTIE},
        headers=token_for(moderator),
        environ_base={"HTTP_ACCEPT_LANGUAGE": "en"},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_layout"
    assert error["report"]["valid"] is False
    assert [e["code"] for e in error["report"]["errors"]] == ["invalid_geometry"]
    assert site_count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "kind": "courtyard", "boundary": g.SITE_BOUNDARY},
        {"community_id": 1, "name": "X", "kind": "castle", "boundary": g.SITE_BOUNDARY},
        {"community_id": 1, "name": "X", "kind": "courtyard", "boundary": [1, 2]},
        {
            "community_id": 1,
            "name": "X",
            "kind": "courtyard",
            "boundary": g.SITE_BOUNDARY,
            "constraints": {"type": "Point"},
        },
    ],
    ids=["no-community", "unknown-kind", "boundary-not-an-object", "constraints-not-a-collection"],
)
def test_malformed_site_bodies_are_422(client, community, moderator, token_for, body):
    response = client.post("/api/v1/sites", json=body, headers=token_for(moderator))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert site_count() == 0


def test_validating_a_good_layout(client, site, make_user, token_for):
    response = client.post(
        f"/api/v1/sites/{site['id']}/validate", json=g.GOOD_LAYOUT, headers=token_for(make_user())
    )
    assert response.status_code == 200
    report = response.get_json()
    assert set(report) == {"valid", "errors", "warnings", "metrics", "omitted"}
    assert report["valid"] is True and report["errors"] == []
    assert report["metrics"]["area_by_kind_m2"]["half_court"] == pytest.approx(210, rel=0.005)


def test_an_overlap_names_both_features_in_the_users_language(client, site, make_user, token_for):
    clash = g.feature("planter-2", "planter", g.rect(11, 4, 2, 2))  # half over the first planter
    layout = g.with_features(g.GOOD_LAYOUT, clash)
    headers = token_for(make_user())
    english = client.post(
        f"/api/v1/sites/{site['id']}/validate", json=layout, headers={**headers, "Accept-Language": "en"}
    ).get_json()
    overlaps = [e for e in english["errors"] if e["code"] == "solid_overlap"]
    assert len(overlaps) == 1
    assert sorted(overlaps[0]["feature_ids"]) == ["planter", "planter-2"]
    assert english["valid"] is False
    chinese = client.post(
        f"/api/v1/sites/{site['id']}/validate", json=layout, headers={**headers, "Accept-Language": "zh-CN"}
    ).get_json()
    message = next(e["message"] for e in chinese["errors"] if e["code"] == "solid_overlap")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_validation_stores_nothing(client, site, make_user, token_for):
    before = site_count()
    client.post(f"/api/v1/sites/{site['id']}/validate", json=g.GOOD_LAYOUT, headers=token_for(make_user()))
    assert site_count() == before
    assert db.session.scalar(select(Site).where(Site.id == site["id"])).constraints == g.SITE_CONSTRAINTS


def test_validate_bad_bodies(client, site, make_user, token_for):
    url = f"/api/v1/sites/{site['id']}/validate"
    headers = token_for(make_user())
    malformed = client.post(url, data="{", headers={**headers, "Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.get_json()["error"]["code"] == "invalid_json"
    not_collection = client.post(url, json={"type": "Feature", "geometry": None}, headers=headers)
    assert not_collection.status_code == 422
    assert not_collection.get_json()["error"]["code"] == "invalid_input"
    huge = client.post(
        url,
        data=json.dumps({"type": "FeatureCollection", "features": [], "pad": "x" * 3_000_000}),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.get_json()["error"]["code"] == "payload_too_large"


def test_validating_against_an_unknown_site_is_404(client, make_user, token_for):
    response = client.post("/api/v1/sites/999/validate", json=g.GOOD_LAYOUT, headers=token_for(make_user()))
    assert response.status_code == 404


def test_validating_needs_a_login(client, site):
    assert client.post(f"/api/v1/sites/{site['id']}/validate", json=g.GOOD_LAYOUT).status_code == 401


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FEATURE_LIKE = st.fixed_dictionaries(
    {"type": st.just("Feature")},
    optional={
        "id": JSON_VALUES,
        "geometry": JSON_VALUES
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["Point", "Polygon", "LineString"]), "coordinates": JSON_VALUES}
        ),
        "properties": JSON_VALUES
        | st.fixed_dictionaries(
            {"kind": st.sampled_from(["bench", "half_court", "path", "zzz"]), "id": JSON_VALUES}
        ),
    },
)
BODIES = JSON_VALUES | st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(FEATURE_LIKE | JSON_VALUES, max_size=4)}
)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_arbitrary_json_bodies_get_a_report_or_a_4xx_error(client, site, make_user, token_for, body):
    response = client.post(f"/api/v1/sites/{site['id']}/validate", json=body, headers=token_for(make_user()))
    assert response.status_code in (200, 400, 413, 422), response.get_data(as_text=True)
    payload = response.get_json()
    if response.status_code == 200:
        assert set(payload) == {"valid", "errors", "warnings", "metrics", "omitted"}
        assert payload["valid"] == (payload["errors"] == [])
    else:
        assert set(payload["error"]) >= {"code", "message"}


def test_a_communitys_unit_costs_change_the_estimate(
    client, community, moderator, site, make_user, token_for
):
    url = f"/api/v1/communities/{community.id}/unit-costs"
    reader = token_for(make_user())
    table = client.get(url, headers=reader).get_json()["unit_costs"]
    assert table["half_court"] == {"cny": 400.0, "basis": "m2", "default": 400.0, "overridden": False}
    validate = f"/api/v1/sites/{site['id']}/validate"
    before = client.post(validate, json=g.GOOD_LAYOUT, headers=reader).get_json()["metrics"][
        "estimated_cost_cny"
    ]
    assert client.put(url, json={"unit_costs": {"half_court": 800}}, headers=reader).status_code == 403
    response = client.put(url, json={"unit_costs": {"half_court": 800}}, headers=token_for(moderator))
    assert response.get_json()["unit_costs"]["half_court"]["overridden"] is True
    after = client.post(validate, json=g.GOOD_LAYOUT, headers=reader).get_json()["metrics"][
        "estimated_cost_cny"
    ]
    assert after - before == pytest.approx(400 * 210, rel=0.01)


@pytest.mark.parametrize("costs", [{"moon_base": 1}, {"lawn": -5}, {"lawn": "cheap"}])
def test_bad_unit_costs_are_422(client, community, moderator, token_for, costs):
    response = client.put(
        f"/api/v1/communities/{community.id}/unit-costs",
        json={"unit_costs": costs},
        headers=token_for(moderator),
    )
    assert response.status_code == 422
