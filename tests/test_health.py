"""The health check names the part that is down: database or message queue."""

from __future__ import annotations

import pytest

from app import create_app
from tests.services import REDIS_URL, SESSION_REDIS_CHANNEL, require


def test_healthy_on_the_embedded_default(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "message_queue": "not configured"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_healthy_with_the_redis_message_queue(backend):
    require("redis")
    app = create_app({"TESTING": True, "REDIS_URL": REDIS_URL, "REDIS_CHANNEL": SESSION_REDIS_CHANNEL})
    response = app.test_client().get("/healthz")
    assert response.get_json() == {"database": "ok", "message_queue": "ok"}
    assert response.status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_unhealthy_when_the_message_queue_is_unreachable(backend):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["message_queue"] == "unreachable"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_unhealthy_when_the_database_is_unreachable(backend):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
