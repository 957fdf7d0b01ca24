"""A hearing nothing can silently break: two workers on PostgreSQL with a Redis of this
module's own, and each fault the reliability run found, played for real.

Clients here speak the contract's healing protocol (as the browser's live.js does): a
comment whose prev_seq they do not hold, or a sync whose latest_seq is above theirs,
makes them join again with after_seq = the last seq they hold without a gap.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
import socketio
from sqlalchemy import create_engine, text

from tests.e2e.conftest import LiveServer, free_port, new_context, prepare_database, server_environment
from tests.e2e.test_browser_foundation import log_in
from tests.e2e.test_live_servers import create_hearing, decide_demo_round, token
from tests.services import POSTGRES_URL, SESSION_TAG, fresh_postgres_database, require

pytestmark = pytest.mark.e2e
ACK_LIMIT_S = 1.0  # an acknowledgement never waits on the message queue
HEAL_WITHIN_S = 10.0


def service_environment() -> dict[str, str]:
    """The caller's environment without a faked clock: a service's own clock is not under
    test (redis-server cannot even start under libfaketime, as the suite is run at a fixed
    hour), only the app's and the browser's are."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


class OwnRedis:
    """A redis-server of the test's own, on a free port, that the test may kill and pause."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is required for the fault tests (Debian's redis-server package)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=service_environment(),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the test's redis-server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()


class Healer:
    """A python-socketio client that holds a hearing's comments and heals any gap."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.token = token(base, email)
        self.comments: dict[int, dict] = {}
        self.last_seq: int | None = None
        self.presence: int | None = None
        self.hearing_id: int | None = None
        self.lock = threading.Lock()
        self.rejoining = threading.Event()
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
        self.client.on("comment", self._on_comment, namespace="/hearing")
        self.client.on("sync", self._on_sync, namespace="/hearing")
        self.client.on("presence", self._on_presence, namespace="/hearing")
        self.client.on("connect", self._on_connect, namespace="/hearing")

    def connect(self, hearing_id: int) -> None:
        self.hearing_id = hearing_id
        self.client.connect(
            self.base,
            namespaces=["/hearing"],
            auth={"token": self.token},
            transports=["websocket"],
            wait_timeout=10,
        )
        self.join()

    def join(self) -> dict:
        payload = {"hearing_id": self.hearing_id}
        if self.last_seq is not None:
            payload["after_seq"] = self.last_seq
        ack = self.client.call("join", payload, namespace="/hearing", timeout=10)
        assert ack["ok"], ack
        with self.lock:
            for comment in ack["comments"]:
                self._take(comment, contiguous=True)
            if self.last_seq is None:
                self.last_seq = 0
            self.presence = ack["state"]["presence"]
        return ack

    def _rejoin(self) -> None:
        if self.rejoining.is_set():
            return
        self.rejoining.set()

        def run() -> None:
            try:
                self.join()
            except Exception:  # the connection is down: the next sync tries again
                pass
            finally:
                self.rejoining.clear()

        threading.Thread(target=run, daemon=True).start()

    def _take(self, comment: dict, *, contiguous: bool) -> None:
        self.comments[comment["id"]] = comment
        if contiguous and (self.last_seq is None or comment["seq"] > self.last_seq):
            self.last_seq = comment["seq"]

    def _on_connect(self) -> None:
        if self.hearing_id is not None and self.last_seq is not None:
            self._rejoin()  # reconnected: catch up from where it was

    def _on_comment(self, comment: dict) -> None:
        with self.lock:
            gap = (
                self.last_seq is not None
                and comment["prev_seq"] is not None
                and comment["prev_seq"] > self.last_seq
            )
            self._take(comment, contiguous=not gap)
        if gap:
            self._rejoin()

    def _on_sync(self, data: dict) -> None:
        latest = data.get("latest_seq")
        if latest is not None and (self.last_seq is None or latest > self.last_seq):
            self._rejoin()

    def _on_presence(self, data: dict) -> None:
        self.presence = data["count"]

    def comment(self, body: str, client_id: str) -> tuple[dict, float]:
        started = time.monotonic()
        ack = self.client.call(
            "comment",
            {"hearing_id": self.hearing_id, "client_id": client_id, "body": body},
            namespace="/hearing",
            timeout=10,
        )
        took = time.monotonic() - started
        assert ack["ok"], ack
        with self.lock:
            self._take(ack["comment"], contiguous=False)
        return ack["comment"], took

    def holds(self, ids: set[int], timeout: float = HEAL_WITHIN_S) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ids <= set(self.comments):
                return True
            time.sleep(0.1)
        return ids <= set(self.comments)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


