"""Names used across the product, defined once and handed to templates and JavaScript."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RESIDENT = "resident"
    DESIGNER = "designer"
    MODERATOR = "moderator"
    SECRETARY = "secretary"


class StakeholderTag(StrEnum):
    PROPERTY_MANAGEMENT = "property_management"
    OWNERS_COMMITTEE = "owners_committee"
    SCHOOL = "school"
    MERCHANT = "merchant"


class AgeBand(StrEnum):
    UNDER_14 = "under_14"
    AGE_14_34 = "14_34"
    AGE_35_59 = "35_59"
    AGE_60_79 = "60_79"
    OVER_80 = "80_plus"


# Tallies and charts by age band also count people who gave none, under this key.
NO_AGE_BAND = "unknown"


def reporting_age_bands() -> list[str]:
    """The age bands a report breaks down by, youngest first, then "unknown"."""
    return [*(band.value for band in AgeBand), NO_AGE_BAND]


class JoinStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Language(StrEnum):
    """A language as the contract spells it (BCP 47); Babel spells zh-CN as zh_CN."""

    ZH_CN = "zh-CN"
    EN = "en"

    @property
    def locale(self) -> str:
        return self.value.replace("-", "_")

    @classmethod
    def from_locale(cls, locale: str) -> Language:
        normalised = locale.replace("_", "-")
        for language in cls:
            if language.value.lower() == normalised.lower():
                return language
        if normalised.lower().startswith("zh"):
            return cls.ZH_CN
        return cls.EN


class Phase(StrEnum):
    DRAFT = "draft"
    ASKING = "asking"
    NEEDS = "needs"
    PROPOSING = "proposing"
    HEARING = "hearing"
    DECIDING = "deciding"
    NOTICE = "notice"
    DECIDED = "decided"
    IN_USE = "in_use"


class SiteKind(StrEnum):
    HALF_COURT = "half_court"
    COURTYARD = "courtyard"
    CORRIDOR = "corridor"
    LIVING_ROOM = "living_room"
    GARDEN = "garden"
    OTHER = "other"


class ProposalStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


def values(enum: type[StrEnum]) -> list[str]:
    """The values of an enum, in definition order."""
    return [member.value for member in enum]


class NeedCategory(StrEnum):
    SHADE = "shade"
    SEATING = "seating"
    LIGHTING = "lighting"
    PLAY = "play"
    SPORT = "sport"
    GREENERY = "greenery"
    ACCESSIBILITY = "accessibility"
    OTHER = "other"


class HearingState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class ReactionKind(StrEnum):
    LIKE = "like"
    AGREE = "agree"
    DISAGREE = "disagree"
    HEART = "heart"
    QUESTION = "question"


class PollState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DraftAction(StrEnum):
    """What one change to a co-designed draft does to its feature."""

    UPSERT = "upsert"
    DELETE = "delete"


class DraftCause(StrEnum):
    """Why a change to a draft was made: drawn, a replaced version put back, or one's own undone."""

    EDIT = "edit"
    RESTORE = "restore"
    UNDO = "undo"
