"""read_row: the one-row reads a crowd joining a hearing makes, run on the driver's cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, create_engine, exists, select, text
from sqlalchemy.exc import DBAPIError

from deliberation.enums import Role
from deliberation.extensions import db, read_row
from deliberation.models import MemberRole, Membership, User
from tests.services import POSTGRES_URL

# Built once, as read_row asks: a literal, a type that converts both ways (UTC timestamps,
# which SQLite keeps as text), a boolean (SQLite gives 0 or 1), a left join that may be empty.
PERSON = (
    select(
        User.id,
        User.email,
        User.created_at,
        Membership.building,
        exists().where(MemberRole.membership_id == Membership.id, MemberRole.role == Role.MODERATOR.value),
    )
    .select_from(User)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(User.id == bindparam("user_id"), User.created_at >= bindparam("since"))
)
BROKEN = select(text("nothing FROM no_such_table WHERE 1 = :n"))


def test_a_row_reads_as_the_orm_session_reads_it(make_user, community):
    moderator = make_user(Role.MODERATOR, community=community)
    resident = make_user(Role.RESIDENT, community=community)
    db.session.commit()
    since = datetime.now(UTC) - timedelta(hours=1)
    for person in (moderator, resident):
        params = {"user_id": person.id, "since": since}
        row = read_row(PERSON, params)
        assert row == tuple(db.session.execute(PERSON, params).one())
        assert row[2].tzinfo is not None and row[2] >= since
    assert read_row(PERSON, {"user_id": moderator.id, "since": since})[4] is True
    assert read_row(PERSON, {"user_id": resident.id, "since": since})[4] is False
    assert read_row(PERSON, {"user_id": resident.id, "since": datetime.now(UTC) + timedelta(hours=1)}) is None
    assert read_row(PERSON, {"user_id": 10**9, "since": since}) is None


def test_a_failing_read_raises_as_sqlalchemy_does_and_the_next_read_works(make_user):
    person = make_user()
    db.session.commit()
    with pytest.raises(DBAPIError) as raised:
        read_row(BROKEN, {"n": 1})
    assert not raised.value.connection_invalidated
    assert read_row(PERSON, {"user_id": person.id, "since": person.created_at})[0] == person.id


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("app_overrides", [{"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}}])
def test_a_read_on_a_connection_the_database_dropped_is_retried_by_live_events(make_user):
    """Unpinged, a pooled connection whose server process ended fails on its first use: the
    failure says the connection was invalidated (live events retry those), and the pool
    holds it no more."""
    person = make_user()
    db.session.commit()
    params = {"user_id": person.id, "since": person.created_at}
    db.session.remove()
    db.engine.dispose()  # the pool now holds only the connection checked out next
    pooled = db.engine.raw_connection()
    cursor = pooled.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    cursor.close()
    pooled.close()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()

    with pytest.raises(DBAPIError) as raised:
        read_row(PERSON, params)
    assert raised.value.connection_invalidated
    assert read_row(PERSON, params)[0] == params["user_id"]
