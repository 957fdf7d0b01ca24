"""The OpenAPI document describes the API from the same schemas that validate it."""

from __future__ import annotations

from openapi_spec_validator import validate


def test_the_openapi_document_is_valid_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["info"]["title"] == "Jiayuan"


def test_the_document_describes_the_request_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    body_schema = login["requestBody"]["content"]["application/json"]["schema"]
    name = body_schema["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][name]["required"]) == {"email", "password"}
    add_member = spec["paths"]["/api/v1/communities/{community_id}/members"]["post"]
    member_schema = add_member["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[
        -1
    ]
    roles = spec["components"]["schemas"][member_schema]["properties"]["role"]["enum"]
    assert roles == ["resident", "designer", "moderator", "secretary"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
