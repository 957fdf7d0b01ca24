"""The /hearing Socket.IO namespace: every client event tested for success, for the roles
that must be refused, and for malformed payloads."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from deliberation.enums import Phase
from deliberation.extensions import db
from deliberation.models import Comment, Hearing, Poll, Reaction
from tests import geo_layouts as g


def joined(live_client, user, hearing, after_seq=None):
    client = live_client(user)
    ack = client.emit(
        "join", {"hearing_id": hearing.id, **({"after_seq": after_seq} if after_seq is not None else {})}
    )
    assert ack["ok"], ack
    return client


def comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def send(client, hearing, body="A comment", client_id="c-1", **extra):
    return client.emit("comment", {"hearing_id": hearing.id, "client_id": client_id, "body": body, **extra})


# --- connecting and joining ---------------------------------------------


def test_no_identity_no_connection(live_client):
    assert not live_client(auth={"token": "forged"}).connected
    assert not live_client().connected


def test_a_token_revoked_by_logging_out_no_longer_connects(live_client, people):
    from deliberation import accounts

    token = accounts.issue_token(people["resident"])
    assert live_client(auth={"token": token}).connected
    accounts.revoke_tokens(people["resident"])
    db.session.commit()
    assert not live_client(auth={"token": token}).connected
    assert live_client(people["resident"]).connected  # a fresh login connects


def test_a_session_cookie_connects(app, client, people, login):
    from tests.conftest import LiveClient

    login(people["resident"])
    assert LiveClient(app, flask_test_client=client).connected


def test_a_bearer_header_connects_and_an_events_context_routes_nothing(app, live_client, people):
    """A program may connect with the API's ``Authorization: Bearer`` header instead of
    ``auth``; and an event's request context binds no routes (no view serves /socket.io/)."""
    from flask import request

    from deliberation import accounts

    header = {"Authorization": f"Bearer {accounts.issue_token(people['resident'])}"}
    resident = live_client(headers=header)
    assert resident.connected
    assert resident.emit("watch", {"round_id": 10**6})["error"]["code"] == "not_found"
    assert not live_client(headers={"Authorization": "Bearer forged"}).connected
    with app.test_request_context("/socket.io/?EIO=4&transport=websocket"):
        assert (request.url_rule, request.routing_exception) == (None, None)
    with app.test_request_context("/login"):
        assert request.url_rule is not None


