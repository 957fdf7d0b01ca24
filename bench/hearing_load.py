"""Load a live hearing: L listeners watch, commenters post R comments a second for T seconds.

Issue 5's benchmark. It starts real servers on free 127.0.0.1 ports and drives them with
one asyncio process of python-socketio ``AsyncClient``s (WebSocket transport only, the
``/hearing`` namespace, ``auth={"token": ...}``; needs aiohttp):

* ``jiayuan``: ``python app.py`` (gevent, as in production) on a fresh database: a new
  SQLite file in a temporary folder (or, with ``--database postgresql://...``, a new
  database created on that server and dropped afterwards), ``flask db upgrade`` and
  ``flask seed-demo``. Over the HTTP API the moderator of the demo creates a hearing
  on round 1 (in the ``hearing`` phase); commenter accounts are signed up and added
  to the community as residents; listener accounts are signed up (watching needs only
  a login, so the L listeners share ``--listener-accounts`` tokens, round robin).
* ``bare``: bench/bare_broadcast_server.py, the floor: the same async mode and WSGI
  server, no database, no auth; ``join`` enters the room, ``comment`` broadcasts a
  payload of the same shape to the room and acks the sender.

Each run, against a fresh server process:

1. Join phase: all L listeners and the commenters connect and ``join`` the hearing
   (``--connect-concurrency`` at a time, each waits for its ack). Then the server is
   left to settle (no CPU use, no client receiving anything) so that what the joins
   caused (Jiayuan broadcasts ``presence`` to the room at every join) is counted.
2. Comment phase: R*T comments are sent on a fixed schedule, round robin over the
   commenter connections, each with a unique ``client_id`` and a body carrying that
   marker and the send time; each waits for its ack. The bench waits until every
   connection in the room has received every acknowledged comment (or a timeout),
   then for the server to settle again.

Measured per run and reported as medians per server (runs interleaved, the order of
the two servers alternating): connect time (all joined: total seconds; per connection:
median of each one's connect+join, and total/L); delivery latency p50/p95/p99 (send to
receipt at each connection in the room, sender included, one process so one
monotonic clock); deliveries per second (first send to last receipt); lost deliveries
(every connection in the room should receive every acknowledged comment once:
expected (L+N) x acked minus unique receipts) and duplicated ones (the same comment
twice at one connection); the server process's CPU (utime+stime from /proc/<pid>/stat)
while people join (ms per person joining) and while comments flow (us per delivered
comment); its peak RSS (VmHWM); and the load generator's own CPU (a generator near
100 % of one core is saturated, and then latency measures it, not the server: compare
server CPU instead, as DESIGN.md's field notes say).

Also shown: send to first receipt (the server's work before its fan-out starts) and
first to last receipt (the fan-out) per comment; how long the server and the generator
waited for a CPU (/proc/<pid>/task/*/schedstat) and the load average, since other work
on a 2-core machine shows up in latency first.

Jiayuan limits each person to 5 comments in 10 s and 20 a minute (RATE_LIMITS in
deliberation/hearings.py): the bench uses at least 6*R commenter accounts (half of the
sustainable rate each) and says when it raised ``--commenters``.

Two things keep the generator from measuring itself: python-engineio's client leaves a
connection it has written nothing to for ping interval + 5 s (a server ping queued
behind Jiayuan's presence broadcasts at 1,000 joins), which browsers do not do, so each
client's allowance is widened by 60 s (the server's ping timeout is untouched, and any
disconnect counts); and the generator's own objects are frozen out of its garbage
collector before comments flow (a full collection over a thousand clients paused every
receipt for ~100 ms, which was the floor's p99).

The issue's acceptance: at L=1000, R=5 no delivery lost or duplicated and server CPU per
delivered comment within 1.5x the floor's; at L=200 latency p50 and p99 within 1.5x the
floor's. Every check is printed for any L, labelled with the L it was set for.

    .venv/bin/python bench/hearing_load.py --listeners 200 --rate 5 --seconds 20 --runs 3
    .venv/bin/python bench/hearing_load.py --listeners 1000 --rate 5 --seconds 20 --runs 2 --json

Flags: --listeners L, --rate R (comments/s), --seconds T, --commenters N (default 5,
raised to what the rate limits need), --server {jiayuan,bare,both}, --runs K (default
3), --database (sqlite, or a postgresql:// URL of a server where the bench may create
a database; that server's CPU is not counted), --json (also print a JSON summary),
--profile DIR (py-spy records each phase of each server as collapsed stacks; figures
from such runs are not for comparing); see --help for the rest. Servers' logs go to a
temporary folder that is removed at the end; every wait is bounded, and the servers
are stopped on errors, on Ctrl-C and on SIGTERM (and die with the bench, on Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    FILLER,
    ROOT,
    Api,
    count_client_logs,
    die_with_parent,
    free_port,
    percentile,
    prepare_database,
    run_python,
)
from deliberation.hearings import RATE_LIMITS

NAMESPACE = "/hearing"
DEMO_PASSWORD = "jiayuan-demo"
MODERATOR = "moderator@demo.jiayuan.cn"
ROUND_ID = 1  # the demo's round in the hearing phase
BENCH_PASSWORD = "bench-password-" + "x" * 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CLIENT_PING_ALLOWANCE = 60.0  # seconds; see Connection.join


# --- servers -----------------------------------------------------------------------------


class ServerProcess:
    """A server subprocess on 127.0.0.1: its CPU and memory read from /proc."""

    def __init__(self, kind: str, command: list[str], env: dict[str, str], port: int, log: Path):
        self.kind = kind
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._handle = log.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.kind} server exited:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the {self.kind} server did not come up:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """utime + stime of the process (all its threads), in seconds."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._handle.close()


