"""Accounts: signing up, logging in, API tokens, communities and roles."""

from __future__ import annotations

import functools
import secrets
import unicodedata
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from deliberation import throttle
from deliberation.audit import record
from deliberation.enums import AgeBand, Language, Role, StakeholderTag, values
from deliberation.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotAllowed, NotFound, allows
from deliberation.extensions import db, read_row
from deliberation.models import Community, MemberRole, Membership, User
from deliberation.models.accounts import new_token_nonce
from deliberation.models.types import utcnow
from deliberation.offload import run_heavy
from deliberation.publish import Event, publish_after_commit, user_room
from geo.standards import UNIT_COSTS, unit_costs

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
MIN_PASSWORD_DISTINCT = 4
MAX_NAME_LENGTH = 80
STAFF_ROLES = (Role.MODERATOR.value, Role.SECRETARY.value)


def check_password_rules(password: str) -> None:
    """At least 8 characters, at least 4 different ones, and not only spaces."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            _(
                "The password needs %(min)d to %(max)d characters.",
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
            )
        )
    if len(set(password.replace(" ", ""))) < MIN_PASSWORD_DISTINCT:
        raise InvalidInput(_("The password is too easy to guess: use at least 4 different characters."))


def clean_name(name: str, *, user: User | None = None) -> str:
    """A display name: visible characters only, 1 to 80 of them, and not a copy of the name
    of someone who moderates or decides (a neighbour must not pass for the committee)."""
    cleaned = " ".join(
        "".join(
            c
            for c in (name if isinstance(name, str) else "")
            if unicodedata.category(c)[0] not in "CZ" or c == " "
        ).split()
    )
    if not 1 <= len(cleaned) <= MAX_NAME_LENGTH:
        raise InvalidInput(_("Give a name of 1 to %(n)d visible characters.", n=MAX_NAME_LENGTH))
    if _looks_like_staff(cleaned, user):
        raise InvalidInput(_("This name belongs to someone on the committee; choose another."))
    return cleaned


def _name_key(name: str) -> str:
    return "".join(name.split()).casefold()


def _looks_like_staff(name: str, user: User | None) -> bool:
    staff = db.session.scalars(
        select(User.name)
        .join(Membership, Membership.user_id == User.id)
        .join(MemberRole, MemberRole.membership_id == Membership.id)
        .where(MemberRole.role.in_(STAFF_ROLES), User.id != (user.id if user is not None and user.id else -1))
    )
    key = _name_key(name)
    return any(_name_key(other) == key for other in staff)


class InvalidCredentials(DomainError):
    status = 401
    code = ErrorCode.INVALID_CREDENTIALS


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def sign_up(
    email: str,
    password: str,
    name: str,
    *,
    age_band: str | None = None,
    age_band_consent: bool | None = None,
    guardian_name: str | None = None,
    language: str | None = None,
) -> User:
    """Create an account; it belongs to no community until a moderator adds it.

    An age band is kept only with the person's separate consent (``age_band_consent``;
    an age band sent without saying is taken as given with consent, as the sign-up page
    asks for both together). A resident under 14 takes part once a guardian has
    consented: ``guardian_name`` records that consent when a family signs up together.
    """
    email = normalise_email(email)
    check_password_rules(password)
    name = clean_name(name)
    if find_user_by_email(email) is not None:
        raise Conflict(_("An account with this email exists already."), code=ErrorCode.EMAIL_TAKEN)
    user = User(email=email, name=name, language=Language(language or Language.ZH_CN).value)
    set_age_band(user, age_band, consent=age_band_consent if age_band_consent is not None else bool(age_band))
    if guardian_name:
        give_guardian_consent(user, guardian_name)
    user.set_password(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    record("user.signed_up", user, actor=user)
    return user


def set_age_band(user: User, age_band: str | None, *, consent: bool) -> None:
    """Keep an age band with the person's consent; without it (or with none) the band goes,
    from the account and from the ballots and answers it was copied to."""
    if age_band and age_band not in values(AgeBand):
        raise InvalidInput(_("Unknown age band."))
    if age_band and not consent:
        raise InvalidInput(
            _("Tick the box to agree that your age band is used to show how each age group took part.")
        )
    if age_band:
        if user.age_band != age_band or user.age_band_consent_at is None:
            user.age_band_consent_at = utcnow()
        user.age_band = age_band
        return
    user.age_band, user.age_band_consent_at = None, None
    if user.id is not None:
        # (imported here: ballots and asking use this module's role checks)
        from deliberation import asking, ballots

        ballots.forget_age_band(user)
        asking.forget_age_band(user)


def give_guardian_consent(user: User, guardian_name: str) -> None:
    """A parent or guardian consents to a child's taking part (PIPL art. 31)."""
    guardian_name = (guardian_name or "").strip()
    if not 1 <= len(guardian_name) <= 80:
        raise InvalidInput(_("Give the name of the parent or guardian who consents (1 to 80 characters)."))
    user.guardian_name, user.guardian_consent_at = guardian_name, utcnow()


