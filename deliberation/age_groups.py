"""Breakdowns by age band that never show a group of fewer than five people.

A tally or a chart by age band could otherwise name a person's vote: the only neighbour
over 80 is known to everyone. Neighbouring bands are merged, youngest first, until each
group holds at least ``MINIMUM_GROUP`` people; what is left at the end joins the last
group. Every person counted overall is in exactly one shown group, so subtracting the
shown groups from the total reveals nothing either. With fewer than two such groups
there is no breakdown at all: it would only repeat the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from deliberation.enums import NO_AGE_BAND, reporting_age_bands

MINIMUM_GROUP = 5
GROUP_JOINER = "+"


def group_bands(counts: Mapping[str, int], minimum: int = MINIMUM_GROUP) -> list[tuple[str, ...]]:
    """Partition the reporting bands into neighbouring groups of at least ``minimum`` people.

    >>> group_bands({"14_34": 6, "35_59": 2, "60_79": 4, "80_plus": 1})
    [('under_14', '14_34'), ('35_59', '60_79', '80_plus', 'unknown')]
    >>> group_bands({"60_79": 9})
    []
    """
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 0
    for band in reporting_age_bands():
        current.append(band)
        size += counts.get(band, 0)
        if size >= minimum:
            groups.append(tuple(current))
            current, size = [], 0
    if current and groups:
        groups[-1] = groups[-1] + tuple(current)
    return groups if len(groups) >= 2 else []


def group_key(bands: Iterable[str]) -> str:
    """The key a group goes by in the API: its bands joined, e.g. ``60_79+80_plus``."""
    return GROUP_JOINER.join(bands)


def bands_of(key: str) -> list[str]:
    return key.split(GROUP_JOINER)


def band_of(age_band: str | None) -> str:
    """The reporting band a stored age band counts under."""
    return age_band or NO_AGE_BAND


def grouped_counts(counts: Mapping[str, int], minimum: int = MINIMUM_GROUP) -> dict[str, int]:
    """Counts per band, merged into groups of at least ``minimum`` (empty if too few)."""
    return {
        group_key(group): sum(counts.get(band, 0) for band in group) for group in group_bands(counts, minimum)
    }


def ordered_groups(by_group: Mapping[str, object]) -> list[str]:
    """Group keys youngest first (a stored tally's JSON may come back with sorted keys)."""
    order = {band: i for i, band in enumerate(reporting_age_bands())}
    return sorted(by_group, key=lambda key: order.get(bands_of(key)[0], len(order)))
