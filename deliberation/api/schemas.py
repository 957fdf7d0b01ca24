"""Request and response schemas: they validate bodies and describe them in the OpenAPI document."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import INCLUDE, Schema, fields, validate

from deliberation.enums import AgeBand, Language, NeedCategory, Phase, Role, SiteKind, StakeholderTag, values
from deliberation.fields import Id, Integer
from deliberation.privacy import sees_people
from deliberation.rounds import next_phases


class StrictSchema(Schema):
    """Unknown fields are an error: a typo in a field name should not pass silently."""


class MembershipSchema(Schema):
    community_id = Id()
    roles = fields.Method("role_names")
    stakeholder = fields.Str(allow_none=True)
    stakeholder_consented = fields.Function(lambda membership: membership.stakeholder_consent_at is not None)

    def role_names(self, membership) -> list[str]:
        return sorted(r.role for r in membership.roles)


class UserSchema(Schema):
    id = Id()
    email = fields.Email()
    name = fields.Str()
    age_band = fields.Str(allow_none=True)
    guardian_consent = fields.Function(lambda user: user.guardian_consent_at is not None)
    can_take_part = fields.Function(
        lambda user: not user.needs_guardian_consent,
        metadata={"description": "false for a resident under 14 until a guardian has consented"},
    )
    language = fields.Str()
    large_text = fields.Bool(metadata={"description": "the elder mode: large text and targets, read-aloud"})
    high_contrast = fields.Bool()
    memberships = fields.List(fields.Nested(MembershipSchema))


class SignupSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.Str(required=True, validate=validate.Length(min=8, max=200))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    age_band = fields.Str(load_default=None, validate=validate.OneOf(values(AgeBand)))
    age_band_consent = fields.Bool(
        load_default=None,
        metadata={
            "description": "the person's separate consent to keep their age band, only to show how each "
            "age group took part; an age band sent without it counts as given with consent"
        },
    )
    guardian_name = fields.Str(
        load_default=None,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "under 14: the parent or guardian who consents to the child taking part"},
    )
    language = fields.Str(load_default=None, validate=validate.OneOf(values(Language)))


class PasswordSchema(StrictSchema):
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class ChangePasswordSchema(StrictSchema):
    current = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    new = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class NewPasswordSchema(StrictSchema):
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class ConsentSchema(StrictSchema):
    consent = fields.Bool(required=True)


class GuardianConsentSchema(StrictSchema):
    guardian_name = fields.Str(required=True, validate=validate.Length(min=1, max=80))


class UserEnvelopeSchema(Schema):
    user = fields.Nested(UserSchema)


class LoginSchema(StrictSchema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class LoginResponseSchema(Schema):
    user = fields.Nested(UserSchema)
    token = fields.Str(metadata={"description": "Bearer token for the API and Socket.IO auth"})


class CommunitySchema(Schema):
    id = Id()
    name = fields.Str()
    district = fields.Str()
    notice_days = Integer()


class CommunityListSchema(Schema):
    communities = fields.List(fields.Nested(CommunitySchema))


class AddMemberSchema(StrictSchema):
    user_id = Id(required=True, strict=True)
    role = fields.Str(required=True, validate=validate.OneOf(values(Role)))
    stakeholder = fields.Str(load_default=None, validate=validate.OneOf(values(StakeholderTag)))


class MemberSchema(Schema):
    user_id = Id()
    community_id = Id()
    roles = fields.Method("role_names")
    stakeholder = fields.Str(allow_none=True)

    def role_names(self, membership) -> list[str]:
        return sorted(r.role for r in membership.roles)


class MemberEntrySchema(Schema):
    user_id = Id()
    name = fields.Str()
    roles = fields.List(fields.Str())
    stakeholder = fields.Str(allow_none=True, metadata={"description": "shown once its holder consented"})
    building = fields.Str(allow_none=True, metadata={"description": "for the committee only"})
    offline = fields.Bool(metadata={"description": "registered by the committee: no phone or email"})


class MemberListSchema(Schema):
    members = fields.List(fields.Nested(MemberEntrySchema))


class MembersQuerySchema(Schema):
    q = fields.Str(
        load_default="", validate=validate.Length(max=80), metadata={"description": "part of a name"}
    )


class JoinRequestInSchema(StrictSchema):
    message = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))
    address_hint = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "e.g. building 12"},
    )
    hearing_id = Id(
        load_default=None, allow_none=True, metadata={"description": "the hearing whose QR code led here"}
    )


class JoinRequestSchema(Schema):
    id = Id()
    community_id = Id()
    user_id = Id()
    name = fields.Function(lambda request: request.user.name)
    message = fields.Str()
    address_hint = fields.Str(attribute="building")
    status = fields.Str()
    role = fields.Str(allow_none=True)
    reason = fields.Str(allow_none=True)
    created_at = fields.DateTime()


class JoinRequestListSchema(Schema):
    requests = fields.List(fields.Nested(JoinRequestSchema))


class ApproveSchema(StrictSchema):
    role = fields.Str(required=True, validate=validate.OneOf([Role.RESIDENT.value, Role.DESIGNER.value]))


class DeclineSchema(StrictSchema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class OfflineResidentSchema(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    building = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=100))
    age_band = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(values(AgeBand)))
    consent = fields.Bool(required=True, metadata={"description": "the neighbour agreed to be registered"})
    guardian_name = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))


class PaperBallotSchema(StrictSchema):
    user_id = Id(required=True)
    ranking = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))


class PaperAnswerSchema(StrictSchema):
    user_id = Id(required=True)
    support = fields.Bool(required=True)


class SiteSummarySchema(Schema):
    id = Id()
    community_id = Id()
    name = fields.Str()
    kind = fields.Str(validate=validate.OneOf(values(SiteKind)))


class SiteListSchema(Schema):
    sites = fields.List(fields.Nested(SiteSummarySchema))


class GeoJSONObjectSchema(Schema):
    """Any GeoJSON object; its content is checked by the geo package, which says what is wrong."""

    class Meta:
        unknown = INCLUDE

    type = fields.Str(required=True)


class FeatureCollectionSchema(Schema):
    """A GeoJSON FeatureCollection (RFC 7946, lon/lat); its features are checked by the geo package."""

    class Meta:
        unknown = INCLUDE

    type = fields.Str(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Raw(), required=True)


class CreateSiteSchema(Schema):
    community_id = Id(required=True, strict=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Str(required=True, validate=validate.OneOf(values(SiteKind)))
    boundary = fields.Nested(GeoJSONObjectSchema, required=True, metadata={"description": "GeoJSON Polygon"})
    constraints = fields.Nested(FeatureCollectionSchema, load_default=None)


class SiteFeatureSchema(Schema):
    """A site as a GeoJSON Feature: the boundary as geometry, the constraints in properties."""

    type = fields.Constant("Feature")
    id = Id()
    geometry = fields.Dict()
    properties = fields.Dict()


class FindingSchema(Schema):
    code = fields.Str()
    severity = fields.Str(validate=validate.OneOf(["error", "warning"]))
    message = fields.Str()
    feature_id = fields.Str(allow_none=True)
    feature_ids = fields.List(fields.Str(allow_none=True))
    params = fields.Dict()


class ValidationReportSchema(Schema):
    valid = fields.Bool()
    errors = fields.List(fields.Nested(FindingSchema), metadata={"description": "at most 200"})
    warnings = fields.List(fields.Nested(FindingSchema), metadata={"description": "at most 200"})
    metrics = fields.Dict(allow_none=True)
    omitted = Integer(metadata={"description": "findings left out of the lists (at least this many)"})


class ValidateQuerySchema(Schema):
    round_id = Id(
        load_default=None, in_query=True, metadata={"description": "check against this round's budget"}
    )


class CreateRoundSchema(Schema):
    site_id = Id(required=True, strict=True)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    brief = fields.Str(load_default="", validate=validate.Length(max=5000))
    budget_cny = Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=100_000_000))


class PhaseChangeSchema(Schema):
    from_ = fields.Str(data_key="from", attribute="from_phase", allow_none=True)
    to = fields.Str(attribute="to_phase")
    by = fields.Function(lambda change: change.actor.name if change.actor else None)
    reason = fields.Str()
    at = fields.DateTime()


class RoundSchema(Schema):
    id = Id()
    site_id = Id()
    community_id = Id()
    title = fields.Str()
    brief = fields.Str()
    budget_cny = Integer()
    phase = fields.Str(validate=validate.OneOf(values(Phase)))
    next_phases = fields.Function(lambda round_: [str(p) for p in next_phases(round_)])
    deadlines = fields.Function(lambda round_: {d.phase: d.due_at.isoformat() for d in round_.deadlines})
    phase_changes = fields.List(fields.Nested(PhaseChangeSchema))
    created_at = fields.DateTime()


class MovePhaseSchema(Schema):
    phase = fields.Str(required=True, validate=validate.OneOf(values(Phase)))
    expected = fields.Str(
        data_key="from",
        load_default=None,
        validate=validate.OneOf(values(Phase)),
        metadata={"description": "the phase the round is in as the client saw it: 409 if it has moved on"},
    )
    reason = fields.Str(load_default="", validate=validate.Length(max=2000))
    deadline = fields.AwareDateTime(load_default=None, metadata={"description": "when the new phase ends"})


class DeadlinesSchema(Schema):
    deadlines = fields.Dict(
        keys=fields.Str(validate=validate.OneOf(values(Phase))),
        values=fields.AwareDateTime(allow_none=True),
        required=True,
    )


class WhetherAnswerSchema(Schema):
    support = fields.Bool(required=True, truthy={True}, falsy={False})


class WhetherResultsSchema(Schema):
    answers = Integer()
    members = Integer()
    turnout = fields.Float()
    sealed = fields.Bool(metadata={"description": "True while the poll is open: turnout only"})
    yes = Integer(allow_none=True)
    no = Integer(allow_none=True)
    support = fields.Float(allow_none=True)
    by_age_band = fields.Dict(
        metadata={"description": "yes and no per age group (bands joined by +), each of five or more people"}
    )
    mine = fields.Bool(allow_none=True)


class CreateNeedSchema(Schema):
    text = fields.Str(required=True, validate=validate.Length(min=1, max=1000))
    category = fields.Str(required=True, validate=validate.OneOf(values(NeedCategory)))
    geometry = fields.Nested(GeoJSONObjectSchema, load_default=None, allow_none=True)


class NeedSchema(Schema):
    """A need as a GeoJSON Feature."""

    type = fields.Str()
    id = Id()
    geometry = fields.Dict(allow_none=True)
    properties = fields.Dict()


class NeedsLayerSchema(Schema):
    type = fields.Str()
    features = fields.List(fields.Nested(NeedSchema))


class CreateProposalSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.Str(load_default="", validate=validate.Length(max=5000))
    layout = fields.Nested(FeatureCollectionSchema, required=True)
    co_designers = fields.List(Id(), load_default=list)
    needs = fields.List(Id(), load_default=list, metadata={"description": "need ids it answers"})
    note = fields.Str(load_default="", validate=validate.Length(max=2000))


class CreateVersionSchema(Schema):
    layout = fields.Nested(FeatureCollectionSchema, required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=2000))
    needs = fields.List(Id(), load_default=None)


class VersionSchema(Schema):
    number = Integer()
    note = fields.Str()
    metrics = fields.Dict(allow_none=True)
    warnings = fields.Function(lambda version: version.report.get("warnings", []))
    needs = fields.Function(lambda version: version.need_ids)
    drawn_by = fields.Function(
        lambda version: version.drawn_by,
        metadata={
            "description": "who drew each feature (feature id to designer id), for a version submitted "
            "from the team's draft; empty otherwise"
        },
    )
    created_at = fields.DateTime()


class DesignerSchema(Schema):
    id = Id(attribute="user_id")
    name = fields.Function(lambda designer: designer.user.name)


class ProposalSchema(Schema):
    id = Id()
    round_id = Id()
    title = fields.Str()
    summary = fields.Str()
    status = fields.Str()
    designers = fields.List(fields.Nested(DesignerSchema))
    versions = fields.List(fields.Nested(VersionSchema))
    created_at = fields.DateTime()


class ProposalSubmittedSchema(ProposalSchema):
    report = fields.Nested(ValidationReportSchema, attribute="report_at_submission")


class ProposalListSchema(Schema):
    proposals = fields.List(fields.Nested(ProposalSchema))


class VersionSubmittedSchema(VersionSchema):
    proposal_id = Id()
    report = fields.Nested(ValidationReportSchema, attribute="report_at_submission")


class DiffQuerySchema(Schema):
    against = Id(
        load_default=None,
        in_query=True,
        metadata={"description": "compare with this version (default: the one before)"},
    )


class LayoutQuerySchema(Schema):
    version = Integer(load_default=None, in_query=True, validate=validate.Range(min=1))


class BallotSchema(Schema):
    ranking = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))


class TallySchema(Schema):
    candidates = fields.List(Integer())
    ballots = Integer()
    sealed = fields.Bool(metadata={"description": "True while ballots are open: turnout only, no counts"})
    closes_at = fields.Str(allow_none=True, metadata={"description": "the ballot deadline, if set"})
    closed_at = fields.Str(allow_none=True)
    winner = Integer(allow_none=True)
    first_preferences = fields.Dict()
    rounds = fields.List(fields.Dict())
    by_age_band = fields.Dict(
        metadata={"description": "the count per age group (bands joined by +), each of five or more ballots"}
    )


class SlotInSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    seconds = Integer(required=True, strict=True, validate=validate.Range(min=10, max=7200))


class CreateHearingSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    starts_at = fields.AwareDateTime(required=True)
    place = fields.Str(load_default="", validate=validate.Length(max=200))
    slots = fields.List(fields.Nested(SlotInSchema), load_default=list, validate=validate.Length(max=30))


class HearingSlotSchema(Schema):
    position = Integer()
    proposal_id = Id()
    seconds = Integer()
    title = fields.Function(lambda slot: slot.proposal.title)


class HearingSchema(Schema):
    id = Id()
    round_id = Id()
    title = fields.Str()
    place = fields.Str()
    starts_at = fields.DateTime()
    join_code = fields.Function(
        lambda hearing: hearing.join_code if sees_people(current_user, hearing.round.community_id) else None,
        metadata={"description": "for members of the community only (null for anyone else)"},
    )
    state = fields.Str()
    slots = fields.List(fields.Nested(HearingSlotSchema))


class HearingListSchema(Schema):
    hearings = fields.List(fields.Nested(HearingSchema))


class CommentsQuerySchema(Schema):
    after_seq = Integer(load_default=None, in_query=True, validate=validate.Range(min=0))
    before_seq = Integer(load_default=None, in_query=True, validate=validate.Range(min=1))


class CommentsPageSchema(Schema):
    comments = fields.List(fields.Dict())
    has_more = fields.Bool()


class DecideSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    version = Integer(load_default=None, strict=True, allow_none=True)
    rationale = fields.Str(required=True, validate=validate.Length(max=5000))


class DecisionSchema(Schema):
    id = Id()
    round_id = Id()
    proposal_id = Id()
    proposal_title = fields.Str()
    version = Integer()
    rationale = fields.Str()
    tally = fields.Dict()
    tally_winner_id = Id(allow_none=True)
    departs_from_tally = fields.Bool()
    decided_by = fields.Str(allow_none=True)
    decided_at = fields.Str()
    notice_ends_at = fields.Str()
    finalised_at = fields.Str(allow_none=True)
    objections = fields.List(fields.Dict())


class TextSchema(Schema):
    text = fields.Str(required=True, validate=validate.Length(max=5000))


class AnswerSchema(Schema):
    answer = fields.Str(required=True, validate=validate.Length(max=5000))


class ReasonSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(max=2000))


class ObjectionSchema(Schema):
    id = Id()
    text = fields.Str()
    author = fields.Str(allow_none=True)
    created_at = fields.Str()
    answer = fields.Str(allow_none=True)
    answered_at = fields.Str(allow_none=True)


class RatingsSchema(Schema):
    usability = Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    safety = Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    beauty = Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    all_ages = Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))


class EvaluateSchema(Schema):
    ratings = fields.Nested(RatingsSchema, required=True)
    comment = fields.Str(load_default="", validate=validate.Length(max=2000))


class EvaluationResultsSchema(Schema):
    count = Integer()
    criteria = fields.Dict()
    comments = fields.List(fields.Dict())


class AuditEntrySchema(Schema):
    id = Id()
    at = fields.DateTime()
    action = fields.Str()
    actor_id = Id(allow_none=True)
    subject_type = fields.Str()
    subject_id = Id(allow_none=True)
    data = fields.Dict()


class AuditLogSchema(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))


class UnitCostsSchema(Schema):
    unit_costs = fields.Dict(keys=fields.Str(), values=fields.Float(allow_nan=False), required=True)


class UnitCostTableSchema(Schema):
    unit_costs = fields.Dict(metadata={"description": "kind -> {cny, basis, default, overridden}"})
