"""The database keeps data honest by itself: unique keys and check constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from deliberation import audit
from deliberation.enums import Role
from deliberation.extensions import db
from deliberation.models import AuditEntry, MemberRole, Membership, Proposal, Round, Site
from deliberation.models.audit import AuditLogIsAppendOnly
from deliberation.models.types import utcnow


def expect_integrity_error(statement: str, **params) -> None:
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text(statement), params)


@pytest.fixture
def site(community):
    site = Site(community=community, name="Court", kind="half_court", boundary={}, constraints={})
    db.session.add(site)
    db.session.commit()
    return site


def test_one_membership_per_person_and_community(community, make_user):
    user = make_user(Role.RESIDENT, community=community)
    db.session.add(Membership(user_id=user.id, community_id=community.id))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_a_role_is_held_once(community, make_user):
    user = make_user(Role.RESIDENT, community=community)
    membership = user.membership_in(community.id)
    expect_integrity_error(
        "INSERT INTO member_roles (membership_id, role) VALUES (:m, 'resident')", m=membership.id
    )
    assert {r.role for r in db.session.query(MemberRole).all()} == {"resident"}


@pytest.mark.parametrize(
    ("statement", "column"),
    [
        ("UPDATE rounds SET phase = 'finished'", "phase"),
        ("UPDATE rounds SET budget_cny = -1", "budget"),
        ("UPDATE users SET age_band = 'ancient'", "age band"),
        ("UPDATE users SET email = 'UPPER@EXAMPLE.ORG'", "email case"),
        ("UPDATE member_roles SET role = 'king'", "role"),
        ("UPDATE communities SET notice_days = 0", "notice days"),
    ],
)
def test_check_constraints_refuse_values_outside_the_product(site, make_user, community, statement, column):
    moderator = make_user(Role.MODERATOR, community=community)
    db.session.add(Round(site=site, title="R", created_by_id=moderator.id))
    db.session.commit()
    expect_integrity_error(statement)


def test_a_withdrawn_proposal_must_say_when(site, make_user, community):
    round_ = Round(site=site, title="R")
    db.session.add(round_)
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Proposal(round_id=round_.id, title="P", status="withdrawn", withdrawn_at=None))
    db.session.add(Proposal(round_id=round_.id, title="P", status="withdrawn", withdrawn_at=utcnow()))
    db.session.flush()


def test_the_audit_log_cannot_be_changed_or_deleted(community):
    entry = audit.record("test.happened", community, actor=None, community_id=community.id)
    db.session.commit()
    entry.action = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()


def test_timestamps_come_back_timezone_aware(community):
    db.session.expire_all()
    assert community.created_at.tzinfo is not None