@dataclass
class Setup:
    """A started server and who may connect to it."""

    server: ServerProcess
    hearing_id: int
    listener_tokens: list[str]
    commenter_tokens: list[str]
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        self.server.stop()
        for step in reversed(self.cleanup):
            with contextlib.suppress(Exception):
                step()


def base_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIAYUAN", "REDIS_URL", "FLASK_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def fresh_postgres_database(url: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database on the server of ``url``; answer its URL and how to drop it."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql")
    name = f"jiayuan_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.set(database=name).render_as_string(hide_password=False), drop


# Old comments, written straight to the database: the rate limit is for people typing now.
HISTORY_SCRIPT = """
import sys
from datetime import UTC, datetime, timedelta
from app import create_app
from deliberation.extensions import db
from deliberation.hearings import comments_changed, next_comment_seq
from deliberation.models import Comment, Hearing, Membership
hearing_id, count = int(sys.argv[1]), int(sys.argv[2])
with create_app().app_context():
    hearing = db.session.get(Hearing, hearing_id)
    members = db.session.query(Membership).filter_by(community_id=hearing.round.community_id)
    authors = [m.user_id for m in members]
    previous = None
    start = datetime.now(UTC) - timedelta(hours=2)  # said earlier: no rate limit counts them
    for n in range(count):
        seq = next_comment_seq(hearing.round_id)
        db.session.add(Comment(
            round_id=hearing.round_id, hearing_id=hearing_id, seq=seq, prev_seq=previous,
            client_id=f"history-{n}", author_id=authors[n % len(authors)],
            created_at=start + timedelta(seconds=n),
            body=f"第{n + 1}条意见：篮球场边多放几张长椅，晚上的灯也要亮一点。An earlier comment, {n + 1}."))
        previous = seq
    comments_changed(hearing_id)
    db.session.commit()
"""


def seed_history(env: dict[str, str], hearing_id: int, count: int) -> None:
    """``count`` comments in the hearing before anyone joins (a hearing that has run a while)."""
    run_python(env, ["-c", HISTORY_SCRIPT, str(hearing_id), str(count)], "seeding the history")