def test_joining_gives_the_state_and_the_latest_comments(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    send(resident, hearing, "first")
    watcher = live_client(people["outsider"])  # watching needs only a login
    ack = watcher.emit("join", {"hearing_id": hearing.id})
    assert ack["ok"]
    assert ack["state"]["phase"] == "hearing"
    assert ack["state"]["presence"] == 2
    assert ack["state"]["slot"]["proposal_id"] is None
    assert [c["body"] for c in ack["comments"]] == ["first"]
    assert ack["has_more"] is False


@pytest.mark.parametrize("payload", [None, {}, {"hearing_id": "1"}, {"hearing_id": 1, "after_seq": -1}, [1]])
def test_malformed_joins(live_client, people, hearing, payload):
    ack = live_client(people["resident"]).emit("join", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_input"


def test_joining_an_unknown_hearing(live_client, people):
    ack = live_client(people["resident"]).emit("join", {"hearing_id": 999})
    assert (ack["ok"], ack["error"]["code"]) == (False, "not_found")


def test_presence_counts_people_and_drops_on_disconnect(live_client, people, hearing):
    first = joined(live_client, people["resident"], hearing)
    second = joined(live_client, people["neighbour"], hearing)
    joined(live_client, people["neighbour"], hearing)  # a second tab is the same person
    assert first.received("presence")[-1]["count"] == 2
    second.disconnect()
    assert first.received("presence")[-1]["count"] == 2  # the other tab is still there


# --- comments ---------------------------------------------


def test_a_comment_is_stored_numbered_and_broadcast(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    neighbour = joined(live_client, people["neighbour"], hearing)
    ack = send(resident, hearing, "Keep the camphor tree <script>", is_question=True)
    assert ack["ok"]
    comment = ack["comment"]
    assert (comment["seq"], comment["body"], comment["is_question"]) == (
        1,
        "Keep the camphor tree <script>",
        True,
    )
    assert comment["author"]["name"] == "Res"
    assert neighbour.received("comment") == [comment]
    assert send(resident, hearing, "second", client_id="c-2")["comment"]["seq"] == 2
    assert comment_count() == 2


def test_a_repeated_client_id_returns_the_first_comment_and_stores_nothing(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    first = send(resident, hearing, "once")
    again = send(resident, hearing, "once, retried after a dropped connection")
    assert again == first
    assert comment_count() == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 2001},
        {"client_id": ""},
        {"client_id": "x" * 65},
        {"parent_id": 999},
        {"proposal_id": 999},
        {"anchor": {"feature_id": "court"}},  # a feature needs its proposal
        {"anchor": {"point": [0, 0]}},  # not on the site
        {"anchor": "here"},
        {"hearing_id": "1"},
        {"body": 5},
    ],
)
def test_malformed_comments_are_refused_and_store_nothing(live_client, people, hearing, extra):
    resident = joined(live_client, people["resident"], hearing)
    ack = resident.emit("comment", {"hearing_id": hearing.id, "client_id": "c-1", "body": "ok", **extra})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_input", ack
    assert comment_count() == 0


def test_comments_anchor_to_a_feature_or_a_point(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    proposal_id = hearing.slots[0].proposal_id
    on_feature = send(
        resident, hearing, "this bench", proposal_id=proposal_id, anchor={"feature_id": "bench-1"}
    )
    assert on_feature["comment"]["anchor"] == {"feature_id": "bench-1"}
    point = g.lonlat(1, 1)
    on_point = send(resident, hearing, "here", client_id="c-2", anchor={"point": point})
    # the server says which part of the site the spot is in, for pages to name it in words
    assert on_point["comment"]["anchor"] == {"point": point, "place": "cc"}
    missing = send(
        resident, hearing, "?", client_id="c-3", proposal_id=proposal_id, anchor={"feature_id": "nope"}
    )
    assert missing["ok"] is False


def test_replies_stay_in_their_hearing(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    parent = send(resident, hearing, "question")["comment"]
    reply = send(resident, hearing, "answer", client_id="c-2", parent_id=parent["id"])
    assert reply["comment"]["parent_id"] == parent["id"]


def test_comments_need_a_member_who_joined(live_client, people, hearing):
    outsider = joined(live_client, people["outsider"], hearing)
    refused = send(outsider, hearing)
    assert (refused["ok"], refused["error"]["code"]) == (False, "forbidden")
    not_joined = live_client(people["resident"])
    assert send(not_joined, hearing)["error"]["code"] == "conflict"
    assert comment_count() == 0


def test_comments_only_while_the_round_is_in_its_hearings(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    hearing.round.phase = Phase.DECIDING.value
    db.session.commit()
    ack = send(resident, hearing)
    assert (ack["ok"], ack["error"]["code"]) == (False, "wrong_phase")


def test_a_person_commenting_too_fast_is_told_to_slow_down(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    limit = 5  # in 10 seconds
    for n in range(limit):
        assert send(resident, hearing, f"n{n}", client_id=f"c-{n}")["ok"]
    ack = send(resident, hearing, "one more", client_id="c-last")
    assert (ack["ok"], ack["error"]["code"]) == (False, "too_many_requests")
    assert comment_count() == limit


def test_a_person_keeping_up_a_fast_pace_is_held_to_the_per_minute_limit(live_client, people, hearing):
    burst, burst_window, per_minute, minute = 5, 10, 20, 60  # what the product promises
    resident = joined(live_client, people["resident"], hearing)
    accepted = []
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as clock:
        # bursts as large as the short limit allows, each after its window has passed
        while len(accepted) < per_minute + burst:
            ack = send(resident, hearing, f"n{len(accepted)}", client_id=f"c-{len(accepted)}")
            if not ack["ok"]:
                break
            accepted.append(ack["comment"])
            if len(accepted) % burst == 0:
                clock.shift(burst_window + 0.5)
        assert len(accepted) == per_minute
        assert ack["error"]["code"] == "too_many_requests"
        assert f"{minute} 秒内最多 {per_minute} 条" in ack["error"]["message"]  # the limit that binds
        assert comment_count() == per_minute
        # a minute after the first of them, the person may go on
        clock.shift(minute - (per_minute // burst) * (burst_window + 0.5) + 1)
        assert send(resident, hearing, "later", client_id="c-later")["ok"]


def test_a_steady_pace_below_the_per_minute_limit_is_never_refused(live_client, people, hearing):
    per_minute, minute = 20, 60
    resident = joined(live_client, people["resident"], hearing)
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as clock:
        for n in range(2 * per_minute + 5):  # over two minutes, just under the limit
            assert send(resident, hearing, f"n{n}", client_id=f"c-{n}")["ok"], n
            clock.shift(minute / per_minute + 0.1)


def test_only_the_moderator_enters_comments_on_behalf_of_someone(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    assert send(resident, hearing, on_behalf_of="Grandma Sun")["error"]["code"] == "forbidden"
    moderator = joined(live_client, people["moderator"], hearing)
    ack = send(moderator, hearing, "She wants a bench in the shade", on_behalf_of="Grandma Sun")
    assert ack["comment"]["on_behalf_of"] == "Grandma Sun"


# --- reconnecting ---------------------------------------------


def test_a_client_rejoining_with_its_last_seq_gets_exactly_what_it_missed(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    send(resident, hearing, "one", client_id="1")
    seen = send(resident, hearing, "two", client_id="2")["comment"]["seq"]
    resident.disconnect()
    neighbour = joined(live_client, people["neighbour"], hearing)
    for n in range(3):
        send(neighbour, hearing, f"missed {n}", client_id=f"m{n}")
    back = joined(live_client, people["resident"], hearing, after_seq=seen)
    ack_comments = back.emit("join", {"hearing_id": hearing.id, "after_seq": seen})["comments"]
    assert [c["body"] for c in ack_comments] == ["missed 0", "missed 1", "missed 2"]
    assert [c["seq"] for c in ack_comments] == [3, 4, 5]


def test_the_comments_endpoint_pages_by_sequence(client, people, hearing, live_client, token_for):
    resident = joined(live_client, people["resident"], hearing)
    for n in range(4):
        send(resident, hearing, f"c{n}", client_id=f"{n}")
    url = f"/api/v1/hearings/{hearing.id}/comments"
    after = client.get(url + "?after_seq=2", headers=token_for(people["outsider"])).get_json()
    assert [c["seq"] for c in after["comments"]] == [3, 4]
    before = client.get(url + "?before_seq=3", headers=token_for(people["outsider"])).get_json()
    assert [c["seq"] for c in before["comments"]] == [1, 2]
    assert client.get(url + "?after_seq=x", headers=token_for(people["outsider"])).status_code == 422
    assert client.get(url).status_code == 401


# --- reactions and questions ---------------------------------------------


def test_reactions_count_once_per_person_and_kind(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    neighbour = joined(live_client, people["neighbour"], hearing)
    comment = send(resident, hearing)["comment"]
    for _ in range(2):
        ack = neighbour.emit("react", {"comment_id": comment["id"], "kind": "agree"})
    assert ack == {"ok": True, "id": comment["id"], "seq": 1, "reactions": {"agree": 1}, "upvotes": 0}
    assert resident.received("reactions")[-1]["reactions"] == {"agree": 1}
    removed = neighbour.emit("react", {"comment_id": comment["id"], "kind": "agree", "remove": True})
    assert removed["reactions"] == {}


@pytest.mark.parametrize(
    "payload", [{"comment_id": 1, "kind": "love-bomb"}, {"comment_id": "1", "kind": "agree"}, {}]
)
def test_malformed_reactions(live_client, people, hearing, payload):
    resident = joined(live_client, people["resident"], hearing)
    send(resident, hearing)
    assert resident.emit("react", payload)["error"]["code"] == "invalid_input"
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0


def test_outsiders_cannot_react_and_unknown_comments_are_404(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    comment = send(resident, hearing)["comment"]
    outsider = joined(live_client, people["outsider"], hearing)
    assert (
        outsider.emit("react", {"comment_id": comment["id"], "kind": "agree"})["error"]["code"] == "forbidden"
    )
    assert resident.emit("react", {"comment_id": 999, "kind": "agree"})["error"]["code"] == "not_found"


def test_questions_are_upvoted_once_each(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    neighbour = joined(live_client, people["neighbour"], hearing)
    question = send(resident, hearing, "How much will it cost?", is_question=True)["comment"]
    remark = send(resident, hearing, "Nice", client_id="c-2")["comment"]
    assert neighbour.emit("upvote", {"comment_id": question["id"]})["upvotes"] == 1
    assert neighbour.emit("upvote", {"comment_id": question["id"]})["upvotes"] == 1
    # nobody upvotes their own question
    assert resident.emit("upvote", {"comment_id": question["id"]})["error"]["code"] == "forbidden"
    moderator = joined(live_client, people["moderator"], hearing)
    assert moderator.emit("upvote", {"comment_id": question["id"]})["upvotes"] == 2
    assert neighbour.emit("upvote", {"comment_id": remark["id"]})["error"]["code"] == "invalid_input"
    assert neighbour.emit("upvote", {"comment_id": "x"})["error"]["code"] == "invalid_input"
    outsider = joined(live_client, people["outsider"], hearing)
    assert outsider.emit("upvote", {"comment_id": question["id"]})["error"]["code"] == "forbidden"


# --- pitch slots ---------------------------------------------


@pytest.mark.parametrize("role", ["resident", "designer", "secretary", "outsider"])
def test_only_the_moderator_runs_the_slots(live_client, people, hearing, role):
    client = joined(live_client, people[role], hearing)
    ack = client.emit("slot", {"hearing_id": hearing.id, "action": "start"})
    assert (ack["ok"], ack["error"]["code"]) == (False, "forbidden")
    db.session.expire_all()
    assert db.session.get(Hearing, hearing.id).current_slot is None


def test_slots_run_on_server_deadlines(live_client, people, hearing):
    moderator = joined(live_client, people["moderator"], hearing)
    watcher = joined(live_client, people["resident"], hearing)
    started = moderator.emit("slot", {"hearing_id": hearing.id, "action": "start"})
    slot = started["slot"]
    assert (slot["position"], slot["proposal_id"], slot["seconds"]) == (0, hearing.slots[0].proposal_id, 300)
    ends_at = datetime.fromisoformat(slot["ends_at"])
    assert (
        timedelta(seconds=295)
        < ends_at - datetime.fromisoformat(slot["server_now"])
        <= timedelta(seconds=300)
    )
    assert watcher.received("slot")[-1]["ends_at"] == slot["ends_at"]
    extended = moderator.emit("slot", {"hearing_id": hearing.id, "action": "extend", "seconds": 60})["slot"]
    assert datetime.fromisoformat(extended["ends_at"]) - ends_at == timedelta(seconds=60)
    second = moderator.emit("slot", {"hearing_id": hearing.id, "action": "next"})["slot"]
    assert (second["position"], second["proposal_id"]) == (1, hearing.slots[1].proposal_id)
    no_more = moderator.emit("slot", {"hearing_id": hearing.id, "action": "next"})
    assert no_more["error"]["code"] == "conflict"
    stopped = moderator.emit("slot", {"hearing_id": hearing.id, "action": "stop"})["slot"]
    assert (stopped["proposal_id"], stopped["ends_at"]) == (None, None)
    assert moderator.emit("slot", {"hearing_id": hearing.id, "action": "stop"})["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "start"},
        {"hearing_id": 1, "action": "rewind"},
        {"hearing_id": 1, "action": "extend", "seconds": 5000},
    ],
)
def test_malformed_slot_events(live_client, people, hearing, payload):
    moderator = joined(live_client, people["moderator"], hearing)
    assert moderator.emit("slot", payload)["error"]["code"] == "invalid_input"


# --- straw polls ---------------------------------------------


def open_poll(moderator, hearing, options=("Yes", "No")):
    return moderator.emit(
        "poll",
        {"hearing_id": hearing.id, "action": "open", "question": "Keep the tree?", "options": list(options)},
    )


def test_a_straw_poll_with_live_counts_one_vote_each_and_a_show_of_hands(live_client, people, hearing):
    moderator = joined(live_client, people["moderator"], hearing)
    resident = joined(live_client, people["resident"], hearing)
    poll = open_poll(moderator, hearing)["poll"]
    assert resident.received("poll")[-1]["question"] == "Keep the tree?"
    resident.emit("vote", {"poll_id": poll["id"], "option": 0})
    changed = resident.emit("vote", {"poll_id": poll["id"], "option": 1})["poll"]
    assert changed["votes"] == [0, 1]
    hands = moderator.emit("poll", {"hearing_id": hearing.id, "action": "hands", "counts": {"0": 7, "1": 2}})[
        "poll"
    ]
    assert (hands["hands"], hands["total"]) == ([7, 2], 10)
    assert open_poll(moderator, hearing)["error"]["code"] == "conflict"  # one open at a time
    closed = moderator.emit("poll", {"hearing_id": hearing.id, "action": "close"})["poll"]
    assert closed["state"] == "closed"
    late = resident.emit("vote", {"poll_id": poll["id"], "option": 0})
    assert late["error"]["code"] == "conflict"


@pytest.mark.parametrize("role", ["resident", "designer", "secretary"])
def test_only_the_moderator_opens_polls(live_client, people, hearing, role):
    client = joined(live_client, people[role], hearing)
    assert open_poll(client, hearing)["error"]["code"] == "forbidden"
    assert db.session.scalar(select(func.count()).select_from(Poll)) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "open", "question": "", "options": ["a", "b"]},
        {"action": "open", "question": "Q", "options": ["only one"]},
        {"action": "open", "question": "Q", "options": [str(i) for i in range(9)]},
        {"action": "vanish"},
        {"action": "hands", "counts": {"0": -1}},
    ],
)
def test_malformed_polls(live_client, people, hearing, payload):
    moderator = joined(live_client, people["moderator"], hearing)
    if payload["action"] == "hands":
        open_poll(moderator, hearing)
    ack = moderator.emit("poll", {"hearing_id": hearing.id, **payload})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"


def test_votes_need_a_member_and_a_real_option(live_client, people, hearing):
    moderator = joined(live_client, people["moderator"], hearing)
    poll = open_poll(moderator, hearing)["poll"]
    outsider = joined(live_client, people["outsider"], hearing)
    assert outsider.emit("vote", {"poll_id": poll["id"], "option": 0})["error"]["code"] == "forbidden"
    resident = joined(live_client, people["resident"], hearing)
    assert resident.emit("vote", {"poll_id": poll["id"], "option": 5})["error"]["code"] == "invalid_input"
    assert resident.emit("vote", {"poll_id": poll["id"], "option": "0"})["error"]["code"] == "invalid_input"
    assert resident.emit("vote", {"poll_id": 999, "option": 0})["error"]["code"] == "not_found"


# --- moderation ---------------------------------------------


def test_the_moderator_hides_a_comment_with_a_reason(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    moderator = joined(live_client, people["moderator"], hearing)
    comment = send(resident, hearing, "abuse")["comment"]
    assert (
        moderator.emit("hide", {"comment_id": comment["id"], "reason": ""})["error"]["code"]
        == "invalid_input"
    )
    ack = moderator.emit("hide", {"comment_id": comment["id"], "reason": "personal attack"})
    assert ack["ok"] and ack["comment"]["hidden"] is True
    assert resident.received("comment_hidden")[-1] == {
        "id": comment["id"],
        "seq": 1,
        "hearing_id": hearing.id,
        "reason": "personal attack",
    }
    again = moderator.emit("hide", {"comment_id": comment["id"], "reason": "again"})
    assert again["error"]["code"] == "conflict"
    rejoin = resident.emit("join", {"hearing_id": hearing.id, "after_seq": 0})["comments"]
    assert (rejoin[0]["hidden"], rejoin[0]["body"], rejoin[0]["hidden_reason"]) == (
        True,
        None,
        "personal attack",
    )


@pytest.mark.parametrize("role", ["resident", "designer", "secretary", "outsider"])
def test_only_the_moderator_hides_comments(live_client, people, hearing, role):
    author = joined(live_client, people["neighbour"], hearing)
    comment = send(author, hearing)["comment"]
    client = joined(live_client, people[role], hearing)
    assert client.emit("hide", {"comment_id": comment["id"], "reason": "no"})["error"]["code"] == "forbidden"
    db.session.expire_all()
    assert db.session.get(Comment, comment["id"]).hidden_at is None


def test_an_ended_hearing_takes_no_more_comments(client, live_client, people, hearing, token_for):
    resident = joined(live_client, people["resident"], hearing)
    assert (
        client.post(f"/api/v1/hearings/{hearing.id}/end", headers=token_for(people["resident"])).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/hearings/{hearing.id}/end", headers=token_for(people["moderator"])).status_code
        == 200
    )
    assert send(resident, hearing)["error"]["code"] == "conflict"


def test_a_phase_change_reaches_the_hearing_room(client, live_client, people, hearing, token_for):
    resident = joined(live_client, people["resident"], hearing)
    response = client.post(
        f"/api/v1/rounds/{hearing.round_id}/phase",
        json={"phase": "deciding"},
        headers=token_for(people["moderator"]),
    )
    assert response.status_code == 200
    assert resident.received("phase")[-1]["phase"] == "deciding"


def test_an_event_from_a_connection_without_identity_is_refused(app, people, hearing):
    from tests.conftest import LiveClient

    client = LiveClient(app, auth={"token": "nope"})
    assert not client.connected


def test_a_round_page_watches_its_phase_changes(client, live_client, people, hearing, token_for):
    watcher = live_client(people["outsider"])
    ack = watcher.emit("watch", {"round_id": hearing.round_id})
    assert ack == {"ok": True, "round_id": hearing.round_id, "phase": "hearing"}
    client.post(
        f"/api/v1/rounds/{hearing.round_id}/phase",
        json={"phase": "deciding"},
        headers=token_for(people["moderator"]),
    )
    assert watcher.received("phase")[-1]["phase"] == "deciding"
    assert watcher.emit("watch", {"round_id": 999})["error"]["code"] == "not_found"
    assert watcher.emit("watch", {})["error"]["code"] == "invalid_input"


def test_a_crowd_arriving_at_once_gets_one_presence_count_not_one_each(app, live_client, people, hearing):
    import time

    app.config["LIVE_COALESCE_SECONDS"] = 0.3
    watcher = joined(live_client, people["moderator"], hearing)
    time.sleep(0.6)
    before = len(watcher.received("presence"))
    for role in ("resident", "neighbour", "designer", "secretary", "outsider"):
        joined(live_client, people[role], hearing)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not (
        len(watcher.received("presence")) > before and watcher.received("presence")[-1]["count"] == 6
    ):
        time.sleep(0.05)
    arrived = watcher.received("presence")[before:]
    app.config["LIVE_COALESCE_SECONDS"] = 0  # the leaving at teardown is counted at once
    assert arrived[-1] == {"hearing_id": hearing.id, "count": 6}
    assert len(arrived) <= 2  # five arrivals, one or two messages


def test_a_client_back_from_a_gap_learns_what_was_hidden_meanwhile(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    seen = send(resident, hearing, "rude words")["comment"]
    resident.disconnect()
    moderator = joined(live_client, people["moderator"], hearing)
    moderator.emit("hide", {"comment_id": seen["id"], "reason": "insult"})
    back = live_client(people["resident"])
    ack = back.emit("join", {"hearing_id": hearing.id, "after_seq": seen["seq"]})
    assert ack["comments"] == []
    assert ack["hidden"] == [{"id": seen["id"], "seq": seen["seq"], "reason": "insult"}]


def test_a_joiner_always_gets_the_latest_page_as_it_is_now(live_client, people, hearing):
    """Each worker keeps the latest page encoded once per change: every change a joiner
    would see (a comment, a reaction, an upvote, a hide) reaches the next joiner, and each
    view (moderator, members, outsiders) keeps its own."""

    def latest(user):
        ack = live_client(user).emit("join", {"hearing_id": hearing.id})
        assert ack["ok"], ack
        return ack["comments"]

    resident = joined(live_client, people["resident"], hearing)
    send(resident, hearing, "first")
    assert [c["body"] for c in latest(people["neighbour"])] == ["first"]
    question = send(resident, hearing, "why?", client_id="c-2", is_question=True)["comment"]
    assert [c["body"] for c in latest(people["neighbour"])] == ["first", "why?"]
    neighbour = joined(live_client, people["neighbour"], hearing)
    neighbour.emit("react", {"comment_id": question["id"], "kind": "agree"})
    assert latest(people["designer"])[-1]["reactions"] == {"agree": 1}
    neighbour.emit("upvote", {"comment_id": question["id"]})
    assert latest(people["designer"])[-1]["upvotes"] == 1
    # outsiders are never told who wrote what, whoever joined before them
    assert {c["author"]["name"] for c in latest(people["outsider"])} == {None}
    assert {c["author"]["name"] for c in latest(people["neighbour"])} == {people["resident"].name}
    moderator = joined(live_client, people["moderator"], hearing)
    moderator.emit("hide", {"comment_id": question["id"], "reason": "off topic"})
    hidden = latest(people["neighbour"])[-1]
    assert (hidden["hidden"], hidden["body"]) == (True, None)
    assert latest(people["moderator"])[-1]["body"] == "why?"  # the moderator still reads it
    assert latest(people["outsider"])[-1]["body"] is None


def test_a_change_made_by_another_worker_reaches_this_workers_joiners(live_client, people, hearing):
    resident = joined(live_client, people["resident"], hearing)
    send(resident, hearing, "first")
    assert len(resident.emit("join", {"hearing_id": hearing.id})["comments"]) == 1
    # Another worker stores a comment: this worker's encoded page is stale by the revision.
    other = Comment(
        round_id=hearing.round_id,
        hearing_id=hearing.id,
        seq=2,
        prev_seq=1,
        client_id="elsewhere",
        author_id=people["neighbour"].id,
        body="from the other worker",
        created_at=datetime.now(UTC),
    )
    db.session.add(other)
    db.session.execute(
        Hearing.__table__.update().where(Hearing.id == hearing.id).values(revision=Hearing.revision + 1)
    )
    db.session.commit()
    bodies = [
        c["body"]
        for c in live_client(people["designer"]).emit("join", {"hearing_id": hearing.id})["comments"]
    ]
    assert bodies == ["first", "from the other worker"]


def test_a_joiner_always_gets_the_state_as_it_is_now(client, live_client, people, hearing, token_for):
    """What a joiner is told of the slot, the poll and the phase is kept per change of the
    hearing, like its comments: each change reaches the next joiner."""

    def state():
        ack = live_client(people["neighbour"]).emit("join", {"hearing_id": hearing.id})
        assert ack["ok"], ack
        return ack["state"]

    moderator = joined(live_client, people["moderator"], hearing)
    resident = joined(live_client, people["resident"], hearing)
    assert (state()["slot"]["position"], state()["poll"]) == (None, None)
    moderator.emit("slot", {"hearing_id": hearing.id, "action": "start"})
    assert state()["slot"]["position"] == 0
    moderator.emit("slot", {"hearing_id": hearing.id, "action": "next"})
    assert state()["slot"]["position"] == 1
    ends_at = state()["slot"]["ends_at"]
    moderator.emit("slot", {"hearing_id": hearing.id, "action": "extend", "seconds": 60})
    assert state()["slot"]["ends_at"] > ends_at
    poll = open_poll(moderator, hearing)["poll"]
    assert state()["poll"]["question"] == "Keep the tree?"
    resident.emit("vote", {"poll_id": poll["id"], "option": 1})
    assert state()["poll"]["votes"] == [0, 1]
    moderator.emit("poll", {"hearing_id": hearing.id, "action": "hands", "counts": {"0": 3}})
    assert state()["poll"]["hands"] == [3, 0]
    moderator.emit("poll", {"hearing_id": hearing.id, "action": "close"})
    assert state()["poll"] is None
    first_now = state()["slot"]["server_now"]
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5)):
        assert state()["slot"]["server_now"] > first_now  # the clock is never kept
    ended = client.post(f"/api/v1/hearings/{hearing.id}/end", headers=token_for(people["moderator"]))
    assert ended.status_code == 200
    assert state()["slot"]["state"] == "ended"
    moved = client.post(
        f"/api/v1/rounds/{hearing.round_id}/phase",
        json={"phase": "deciding"},
        headers=token_for(people["moderator"]),
    )
    assert moved.status_code == 200
    assert state()["phase"] == "deciding"


def test_joiners_coming_back_from_the_same_gap_share_one_answer_and_get_what_changed(
    live_client, people, hearing
):
    speaker = joined(live_client, people["resident"], hearing)
    first = send(speaker, hearing, "before the gap")["comment"]
    send(speaker, hearing, "during the gap", client_id="c-2")

    def back(user):
        ack = live_client(user).emit("join", {"hearing_id": hearing.id, "after_seq": first["seq"]})
        assert ack["ok"], ack
        return [c["body"] for c in ack["comments"]], ack["hidden"]

    assert back(people["neighbour"]) == (["during the gap"], [])
    assert back(people["designer"]) == (["during the gap"], [])
    moderator = joined(live_client, people["moderator"], hearing)
    moderator.emit("hide", {"comment_id": first["id"], "reason": "insult"})
    send(speaker, hearing, "after the hide", client_id="c-3")
    assert back(people["neighbour"]) == (
        ["during the gap", "after the hide"],
        [{"id": first["id"], "seq": first["seq"], "reason": "insult"}],
    )


def test_presence_is_written_behind_and_a_passing_connection_never_counts(app, live_client, people, hearing):
    from deliberation.models import Presence

    app.config["LIVE_COALESCE_SECONDS"] = 2.0  # far longer than the three joins take
    watcher = joined(live_client, people["moderator"], hearing)
    passing = joined(live_client, people["resident"], hearing)
    passing.disconnect()  # gone before anything was written: never counted, nothing to delete
    staying = live_client(people["neighbour"])
    # nothing is written yet, and the joiner is told a count with themselves and the watcher
    assert staying.emit("join", {"hearing_id": hearing.id})["state"]["presence"] == 2

    def rows():
        db.session.expire_all()
        return sorted(db.session.scalars(select(Presence.user_id)))

    assert rows() == []  # noted in memory; written together within the window
    wait_for(lambda: rows() == sorted([people["moderator"].id, people["neighbour"].id]))
    wait_for(lambda: watcher.received("presence")[-1:] == [{"hearing_id": hearing.id, "count": 2}])
    staying.disconnect()
    wait_for(lambda: rows() == [people["moderator"].id])
    wait_for(lambda: watcher.received("presence")[-1] == {"hearing_id": hearing.id, "count": 1})
    app.config["LIVE_COALESCE_SECONDS"] = 0  # the leaving at teardown is counted at once


def wait_for(condition, seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)
