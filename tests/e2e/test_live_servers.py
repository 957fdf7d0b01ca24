"""Real servers, real Socket.IO clients: scale-out through Redis, and catching up after a drop."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import socketio
import websocket

from tests.e2e.conftest import LiveServer, free_port, prepare_database, server_environment
from tests.services import REDIS_URL, SESSION_REDIS_CHANNEL, fresh_postgres_database, require

pytestmark = pytest.mark.e2e
PASSWORD = "jiayuan-demo"


def token(base: str, email: str) -> str:
    response = requests.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    response.raise_for_status()
    return response.json()["token"]


def decide_demo_round(base: str, rationale: str) -> None:
    """Bring the demo's round 4 (deciding, ballots open) to a decision: ballots closed, the
    secretary chooses the plan ranked first."""
    moderator = {"Authorization": f"Bearer {token(base, 'moderator@demo.jiayuan.cn')}"}
    secretary = {"Authorization": f"Bearer {token(base, 'secretary@demo.jiayuan.cn')}"}
    api = f"{base}/api/v1/rounds/4"
    requests.post(f"{api}/ballots/close", headers=moderator, timeout=10).raise_for_status()
    winner = requests.get(f"{api}/tally", headers=moderator, timeout=10).json()["winner"]
    decision = {"proposal_id": winner, "rationale": rationale}
    requests.post(f"{api}/decision", json=decision, headers=secretary, timeout=10).raise_for_status()


def create_hearing(base: str) -> int:
    headers = {"Authorization": f"Bearer {token(base, 'moderator@demo.jiayuan.cn')}"}
    response = requests.post(
        f"{base}/api/v1/rounds/1/hearings",
        json={"title": "Scale-out check", "starts_at": datetime.now(UTC).isoformat(), "place": "online"},
        headers=headers,
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["id"]


class Listener:
    """A python-socketio client that records every comment it receives, in order."""

    def __init__(self, base: str, email: str, transports: tuple[str, ...] = ("websocket",)):
        self.base = base
        self.transports = list(transports)
        self.token = token(base, email)
        self.comments: list[dict] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("comment", self._on_comment, namespace="/hearing")

    def _on_comment(self, comment: dict) -> None:
        with self.arrived:
            self.comments.append(comment)
            self.arrived.notify_all()

    def connect(self) -> None:
        self.client.connect(
            self.base,
            namespaces=["/hearing"],
            auth={"token": self.token},
            transports=self.transports,
            wait_timeout=10,
        )

    def join(self, hearing_id: int, after_seq: int | None = None) -> dict:
        payload = {"hearing_id": hearing_id}
        if after_seq is not None:
            payload["after_seq"] = after_seq
        ack = self.client.call("join", payload, namespace="/hearing", timeout=10)
        assert ack["ok"], ack
        return ack

    def comment(self, hearing_id: int, body: str, client_id: str) -> dict:
        ack = self.client.call(
            "comment",
            {"hearing_id": hearing_id, "client_id": client_id, "body": body},
            namespace="/hearing",
            timeout=10,
        )
        assert ack["ok"], ack
        return ack["comment"]

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.comments) < count and time.monotonic() < deadline:
                self.arrived.wait(timeout=deadline - time.monotonic())
        return list(self.comments)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def scale_out_database() -> Iterator[str]:
    require("redis")
    with fresh_postgres_database("scale_out") as url:
        yield url


def test_a_comment_sent_to_one_worker_reaches_a_client_of_another(scale_out_database, tmp_path):
    queue = {"REDIS_URL": REDIS_URL, "REDIS_CHANNEL": SESSION_REDIS_CHANNEL}
    first_env = server_environment(scale_out_database, free_port(), **queue)
    second_env = server_environment(scale_out_database, free_port(), **queue)
    prepare_database(first_env)
    first = LiveServer(first_env, tmp_path / "first.log")
    second = LiveServer(second_env, tmp_path / "second.log")
    listener = speaker = None
    try:
        hearing_id = create_hearing(first.url)
        listener = Listener(second.url, "resident2@demo.jiayuan.cn")
        listener.connect()
        listener.join(hearing_id)
        speaker = Listener(first.url, "resident1@demo.jiayuan.cn")
        speaker.connect()
        speaker.join(hearing_id)
        sent = speaker.comment(hearing_id, "Posted to the first worker", "scale-1")
        received = listener.wait_for(1)
        assert [c["id"] for c in received] == [sent["id"]]
        assert received[0]["body"] == "Posted to the first worker"
        assert requests.get(second.url + "/healthz", timeout=5).json()["message_queue"] == "ok"
    finally:
        for client in (listener, speaker):
            if client is not None:
                client.close()
        first.stop()
        second.stop()


def test_a_client_that_reconnects_gets_exactly_the_missed_comments_once(live_server):
    base = live_server.url
    hearing_id = create_hearing(base)
    dropped = Listener(base, "resident3@demo.jiayuan.cn")
    speaker = Listener(base, "resident4@demo.jiayuan.cn")
    try:
        dropped.connect()
        dropped.join(hearing_id)
        speaker.connect()
        speaker.join(hearing_id)
        before = speaker.comment(hearing_id, "before the drop", "drop-0")
        last_seen = dropped.wait_for(1)[-1]["seq"]
        assert last_seen == before["seq"]

        dropped.close()
        missed = [speaker.comment(hearing_id, f"while away {n}", f"drop-{n + 1}") for n in range(3)]

        dropped.connect()
        ack = dropped.join(hearing_id, after_seq=last_seen)
        assert [c["id"] for c in ack["comments"]] == [c["id"] for c in missed]
        assert [c["seq"] for c in ack["comments"]] == sorted(c["seq"] for c in missed)
        assert ack["has_more"] is False

        after = speaker.comment(hearing_id, "after the return", "drop-9")
        live = dropped.wait_for(2)  # the one before the drop, then the one after the return
        assert [c["id"] for c in live] == [before["id"], after["id"]]
        seen_ids = [c["id"] for c in live] + [c["id"] for c in ack["comments"]]
        assert len(seen_ids) == len(set(seen_ids)) == 5
    finally:
        dropped.close()
        speaker.close()


def test_a_refused_connection_says_why(live_server):
    client = socketio.Client(reconnection=False)
    reasons: list = []
    client.on("connect_error", reasons.append, namespace="/hearing")
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(
                live_server.url,
                namespaces=["/hearing"],
                auth={"token": "forged"},
                transports=["websocket"],
                wait_timeout=10,
            )
        assert reasons == [{"message": "unauthorized"}]
    finally:
        client.disconnect()


def test_compression_is_declined_and_every_listener_gets_the_same_broadcast_whole(live_server):
    """Browsers offer permessage-deflate; the server declines it (a zlib state per connection
    and per-listener CPU), so one frame can go to every listener."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            ).encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += raw.recv(4096)
    head = answer.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 101")
    assert "sec-websocket-extensions" not in head

    hearing_id = create_hearing(live_server.url)
    listeners = [Listener(live_server.url, f"resident{n}@demo.jiayuan.cn") for n in (1, 2, 3)]
    try:
        for listener in listeners:
            listener.connect()
            listener.join(hearing_id)
        sent = [listeners[0].comment(hearing_id, f"第{n}条 " + "长椅" * 400, f"whole-{n}") for n in range(3)]
        for listener in listeners:
            assert listener.wait_for(3) == sent
    finally:
        for listener in listeners:
            listener.close()


