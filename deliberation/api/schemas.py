"""Request and response schemas: they validate bodies and describe them in the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from deliberation.enums import AgeBand, Language, Role, SiteKind, StakeholderTag, values


class StrictSchema(Schema):
    """Unknown fields are an error: a typo in a field name should not pass silently."""


class MembershipSchema(Schema):
    community_id = fields.Int()
    roles = fields.Method("role_names")
    stakeholder = fields.Str(allow_none=True)

    def role_names(self, membership) -> list[str]:
        return sorted(r.role for r in membership.roles)


class UserSchema(Schema):
    id = fields.Int()
    email = fields.Email()
    name = fields.Str()
    age_band = fields.Str(allow_none=True)
    language = fields.Str()
    large_text = fields.Bool()
    memberships = fields.List(fields.Nested(MembershipSchema))


class SignupSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.Str(required=True, validate=validate.Length(min=8, max=200))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    age_band = fields.Str(load_default=None, validate=validate.OneOf(values(AgeBand)))
    language = fields.Str(load_default=None, validate=validate.OneOf(values(Language)))


class UserEnvelopeSchema(Schema):
    user = fields.Nested(UserSchema)


class LoginSchema(StrictSchema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class LoginResponseSchema(Schema):
    user = fields.Nested(UserSchema)
    token = fields.Str(metadata={"description": "Bearer token for the API and Socket.IO auth"})


class CommunitySchema(Schema):
    id = fields.Int()
    name = fields.Str()
    district = fields.Str()
    notice_days = fields.Int()


class CommunityListSchema(Schema):
    communities = fields.List(fields.Nested(CommunitySchema))


class AddMemberSchema(StrictSchema):
    user_id = fields.Int(required=True, strict=True)
    role = fields.Str(required=True, validate=validate.OneOf(values(Role)))
    stakeholder = fields.Str(load_default=None, validate=validate.OneOf(values(StakeholderTag)))


class MemberSchema(Schema):
    user_id = fields.Int()
    community_id = fields.Int()
    roles = fields.Method("role_names")
    stakeholder = fields.Str(allow_none=True)

    def role_names(self, membership) -> list[str]:
        return sorted(r.role for r in membership.roles)


class SiteSummarySchema(Schema):
    id = fields.Int()
    community_id = fields.Int()
    name = fields.Str()
    kind = fields.Str(validate=validate.OneOf(values(SiteKind)))


class SiteListSchema(Schema):
    sites = fields.List(fields.Nested(SiteSummarySchema))
