"""Migrations build the schema the models describe, and undo it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from deliberation.extensions import db
from tests.services import fresh_postgres_database


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database."""
    with fresh_postgres_database("migrations") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> str:
    """The URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    return request.getfixturevalue("empty_postgres_url")


def test_upgrade_from_empty_matches_the_models_and_downgrade_removes_everything(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert drift == [], f"the models and the migrations differ: {drift}"

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade()  # and back up again: downgrade left nothing behind that blocks it
        assert {t.name for t in db.metadata.sorted_tables} <= set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()


def test_postgresql_refuses_changes_to_the_audit_log_from_any_client(empty_postgres_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_postgres_url})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_entries (at, action, subject_type, data) "
                    "VALUES (now(), 'x', 'y', '{}')"
                )
            )
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_entries SET action = 'changed'"))
        db.engine.dispose()


def test_postgresql_lets_a_deleted_person_be_forgotten_as_an_actor_and_nothing_else(empty_postgres_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_postgres_url})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            person = conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, name, language, large_text, token_nonce, "
                    "created_at) VALUES ('gone@example.org', 'x', 'Gone', 'en', false, 'n', now()) "
                    "RETURNING id"
                )
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO audit_entries (at, action, subject_type, data, actor_id) "
                    "VALUES (now(), 'need.added', 'need', '{}', :person)"
                ),
                {"person": person},
            )
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE id = :person"), {"person": person})
            forgotten = conn.execute(text("SELECT actor_id, action FROM audit_entries")).one()
            assert forgotten == (None, "need.added")
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_entries SET actor_id = NULL, action = 'other'"))
        db.engine.dispose()
