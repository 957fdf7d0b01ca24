"""Request and response schemas: they validate bodies and describe them in the OpenAPI document."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

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
    community_id = fields.Int(required=True, strict=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Str(required=True, validate=validate.OneOf(values(SiteKind)))
    boundary = fields.Nested(GeoJSONObjectSchema, required=True, metadata={"description": "GeoJSON Polygon"})
    constraints = fields.Nested(FeatureCollectionSchema, load_default=None)


class SiteFeatureSchema(Schema):
    """A site as a GeoJSON Feature: the boundary as geometry, the constraints in properties."""

    type = fields.Constant("Feature")
    id = fields.Int()
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
    errors = fields.List(fields.Nested(FindingSchema))
    warnings = fields.List(fields.Nested(FindingSchema))
    metrics = fields.Dict(allow_none=True)


class ValidateQuerySchema(Schema):
    round_id = fields.Int(load_default=None, metadata={"description": "check against this round's budget"})
