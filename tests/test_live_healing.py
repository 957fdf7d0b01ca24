"""What lets a hearing heal by itself: prev_seq on every comment, sync with the latest seq,
presence that lapses when its worker dies, a retry when the database connection drops,
heavy work with bounded answers."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from deliberation import hearings, live_upkeep, presence
from deliberation.extensions import db
from deliberation.models import Comment, Presence
from deliberation.models.types import utcnow
from tests import geo_layouts as g


def joined(live_client, user, hearing):
    client = live_client(user)
    assert client.emit("join", {"hearing_id": hearing.id})["ok"]
    return client


def send(client, hearing, body, client_id):
    ack = client.emit("comment", {"hearing_id": hearing.id, "client_id": client_id, "body": body})
    assert ack["ok"], ack
    return ack["comment"]


def test_every_comment_names_the_one_before_it_in_its_hearing(live_client, people, hearing):
    speaker = joined(live_client, people["resident"], hearing)
    listener = joined(live_client, people["neighbour"], hearing)
    first = send(speaker, hearing, "one", "a")
    # a comment in another hearing of the same round takes a seq in between
    other = hearings.create_hearing(
        hearing.round, "Second evening", utcnow(), "Hall", [], by=people["moderator"]
    )
    db.session.commit()
    elsewhere = joined(live_client, people["resident"], other)
    between = send(elsewhere, other, "elsewhere", "b")
    second = send(speaker, hearing, "two", "c")
    assert first["prev_seq"] is None
    assert second["prev_seq"] == first["seq"] and between["seq"] < second["seq"]
    heard = listener.received("comment")
    assert [(c["seq"], c["prev_seq"]) for c in heard] == [(first["seq"], None), (second["seq"], first["seq"])]
    replay = listener.emit("join", {"hearing_id": hearing.id, "after_seq": 0})["comments"]
    assert [c["prev_seq"] for c in replay] == [None, first["seq"]]


def test_a_client_id_used_again_in_a_later_hearing_is_a_new_comment(live_client, people, hearing):
    speaker = joined(live_client, people["resident"], hearing)
    first = send(speaker, hearing, "in the first hearing", "same-id")
    again = send(speaker, hearing, "in the first hearing", "same-id")  # a retry: the same comment
    assert again["id"] == first["id"]
    later = hearings.create_hearing(hearing.round, "Next week", utcnow(), "Hall", [], by=people["moderator"])
    db.session.commit()
    speaker_later = joined(live_client, people["resident"], later)
    fresh = send(speaker_later, later, "in the second hearing", "same-id")
    assert fresh["id"] != first["id"] and fresh["hearing_id"] == later.id


def test_sync_tells_each_served_hearing_its_latest_seq(app, live_client, people, hearing):
    speaker = joined(live_client, people["resident"], hearing)
    listener = joined(live_client, people["neighbour"], hearing)
    sent = send(speaker, hearing, "hello", "s-1")
    assert live_upkeep.sync_served(app) >= 1
    syncs = listener.received("sync")
    assert syncs[-1] == {"hearing_id": hearing.id, "latest_seq": sent["seq"]}


def test_presence_of_a_dead_worker_lapses_within_a_minute(app, live_client, people, hearing):
    here = joined(live_client, people["resident"], hearing)
    # a connection held by a worker that was killed: nobody will ever vouch for it again
    db.session.add(
        Presence(sid="gone-with-its-worker", hearing_id=hearing.id, user_id=people["neighbour"].id)
    )
    db.session.commit()
    assert here.emit("join", {"hearing_id": hearing.id})["state"]["presence"] == 2
    later = utcnow() + presence.presence_ttl() + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        live_upkeep.upkeep_once(app)  # this worker vouches for its own, forgets the rest
        assert here.emit("join", {"hearing_id": hearing.id})["state"]["presence"] == 1
    assert db.session.get(Presence, "gone-with-its-worker") is None
    assert here.received("presence")[-1]["count"] == 1


def test_a_comment_survives_a_dropped_database_connection(live_client, people, hearing, monkeypatch):
    speaker = joined(live_client, people["resident"], hearing)
    real = hearings.add_comment
    calls = {"n": 0}

    def drops_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError(
                "INSERT", {}, Exception("terminating connection"), connection_invalidated=True
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(hearings, "add_comment", drops_once)
    ack = speaker.emit("comment", {"hearing_id": hearing.id, "client_id": "retry-me", "body": "still here"})
    assert ack["ok"] and ack["comment"]["body"] == "still here"
    assert calls["n"] == 2
    assert db.session.query(Comment).filter_by(client_id="retry-me").count() == 1


def test_a_layout_drawn_to_break_the_checker_gets_a_bounded_answer(client, people, token_for, make_site):
    site = make_site()
    # a thousand planters on one spot: half a million touching pairs
    planters = [g.feature(f"p{n}", "planter", g.rect(5, 5, 7, 7)) for n in range(1000)]
    layout = {"type": "FeatureCollection", "features": planters}
    response = client.post(
        f"/api/v1/sites/{site.id}/validate", json=layout, headers=token_for(people["resident"])
    )
    assert response.status_code == 200
    report = response.get_json()
    assert report["valid"] is False
    assert len(report["errors"]) == 200 and report["omitted"] > 0
    assert len(response.data) < 400_000


def test_a_notice_pdf_is_drawn_once_per_version_of_the_notice(client, login, people, make_round, monkeypatch):
    from deliberation import ballots, decisions, proposals
    from deliberation.enums import Phase
    from deliberation.pages import closing as closing_pages

    round_ = make_round(Phase.PROPOSING)
    plan, _ = proposals.submit_proposal(
        round_, "Plan A", "", g.GOOD_LAYOUT, by=people["designer"], language="en"
    )
    round_.phase = Phase.DECIDING.value
    ballots.close_ballots(round_, by=people["moderator"])
    decisions.decide(round_, plan.id, "The residents' choice, as it stands.", by=people["secretary"])
    db.session.commit()
    drawn = []
    real = closing_pages.draw_pdf
    monkeypatch.setattr(closing_pages, "draw_pdf", lambda *args: drawn.append(1) or real(*args))
    login(people["resident"])
    url = f"/rounds/{round_.id}/notice.pdf?lang=en"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert len(drawn) == 1
    decisions.file_objection(round_, "The benches face the bins.", by=people["neighbour"])
    db.session.commit()
    assert client.get(url).data != first.data and len(drawn) == 2


def test_renewed_presence_keeps_counting(app, live_client, people, hearing):
    here = joined(live_client, people["resident"], hearing)
    old = utcnow() - presence.presence_ttl() + timedelta(seconds=5)
    db.session.execute(update(Presence).values(seen_at=old))
    db.session.commit()
    live_upkeep.upkeep_once(app)  # renews the connections this process holds
    with time_machine.travel(utcnow() + timedelta(seconds=10), tick=False):
        assert here.emit("join", {"hearing_id": hearing.id})["state"]["presence"] == 1
