"""The Flask extensions, created once and bound to an app by ``create_app``."""

from __future__ import annotations

from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Executable, MetaData, Row, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from deliberation.http_errors import JsonErrorApi

# Named constraints so that Alembic migrations can alter and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def read_row(statement: Executable, params: dict[str, Any]) -> Row | None:
    """One row (or none) read on a pooled connection of its own, outside the ORM session.

    For the reads a crowd makes at once (every phone opening its live connection): the
    session's transaction and the ORM's result handling cost three times the query. The
    read sees what is committed, so only for statements that need nothing pending.
    """
    with db.engine.connect() as connection:
        return connection.execute(statement, params).one_or_none()


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # SQLite ignores foreign keys unless each connection asks for them.
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging: readers never wait for a writer, and a commit costs one sync
        # instead of several, which keeps a live hearing responsive on the embedded database.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


migrate = Migrate(render_as_batch=True, compare_type=True)
socketio = SocketIO()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
api = JsonErrorApi()
