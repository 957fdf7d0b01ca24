"""Display names of the product's enums, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from deliberation.age_groups import bands_of
from deliberation.enums import NO_AGE_BAND, AgeBand, NeedCategory, Phase, Role, SiteKind, StakeholderTag

ROLE_NAMES = {
    Role.RESIDENT: _l("Resident"),
    Role.DESIGNER: _l("Resident designer"),
    Role.MODERATOR: _l("Moderator"),
    Role.SECRETARY: _l("Branch secretary"),
}

STAKEHOLDER_NAMES = {
    StakeholderTag.PROPERTY_MANAGEMENT: _l("Property management"),
    StakeholderTag.OWNERS_COMMITTEE: _l("Owners' committee"),
    StakeholderTag.SCHOOL: _l("School"),
    StakeholderTag.MERCHANT: _l("Merchant"),
}

AGE_BAND_NAMES = {
    AgeBand.UNDER_14: _l("Under 14"),
    AgeBand.AGE_14_34: _l("14 to 34"),
    AgeBand.AGE_35_59: _l("35 to 59"),
    AgeBand.AGE_60_79: _l("60 to 79"),
    AgeBand.OVER_80: _l("80 and over"),
}

# The ages each band spans (None: open-ended), to name a group of neighbouring bands.
BAND_AGES = {
    AgeBand.UNDER_14: (None, 13),
    AgeBand.AGE_14_34: (14, 34),
    AgeBand.AGE_35_59: (35, 59),
    AgeBand.AGE_60_79: (60, 79),
    AgeBand.OVER_80: (80, None),
}


def age_group_name(key: str) -> str:
    """The name of an age group (one band, or neighbouring bands merged), e.g. "60 and over"."""
    bands = bands_of(key)
    known = [AgeBand(b) for b in bands if b != NO_AGE_BAND]
    if not known:
        return _("Age not given")
    if len(known) == 1:
        ages = str(AGE_BAND_NAMES[known[0]])
    else:
        low, high = BAND_AGES[known[0]][0], BAND_AGES[known[-1]][1]
        if low is None and high is None:
            ages = _("All ages")
        elif low is None:
            ages = _("Under %(n)d", n=high + 1)
        elif high is None:
            ages = _("%(n)d and over", n=low)
        else:
            ages = _("%(low)d to %(high)d", low=low, high=high)
    return _("%(ages)s, or age not given", ages=ages) if NO_AGE_BAND in bands else ages


PHASE_NAMES = {
    Phase.DRAFT: _l("Draft"),
    Phase.ASKING: _l("Ask whether"),
    Phase.NEEDS: _l("Ask what: needs"),
    Phase.PROPOSING: _l("Ask how: proposals"),
    Phase.HEARING: _l("Hearings"),
    Phase.DECIDING: _l("Deciding"),
    Phase.NOTICE: _l("Notice period"),
    Phase.DECIDED: _l("Decided"),
    Phase.IN_USE: _l("In use: ask how well"),
}

SITE_KIND_NAMES = {
    SiteKind.HALF_COURT: _l("Half basketball court"),
    SiteKind.COURTYARD: _l("Courtyard"),
    SiteKind.CORRIDOR: _l("Corridor"),
    SiteKind.LIVING_ROOM: _l("Shared living room"),
    SiteKind.GARDEN: _l("Pocket garden"),
    SiteKind.OTHER: _l("Other shared space"),
}

NEED_CATEGORY_NAMES = {
    NeedCategory.SHADE: _l("Shade"),
    NeedCategory.SEATING: _l("Seating"),
    NeedCategory.LIGHTING: _l("Lighting"),
    NeedCategory.PLAY: _l("Play"),
    NeedCategory.SPORT: _l("Sport"),
    NeedCategory.GREENERY: _l("Greenery"),
    NeedCategory.ACCESSIBILITY: _l("Accessibility"),
    NeedCategory.OTHER: _l("Other"),
}


def template_labels() -> dict[str, object]:
    """The label tables, for templates."""
    return {
        "role_names": ROLE_NAMES,
        "stakeholder_names": STAKEHOLDER_NAMES,
        "age_band_names": AGE_BAND_NAMES,
        "phase_names": PHASE_NAMES,
        "site_kind_names": SITE_KIND_NAMES,
        "need_category_names": NEED_CATEGORY_NAMES,
        "age_group_name": age_group_name,
    }