def test_a_join_answers_the_same_page_on_a_websocket_and_on_long_polling(live_server):
    """On a WebSocket a join's answer goes out as the UTF-8 its JSON is made in, in one frame
    (over 64 KB here: the frame's longest length field); a client still long-polling gets it
    as text. Both hold the same comments, Chinese and all."""
    base = live_server.url
    hearing_id = create_hearing(base)
    # (people who comment in no other test here: each may send 5 in 10 s)
    speakers = [Listener(base, f"{who}@demo.jiayuan.cn") for who in ("designer1", "designer2", "secretary")]
    on_websocket = Listener(base, "resident5@demo.jiayuan.cn")
    polling = Listener(base, "resident6@demo.jiayuan.cn", transports=("polling",))
    try:
        sent = []
        for n in range(4):
            for k, speaker in enumerate(speakers):
                if n == 0:
                    speaker.connect()
                    speaker.join(hearing_id)
                body = f"第{n}-{k}条：篮球架往东挪 “两米” \\ " + "长椅" * 990
                sent.append(speaker.comment(hearing_id, body, f"page-{n}-{k}"))
        on_websocket.connect()
        polling.connect()
        assert on_websocket.client.transport() == "websocket"
        assert polling.client.transport() == "polling"
        answers = [on_websocket.join(hearing_id), polling.join(hearing_id)]
        assert len(str(answers[0]["comments"]).encode()) > 1 << 16
        for answer in answers:
            assert [c["body"] for c in answer["comments"]] == [c["body"] for c in sent]
            assert [c["seq"] for c in answer["comments"]] == [c["seq"] for c in sent]
        assert answers[0]["comments"] == answers[1]["comments"]
    finally:
        for listener in [*speakers, on_websocket, polling]:
            listener.close()


