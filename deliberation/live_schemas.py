"""Payloads of the /hearing Socket.IO events, checked before any handler runs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from deliberation.enums import ReactionKind, values
from deliberation.fields import Id, Integer


class JoinSchema(Schema):
    hearing_id = Id(required=True, strict=True)
    after_seq = Integer(load_default=None, strict=True, allow_none=True, validate=validate.Range(min=0))


class WatchSchema(Schema):
    round_id = Id(required=True, strict=True)


class CommentSchema(Schema):
    hearing_id = Id(required=True, strict=True)
    client_id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    body = fields.Str(required=True, validate=validate.Length(max=20_000))
    parent_id = Id(load_default=None, strict=True, allow_none=True)
    proposal_id = Id(load_default=None, strict=True, allow_none=True)
    anchor = fields.Raw(load_default=None, allow_none=True)
    is_question = fields.Bool(load_default=False)
    on_behalf_of = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=80))


class ReactSchema(Schema):
    comment_id = Id(required=True, strict=True)
    kind = fields.Str(required=True, validate=validate.OneOf(values(ReactionKind)))
    remove = fields.Bool(load_default=False)


class UpvoteSchema(Schema):
    comment_id = Id(required=True, strict=True)


class SlotSchema(Schema):
    hearing_id = Id(required=True, strict=True)
    action = fields.Str(required=True, validate=validate.OneOf(["start", "next", "extend", "stop"]))
    seconds = Integer(
        load_default=None, strict=True, allow_none=True, validate=validate.Range(min=10, max=600)
    )


class PollSchema(Schema):
    hearing_id = Id(required=True, strict=True)
    action = fields.Str(required=True, validate=validate.OneOf(["open", "close", "hands"]))
    question = fields.Str(load_default="")
    options = fields.List(fields.Str(), load_default=list)
    counts = fields.Dict(keys=fields.Str(), values=Integer(strict=True), load_default=dict)


class VoteSchema(Schema):
    poll_id = Id(required=True, strict=True)
    option = Integer(required=True, strict=True)


class HideSchema(Schema):
    comment_id = Id(required=True, strict=True)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class DecideSchema(Schema):
    round_id = Id(required=True, strict=True)
    proposal_id = Id(required=True, strict=True)
    version = Integer(load_default=None, strict=True, allow_none=True)
    rationale = fields.Str(required=True, validate=validate.Length(max=5000))
