"""Who sees people, and what the record never shows.

A round's process and outcome are public to everyone logged in; the people in it are not.
Names, age bands and stakeholder tags beside needs, comments, objections and evaluations
are shown to members of the round's community only. Ballots and ask-whether answers are
secret from everyone: no record entry says who voted or answered, or when.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from deliberation.models import User

# Record entries written before ballots were secret: they name a voter and a time, and
# the append-only record keeps them, so every reader leaves them out.
SECRET_ACTIONS = frozenset({"ballot.cast", "whether.answered"})


# Keys of a record entry's data that point at a person.
PERSON_KEYS = frozenset({"user_id", "author_id"})


def without_person_keys(data: dict[str, Any] | None) -> dict[str, Any]:
    """A record entry's data with the keys that point at a person left out."""
    return {k: v for k, v in (data or {}).items() if k not in PERSON_KEYS}


def sees_people(viewer: User | Any, community_id: int) -> bool:
    """Whether this viewer may see who said what in a community (its members may)."""
    return bool(
        viewer is not None
        and getattr(viewer, "is_authenticated", False)
        and viewer.is_member_of(community_id)
    )


def person_name(person: User | None, *, visible: bool) -> str | None:
    """A person's name as a reader may see it: None to a reader outside the community."""
    if not visible:
        return None
    return person.name if person is not None else _("Former resident")
