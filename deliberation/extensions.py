"""The Flask extensions, created once and bound to an app by ``create_app``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Select, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
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


@dataclass(frozen=True, slots=True)
class _DriverStatement:
    """A select as one database's driver takes it: its SQL, the order of its parameters
    (None: by name), and the conversions its parameters' and columns' types make."""

    sql: str
    order: tuple[str, ...] | None
    literals: dict[str, Any]
    to_driver: dict[str, Callable[[Any], Any]]
    from_driver: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: Select, dialect: Dialect) -> _DriverStatement:
        compiled = statement.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("an IN list's parameters are rendered per execution: read it in the session")
        to_driver = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                to_driver[name] = processor
        from_driver = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        positional = dialect.paramstyle in ("qmark", "numeric", "format")
        return cls(
            str(compiled),
            tuple(compiled.positiontup) if positional else None,
            {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required},
            to_driver,
            from_driver,
        )

    def parameters(self, params: dict[str, Any]) -> tuple | dict:
        values = self.literals | params
        for name, processor in self.to_driver.items():
            values[name] = processor(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def row(self, found: tuple | None) -> tuple | None:
        if found is None:
            return None
        return tuple(v if f is None else f(v) for v, f in zip(found, self.from_driver, strict=True))


# By statement and database: the statements are built once, at import (and kept alive here).
_DRIVER_STATEMENTS: dict[tuple[Select, str], _DriverStatement] = {}


def read_row(statement: Select, params: dict[str, Any]) -> tuple | None:
    """One row (or none) of a select built once at import, read on a pooled connection of
    its own, outside the ORM session, straight on the driver's cursor.

    For the reads a crowd makes at once (every phone opening its live connection): in the
    ORM session such a read cost three times the query, and even on a connection of its own
    SQLAlchemy's execution around the driver's call (its context, its result) took 57 us of
    a 17 us read on SQLite. The statement is compiled once per database, and its columns'
    and parameters' types convert as they would in SQLAlchemy. The read sees what is
    committed, so only for statements that need nothing pending. A connection the database
    dropped is invalidated and raised as SQLAlchemy raises it (live events retry those).
    """
    engine = db.engine
    dialect = engine.dialect
    key = (statement, dialect.name)
    prepared = _DRIVER_STATEMENTS.get(key)
    if prepared is None:
        prepared = _DRIVER_STATEMENTS[key] = _DriverStatement.compile(statement, dialect)
    arguments = prepared.parameters(params)
    connection = engine.raw_connection()
    cursor = None
    try:
        cursor = connection.cursor()
        cursor.execute(prepared.sql, arguments)
        found = cursor.fetchone()
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, connection.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            prepared.sql,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        ) from error
    finally:
        if cursor is not None:
            with contextlib.suppress(dialect.loaded_dbapi.Error):  # (on a dropped connection)
                cursor.close()
        connection.close()  # back to the pool, which ends the read's transaction
    return prepared.row(found)


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
