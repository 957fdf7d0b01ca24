"""Accounts: signing up, logging in, API tokens, communities and roles."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from deliberation.audit import record
from deliberation.enums import AgeBand, Language, Role, StakeholderTag, values
from deliberation.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotAllowed, NotFound
from deliberation.extensions import db
from deliberation.models import Ballot, Community, MemberRole, Membership, User, WhetherAnswer
from deliberation.models.accounts import new_token_nonce
from deliberation.models.types import utcnow
from geo.standards import UNIT_COSTS, unit_costs

MIN_PASSWORD_LENGTH = 8


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if find_user_by_email(email) is not None:
        raise Conflict(_("An account with this email exists already."), code=ErrorCode.EMAIL_TAKEN)
    user = User(email=email, name=name.strip(), language=Language(language or Language.ZH_CN).value)
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
        for model in (Ballot, WhetherAnswer):
            db.session.execute(update(model).where(model.user_id == user.id).values(age_band=None))


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


def authenticate(email: str, password: str) -> User:
    """The user with these credentials, or ``InvalidCredentials``."""
    user = find_user_by_email(email)
    if user is None or not user.check_password(password):
        raise InvalidCredentials(_("Wrong email or password."))
    return user


def _token_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="jiayuan-api-token")


def issue_token(user: User) -> str:
    """A signed bearer token for the API and Socket.IO, valid until logout or expiry."""
    return _token_serializer().dumps({"uid": user.id, "n": user.token_nonce})


def user_from_token(token: str) -> User | None:
    """The user a bearer token stands for, or None if it is forged, expired or revoked."""
    try:
        data = _token_serializer().loads(token, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.token_nonce != data.get("n"):
        return None
    return user


def revoke_tokens(user: User) -> None:
    """Invalidate every token issued to this user so far (on logout)."""
    user.token_nonce = new_token_nonce()


def update_profile(
    user: User,
    *,
    name: str | None = None,
    age_band: str | None = None,
    age_band_consent: bool = False,
    language: str | None = None,
    large_text: bool | None = None,
) -> User:
    """Change what a person says about themselves (an age band only with consent; "" removes it)."""
    if name is not None:
        user.name = name.strip()
    if age_band is not None:
        set_age_band(user, age_band, consent=bool(age_band_consent))
    if language is not None:
        user.language = Language(language).value
    if large_text is not None:
        user.large_text = large_text
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


def grant_role(
    community: Community,
    user: User,
    role: Role | str,
    *,
    by: User | None,
    stakeholder: str | None = None,
) -> Membership:
    """Give a person a role in a community (``by`` None: the command line or the seed)."""
    role = Role(role)
    if by is not None:
        require_role(by, community.id, Role.MODERATOR)
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
