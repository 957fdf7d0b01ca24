"""Fixtures: an app per database backend, clients, people in roles, and factories."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from deliberation import accounts, hearings, proposals, rounds
from deliberation.enums import Phase, Role
from deliberation.extensions import db, socketio
from deliberation.models import Community, Site, User
from tests import geo_layouts as g
from tests.services import POSTGRES_URL, SESSION_TAG, require

BACKENDS = [
    b.strip() for b in os.environ.get("JIAYUAN_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]
PASSWORD = "correct horse battery"


# Each test session works in its own schema, so that concurrent runs on one database
# (two developers, or a developer and CI) never drop each other's tables.
SESSION_SCHEMA = f"jiayuan_test_{SESSION_TAG}"
SESSION_POSTGRES_URL = (
    make_url(POSTGRES_URL)
    .update_query_dict({"options": f"-csearch_path={SESSION_SCHEMA}"})
    .render_as_string(hide_password=False)
)


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[None]:
    require("postgresql")
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SESSION_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SESSION_SCHEMA}"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": SESSION_POSTGRES_URL})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SESSION_SCHEMA} CASCADE"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app_overrides() -> dict:
    """Configuration a test sets on top of the pinned test configuration (parametrize it)."""
    return {}


@pytest.fixture
def app(backend, app_overrides, request) -> Iterator:
    if backend == "postgresql":
        request.getfixturevalue("postgres_schema")
        uri = SESSION_POSTGRES_URL
    else:
        uri = "sqlite://"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, **app_overrides})
    app.test_client_class = FreshContextClient
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        yield app
        db.session.remove()
        if backend == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The tests hold an app context for their factories; without this, requests would
    share its ``g`` (and Flask-Login's cached user) with each other.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_community(app) -> Callable[..., Community]:
    def make(name: str | None = None) -> Community:
        community = accounts.create_community(name or f"Community {next(_counter)}", by=None)
        db.session.commit()
        return community

    return make


@pytest.fixture
def community(make_community) -> Community:
    return make_community("Ruihong test community")


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    """Create a person, optionally holding roles in a community."""

    def make(
        *roles: Role,
        community: Community | None = None,
        email: str | None = None,
        name: str | None = None,
        age_band: str | None = None,
        guardian: str | None = "A parent",
    ) -> User:
        """(Under 14, a guardian consents unless ``guardian`` is None.)"""
        number = next(_counter)
        user = accounts.sign_up(
            email or f"person{number}@example.org",
            PASSWORD,
            name or f"Test Person {number}",
            age_band=age_band,
            guardian_name=guardian if age_band == "under_14" else None,
        )
        for role in roles:
            accounts.grant_role(community, user, role, by=None)
        db.session.commit()
        return user

    return make


@pytest.fixture
def token_for(app) -> Callable[[User], dict[str, str]]:
    """Authorization headers carrying a bearer token for a person."""

    def headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {accounts.issue_token(user)}"}

    return headers


@pytest.fixture
def login(client) -> Callable[[User], None]:
    """Log a person in through the login page, so the client carries the session cookie."""

    def do_login(user: User) -> None:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do_login


@pytest.fixture
def make_site(app, community):
    """A site with the named test boundary and constraints (tests/geo_layouts.py)."""
    def make(target_community: Community | None = None) -> Site:
        site = Site(
            community=target_community or community,
            name="Test court",
            kind="half_court",
            boundary=g.SITE_BOUNDARY,
            constraints=g.SITE_CONSTRAINTS,
        )
        db.session.add(site)
        db.session.commit()
        return site

    return make


@pytest.fixture
def make_round(app, community, make_site, make_user):
    """A round placed directly in a phase (the phase table is tested on its own)."""
    def make(phase: Phase | str = "draft", *, budget_cny: int = 500_000, site=None):
        moderator = make_user(Role.MODERATOR, community=community)
        round_ = rounds.create_round(
            site or make_site(), "Renewing the court", by=moderator, brief="", budget_cny=budget_cny
        )
        round_.phase = Phase(phase).value
        db.session.commit()
        return round_

    return make


class LiveClient:
    """A Flask-SocketIO test client on /hearing whose every call runs in a fresh app context.

    (The tests hold an app context for their factories; the server side must not share
    its ``g`` or database session, just as in production.)
    """

    NAMESPACE = "/hearing"

    def __init__(self, app, **connect_kwargs):
        self.app = app
        self.messages: list[dict] = []
        with app.app_context():
            self.client = socketio.test_client(app, namespace=self.NAMESPACE, **connect_kwargs)

    @property
    def connected(self) -> bool:
        return self.client.is_connected(self.NAMESPACE)

    def emit(self, event: str, data=None) -> dict:
        with self.app.app_context():
            return self.client.emit(event, data, namespace=self.NAMESPACE, callback=True)

    def received(self, name: str | None = None) -> list:
        """Every event received so far (optionally of one name), oldest first."""
        with self.app.app_context():
            self.messages.extend(self.client.get_received(self.NAMESPACE))
        return [m["args"][0] for m in self.messages if name is None or m["name"] == name]

    def disconnect(self) -> None:
        with self.app.app_context():
            self.client.disconnect(namespace=self.NAMESPACE)


def connecting(app, client_class: type[LiveClient]) -> Iterator[Callable[..., LiveClient]]:
    """Connect people to a live namespace (``client_class``'s) with a bearer token, or with
    what the keyword arguments say; whoever is still connected leaves at the end."""
    clients: list[LiveClient] = []

    def connect(user: User | None = None, **kwargs) -> LiveClient:
        if user is not None:
            kwargs.setdefault("auth", {"token": accounts.issue_token(user)})
        client = client_class(app, **kwargs)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        if client.connected:
            client.disconnect()


@pytest.fixture
def live_client(app):
    """Connect a person to /hearing with a bearer token (or no identity at all)."""
    yield from connecting(app, LiveClient)


# --- a hearing and the people around it (tests of the live hearing and its pages) ------------


@pytest.fixture
def people(community, make_user):
    """One person in each role of the community, and an outsider who is no member."""
    return {
        "moderator": make_user(Role.MODERATOR, Role.RESIDENT, community=community, name="Mod"),
        "resident": make_user(Role.RESIDENT, community=community, name="Res", age_band="80_plus"),
        "neighbour": make_user(Role.RESIDENT, community=community, name="Nei"),
        "designer": make_user(Role.DESIGNER, community=community, name="Des"),
        "secretary": make_user(Role.SECRETARY, community=community, name="Sec"),
        "outsider": make_user(name="Out"),
    }


@pytest.fixture
def hearing(make_round, people):
    """A hearing of a round in its hearing phase, with two proposals' pitch slots."""
    round_ = make_round(Phase.PROPOSING)
    first, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    second, _ = proposals.submit_proposal(
        round_, "Plan B", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.HEARING.value
    hearing = hearings.create_hearing(
        round_,
        "Evening talk",
        datetime.now(UTC),
        "Room 1",
        [(first.id, 300), (second.id, 120)],
        by=people["moderator"],
    )
    db.session.commit()
    return hearing
