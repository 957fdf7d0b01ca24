"""Command-line tools: accounts, roles, communities and the idempotent demo seed."""

from __future__ import annotations

from sqlalchemy import func, select

from deliberation import demo
from deliberation.enums import Role
from deliberation.extensions import db
from deliberation.models import AuditEntry, Community, PhaseChange, Round, Site, User


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Community, Site, Round, PhaseChange, AuditEntry)
    }


def test_users_create_and_grant(runner, community):
    result = runner.invoke(
        args=["users", "create", "mei@example.org", "--name", "Mei", "--password", "long enough"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "grant", "mei@example.org", community.name, "moderator"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "mei@example.org"))
    assert user.roles_in(community.id) == {Role.MODERATOR}


def test_users_grant_names_what_is_missing(runner, community):
    result = runner.invoke(args=["users", "grant", "nobody@example.org", community.name, "resident"])
    assert result.exit_code != 0
    assert "nobody@example.org" in result.output


def test_users_create_refuses_a_short_password(runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--name", "A", "--password", "short"])
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.email == "a@example.org")) is None


def test_communities_create(runner):
    result = runner.invoke(args=["communities", "create", "Liangcheng", "--district", "Hongkou"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Community.district).where(Community.name == "Liangcheng")) == "Hongkou"


def test_seed_demo_loads_the_demo_and_running_it_again_changes_nothing(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    assert after_first["User"] == len(demo.DEMO_EMAILS) + len(demo.NEIGHBOURS)
    assert after_first["Site"] == len(demo.SITES)
    assert after_first["Round"] == len(demo.ROUNDS)

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first


def test_the_demo_spreads_age_bands_and_roles(runner):
    runner.invoke(args=["seed-demo"])
    community = db.session.scalar(select(Community).where(Community.name == demo.COMMUNITY_NAME))
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert users["secretary@demo.jiayuan.cn"].has_role(community.id, Role.SECRETARY)
    assert users["designer1@demo.jiayuan.cn"].has_role(community.id, Role.DESIGNER)
    assert users["designer2@demo.jiayuan.cn"].has_role(community.id, Role.DESIGNER)
    bands = {users[f"resident{i}@demo.jiayuan.cn"].age_band for i in range(1, 7)}
    assert {"under_14", "80_plus"} <= bands
    phases = {r.phase for r in db.session.scalars(select(Round))}
    assert len(phases) >= 3