def start_jiayuan(
    folder: Path, database: str, listener_accounts: int, commenters: int, history: int = 0
) -> Setup:
    """A fresh ``python app.py`` with the demo, a hearing on round 1 and the bench's accounts."""
    cleanup: list[Callable[[], None]] = []
    if database.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        database_url, drop = fresh_postgres_database(database)
        cleanup.append(drop)
    else:
        database_url = f"sqlite:///{folder / 'jiayuan.sqlite3'}"
    port = free_port()
    env = base_environment() | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + secrets.token_hex(8),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "FLASK_APP": "app.py",
    }
    try:
        prepare_database(env)
        server = ServerProcess("jiayuan", [sys.executable, "app.py"], env, port, folder / "jiayuan.log")
    except BaseException:
        for step in cleanup:
            step()
        raise
    setup = Setup(server, 0, [], [], cleanup)
    try:
        server.wait_until_up()
        api = Api(server.url, timeout=30)
        moderator = api.login(MODERATOR, DEMO_PASSWORD)
        community_id = api.call("GET", f"/rounds/{ROUND_ID}", moderator)["community_id"]
        setup.hearing_id = api.call(
            "POST",
            f"/rounds/{ROUND_ID}/hearings",
            moderator,
            title="Bench hearing 压力测试",
            starts_at=datetime.now(UTC).isoformat(),
            place="Bench room",
            slots=[],
        )["id"]
        tag = secrets.token_hex(3)
        for index in range(commenters):
            email = f"bench-commenter-{index}-{tag}@example.com"
            user_id = api.sign_up(email, f"Commenter {index} 发言人", BENCH_PASSWORD)
            api.call(
                "POST", f"/communities/{community_id}/members", moderator, user_id=user_id, role="resident"
            )
            setup.commenter_tokens.append(api.login(email, BENCH_PASSWORD))
        for index in range(listener_accounts):
            email = f"bench-listener-{index}-{tag}@example.com"
            api.sign_up(email, f"Listener {index} 听众", BENCH_PASSWORD)
            setup.listener_tokens.append(api.login(email, BENCH_PASSWORD))
        if history:
            seed_history(env, setup.hearing_id, history)
    except BaseException:
        setup.close()
        raise
    return setup


def start_bare(folder: Path, commenters: int) -> Setup:
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "bare_broadcast_server.py"), "--port", str(port)]
    server = ServerProcess("bare", command, base_environment(), port, folder / "bare.log")
    setup = Setup(server, 1, ["anyone"], ["anyone"] * commenters)
    try:
        server.wait_until_up()
    except BaseException:
        setup.close()
        raise
    return setup


# --- the load ----------------------------------------------------------------------------


CLIENT_LOG = count_client_logs()


