"""Payloads of the /hearing and /design Socket.IO events, checked before any handler runs."""

from __future__ import annotations

import math
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from deliberation.enums import DraftAction, ReactionKind, values
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


# --- /design (co-design) -----------------------------------------------------------------------

# Ids are checked in full by codesign (is_id); here only their length is bounded.
_DRAFT_ID = validate.Length(min=1, max=64)


class DraftJoinSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    after_seq = Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class DraftOpSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    op_id = fields.Str(required=True, validate=_DRAFT_ID)
    base_seq = Integer(required=True, validate=validate.Range(min=0))
    action = fields.Str(required=True, validate=validate.OneOf(values(DraftAction)))
    feature_id = fields.Str(required=True, validate=_DRAFT_ID)
    feature = fields.Dict(load_default=None, allow_none=True)


class DraftRestoreSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    op_id = fields.Str(required=True, validate=_DRAFT_ID)
    seq = Integer(required=True, validate=validate.Range(min=1))


class DraftUndoSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    op_id = fields.Str(required=True, validate=_DRAFT_ID)


class DraftSubmitSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    note = fields.Str(load_default="", validate=validate.Length(max=2000))
    needs = fields.List(Id(), load_default=None, allow_none=True)


def _lonlat(value: list[Any]) -> None:
    """A pointer on the map: [longitude, latitude], finite numbers in range."""
    if len(value) != 2 or not all(type(v) in (int, float) and math.isfinite(v) for v in value):
        raise ValidationError("A cursor is [longitude, latitude].")
    if not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
        raise ValidationError("A cursor is [longitude, latitude] in range.")


class DraftPresenceSchema(Schema):
    proposal_id = Id(required=True, strict=True)
    selected = fields.List(
        fields.Str(validate=_DRAFT_ID), load_default=list, allow_none=True, validate=validate.Length(max=100)
    )
    cursor = fields.List(fields.Raw(), load_default=None, allow_none=True, validate=_lonlat)
