"""Live events leave only with the transaction that stored their change: a client never
hears of a comment before it is committed, nor of one that was rolled back."""

from __future__ import annotations

from deliberation import hearings
from deliberation.extensions import db


def listening(live_client, user, hearing):
    listener = live_client(user)
    assert listener.emit("join", {"hearing_id": hearing.id})["ok"]
    listener.received()  # what joining sent (presence) is not what these tests look at
    listener.messages.clear()
    return listener


def test_a_comment_is_heard_only_once_it_is_committed(live_client, people, hearing):
    listener = listening(live_client, people["neighbour"], hearing)
    comment, _ = hearings.add_comment(
        hearing, "Stored, not yet committed", author=people["resident"], client_id="p-1"
    )
    assert listener.received("comment") == []
    db.session.commit()
    assert [c["id"] for c in listener.received("comment")] == [comment.id]


def test_a_comment_rolled_back_is_never_heard(live_client, people, hearing):
    listener = listening(live_client, people["neighbour"], hearing)
    hearings.add_comment(hearing, "Never stored", author=people["resident"], client_id="p-1")
    db.session.rollback()
    assert listener.received("comment") == []
    # the same session goes on to store something else: only that is heard
    kept, _ = hearings.add_comment(hearing, "Stored", author=people["resident"], client_id="p-2")
    db.session.commit()
    assert [c["body"] for c in listener.received("comment")] == ["Stored"]
    assert listener.received("comment")[0]["id"] == kept.id