def record_guardian_consent(community: Community, person: User, guardian_name: str, *, by: User) -> User:
    """A moderator records a guardian's consent for a member, say for a family signing up together."""
    require_role(by, community.id, Role.MODERATOR)
    if person.membership_in(community.id) is None:
        raise NotFound(_("This person is not a member of the community."))
    give_guardian_consent(person, guardian_name)
    record("member.guardian_consent_recorded", person, actor=by, community_id=community.id)
    return person


def consent_to_stakeholder_tag(membership: Membership, *, by: User, consent: bool) -> Membership:
    """The person agrees to show the stakeholder tag a moderator gave them, or withdraws:
    then the tag itself goes (PIPL art. 29 and 47)."""
    if membership.user.id != by.id:
        raise NotAllowed(_("Only the person themself can consent to their tag."))
    if membership.stakeholder is None:
        raise Conflict(_("There is no tag to consent to."))
    if consent:
        membership.stakeholder_consent_at = membership.stakeholder_consent_at or utcnow()
    else:
        membership.stakeholder, membership.stakeholder_consent_at = None, None
    return membership


def authenticate(email: str, password: str, *, address: str | None = None) -> User:
    """The user with these credentials, or ``InvalidCredentials``; throttled per account and
    address (429), and as slow for an unknown email as for a wrong password, so that the
    answer never tells which emails have an account."""
    throttle.check_login(email, address)
    user = find_user_by_email(email)
    if user is None:
        run_heavy(check_password_hash, _dummy_hash(), password)
    elif user.check_password(password):
        return user
    throttle.record_failure(email, address)
    raise InvalidCredentials(_("Wrong email or password."))


def _dummy_hash() -> str:
    """A hash made like the real ones, to check an unknown email's password against."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    cache = current_app.extensions.setdefault("jiayuan_dummy_hash", {})
    if method not in cache:
        cache[method] = run_heavy(generate_password_hash, secrets.token_hex(16), method=method)
    return cache[method]


def _token_serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)  # by key: a crowd connecting at once need not build one each
def _serializer_for(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="jiayuan-api-token")


def issue_token(user: User) -> str:
    """A signed bearer token for the API and Socket.IO, valid until logout or expiry."""
    return _token_serializer().dumps({"uid": user.id, "n": user.token_nonce})


def _token_claims(token: str) -> tuple[int, str] | None:
    """The user id and nonce a bearer token carries, if its signature holds and it has not expired."""
    try:
        data = _token_serializer().loads(token, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    uid, nonce = (data.get("uid"), data.get("n")) if isinstance(data, dict) else (None, None)
    return (uid, nonce) if isinstance(uid, int) and isinstance(nonce, str) else None


def user_from_token(token: str) -> User | None:
    """The user a bearer token stands for, or None if it is forged, expired or revoked."""
    claims = _token_claims(token)
    user = db.session.get(User, claims[0]) if claims else None
    if user is None or user.token_nonce != claims[1]:
        return None
    return user


# Built once (a crowd connecting at once): building a statement costs more than running this one.
_NONCE_QUERY = select(User.token_nonce).where(User.id == bindparam("user_id"))


def identity_from_token(token: str) -> tuple[int, str] | None:
    """The user id and nonce of a bearer token that is still valid, checked without loading
    the account (a crowd connecting to a hearing at once)."""
    claims = _token_claims(token)
    if claims is None:
        return None
    row = read_row(_NONCE_QUERY, {"user_id": claims[0]})
    return claims if row is not None and secrets.compare_digest(row[0], claims[1]) else None


def user_from_session_id(session_id: str) -> User | None:
    """The person a session's id ("id:nonce", see User.get_id) stands for, if still valid."""
    user_id, _sep, nonce = str(session_id).partition(":")
    if not user_id.isdigit() or len(user_id) > 10 or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and secrets.compare_digest(user.token_nonce, nonce) else None