class Workers:
    """Two ``python app.py`` workers on one PostgreSQL database and the test's own Redis."""

    def __init__(self, folder: Path, database_url: str, redis_url: str):
        self.folder = folder
        extra = {
            "REDIS_URL": redis_url,
            "REDIS_CHANNEL": f"jiayuan_faults_{SESSION_TAG}",
            "LIVE_SYNC_SECONDS": "1",
            "PRESENCE_TTL_SECONDS": "4",
        }
        self.envs = [server_environment(database_url, free_port(), **extra) for _ in range(2)]
        prepare_database(self.envs[0])
        self.servers = [LiveServer(env, folder / f"worker{n}.log") for n, env in enumerate(self.envs)]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def fault_world(tmp_path_factory) -> Iterator[tuple[Workers, OwnRedis, str]]:
    require("postgresql")
    folder = tmp_path_factory.mktemp("faults")
    own = OwnRedis(folder)
    with fresh_postgres_database("faults") as database_url:
        workers = Workers(folder, database_url, own.url)
        try:
            yield workers, own, database_url
        finally:
            workers.stop()
            own.stop()


@pytest.fixture
def hearing_on_both(fault_world) -> Iterator[tuple[int, list[Healer]]]:
    workers, _own, _url = fault_world
    first, second = (server.url for server in workers.servers)
    hearing_id = create_hearing(first)
    clients: list[Healer] = []

    def connect(base: str, email: str) -> Healer:
        healer = Healer(base, email)
        healer.connect(hearing_id)
        clients.append(healer)
        return healer

    yield hearing_id, connect, first, second
    for healer in clients:
        healer.close()


def test_comments_sent_while_redis_is_down_reach_the_other_worker_once_it_returns(
    fault_world, hearing_on_both
):
    _workers, own, _url = fault_world
    _hearing_id, connect, first, second = hearing_on_both
    listener = connect(second, "resident2@demo.jiayuan.cn")
    speaker = connect(first, "resident1@demo.jiayuan.cn")
    before, _took = speaker.comment("before the outage", "down-0")
    assert listener.holds({before["id"]}, timeout=5)

    own.kill()
    sent = [speaker.comment(f"while Redis is down {n}", f"down-{n + 1}") for n in range(4)]
    assert max(took for _c, took in sent) < ACK_LIMIT_S, [took for _c, took in sent]
    own.start()
    assert listener.holds({c["id"] for c, _took in sent}), "the other worker's client did not heal"
    assert sorted(c["seq"] for c in listener.comments.values()) == sorted(
        {c["seq"] for c in listener.comments.values()}
    )


def test_a_paused_redis_slows_no_ack_and_its_return_heals_the_other_worker(fault_world, hearing_on_both):
    _workers, own, _url = fault_world
    _hearing_id, connect, first, second = hearing_on_both
    listener = connect(second, "resident4@demo.jiayuan.cn")
    speaker = connect(first, "resident3@demo.jiayuan.cn")
    own.pause()
    try:
        sent = [speaker.comment(f"while Redis hangs {n}", f"hang-{n}") for n in range(3)]
    finally:
        own.resume()
    assert max(took for _c, took in sent) < ACK_LIMIT_S, [took for _c, took in sent]
    assert listener.holds({c["id"] for c, _took in sent})


def test_terminated_database_connections_are_never_seen_by_the_person(fault_world, hearing_on_both):
    _workers, _own, database_url = fault_world
    _hearing_id, connect, first, _second = hearing_on_both
    speaker = connect(first, "resident5@demo.jiayuan.cn")
    speaker.comment("warming the pool", "db-0")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    with admin.connect() as conn:
        killed = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        ).scalar_one()
    admin.dispose()
    assert killed >= 1
    comment, _took = speaker.comment("after the database dropped us", "db-1")
    assert comment["body"] == "after the database dropped us"


