"""Command-line tools: `flask users ...`, `flask communities ...` and `flask seed-demo`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from deliberation import accounts, ballots, decisions, demo
from deliberation.enums import AgeBand, Language, Role, StakeholderTag, values
from deliberation.errors import DomainError
from deliberation.extensions import db
from deliberation.models import Community

users_cli = AppGroup("users", help="Manage accounts.")
communities_cli = AppGroup("communities", help="Manage communities.")


def _fail(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--age-band", type=click.Choice(values(AgeBand)))
@click.option("--language", type=click.Choice(values(Language)), default=Language.ZH_CN.value)
def create_user(email: str, name: str, password: str, age_band: str | None, language: str) -> None:
    """Create an account."""
    try:
        user = accounts.sign_up(email, password, name, age_band=age_band, language=language)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}>")


def _account(email: str):
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    return user


def _community(community: str) -> Community:
    found = (
        db.session.get(Community, int(community))
        if community.isdigit()
        else db.session.query(Community).filter_by(name=community).one_or_none()
    )
    if found is None:
        raise click.ClickException(f"no community {community}")
    return found


@users_cli.command("grant")
@click.argument("email")
@click.argument("community")
@click.argument("role", type=click.Choice(values(Role)))
@click.option("--stakeholder", type=click.Choice(values(StakeholderTag)))
@click.option("--by", "by_email", help="act as this account (the rules of who may grant what apply)")
def grant(email: str, community: str, role: str, stakeholder: str | None, by_email: str | None) -> None:
    """Give the account EMAIL a ROLE in COMMUNITY (its name or id).

    Without --by this founds a community (its first branch secretary) or adds residents
    and designers; moderators and further secretaries are the secretary's to appoint.
    """
    user, found = _account(email), _community(community)
    by = _account(by_email) if by_email else None
    try:
        accounts.grant_role(found, user, role, by=by, stakeholder=stakeholder, command_line=by is None)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.email} is {role} in {found.name}")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("community")
@click.argument("role", type=click.Choice(values(Role)))
@click.option("--by", "by_email", help="act as this account (the rules of who may remove what apply)")
def revoke(email: str, community: str, role: str, by_email: str | None) -> None:
    """Take ROLE in COMMUNITY from the account EMAIL."""
    user, found = _account(email), _community(community)
    by = _account(by_email) if by_email else None
    try:
        accounts.remove_role(found, user, role, by=by, command_line=by is None)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.email} is no longer {role} in {found.name}")


@communities_cli.command("create")
@click.argument("name")
@click.option("--district", default="")
def create_community(name: str, district: str) -> None:
    """Create a community."""
    try:
        community = accounts.create_community(name, by=None, district=district)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created community {community.id} {community.name}")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo community, its sites, rounds and accounts; running it again changes nothing."""
    summary = demo.seed()
    db.session.commit()
    click.echo(summary)


rounds_cli = AppGroup("rounds", help="Rounds: scheduled work.")


@rounds_cli.command("finalize-notices")
def finalize_notices() -> None:
    """Close ballots past their deadline and make final every decision whose notice period is
    over; for a scheduler, safe to repeat."""
    closed = ballots.close_due()
    finalised = decisions.finalise_due()
    db.session.commit()
    if closed:
        click.echo(f"closed the ballots of {len(closed)} round(s): {closed}")
    click.echo(f"finalised {len(finalised)} round(s)" + (f": {finalised}" if finalised else ""))


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(communities_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(rounds_cli)