def revoke_tokens(user: User) -> None:
    """Invalidate every token, session and remember-me cookie issued to this user so far."""
    user.token_nonce = new_token_nonce()


def change_password(user: User, current: str, new: str) -> None:
    """A person changes their password; every other session, token and socket ends."""
    if not user.check_password(current or ""):
        raise InvalidCredentials(_("The current password is not right."))
    check_password_rules(new)
    user.set_password(new, method=current_app.config["PASSWORD_HASH_METHOD"])
    user.password_set_by_staff = False
    log_out_everywhere(user)
    record("user.password_changed", user, actor=user)


def reset_password(community: Community, person: User, new: str, *, by: User) -> None:
    """A moderator sets a new password for a resident who forgot theirs (there is no email
    round trip); recorded, and every session of the resident ends. Staff passwords are the
    branch secretary's to reset, and nobody resets their own this way."""
    require_role(by, community.id, Role.MODERATOR, Role.SECRETARY)
    if person.membership_in(community.id) is None:
        raise NotFound(_("This person is not a member of the community."))
    if person.id == by.id:
        raise NotAllowed(_("Change your own password on your profile."))
    if person.roles_in(community.id) & {Role.MODERATOR, Role.SECRETARY}:
        require_role(by, community.id, Role.SECRETARY)
    check_password_rules(new)
    person.set_password(new, method=current_app.config["PASSWORD_HASH_METHOD"])
    person.password_set_by_staff = True  # their ballots stay hidden from whoever uses it
    log_out_everywhere(person)
    record("member.password_reset", person, actor=by, community_id=community.id)


def log_out_everywhere(user: User) -> None:
    """End every session of this person: cookies, tokens, and (after commit) open sockets."""
    revoke_tokens(user)
    publish_after_commit(db.session, Event.SESSION_ENDED, {"user_id": user.id}, room=user_room(user.id))


def update_profile(
    user: User,
    *,
    name: str | None = None,
    age_band: str | None = None,
    age_band_consent: bool = False,
    language: str | None = None,
    large_text: bool | None = None,
    high_contrast: bool | None = None,
) -> User:
    """Change what a person says about themselves (an age band only with consent; "" removes it)."""
    if name is not None:
        user.name = clean_name(name, user=user)
    if age_band is not None:
        if not age_band_consent and user.age_band_consent_at is not None:
            age_band = ""  # unticking the consent withdraws it, whatever the list still shows
        set_age_band(user, age_band, consent=bool(age_band_consent))
    if language is not None:
        user.language = Language(language).value
    if large_text is not None:
        user.large_text = large_text
    if high_contrast is not None:
        user.high_contrast = high_contrast
    return user


def create_community(name: str, *, by: User | None, district: str = "") -> Community:
    """A new community; its creator, if any, becomes its first moderator."""
    if db.session.scalar(select(Community).where(Community.name == name)):
        raise Conflict(_("A community with this name exists already."))
    community = Community(name=name, district=district)
    db.session.add(community)
    db.session.flush()
    if by is not None:
        grant_role(community, by, Role.MODERATOR, by=None)
    record("community.created", community, actor=by, community_id=community.id)
    return community


def require_role(user: User, community_id: int, *roles: Role) -> None:
    """Refuse with 403 unless the user holds one of these roles in the community."""
    if not user.roles_in(community_id) & set(roles):
        raise NotAllowed(_("You are not allowed to do this."))


STAFF_ROLE_SET = frozenset({Role.MODERATOR, Role.SECRETARY})


def has_secretary(community: Community) -> bool:
    return any(Role.SECRETARY in m.role_set for m in community.memberships)