def run_queue_wait(pid: int | str) -> float:
    """Seconds the process's threads have waited for a CPU (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(stat.read_text().split()[1])
    return total / 1e9


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def generator_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class RunResult:
    server: str
    run: int
    listeners: int
    commenters: int
    connect_total_s: float
    connect_median_ms: float
    connect_per_listener_ms: float
    join_server_cpu_s: float
    join_cpu_per_person_ms: float
    presence_messages: int
    comments_sent: int
    comments_acked: int
    comments_rejected: dict[str, int]
    ack_timeouts: int
    payload_bytes: int
    deliveries: int
    expected_deliveries: int
    lost: int
    duplicated: int
    unexpected: int
    disconnects: int
    disconnect_reasons: dict[str, int]
    client_log: dict[str, int]  # what python-engineio's client logged (warnings and errors), counted
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    first_receipt_p50_ms: float  # send to the first connection's receipt: server work before fan-out
    fanout_spread_p50_ms: float  # first to last receipt of one comment: the fan-out
    ack_p50_ms: float
    deliveries_per_s: float
    comment_server_cpu_s: float
    cpu_per_delivery_us: float
    peak_rss_mib: float
    server_runq_wait_s: float  # while comments flow: runnable but waiting for a CPU (contention)
    generator_runq_wait_s: float
    load_average_1m: float  # the machine's, at the end of the comment phase
    generator_join_cpu_s: float
    generator_comment_cpu_s: float
    generator_comment_busy: float  # generator CPU / wall time while comments flow (1.0 = one core)


class Connection:
    """One Socket.IO client in the room; it records what it receives."""

    def __init__(self, index: int, token: str, bench: Bench):
        self.index = index
        self.token = token
        self.bench = bench
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.connect_ms = math.nan
        self.sio.on("comment", self._on_comment, namespace=NAMESPACE)
        self.sio.on("presence", self._on_presence, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("*", self._on_other, namespace=NAMESPACE)

    def _on_comment(self, data: Any) -> None:
        bench = self.bench
        bench.receipts.append(
            (self.index, data.get("client_id") if isinstance(data, dict) else None, time.perf_counter())
        )
        bench.last_message = time.perf_counter()

    def _on_presence(self, data: Any) -> None:
        self.bench.presence_messages += 1
        self.bench.last_message = time.perf_counter()

    def _on_other(self, event: str, data: Any = None) -> None:
        self.bench.last_message = time.perf_counter()

    def _on_disconnect(self, reason: Any = None) -> None:
        if not self.bench.closing:
            self.bench.disconnects += 1
            self.bench.disconnect_reasons[str(reason)] += 1

    async def join(self, url: str, hearing_id: int, timeout: float) -> None:
        started = time.perf_counter()
        await self.sio.connect(
            url,
            auth={"token": self.token},
            transports=["websocket"],
            namespaces=[NAMESPACE],
            wait_timeout=timeout,
        )
        # python-engineio's client gives up on a connection it has written nothing to for
        # ping interval + 5 s, so a server ping that arrives a few seconds late (queued behind
        # a burst of broadcasts while one process plays a thousand browsers) makes it leave.
        # Browsers wait only for the pings themselves: allow the same here. The server's own
        # ping timeout is untouched, and every disconnect still counts.
        self.sio.eio.ping_interval += CLIENT_PING_ALLOWANCE
        ack = await self.sio.call("join", {"hearing_id": hearing_id}, namespace=NAMESPACE, timeout=timeout)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"join refused: {ack}")
        self.connect_ms = (time.perf_counter() - started) * 1000


class Bench:
    """One run against one started server."""

    def __init__(self, setup: Setup, args: argparse.Namespace, run: int):
        self.setup = setup
        self.server = setup.server
        self.args = args
        self.run = run
        self.receipts: list[tuple[int, str | None, float]] = []
        self.presence_messages = 0
        self.disconnects = 0
        self.disconnect_reasons: Counter[str] = Counter()
        self.closing = False
        self.last_message = time.perf_counter()
        self.sent_at: dict[str, float] = {}
        self.acked: set[str] = set()
        self.rejected: Counter[str] = Counter()
        self.ack_timeouts = 0
        self.ack_ms: list[float] = []
        self.payload_bytes = 0
        tokens = setup.listener_tokens
        self.listeners = [Connection(i, tokens[i % len(tokens)], self) for i in range(args.listeners)]
        self.commenters = [
            Connection(args.listeners + i, token, self) for i, token in enumerate(setup.commenter_tokens)
        ]
        self.connections = self.listeners + self.commenters

    async def settle(self) -> None:
        """Wait (bounded) until the server uses no CPU and no client receives anything."""
        deadline = time.perf_counter() + self.args.settle_timeout
        quiet, window = 0, 0.5
        cpu = self.server.cpu_seconds()
        while quiet < 2 and time.perf_counter() < deadline:
            await asyncio.sleep(window)
            now_cpu = self.server.cpu_seconds()
            idle = now_cpu - cpu < 0.02 * window and time.perf_counter() - self.last_message > window
            quiet = quiet + 1 if idle else 0
            cpu = now_cpu
        if quiet < 2:
            print(
                f"  note: the {self.server.kind} server did not settle "
                f"within {self.args.settle_timeout:.0f} s"
            )

    async def join_all(self) -> None:
        gate = asyncio.Semaphore(self.args.connect_concurrency)
        timeout = self.args.ack_timeout

        async def one(connection: Connection) -> None:
            async with gate:
                await connection.join(self.server.url, self.setup.hearing_id, timeout)

        limit = self.args.join_timeout or 60 + 0.2 * len(self.connections)
        await asyncio.wait_for(asyncio.gather(*(one(c) for c in self.connections)), limit)

    async def send_comment(self, number: int) -> None:
        commenter = self.commenters[number % len(self.commenters)]
        client_id = f"r{self.run}-{number}-{secrets.token_hex(4)}"
        body = f"[bench {client_id} sent {time.time():.6f}] {FILLER}"
        self.sent_at[client_id] = time.perf_counter()
        try:
            ack = await commenter.sio.call(
                "comment",
                {"hearing_id": self.setup.hearing_id, "client_id": client_id, "body": body},
                namespace=NAMESPACE,
                timeout=self.args.ack_timeout,
            )
        except socketio.exceptions.TimeoutError:
            self.ack_timeouts += 1
            return
        self.ack_ms.append((time.perf_counter() - self.sent_at[client_id]) * 1000)
        if isinstance(ack, dict) and ack.get("ok"):
            self.acked.add(client_id)
            if not self.payload_bytes:
                self.payload_bytes = len(json.dumps(ack["comment"]))
        else:
            code = (ack or {}).get("error", {}).get("code", "?") if isinstance(ack, dict) else "?"
            self.rejected[str(code)] += 1

    async def comment_flow(self) -> float:
        """Send R*T comments on schedule; wait for their deliveries. Answers the first send time."""
        args = self.args
        total = round(args.rate * args.seconds)
        tasks: list[asyncio.Task[None]] = []
        start = time.perf_counter()
        for number in range(total):
            delay = start + number / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send_comment(number)))
        await asyncio.wait_for(asyncio.gather(*tasks), args.ack_timeout + 5)
        expected = len(self.acked) * len(self.connections)
        deadline = time.perf_counter() + args.delivery_timeout
        while len(self.receipts) < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        return start

    async def close_all(self) -> None:
        self.closing = True

        async def one(connection: Connection) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.sio.disconnect(), 5)

        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*(one(c) for c in self.connections)), 30)

    @contextlib.contextmanager
    def profiled(self, phase: str) -> Iterator[None]:
        """With --profile DIR: py-spy records the server during this phase (raw collapsed stacks)."""
        if not self.args.profile:
            yield
            return
        out = Path(self.args.profile) / f"{self.server.kind}-run{self.run}-{phase}.txt"
        pid = str(self.server.process.pid)
        command = [self.args.py_spy, "record", "--pid", pid, "--rate", "200", "--format", "raw"]
        command += self.args.py_spy_args.split()
        spy = subprocess.Popen(
            [*command, "--output", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        time.sleep(1.0)  # let py-spy attach before the phase starts
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(timeout=10)

    async def measure(self) -> RunResult:
        try:
            return await self._measure()
        finally:
            # The server goes first: Jiayuan would broadcast presence to the room at every leave.
            self.closing = True
            self.server.stop()
            await self.close_all()
            gc.unfreeze()

    async def _measure(self) -> RunResult:
        server = self.server
        CLIENT_LOG.take()  # forget what earlier runs' clients logged while closing
        with self.profiled("join"):
            cpu0, gen0, t0 = server.cpu_seconds(), generator_cpu(), time.perf_counter()
            await self.join_all()
            connect_total = time.perf_counter() - t0
            await self.settle()
            cpu1, gen1 = server.cpu_seconds(), generator_cpu()
        presence = self.presence_messages
        # The generator's own garbage collector: the objects of a thousand clients, rescanned by
        # every full collection, would pause all receipts (~100 ms, a p99 of the generator, not
        # of the server). Freeze what exists now; collections then scan only what comes after.
        gc.collect()
        gc.freeze()

        with self.profiled("comments"):
            cpu2, gen2 = server.cpu_seconds(), generator_cpu()
            waits = run_queue_wait(server.process.pid), run_queue_wait("self")
            start = await self.comment_flow()
            wall_end = time.perf_counter()
            gen3 = generator_cpu()
            await self.settle()
            cpu3 = server.cpu_seconds()
            server_wait = run_queue_wait(server.process.pid) - waits[0]
            generator_wait = run_queue_wait("self") - waits[1]
            load = load_average()
        peak_rss = server.peak_rss_mib()
        if not server.alive():
            raise RuntimeError(f"the {server.kind} server died:\n{server.log_tail()}")

        seen: Counter[tuple[int, str | None]] = Counter((index, cid) for index, cid, _ in self.receipts)
        duplicated = sum(n - 1 for n in seen.values() if n > 1)
        unique_acked = sum(1 for (_, cid) in seen if cid in self.acked)
        unexpected = sum(1 for (_, cid) in seen if cid not in self.acked)
        expected = len(self.acked) * len(self.connections)
        latencies = sorted(
            (at - self.sent_at[cid]) * 1000 for _, cid, at in self.receipts if cid in self.sent_at
        )
        first_at: dict[str, float] = {}
        last_at: dict[str, float] = {}
        for _, cid, at in self.receipts:
            if cid in self.sent_at:
                first_at[cid] = min(first_at.get(cid, at), at)
                last_at[cid] = max(last_at.get(cid, at), at)
        first = sorted((first_at[cid] - self.sent_at[cid]) * 1000 for cid in first_at)
        spread = sorted((last_at[cid] - first_at[cid]) * 1000 for cid in first_at)
        last = max((at for _, _, at in self.receipts), default=start)
        deliveries = len(self.receipts)
        comment_cpu = cpu3 - cpu2
        persons = len(self.connections)
        connect_each = [c.connect_ms for c in self.connections]
        return RunResult(
            server=server.kind,
            run=self.run,
            listeners=len(self.listeners),
            commenters=len(self.commenters),
            connect_total_s=connect_total,
            connect_median_ms=statistics.median(connect_each),
            connect_per_listener_ms=connect_total * 1000 / persons,
            join_server_cpu_s=cpu1 - cpu0,
            join_cpu_per_person_ms=(cpu1 - cpu0) * 1000 / persons,
            presence_messages=presence,
            comments_sent=len(self.sent_at),
            comments_acked=len(self.acked),
            comments_rejected=dict(self.rejected),
            ack_timeouts=self.ack_timeouts,
            payload_bytes=self.payload_bytes,
            deliveries=deliveries,
            expected_deliveries=expected,
            lost=expected - unique_acked,
            duplicated=duplicated,
            unexpected=unexpected,
            disconnects=self.disconnects,
            disconnect_reasons=dict(self.disconnect_reasons),
            client_log=CLIENT_LOG.take(),
            latency_p50_ms=percentile(latencies, 50),
            latency_p95_ms=percentile(latencies, 95),
            latency_p99_ms=percentile(latencies, 99),
            first_receipt_p50_ms=percentile(first, 50),
            fanout_spread_p50_ms=percentile(spread, 50),
            ack_p50_ms=statistics.median(self.ack_ms) if self.ack_ms else math.nan,
            deliveries_per_s=deliveries / (last - start) if last > start else math.nan,
            comment_server_cpu_s=comment_cpu,
            cpu_per_delivery_us=comment_cpu * 1e6 / deliveries if deliveries else math.nan,
            peak_rss_mib=peak_rss,
            server_runq_wait_s=server_wait,
            generator_runq_wait_s=generator_wait,
            load_average_1m=load,
            generator_join_cpu_s=gen1 - gen0,
            generator_comment_cpu_s=gen3 - gen2,
            generator_comment_busy=(gen3 - gen2) / (wall_end - start),
        )


# --- runs and the report -----------------------------------------------------------------


def commenter_count(args: argparse.Namespace) -> int:
    """Enough accounts that each posts at half the rate Jiayuan's limits allow a person."""
    per_person = min(limit / window for limit, window in RATE_LIMITS)
    return max(args.commenters, math.ceil(args.rate / (per_person / 2)))