def test_a_notice_pdf_and_a_layout_check_on_a_worker_leave_its_hearing_answering(
    fault_world, hearing_on_both
):
    """Heavy requests run off the worker's live loop (on its thread pool): each is answered in
    full, and comments on the same worker are acknowledged meanwhile."""
    _hearing_id, connect, first, _second = hearing_on_both
    speaker = connect(first, "resident5@demo.jiayuan.cn")
    moderator = {"Authorization": f"Bearer {token(first, 'moderator@demo.jiayuan.cn')}"}
    api = f"{first}/api/v1"
    decide_demo_round(first, "Ranked first by the residents, and it keeps the shade.")
    round_1 = requests.get(f"{api}/rounds/1", headers=moderator, timeout=10).json()
    proposal = requests.get(f"{api}/rounds/1/proposals", headers=moderator, timeout=10).json()["proposals"][0]
    layout = requests.get(f"{api}/proposals/{proposal['id']}/layout.geojson", headers=moderator, timeout=10)

    answers: dict[str, requests.Response] = {}
    heavy = [
        threading.Thread(
            target=lambda: answers.__setitem__(
                "pdf", requests.get(f"{first}/rounds/4/notice.pdf?lang=en", headers=moderator, timeout=60)
            )
        ),
        threading.Thread(
            target=lambda: answers.__setitem__(
                "check",
                requests.post(
                    f"{api}/sites/{round_1['site_id']}/validate",
                    data=layout.content,
                    headers={**moderator, "Content-Type": "application/json"},
                    timeout=60,
                ),
            )
        ),
    ]
    for thread in heavy:
        thread.start()
    sent = [speaker.comment(f"while the notice is drawn {n}", f"heavy-{n}") for n in range(3)]
    for thread in heavy:
        thread.join(60)

    assert answers["pdf"].status_code == 200 and answers["pdf"].content.startswith(b"%PDF")
    assert answers["check"].status_code == 200 and "valid" in answers["check"].json()
    assert max(took for _c, took in sent) < ACK_LIMIT_S, [took for _c, took in sent]


def test_presence_heals_after_a_worker_is_killed(fault_world, hearing_on_both):
    workers, _own, _url = fault_world
    _hearing_id, connect, first, second = hearing_on_both
    watcher = connect(second, "resident6@demo.jiayuan.cn")
    for email in (
        "neighbour01@demo.jiayuan.cn",
        "neighbour02@demo.jiayuan.cn",
        "neighbour03@demo.jiayuan.cn",
    ):
        connect(first, email)
    deadline = time.monotonic() + 5
    while watcher.presence != 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert watcher.presence == 4
    os.kill(workers.servers[0].process.pid, signal.SIGKILL)
    workers.servers[0].process.wait()
    newcomer = connect(second, "neighbour04@demo.jiayuan.cn")
    deadline = time.monotonic() + 15  # the presence lifetime (4 s here) and an upkeep round
    while watcher.presence != 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert watcher.presence == 2 and newcomer.join()["state"]["presence"] == 2


def test_the_browser_heals_a_gap_by_itself(fault_world, browser):
    workers, own, _url = fault_world
    if workers.servers[0].process.poll() is not None:  # the worker-killing test ran first
        workers.servers[0].stop()
        workers.servers[0] = LiveServer(workers.envs[0], workers.folder / "worker0-again.log")
    first, second = (server.url for server in workers.servers)
    hearing_id = create_hearing(first)
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    speaker = Healer(first, "neighbour05@demo.jiayuan.cn")
    try:
        log_in(page, second, "neighbour06@demo.jiayuan.cn")
        page.goto(f"{second}/hearings/{hearing_id}")
        page.wait_for_selector("[data-testid=connection][data-state=connected]")
        speaker.connect(hearing_id)
        own.kill()
        sent = [speaker.comment(f"missed by the browser {n}", f"browser-gap-{n}")[0] for n in range(2)]
        own.start()
        for comment in sent:
            page.wait_for_selector(f"text=missed by the browser {sent.index(comment)}")
    finally:
        speaker.close()
        context.close()