def check_can_manage_role(
    community: Community, person: User, role: Role | str, *, by: User | None, command_line: bool = False
) -> None:
    """Who may grant or remove a role: a moderator (or the secretary) grants and removes
    resident and designer; only the branch secretary grants or removes moderator and
    secretary; nobody grants or removes a role of their own.

    The command line (``command_line``, no ``by``) may found a community, appointing its
    first secretary, and add residents and designers; for anything else it must act on
    someone's behalf (``by``). ``by`` None outside it is the product itself (the demo).
    """
    role = Role(role)
    if by is None:
        if command_line and role in STAFF_ROLE_SET and has_secretary(community):
            raise NotAllowed(_("Only the branch secretary appoints or removes moderators and secretaries."))
        return
    if by.id == person.id:
        raise NotAllowed(_("Nobody grants or removes a role of their own."))
    if role in STAFF_ROLE_SET:
        if not by.has_role(community.id, Role.SECRETARY):
            raise NotAllowed(_("Only the branch secretary appoints or removes moderators and secretaries."))
    else:
        require_role(by, community.id, Role.MODERATOR, Role.SECRETARY)


def grantable_roles(community: Community, *, by: User) -> list[Role]:
    """The roles this person may give someone else in the community (for the members page)."""
    someone_else = SimpleNamespace(id=None)
    return [role for role in Role if allows(check_can_manage_role, community, someone_else, role, by=by)]


def grant_role(
    community: Community,
    user: User,
    role: Role | str,
    *,
    by: User | None,
    stakeholder: str | None = None,
    command_line: bool = False,
) -> Membership:
    """Give a person a role in a community, as check_can_manage_role allows; recorded."""
    role = Role(role)
    check_can_manage_role(community, user, role, by=by, command_line=command_line)
    if stakeholder is not None and stakeholder not in values(StakeholderTag):
        raise InvalidInput(_("Unknown stakeholder tag."))
    membership = user.membership_in(community.id)
    if membership is None:
        membership = Membership(user=user, community=community)
        db.session.add(membership)
    if stakeholder is not None and stakeholder != membership.stakeholder:
        # shown beside the person's words only once they consent (consent_to_stakeholder_tag)
        membership.stakeholder, membership.stakeholder_consent_at = stakeholder, None
    if role not in membership.role_set:
        membership.roles.append(MemberRole(role=role.value))
        record(
            "member.role_granted",
            membership,
            actor=by,
            community_id=community.id,
            user_id=user.id,
            role=role.value,
        )
    return membership


def remove_role(
    community: Community, user: User, role: Role | str, *, by: User | None, command_line: bool = False
) -> Membership | None:
    """Take a role from a person, as check_can_manage_role allows; recorded. A person left
    with no role is no longer a member. The community always keeps a secretary."""
    role = Role(role)
    check_can_manage_role(community, user, role, by=by, command_line=command_line)
    membership = user.membership_in(community.id)
    held = next((r for r in membership.roles if r.role == role.value), None) if membership else None
    if held is None:
        raise NotFound(_("This person does not hold that role."))
    if role is Role.SECRETARY and sum(Role.SECRETARY in m.role_set for m in community.memberships) == 1:
        raise Conflict(_("The community needs a branch secretary: appoint another one first."))
    membership.roles.remove(held)
    record(
        "member.role_removed",
        membership,
        actor=by,
        community_id=community.id,
        user_id=user.id,
        role=role.value,
    )
    if not membership.roles:
        db.session.delete(membership)
        db.session.flush()
        return None
    return membership


def unit_cost_table(community: Community) -> dict[str, dict[str, object]]:
    """The community's unit costs per kind: its own where set, geo's defaults otherwise."""
    own = community.unit_costs or {}
    table = unit_costs(own)
    return {
        str(kind): {
            "cny": table[kind],
            "basis": str(default.basis),
            "default": float(default.cny),
            "overridden": str(kind) in own,
        }
        for kind, default in UNIT_COSTS.items()
    }


def set_unit_costs(community: Community, costs: dict[str, float], *, by: User) -> Community:
    """A moderator sets the community's unit costs (CNY per kind's basis) for cost estimates."""
    require_role(by, community.id, Role.MODERATOR)
    known = {str(kind) for kind in UNIT_COSTS}
    unknown = sorted(set(costs) - known)
    if unknown:
        raise InvalidInput(_("Unknown kinds: %(kinds)s", kinds=", ".join(unknown)))
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 10**7 for v in costs.values()
    ):
        raise InvalidInput(_("Unit costs are numbers from 0 up."))
    community.unit_costs = {kind: float(value) for kind, value in costs.items()}
    record("community.unit_costs_set", community, actor=by, community_id=community.id, unit_costs=costs)
    return community