def one_run(kind: str, run: int, args: argparse.Namespace, commenters: int, folder: Path) -> RunResult:
    if kind == "jiayuan":
        setup = start_jiayuan(folder, args.database, args.listener_accounts, commenters, args.history)
    else:
        setup = start_bare(folder, commenters)
    try:
        return asyncio.run(Bench(setup, args, run).measure())
    finally:
        setup.close()


ROWS: list[tuple[str, str, str]] = [
    ("connect_total_s", "connect: all joined (s)", "{:.2f}"),
    ("connect_median_ms", "connect+join, median per connection (ms)", "{:.1f}"),
    ("connect_per_listener_ms", "connect: total / connections (ms)", "{:.2f}"),
    ("join_cpu_per_person_ms", "server CPU per person joining (ms)", "{:.2f}"),
    ("presence_messages", "presence messages received while joining", "{:.0f}"),
    ("comments_acked", "comments acknowledged", "{:.0f}"),
    ("payload_bytes", "comment payload (bytes of JSON)", "{:.0f}"),
    ("latency_p50_ms", "latency p50 (ms)", "{:.1f}"),
    ("latency_p95_ms", "latency p95 (ms)", "{:.1f}"),
    ("latency_p99_ms", "latency p99 (ms)", "{:.1f}"),
    ("first_receipt_p50_ms", "send to first receipt p50 (ms)", "{:.1f}"),
    ("fanout_spread_p50_ms", "first to last receipt p50 (ms)", "{:.1f}"),
    ("ack_p50_ms", "comment ack p50 (ms)", "{:.1f}"),
    ("deliveries_per_s", "deliveries per second", "{:.0f}"),
    ("deliveries", "deliveries received", "{:.0f}"),
    ("lost", "lost deliveries", "{:.0f}"),
    ("duplicated", "duplicated deliveries", "{:.0f}"),
    ("disconnects", "unexpected disconnects", "{:.0f}"),
    ("comment_server_cpu_s", "server CPU while comments flow (s)", "{:.2f}"),
    ("cpu_per_delivery_us", "server CPU per delivered comment (us)", "{:.1f}"),
    ("join_server_cpu_s", "server CPU while joining (s)", "{:.2f}"),
    ("peak_rss_mib", "server peak RSS (MiB)", "{:.0f}"),
    ("server_runq_wait_s", "server waiting for a CPU, comments (s)", "{:.2f}"),
    ("generator_runq_wait_s", "generator waiting for a CPU, comments (s)", "{:.2f}"),
    ("load_average_1m", "machine load average (1 min)", "{:.1f}"),
    ("generator_join_cpu_s", "generator CPU while joining (s)", "{:.2f}"),
    ("generator_comment_cpu_s", "generator CPU while comments flow (s)", "{:.2f}"),
    ("generator_comment_busy", "generator busy while comments flow (cores)", "{:.2f}"),
]