class RawListener:
    """A Socket.IO client spoken by hand over a raw WebSocket with a small receive buffer,
    so that it can stop reading, as a phone on a weak signal does."""

    def __init__(self, base: str, email: str):
        self.socket = websocket.create_connection(
            base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
            timeout=10,
            sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
            skip_utf8_validation=True,  # (json.loads checks it; the pure-Python check is slow)
        )
        assert self.socket.recv().startswith("0")  # Engine.IO's open packet
        self.socket.send("40/hearing," + json.dumps({"token": token(base, email)}))
        assert self.socket.recv().startswith("40/hearing,")

    def ask_to_join(self, hearing_id: int, ack_id: int) -> None:
        self.socket.send(f"42/hearing,{ack_id}" + json.dumps(["join", {"hearing_id": hearing_id}]))

    def read(self, acks: int, comments: int, timeout: float = 30) -> tuple[dict[int, dict], list[dict]]:
        """Join answers by their ack id, and the comments broadcast to it, until that many of
        each have come (answering Engine.IO's pings meanwhile). Each message must parse."""
        answers: dict[int, dict] = {}
        broadcast: list[dict] = []
        deadline = time.monotonic() + timeout
        while (len(answers) < acks or len(broadcast) < comments) and time.monotonic() < deadline:
            message = self.socket.recv()
            if message == "2":
                self.socket.send("3")
            elif message.startswith('42/hearing,["comment",'):
                broadcast.append(json.loads(message.removeprefix("42/hearing,"))[1])
            elif message.startswith("43/hearing,"):
                ack_id, _bracket, rest = message.removeprefix("43/hearing,").partition("[")
                answers[int(ack_id)] = json.loads("[" + rest)[0]
        return answers, broadcast

    def close(self) -> None:
        self.socket.close()


def test_a_phone_that_stops_reading_holds_nobody_up_and_then_gets_everything_in_order(live_server):
    """Messages are written at once to every connection whose kernel buffer has room; what a
    slow phone's buffer cannot take (here: a hundred join answers of 60 KB it asked for and
    does not read) is finished by that connection's own writer, before anything later. The
    rest of the room hears every comment meanwhile, and the slow phone, reading again, gets
    every answer whole and every comment once, in order."""
    base = live_server.url
    hearing_id = create_hearing(base)
    slow = RawListener(base, "resident5@demo.jiayuan.cn")
    listener = Listener(base, "resident6@demo.jiayuan.cn")
    speakers = [Listener(base, f"neighbour{n}@demo.jiayuan.cn") for n in range(10, 15)]
    try:
        listener.connect()
        listener.join(hearing_id)
        for speaker in speakers:
            speaker.connect()
            speaker.join(hearing_id)
        page = []
        for n in range(5):
            for k, speaker in enumerate(speakers[:2]):
                body = f"第{n}-{k}条 " + "长椅还是树荫" * 330
                page.append(speaker.comment(hearing_id, body, f"page-{n}-{k}"))
        for ack_id in range(1, 101):  # 6 MB: more than the kernel buffers the phone's way
            slow.ask_to_join(hearing_id, ack_id)
        time.sleep(1)  # the answers meet its full buffers
        later = [
            speaker.comment(hearing_id, f"后来的 {k}", f"later-{k}") for k, speaker in enumerate(speakers[2:])
        ]
        assert [c["id"] for c in listener.wait_for(len(page) + len(later))] == [c["id"] for c in page + later]

        answers, broadcast = slow.read(acks=100, comments=len(later))
        assert sorted(answers) == list(range(1, 101))
        for answer in answers.values():
            assert answer["ok"], answer
            assert [c["body"] for c in answer["comments"]] == [c["body"] for c in page]
        assert [c["id"] for c in broadcast] == [c["id"] for c in later]
    finally:
        slow.close()
        # (together: python-engineio's client may wait 3 s for a close frame its reader took)
        closing = [threading.Thread(target=client.close) for client in [listener, *speakers]]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join(10)