def git_commit() -> str:
    """The checked-out commit (and whether the tree has changes), to label the figures."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" with local changes" if dirty.stdout.strip() else "")


def medians(results: list[RunResult]) -> dict[str, float]:
    return {key: statistics.median(float(getattr(r, key)) for r in results) for key, _, _ in ROWS}


def summarise(results: list[RunResult], args: argparse.Namespace) -> dict[str, Any]:
    kinds = [k for k in ("jiayuan", "bare") if any(r.server == k for r in results)]
    summary: dict[str, Any] = {
        "listeners": args.listeners,
        "history": args.history,
        "rate": args.rate,
        "seconds": args.seconds,
        "commenters": results[0].commenters if results else 0,
        "database": "postgresql" if args.database.startswith("postgres") else "sqlite",
        "commit": git_commit(),
        "medians": {k: medians([r for r in results if r.server == k]) for k in kinds},
        "worst": {
            k: {
                key: max(getattr(r, key) for r in results if r.server == k)
                for key in ("lost", "duplicated", "unexpected", "disconnects", "ack_timeouts")
            }
            for k in kinds
        },
        "runs": [asdict(r) for r in results],
    }
    if len(kinds) == 2:
        jiayuan, bare = summary["medians"]["jiayuan"], summary["medians"]["bare"]
        ratios = {
            key: jiayuan[key] / bare[key] if bare[key] else math.nan
            for key in ("cpu_per_delivery_us", "latency_p50_ms", "latency_p99_ms", "join_cpu_per_person_ms")
        }
        summary["ratios"] = ratios
        worst = summary["worst"]["jiayuan"]
        summary["targets"] = {
            "zero lost, every Jiayuan run (set for L=1000)": worst["lost"] == 0,
            "zero duplicated, every Jiayuan run (set for L=1000)": worst["duplicated"] == 0,
            "server CPU per delivered comment <= 1.5x floor (set for L=1000)": ratios["cpu_per_delivery_us"]
            <= 1.5,
            "latency p50 <= 1.5x floor (set for L=200)": ratios["latency_p50_ms"] <= 1.5,
            "latency p99 <= 1.5x floor (set for L=200)": ratios["latency_p99_ms"] <= 1.5,
        }
    return summary


def print_report(summary: dict[str, Any]) -> None:
    kinds = list(summary["medians"])
    print(
        f"\nHearing load: L={summary['listeners']} listeners, {summary['commenters']} commenters, "
        f"R={summary['rate']}/s for T={summary['seconds']} s, {summary['database']}, {summary['commit']}; "
        f"medians of {len(summary['runs']) // max(1, len(kinds))} runs"
    )
    print(f"{'':46}" + "".join(f"{k:>12}" for k in kinds) + ("   jiayuan/bare" if len(kinds) == 2 else ""))
    for key, label, fmt in ROWS:
        values = [summary["medians"][k][key] for k in kinds]
        line = f"{label:46}" + "".join(f"{fmt.format(v):>12}" for v in values)
        if len(kinds) == 2 and values[1]:
            line += f"{values[0] / values[1]:>13.2f}x"
        print(line)
    for kind in kinds:
        worst = summary["worst"][kind]
        print(f"worst run, {kind}: " + ", ".join(f"{k} {v}" for k, v in worst.items()))
        for run in (r for r in summary["runs"] if r["server"] == kind):
            if run["disconnect_reasons"] or run["client_log"]:
                print(
                    f"  {kind} run {run['run']}: disconnects {run['disconnect_reasons']}; "
                    f"client log {run['client_log']}"
                )
    busy = max(summary["medians"][k]["generator_comment_busy"] for k in kinds)
    if busy > 0.8:
        print(
            f"note: the load generator was {busy:.0%} busy of one core while comments flowed: "
            "latency there mostly measures it; compare server CPU."
        )
    for name, passed in summary.get("targets", {}).items():
        print(f"target: {name}: {'PASS' if passed else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listeners", type=int, default=200, help="L: listeners in the hearing")
    parser.add_argument("--rate", type=float, default=5.0, help="R: comments per second, all commenters")
    parser.add_argument("--seconds", type=float, default=20.0, help="T: how long comments flow")
    parser.add_argument("--commenters", type=int, default=5, help="N: commenter accounts (raised if needed)")
    parser.add_argument("--server", choices=("jiayuan", "bare", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3, help="K: runs per server, interleaved")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL")
    parser.add_argument("--json", action="store_true", help="also print a JSON summary")
    parser.add_argument("--listener-accounts", type=int, default=20, help="accounts the listeners share")
    parser.add_argument(
        "--history", type=int, default=0, help="comments the hearing holds before anyone joins (Jiayuan)"
    )
    parser.add_argument("--connect-concurrency", type=int, default=50, help="connections opening at once")
    parser.add_argument("--ack-timeout", type=float, default=60.0, help="seconds to wait for each ack")
    parser.add_argument(
        "--join-timeout", type=float, default=0.0, help="join phase limit (0: 60 s + 0.2 s each)"
    )
    parser.add_argument(
        "--delivery-timeout", type=float, default=120.0, help="waiting for the last deliveries"
    )
    parser.add_argument(
        "--settle-timeout", type=float, default=180.0, help="waiting for the server to go idle"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record each server phase with py-spy into DIR (the figures are then not for comparing)",
    )
    parser.add_argument(
        "--py-spy", default=str(Path(sys.executable).with_name("py-spy")), help=argparse.SUPPRESS
    )
    parser.add_argument("--py-spy-args", default="", help="more py-spy options, e.g. '--native --idle'")

    args = parser.parse_args()
    if args.profile:
        if not Path(args.py_spy).exists():
            parser.error(f"--profile needs py-spy ({args.py_spy}): pip install py-spy")
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    if not (args.listeners > 0 and args.rate > 0 and args.seconds > 0 and args.runs > 0):
        parser.error("--listeners, --rate, --seconds and --runs must be positive")
    if args.listener_accounts < 1 or args.commenters < 1 or args.connect_concurrency < 1:
        parser.error("--listener-accounts, --commenters and --connect-concurrency must be at least 1")

    # Ctrl-C and SIGTERM unwind through the finally blocks that stop the servers (SIGINT
    # too when a shell started the bench in the background, with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    commenters = commenter_count(args)
    if commenters > args.commenters:
        print(
            f"commenters raised from {args.commenters} to {commenters}: Jiayuan allows a person "
            f"{' and '.join(f'{n} comments per {w} s' for n, w in RATE_LIMITS)}"
        )
    kinds = ["jiayuan", "bare"] if args.server == "both" else [args.server]
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="jiayuan-hearing-load-") as tmp:
        for run in range(1, args.runs + 1):
            for kind in kinds if run % 2 else reversed(kinds):
                folder = Path(tmp) / f"{kind}-{run}"
                folder.mkdir()
                print(f"run {run}/{args.runs}: {kind} ...", flush=True)
                result = one_run(kind, run, args, commenters, folder)
                results.append(result)
                print(
                    f"  joined {result.connect_total_s:.1f} s, "
                    f"join CPU {result.join_cpu_per_person_ms:.2f} ms/person, "
                    f"p50 {result.latency_p50_ms:.1f} ms, p99 {result.latency_p99_ms:.1f} ms, "
                    f"{result.cpu_per_delivery_us:.1f} us CPU/delivery, lost {result.lost}, "
                    f"dup {result.duplicated}, generator {result.generator_comment_busy:.0%}",
                    flush=True,
                )
    summary = summarise(results, args)
    print_report(summary)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped", file=sys.stderr)
        sys.exit(130)
