"""Load a live hearing: L listeners watch, commenters post R comments a second for T seconds.

Issue 5's benchmark and its sequel's (joins with a history, a reconnect storm, Node's
floor, workers behind Redis). It starts real servers on free 127.0.0.1 ports and drives
them with one asyncio process of python-socketio ``AsyncClient``s (WebSocket transport
only, the ``/hearing`` namespace, ``auth={"token": ...}``; needs aiohttp). The kinds of
server, ``--server`` a comma list of them or ``all`` (the default):

* ``jiayuan``: ``python app.py`` (gevent, as in production) on a fresh database: a new
  SQLite file in a temporary folder (or, with ``--database postgresql://...``, a new
  database created on that server and dropped afterwards), ``flask db upgrade`` and
  ``flask seed-demo``. Over the HTTP API the moderator of the demo creates a hearing
  on round 1 (in the ``hearing`` phase); commenter accounts are signed up and added
  to the community as residents; listener accounts are signed up (watching needs only
  a login, so the L listeners share ``--listener-accounts`` tokens, round robin). With
  ``--history H`` the hearing holds H comments before anyone joins. With ``--workers N``
  (N > 1): N such processes on the one database with ``REDIS_URL``
  naming a ``redis-server`` of the run's own (a free port, no persistence; the shared
  Redis is never used) and a channel of the run's own, as README's "Production" runs
  several (there on PostgreSQL; a shared SQLite file works too, and the bench says so).
* ``bare``: bench/bare_broadcast_server.py, the floor: the same async mode and WSGI
  server, no database, no auth; ``join`` enters the room, ``comment`` broadcasts a
  payload of the same shape to the room and acks the sender. With ``--workers N``, N of
  them behind the run's own Redis (python-socketio's ``RedisManager``).
* ``node``: bench/node_broadcast_server.js, Node's floor: the same on the npm registry's
  ``socket.io`` server (package.json's devDependencies: ``tools/setup.sh --dev``), run
  with ``node``; always one process.

Listeners and commenters are spread round robin over a kind's processes (connection k
on process k mod N). Each run, against fresh server processes:

1. Join phase: all L listeners and the commenters connect and ``join`` the hearing
   (``--connect-concurrency`` at a time, each waits for its ack). Then the server is
   left to settle (no CPU use, no client receiving anything) so that what the joins
   caused (Jiayuan broadcasts ``presence`` to the room at every join) is counted.
2. Comment phase: R*T comments are sent on a fixed schedule, round robin over the
   commenter connections, each with a unique ``client_id`` and a body carrying that
   marker and the send time; each waits for its ack. The bench waits until every
   connection in the room has received every acknowledged comment (or a timeout),
   then for the server to settle again.
3. Reconnect storm (``--storm``): comments flow again at R from the commenters, who stay
   connected; after a second all L listeners drop together, as when the community
   room's Wi-Fi goes: each client's TCP connection is shut down under it (no Socket.IO
   or Engine.IO goodbye; the server sees the connection closed) and whatever it had not
   read is gone. Each comes back at a uniformly random moment within ``--storm-window``
   seconds (``--storm-seed`` fixes the draw, the same for every kind and run) as a fresh
   client that joins with ``after_seq`` = the last seq it holds without a gap, following
   each comment's ``prev_seq`` as static/js/live.js does (paging on while the ack says
   ``has_more``; a failed attempt is tried again after a second, as socket.io's client
   does). The comments in the join ack count as receipts; one a listener receives both
   in its ack and as a broadcast on its new connection (it was stored while the join
   ran) is held once, as the browser holds it, and counted apart as "overlap". Comments
   flow ``--storm-tail`` seconds after the last listener is back, then stop.

Measured per run and reported as medians per kind, one column each (runs interleaved,
the order of the kinds alternating), with the ratios of jiayuan to bare and to node:
connect time (all joined: total seconds; per connection: median of each one's
connect+join, and total/L); delivery latency p50/p95/p99 (send to receipt at each
connection in the room, sender included, one process so one monotonic clock);
deliveries per second (first send to last receipt); lost deliveries (every connection in
the room should receive every acknowledged comment once: expected (L+N) x acked minus
unique receipts) and duplicated ones (the same comment twice at one connection); the
server processes' CPU (each one's CPU-time clock, clock_getcpuclockid, summed over a kind's
processes) while people join (ms per person joining) and while comments flow (us per
delivered comment; with workers also each worker's: its CPU over the deliveries to the
connections it holds); their peak RSS (VmHWM, summed); and the load generator's own CPU
(a generator near 100 % of one core is saturated, and then latency measures it, not the
server: compare server CPU instead, as DESIGN.md's field notes say).

Of the storm: when the last listener was back in the room (its join acknowledged) and
each one's reconnect+join time from its moment; for Jiayuan, when every listener held
every acknowledged comment sent before its join was answered (those sent while it was
away included, and those still on their way then, whose latency counts; later ones are
ordinary deliveries), and the storm's lost, duplicated and overlapping deliveries (every
connection, the commenters too, should hold every acknowledged comment of the storm);
the server CPU from the drop until then (for bare and node, which keep no history, until
all are back: "holds every comment" is n/a for them), per reconnecting person; and the
CPU from the drop until the server was idle again less the comment broadcasts meanwhile,
priced at the comment phase's CPU per delivery. The generator reconnecting a thousand
clients within 2 s is itself near one core: it says so, and then the server CPU is the
figure to compare.

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

The targets, each printed PASS or FAIL with the L it was set for (every check is printed
for any L): joining a hearing of 500 comments (``--history 500``) costs the server at
most 3x the bare floor's CPU per person; at L=200 latency p50 and p99 within 1.5x the
bare floor's; at L=1000 server CPU per delivered comment within 1.2x the bare floor's
(stretch: within 2x Node's); no delivery lost or duplicated (at L=1000, and at L=2000
with ``--workers 2``); with ``--storm``, every listener holds every comment after the
storm (set for L=1000 coming back within 2 s), with nothing lost or duplicated.

    .venv/bin/python bench/hearing_load.py --listeners 200 --rate 5 --seconds 20 --runs 3
    .venv/bin/python bench/hearing_load.py --listeners 200 --history 500 --server jiayuan,bare
    .venv/bin/python bench/hearing_load.py --listeners 1000 --rate 5 --seconds 20 --runs 2 --storm
    .venv/bin/python bench/hearing_load.py --listeners 2000 --workers 2 --runs 1 \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Flags: --listeners L, --rate R (comments/s), --seconds T, --commenters N (default 5,
raised to what the rate limits need), --server (a comma list of jiayuan, bare, node, or
all; ``both`` is jiayuan,bare), --runs K (default 3), --database (sqlite, or a
postgresql:// URL of a server where the bench may create a database; that server's CPU
is not counted), --history H, --workers N (needs redis-server on the PATH), --storm with
--storm-window (2 s), --storm-tail (3 s), --storm-seed and --storm-timeout, --json (also
print a JSON summary), --profile DIR (py-spy records each phase of each server process
as collapsed stacks; figures from such runs are not for comparing); see --help for the
rest. Servers' logs go to a temporary folder that is removed at the end; every wait is
bounded, and the servers are stopped on errors, on Ctrl-C and on SIGTERM (and die with
the bench, on Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
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
    OwnRedis,
    count_client_logs,
    die_with_parent,
    free_port,
    log_tail,
    percentile,
    prepare_database,
    process_cpu,
    run_python,
)
from deliberation.hearings import RATE_LIMITS

NAMESPACE = "/hearing"
DEMO_PASSWORD = "jiayuan-demo"
MODERATOR = "moderator@demo.jiayuan.cn"
ROUND_ID = 1  # the demo's round in the hearing phase
BENCH_PASSWORD = "bench-password-" + "x" * 8
CLIENT_PING_ALLOWANCE = 60.0  # seconds; see Connection.join
KINDS = ("jiayuan", "bare", "node")
NODE_SERVER = ROOT / "bench" / "node_broadcast_server.js"
NODE_PACKAGE = ROOT / "node_modules" / "socket.io" / "package.json"
STORM_LEAD = 1.0  # seconds of comments flowing before the listeners drop
RECONNECT_DELAY = 1.0  # seconds before a failed reconnection is tried again (socket.io's default)


# --- servers -----------------------------------------------------------------------------


class ServerProcess:
    """A server subprocess on 127.0.0.1: its CPU and memory read from /proc."""

    def __init__(self, kind: str, name: str, command: list[str], env: dict[str, str], port: int, log: Path):
        self.kind = kind
        self.name = name  # the kind, or "jiayuan worker 2"
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
                raise RuntimeError(f"the {self.name} server exited:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the {self.name} server did not come up:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time of the process (all its threads), in seconds."""
        used = process_cpu(self.process.pid)
        if used is None:
            raise RuntimeError(f"the {self.name} server is gone:\n{self.log_tail()}")
        return used

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        return log_tail(self.log, lines)

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
    """Started server processes (one, or a kind's workers) and who may connect to them."""

    servers: list[ServerProcess]
    hearing_id: int
    listener_tokens: list[str]
    commenter_tokens: list[str]
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        for step in reversed(self.cleanup):
            with contextlib.suppress(Exception):
                step()


def base_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIAYUAN", "REDIS_URL", "FLASK_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://"))


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
from deliberation.hearings import hearing_changed, next_comment_seq
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
    hearing_changed(hearing_id)
    db.session.commit()
"""


def seed_history(env: dict[str, str], hearing_id: int, count: int) -> None:
    """``count`` comments in the hearing before anyone joins (a hearing that has run a while)."""
    run_python(env, ["-c", HISTORY_SCRIPT, str(hearing_id), str(count)], "seeding the history")


def start_jiayuan(
    folder: Path,
    database: str,
    listener_accounts: int,
    commenters: int,
    history: int = 0,
    *,
    workers: int = 1,
    redis_url: str | None = None,
) -> Setup:
    """Fresh ``python app.py`` processes (one, or workers sharing ``redis_url``) with the demo,
    a hearing on round 1 and the bench's accounts."""
    setup = Setup([], 0, [], [])
    if is_postgres(database):
        database_url, drop = fresh_postgres_database(database)
        setup.cleanup.append(drop)
    else:
        database_url = f"sqlite:///{folder / 'jiayuan.sqlite3'}"
    env = base_environment() | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + secrets.token_hex(8),
        "HOST": "127.0.0.1",
        "FLASK_APP": "app.py",
    }
    if redis_url:
        env |= {"REDIS_URL": redis_url, "REDIS_CHANNEL": f"jiayuan_bench_{secrets.token_hex(4)}"}
    try:
        prepare_database(env)
        for number in range(1, workers + 1):
            port = free_port()
            setup.servers.append(
                ServerProcess(
                    "jiayuan",
                    "jiayuan" if workers == 1 else f"jiayuan worker {number}",
                    [sys.executable, "app.py"],
                    env | {"PORT": str(port)},
                    port,
                    folder / f"jiayuan-{number}.log",
                )
            )
        for server in setup.servers:
            server.wait_until_up()
        api = Api(setup.servers[0].url, timeout=30)
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


def node_problem() -> str | None:
    """Why the node floor cannot run here, or None."""
    if shutil.which("node") is None:
        return "the node floor needs Node.js on the PATH (Debian's nodejs package)"
    if not NODE_PACKAGE.exists():
        return f"the node floor needs the socket.io package ({NODE_PACKAGE}): run tools/setup.sh --dev"
    return None


def start_floor(
    kind: str, folder: Path, commenters: int, *, workers: int = 1, redis_url: str | None = None
) -> Setup:
    """bare (one process, or workers sharing ``redis_url``) or node: no database, no accounts."""
    setup = Setup([], 1, ["anyone"], ["anyone"] * commenters)
    channel = f"bare_bench_{secrets.token_hex(4)}"
    try:
        for number in range(1, workers + 1):
            port = free_port()
            if kind == "node":
                command = ["node", str(NODE_SERVER), "--port", str(port)]
            else:
                command = [
                    sys.executable,
                    str(ROOT / "bench" / "bare_broadcast_server.py"),
                    "--port",
                    str(port),
                ]
                if redis_url:
                    command += ["--redis", redis_url, "--channel", channel]
            name = kind if workers == 1 else f"{kind} worker {number}"
            log = folder / f"{kind}-{number}.log"
            setup.servers.append(ServerProcess(kind, name, command, base_environment(), port, log))
        for server in setup.servers:
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
    processes: int = 1
    # Per worker (``..._worker2``) and, with --storm, the storm's figures (``storm_...``).
    extra: dict[str, float] = field(default_factory=dict)
    storm_disconnect_reasons: dict[str, int] = field(default_factory=dict)
    storm_client_log: dict[str, int] = field(default_factory=dict)


RESULT_FIELDS = {f.name for f in fields(RunResult)}


def figure(result: RunResult | dict[str, Any], key: str) -> float:
    """One figure of a run (a field, or one of its extras; NaN where it has none)."""
    if isinstance(result, dict):
        value = result[key] if key in result else result.get("extra", {}).get(key, math.nan)
    else:
        value = getattr(result, key) if key in RESULT_FIELDS else result.extra.get(key, math.nan)
    return float(value)


class Connection:
    """One person in the room: a Socket.IO client (a fresh one after each drop) recording what
    it receives and, as static/js/live.js, the last seq it holds without a gap."""

    def __init__(self, index: int, token: str, server: int, bench: Bench):
        self.index = index
        self.token = token
        self.server = server  # which of the kind's processes it connects to
        self.bench = bench
        self.sio: socketio.AsyncClient | None = None
        self.dropped: list[socketio.AsyncClient] = []
        self.connect_ms = math.nan
        self.last_seq = 0  # seqs start at 1; a first comment's prev_seq (None) counts as 0
        self.next_of: dict[int, int] = {}  # prev_seq -> seq of what it received: the chain
        self.back_at = math.nan  # when its join after the drop was answered (perf_counter)
        self.rejoin_ms = math.nan  # from its moment to come back to that answer
        self.failed_attempts = 0

    def _client(self) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        # What a dropped client still had unread arrives after the drop: it is ignored, as
        # the browser's socket that Wi-Fi took with it would never deliver it.
        sio.on("comment", lambda data: self._on_comment(sio, data), namespace=NAMESPACE)
        sio.on("presence", lambda data=None: self._on_presence(sio), namespace=NAMESPACE)
        sio.on("disconnect", lambda reason=None: self._on_disconnect(sio, reason), namespace=NAMESPACE)
        sio.on("*", lambda event, data=None: self._on_other(sio), namespace=NAMESPACE)
        return sio

    def take(self, seq: Any, prev_seq: Any) -> None:
        """Hold a comment's place, and move ``last_seq`` along the chain as far as it is unbroken."""
        if not isinstance(seq, int):
            return
        self.next_of[prev_seq or 0] = seq
        while (following := self.next_of.get(self.last_seq)) is not None:
            self.last_seq = following

    def _on_comment(self, sio: socketio.AsyncClient, data: Any) -> None:
        if sio is not self.sio:
            return
        bench = self.bench
        now = time.perf_counter()
        client_id = None
        if isinstance(data, dict):
            client_id = data.get("client_id")
            self.take(data.get("seq"), data.get("prev_seq"))
        bench.receipts.append((self.index, client_id, now))
        bench.last_message = now

    def _on_presence(self, sio: socketio.AsyncClient) -> None:
        if sio is self.sio:
            self.bench.presence_messages += 1
            self.bench.last_message = time.perf_counter()

    def _on_other(self, sio: socketio.AsyncClient) -> None:
        if sio is self.sio:
            self.bench.last_message = time.perf_counter()

    def _on_disconnect(self, sio: socketio.AsyncClient, reason: Any = None) -> None:
        if sio is self.sio and not self.bench.closing:
            self.bench.disconnects += 1
            self.bench.disconnect_reasons[str(reason)] += 1

    async def join(self, url: str, hearing_id: int, timeout: float, after_seq: int | None = None) -> None:
        """Connect a fresh client and join; with ``after_seq``, take the replay (paging on)."""
        started = time.perf_counter()
        self.sio = sio = self._client()
        await sio.connect(
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
        sio.eio.ping_interval += CLIENT_PING_ALLOWANCE
        while True:
            payload: dict[str, Any] = {"hearing_id": hearing_id}
            if after_seq is not None:
                payload["after_seq"] = after_seq
            ack = await sio.call("join", payload, namespace=NAMESPACE, timeout=timeout)
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise RuntimeError(f"join refused: {ack}")
            comments = [c for c in ack.get("comments") or [] if isinstance(c, dict)]
            if after_seq is None:
                # The latest page, contiguous: what it holds without a gap ends where it ends.
                if comments and isinstance(comments[-1].get("seq"), int):
                    self.last_seq = max(self.last_seq, comments[-1]["seq"])
                for comment in comments:
                    self.take(comment.get("seq"), comment.get("prev_seq"))
                break
            now = time.perf_counter()
            for comment in comments:
                self.take(comment.get("seq"), comment.get("prev_seq"))
                self.bench.replays.append((self.index, comment.get("client_id"), now))
            if not (ack.get("has_more") and comments) or self.last_seq == after_seq:
                break  # all caught up (or a page that moved nothing on: asking again would loop)
            after_seq = self.last_seq
        self.connect_ms = (time.perf_counter() - started) * 1000

    def drop(self) -> None:
        """Lose the connection as Wi-Fi does: its TCP connection shut down under the client,
        no Socket.IO or Engine.IO goodbye; the server sees the connection closed."""
        sio, self.sio = self.sio, None
        if sio is None:
            return
        self.dropped.append(sio)
        ws = getattr(sio.eio, "ws", None)
        sock = ws.get_extra_info("socket") if ws is not None else None
        if sock is None:
            raise RuntimeError(f"connection {self.index} has no WebSocket to drop")
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    async def come_back(self, at: float, url: str, hearing_id: int, timeout: float, deadline: float) -> None:
        """At ``at``, connect afresh and join from the last seq held without a gap; again after a
        second while that fails (until ``deadline``)."""
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        while True:
            try:
                await asyncio.wait_for(
                    self.join(url, hearing_id, timeout, after_seq=self.last_seq), timeout + 5
                )
                break
            except Exception:
                self.failed_attempts += 1
                failed, self.sio = self.sio, None  # forgotten first: closing it is no drop
                if failed is not None:
                    self.dropped.append(failed)
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(failed.disconnect(), 2)
                if time.perf_counter() + RECONNECT_DELAY > deadline:
                    return
                await asyncio.sleep(RECONNECT_DELAY)
        self.back_at = time.perf_counter()
        self.rejoin_ms = (self.back_at - at) * 1000

    async def close(self) -> None:
        for sio in [*self.dropped, self.sio]:
            if sio is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(sio.disconnect(), 5)


class Bench:
    """One run against one kind's started server processes."""

    def __init__(self, setup: Setup, args: argparse.Namespace, run: int):
        self.setup = setup
        self.servers = setup.servers
        self.kind = setup.servers[0].kind
        self.args = args
        self.run = run
        self.receipts: list[tuple[int, str | None, float]] = []
        self.replays: list[tuple[int, str | None, float]] = []  # comments in join acks after a drop
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
        tokens, count = setup.listener_tokens, len(self.servers)
        self.listeners = [
            Connection(i, tokens[i % len(tokens)], i % count, self) for i in range(args.listeners)
        ]
        self.commenters = [
            Connection(args.listeners + i, token, i % count, self)
            for i, token in enumerate(setup.commenter_tokens)
        ]
        self.connections = self.listeners + self.commenters

    def cpu(self) -> float:
        """CPU seconds the kind's processes have used, together."""
        return sum(server.cpu_seconds() for server in self.servers)

    def url(self, connection: Connection) -> str:
        return self.servers[connection.server].url

    async def settle(self) -> None:
        """Wait (bounded) until the servers use no CPU and no client receives anything."""
        deadline = time.perf_counter() + self.args.settle_timeout
        quiet, window = 0, 0.5
        cpu = self.cpu()
        while quiet < 2 and time.perf_counter() < deadline:
            await asyncio.sleep(window)
            now_cpu = self.cpu()
            idle = now_cpu - cpu < 0.02 * window and time.perf_counter() - self.last_message > window
            quiet = quiet + 1 if idle else 0
            cpu = now_cpu
        if quiet < 2:
            print(f"  note: the {self.kind} server did not settle within {self.args.settle_timeout:.0f} s")

    async def join_all(self) -> None:
        gate = asyncio.Semaphore(self.args.connect_concurrency)
        timeout = self.args.ack_timeout

        async def one(connection: Connection) -> None:
            async with gate:
                await connection.join(self.url(connection), self.setup.hearing_id, timeout)

        limit = self.args.join_timeout or 60 + 0.2 * len(self.connections)
        await asyncio.wait_for(asyncio.gather(*(one(c) for c in self.connections)), limit)

    async def send_comment(self, number: int, prefix: str = "r") -> None:
        commenter = self.commenters[number % len(self.commenters)]
        client_id = f"{prefix}{self.run}-{number}-{secrets.token_hex(4)}"
        body = f"[bench {client_id} sent {time.time():.6f}] {FILLER}"
        self.sent_at[client_id] = time.perf_counter()
        if commenter.sio is None:
            self.ack_timeouts += 1  # its connection is gone: never acknowledged
            return
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

    async def post_on_schedule(
        self, numbers: Iterable[int], prefix: str = "r", stop: asyncio.Event | None = None
    ) -> float:
        """Send comments R a second (until ``stop``, if given) and wait for their acks. Answers
        the first send time."""
        rate = self.args.rate
        tasks: list[asyncio.Task[None]] = []
        start = time.perf_counter()
        for sent, number in enumerate(numbers):
            delay = start + sent / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if stop is not None and stop.is_set():
                break
            tasks.append(asyncio.create_task(self.send_comment(number, prefix)))
        await asyncio.wait_for(asyncio.gather(*tasks), self.args.ack_timeout + 5)
        return start

    async def comment_flow(self) -> float:
        """Send R*T comments on schedule; wait for their deliveries. Answers the first send time."""
        args = self.args
        start = await self.post_on_schedule(range(round(args.rate * args.seconds)))
        expected = len(self.acked) * len(self.connections)
        deadline = time.perf_counter() + args.delivery_timeout
        while len(self.receipts) < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        return start

    async def close_all(self) -> None:
        self.closing = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*(c.close() for c in self.connections)), 30)

    @contextlib.contextmanager
    def profiled(self, phase: str) -> Iterator[None]:
        """With --profile DIR: py-spy records each server process during this phase (raw
        collapsed stacks; node's are not Python and are left alone)."""
        if not self.args.profile or self.kind == "node":
            yield
            return
        spies = []
        for server in self.servers:
            name = server.name.replace(" ", "-")
            out = Path(self.args.profile) / f"{name}-run{self.run}-{phase}.txt"
            pid = str(server.process.pid)
            command = [self.args.py_spy, "record", "--pid", pid, "--rate", "200", "--format", "raw"]
            command += self.args.py_spy_args.split()
            spies.append(
                subprocess.Popen(
                    [*command, "--output", str(out)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=die_with_parent,
                )
            )
        time.sleep(1.0)  # let py-spy attach before the phase starts
        try:
            yield
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)
            for spy in spies:
                try:
                    spy.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    spy.kill()
                    spy.wait(timeout=10)

    def check_alive(self) -> None:
        for server in self.servers:
            if not server.alive():
                raise RuntimeError(f"the {server.name} server died:\n{server.log_tail()}")

    async def measure(self) -> RunResult:
        try:
            result = await self._measure()
            if self.args.storm:
                with self.profiled("storm"):
                    result.extra.update(await self.storm(result))
                self.check_alive()
                result.storm_disconnect_reasons = dict(self.disconnect_reasons)
                result.storm_client_log = CLIENT_LOG.take()
            return result
        finally:
            # The servers go first: Jiayuan would broadcast presence to the room at every leave.
            self.closing = True
            for server in self.servers:
                server.stop()
            await self.close_all()
            gc.unfreeze()

    async def _measure(self) -> RunResult:
        CLIENT_LOG.take()  # forget what earlier runs' clients logged while closing
        with self.profiled("join"):
            cpu0, gen0, t0 = self.cpu(), generator_cpu(), time.perf_counter()
            await self.join_all()
            connect_total = time.perf_counter() - t0
            await self.settle()
            cpu1, gen1 = self.cpu(), generator_cpu()
        presence = self.presence_messages
        # The generator's own garbage collector: the objects of a thousand clients, rescanned by
        # every full collection, would pause all receipts (~100 ms, a p99 of the generator, not
        # of the server). Freeze what exists now; collections then scan only what comes after.
        gc.collect()
        gc.freeze()

        with self.profiled("comments"):
            each2 = [server.cpu_seconds() for server in self.servers]
            gen2 = generator_cpu()
            pids = [server.process.pid for server in self.servers]
            waits = sum(run_queue_wait(pid) for pid in pids), run_queue_wait("self")
            start = await self.comment_flow()
            wall_end = time.perf_counter()
            gen3 = generator_cpu()
            await self.settle()
            each3 = [server.cpu_seconds() for server in self.servers]
            server_wait = sum(run_queue_wait(pid) for pid in pids) - waits[0]
            generator_wait = run_queue_wait("self") - waits[1]
            load = load_average()
        peak_rss = sum(server.peak_rss_mib() for server in self.servers)
        self.check_alive()

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
        comment_cpu = sum(each3) - sum(each2)
        persons = len(self.connections)
        connect_each = [c.connect_ms for c in self.connections]
        extra: dict[str, float] = {}
        if len(self.servers) > 1:
            # Each worker's CPU over the deliveries to the connections it holds.
            delivered = Counter(self.connections[index].server for index, _, _ in self.receipts)
            for number, (before, after) in enumerate(zip(each2, each3, strict=True)):
                extra[f"deliveries_worker{number + 1}"] = delivered[number]
                extra[f"comment_server_cpu_s_worker{number + 1}"] = after - before
                extra[f"cpu_per_delivery_us_worker{number + 1}"] = (
                    (after - before) * 1e6 / delivered[number] if delivered[number] else math.nan
                )
        return RunResult(
            server=self.kind,
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
            processes=len(self.servers),
            extra=extra,
        )

    # --- the reconnect storm ----------------------------------------------------------------

    async def _sample_cpu(self, samples: list[tuple[float, float]]) -> None:
        """The servers' CPU every 50 ms, to read it at moments known only afterwards."""
        with contextlib.suppress(RuntimeError):  # a server gone: the run fails on check_alive
            while True:
                samples.append((time.perf_counter(), self.cpu()))
                await asyncio.sleep(0.05)

    def _held(self, storm_ids: set[str]) -> dict[tuple[int, str], float]:
        """When each connection first held each comment of the storm (broadcast or join ack)."""
        held: dict[tuple[int, str], float] = {}
        for index, cid, at in itertools.chain(self.receipts, self.replays):
            if cid in storm_ids and at < held.get((index, cid), math.inf):
                held[index, cid] = at
        return held

    async def storm(self, result: RunResult) -> dict[str, float]:
        """Phase 3: comments flow, every listener drops at once and comes back within the
        window; answers the storm's figures."""
        args = self.args
        held_before = self.receipts  # the comment phase's
        self.receipts, self.replays = [], []
        self.disconnects, self.disconnect_reasons = 0, Counter()
        acked_before = set(self.acked)
        gc.collect()
        gc.freeze()
        # The same moments for every kind and every run: only the server differs.
        jitter = random.Random(args.storm_seed)
        offsets = [jitter.uniform(0, args.storm_window) for _ in self.listeners]
        stop = asyncio.Event()
        numbers = itertools.count(round(args.rate * args.seconds))
        flow = asyncio.create_task(self.post_on_schedule(numbers, "s", stop))
        samples: list[tuple[float, float]] = []
        sampler = asyncio.create_task(self._sample_cpu(samples))
        try:
            await asyncio.sleep(STORM_LEAD)
            gen0, cpu_drop, dropped_at = generator_cpu(), self.cpu(), time.perf_counter()
            for listener in self.listeners:
                listener.drop()
            deadline = dropped_at + args.storm_window + args.storm_timeout
            await asyncio.gather(
                *(
                    listener.come_back(
                        dropped_at + offset,
                        self.url(listener),
                        self.setup.hearing_id,
                        args.ack_timeout,
                        deadline,
                    )
                    for listener, offset in zip(self.listeners, offsets, strict=True)
                )
            )
            gen1, back_wall = generator_cpu(), time.perf_counter()
            await asyncio.sleep(args.storm_tail)
        except BaseException:
            sampler.cancel()
            raise
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await flow
        flow_end = time.perf_counter()
        storm_ids = self.acked - acked_before
        expected = len(storm_ids) * len(self.connections)
        keeps_history = self.kind == "jiayuan"
        if keeps_history:
            limit = flow_end + args.delivery_timeout
            while len(self._held(storm_ids)) < expected and time.perf_counter() < limit:
                await asyncio.sleep(0.25)
        await self.settle()
        sampler.cancel()
        cpu_idle = self.cpu()
        samples.sort()

        def cpu_at(moment: float) -> float:
            return next((cpu for at, cpu in samples if at >= moment), cpu_idle)

        back = [listener.back_at for listener in self.listeners]
        all_back = max(back) - dropped_at if not any(math.isnan(b) for b in back) else math.inf
        rejoin = [
            math.inf if math.isnan(listener.rejoin_ms) else listener.rejoin_ms for listener in self.listeners
        ]
        figures: dict[str, float] = {
            "storm_comments_acked": len(storm_ids),
            "storm_all_back_s": all_back,
            "storm_rejoin_p50_ms": percentile(rejoin, 50),
            "storm_rejoin_p99_ms": percentile(rejoin, 99),
            "storm_not_back": sum(1 for b in back if math.isnan(b)),
            "storm_failed_attempts": sum(listener.failed_attempts for listener in self.listeners),
            "storm_replayed": len(self.replays),
            "storm_disconnects": self.disconnects,
            "storm_generator_busy": (gen1 - gen0) / max(1e-9, back_wall - dropped_at),
        }
        settled_at = dropped_at + all_back
        if keeps_history:
            held = self._held(storm_ids)
            sent = sorted(storm_ids, key=self.sent_at.__getitem__)
            caught_up = []
            for listener in self.listeners:
                done = dropped_at if not math.isnan(listener.back_at) else math.inf
                # What it could not have had live: everything sent before its join was answered.
                for cid in sent:
                    if self.sent_at[cid] > listener.back_at or math.isinf(done):
                        break
                    done = max(done, held.get((listener.index, cid), math.inf))
                caught_up.append(done)
            settled_at = max(caught_up, default=dropped_at)
            figures |= self._storm_deliveries(storm_ids, held, held_before, dropped_at)
            figures["storm_lost"] = expected - len(held)
            figures["storm_settled_s"] = settled_at - dropped_at
        end = settled_at if math.isfinite(settled_at) else flow_end
        used = cpu_at(end) - cpu_drop
        figures["storm_cpu_s"] = used
        figures["storm_cpu_per_person_ms"] = used * 1000 / len(self.listeners)
        # All the storm cost until the servers were idle again, less the comments broadcast
        # meanwhile at the comment phase's price.
        broadcast = sum(1 for _, _, at in self.receipts if at >= dropped_at)
        figures["storm_cpu_net_s"] = cpu_idle - cpu_drop - broadcast * result.cpu_per_delivery_us / 1e6
        return figures

    def _storm_deliveries(
        self,
        storm_ids: set[str],
        held: dict[tuple[int, str], float],
        held_before: list[tuple[int, str | None, float]],
        dropped_at: float,
    ) -> dict[str, float]:
        """Duplicated and overlapping deliveries of the storm. A comment in a join ack that also
        came as a broadcast on the new connection (stored while the join ran) is held once, as
        the browser holds it: overlap. Anything else held twice is duplicated, a replay of what
        the listener had before it dropped included."""
        live: Counter[tuple[int, str | None]] = Counter()
        old: set[tuple[int, str | None]] = set()
        for index, cid, at in self.receipts:
            live[index, cid] += 1
            if at < dropped_at:
                old.add((index, cid))
        replayed = Counter((index, cid) for index, cid, _ in self.replays)
        # Comments of the comment phase replayed (a listener's gap from then): held already?
        older = {key for key in replayed if key[1] not in storm_ids}
        before = {(index, cid) for index, cid, _ in held_before if (index, cid) in older}
        duplicated = overlap = 0
        for key in set(live) | set(replayed):
            count = live[key] + replayed[key] + (1 if key in before else 0)
            pair = replayed[key] and live[key] and key not in old and key not in before
            overlap += 1 if pair else 0
            duplicated += count - 1 - (1 if pair else 0)
        unexpected = sum(1 for key in live if key[1] not in self.acked)
        return {"storm_duplicated": duplicated, "storm_overlap": overlap, "storm_unexpected": unexpected}


# --- runs and the report -----------------------------------------------------------------


def commenter_count(args: argparse.Namespace) -> int:
    """Enough accounts that each posts at half the rate Jiayuan's limits allow a person."""
    per_person = min(limit / window for limit, window in RATE_LIMITS)
    return max(args.commenters, math.ceil(args.rate / (per_person / 2)))


def processes_for(kind: str, args: argparse.Namespace) -> int:
    return 1 if kind == "node" else args.workers


def one_run(kind: str, run: int, args: argparse.Namespace, commenters: int, folder: Path) -> RunResult:
    workers = processes_for(kind, args)
    with contextlib.ExitStack() as stack:
        redis_url = None
        if workers > 1:
            own_redis = OwnRedis(folder)
            stack.callback(own_redis.stop)  # after the servers (an exit stack unwinds backwards)
            own_redis.start()
            own_redis.wait_ready()
            redis_url = own_redis.url
        if kind == "jiayuan":
            setup = start_jiayuan(
                folder,
                args.database,
                args.listener_accounts,
                commenters,
                args.history,
                workers=workers,
                redis_url=redis_url,
            )
        else:
            setup = start_floor(kind, folder, commenters, workers=workers, redis_url=redis_url)
        stack.callback(setup.close)
        return asyncio.run(Bench(setup, args, run).measure())


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

STORM_ROWS: list[tuple[str, str, str]] = [
    ("storm_comments_acked", "storm: comments acknowledged", "{:.0f}"),
    ("storm_all_back_s", "storm: all listeners back, after the drop (s)", "{:.2f}"),
    ("storm_rejoin_p50_ms", "storm: reconnect+join p50 (ms)", "{:.0f}"),
    ("storm_rejoin_p99_ms", "storm: reconnect+join p99 (ms)", "{:.0f}"),
    ("storm_not_back", "storm: listeners never back", "{:.0f}"),
    ("storm_failed_attempts", "storm: reconnect attempts that failed", "{:.0f}"),
    ("storm_settled_s", "storm: every listener holds every comment (s)", "{:.2f}"),
    ("storm_replayed", "storm: comments in join acks (replayed)", "{:.0f}"),
    ("storm_lost", "storm: lost deliveries", "{:.0f}"),
    ("storm_duplicated", "storm: duplicated deliveries", "{:.0f}"),
    ("storm_overlap", "storm: in a join ack and broadcast too (held once)", "{:.0f}"),
    ("storm_disconnects", "storm: unexpected disconnects", "{:.0f}"),
    ("storm_cpu_s", "storm: server CPU, drop until settled (s)", "{:.2f}"),
    ("storm_cpu_per_person_ms", "storm: server CPU per reconnecting person (ms)", "{:.2f}"),
    ("storm_cpu_net_s", "storm: server CPU until idle, less broadcasts (s)", "{:.2f}"),
    ("storm_generator_busy", "storm: generator busy until all back (cores)", "{:.2f}"),
]


def worker_rows(workers: int) -> list[tuple[str, str, str]]:
    rows = []
    for number in range(1, workers + 1):
        rows += [
            (f"deliveries_worker{number}", f"worker {number}: deliveries to its connections", "{:.0f}"),
            (
                f"comment_server_cpu_s_worker{number}",
                f"worker {number}: CPU while comments flow (s)",
                "{:.2f}",
            ),
            (
                f"cpu_per_delivery_us_worker{number}",
                f"worker {number}: CPU per delivered comment (us)",
                "{:.1f}",
            ),
        ]
    return rows


def report_rows(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    return ROWS + (worker_rows(args.workers) if args.workers > 1 else []) + (STORM_ROWS if args.storm else [])


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


def medians(results: list[RunResult], rows: list[tuple[str, str, str]]) -> dict[str, float]:
    return {key: statistics.median(figure(r, key) for r in results) for key, _, _ in rows}


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator and not math.isnan(denominator) else math.nan


def summarise(results: list[RunResult], args: argparse.Namespace) -> dict[str, Any]:
    kinds = [k for k in KINDS if any(r.server == k for r in results)]
    rows = report_rows(args)
    worst_keys = ["lost", "duplicated", "unexpected", "disconnects", "ack_timeouts"]
    if args.storm:
        worst_keys += ["storm_lost", "storm_duplicated", "storm_not_back", "storm_settled_s"]
    summary: dict[str, Any] = {
        "listeners": args.listeners,
        "history": args.history,
        "rate": args.rate,
        "seconds": args.seconds,
        "workers": args.workers,
        "storm": {"window": args.storm_window, "tail": args.storm_tail, "seed": args.storm_seed}
        if args.storm
        else None,
        "commenters": results[0].commenters if results else 0,
        "database": "postgresql" if is_postgres(args.database) else "sqlite",
        "commit": git_commit(),
        "processes": {k: processes_for(k, args) for k in kinds},
        "medians": {k: medians([r for r in results if r.server == k], rows) for k in kinds},
        "worst": {
            k: {key: max(figure(r, key) for r in results if r.server == k) for key in worst_keys}
            for k in kinds
        },
        "runs": [asdict(r) for r in results],
    }
    if "jiayuan" in kinds:
        jiayuan = summary["medians"]["jiayuan"]
        # Jiayuan over each floor, every row; "ratios" (over bare) as the JSON always had it.
        summary["ratios_to"] = {
            floor: {key: ratio(jiayuan[key], summary["medians"][floor][key]) for key, _, _ in rows}
            for floor in kinds
            if floor != "jiayuan"
        }
        if "bare" in kinds:
            summary["ratios"] = summary["ratios_to"]["bare"]
        checks = targets(summary, args)
        summary["targets"] = {name: passed for name, (passed, _) in checks.items()}
        summary["target_figures"] = {name: value for name, (_, value) in checks.items()}
    return summary


def targets(summary: dict[str, Any], args: argparse.Namespace) -> dict[str, tuple[bool, str]]:
    """The issue's acceptance, as it states it: each check, whether it passed, and the figure."""
    worst = summary["worst"]["jiayuan"]
    ratios = summary["ratios_to"]
    where = "set for L=2000 with --workers 2" if args.workers > 1 else "set for L=1000"
    checks: dict[str, tuple[bool, str]] = {
        f"zero lost, every Jiayuan run ({where})": (worst["lost"] == 0, f"worst {worst['lost']:.0f}"),
        f"zero duplicated, every Jiayuan run ({where})": (
            worst["duplicated"] == 0,
            f"worst {worst['duplicated']:.0f}",
        ),
    }

    def against(floor: str, key: str, limit: float, label: str) -> None:
        value = ratios.get(floor, {}).get(key, math.nan)
        if not math.isnan(value):
            checks[label] = (value <= limit, f"{value:.2f}x")

    against(
        "bare",
        "join_cpu_per_person_ms",
        3.0,
        "server CPU per person joining <= 3x bare (set for --history 500)",
    )
    against("bare", "latency_p50_ms", 1.5, "latency p50 <= 1.5x bare (set for L=200)")
    against("bare", "latency_p99_ms", 1.5, "latency p99 <= 1.5x bare (set for L=200)")
    against(
        "bare", "cpu_per_delivery_us", 1.2, "server CPU per delivered comment <= 1.2x bare (set for L=1000)"
    )
    against(
        "node",
        "cpu_per_delivery_us",
        2.0,
        "stretch: server CPU per delivered comment <= 2x node (set for L=1000)",
    )
    if args.storm:
        settled = worst["storm_settled_s"]
        passed = (
            worst["storm_lost"] == 0
            and worst["storm_duplicated"] == 0
            and worst["storm_not_back"] == 0
            and math.isfinite(settled)
        )
        name = "storm: every listener holds every comment, none lost or duplicated"
        checks[f"{name} (set for L=1000 coming back within 2 s)"] = (
            passed,
            f"worst {settled:.2f} s, lost {worst['storm_lost']:.0f}, "
            f"duplicated {worst['storm_duplicated']:.0f}",
        )
    return checks


def shown(fmt: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "never"
    return fmt.format(value)


def print_report(summary: dict[str, Any], args: argparse.Namespace) -> None:
    kinds = list(summary["medians"])
    ratios = summary.get("ratios_to", {})
    storm = summary["storm"]
    print(
        f"\nHearing load: L={summary['listeners']} listeners, {summary['commenters']} commenters, "
        f"R={summary['rate']}/s for T={summary['seconds']} s, history {summary['history']}, "
        f"{summary['database']}, {summary['commit']}; "
        f"medians of {len(summary['runs']) // max(1, len(kinds))} runs"
    )
    print(
        "processes: "
        + ", ".join(
            f"{k} {n}" + (" (behind their own Redis)" if n > 1 else "")
            for k, n in summary["processes"].items()
        )
        + (
            f"; storm: listeners back within {storm['window']:g} s (seed {storm['seed']}), "
            f"comments {storm['tail']:g} s more"
            if storm
            else ""
        )
    )
    label_width = 52
    print(
        f"{'':{label_width}}"
        + "".join(f"{k:>12}" for k in kinds)
        + "".join(f"{'jiayuan/' + name:>15}" for name in ratios)
    )
    for key, label, fmt in report_rows(args):
        values = [summary["medians"][k][key] for k in kinds]
        line = f"{label:{label_width}}" + "".join(f"{shown(fmt, v):>12}" for v in values)
        for by_key in ratios.values():
            value = by_key[key]
            line += f"{shown('{:.2f}x', value):>15}"
        print(line)
    for kind in kinds:
        worst = summary["worst"][kind]
        print(f"worst run, {kind}: " + ", ".join(f"{k} {shown('{:g}', v)}" for k, v in worst.items()))
        for run in (r for r in summary["runs"] if r["server"] == kind):
            if run["disconnect_reasons"] or run["client_log"]:
                print(
                    f"  {kind} run {run['run']}: disconnects {run['disconnect_reasons']}; "
                    f"client log {run['client_log']}"
                )
            if run["storm_disconnect_reasons"] or run["storm_client_log"]:
                print(
                    f"  {kind} run {run['run']}, storm: disconnects {run['storm_disconnect_reasons']}; "
                    f"client log {run['storm_client_log']}"
                )
    busy = max(summary["medians"][k]["generator_comment_busy"] for k in kinds)
    if busy > 0.8:
        print(
            f"note: the load generator was {busy:.0%} busy of one core while comments flowed: "
            "latency there mostly measures it; compare server CPU."
        )
    if storm:
        storm_busy = max(summary["medians"][k]["storm_generator_busy"] for k in kinds)
        if storm_busy > 0.8:
            print(
                f"note: the load generator was {storm_busy:.0%} busy of one core while listeners came "
                "back: reconnection times there partly measure it; compare server CPU."
            )
        print(
            "note: bare and node keep no history: 'holds every comment' and the storm's deliveries are n/a."
        )
    for name, passed in summary.get("targets", {}).items():
        print(f"target: {name}: {'PASS' if passed else 'FAIL'} ({summary['target_figures'][name]})")


def server_kinds(text: str) -> list[str]:
    """``--server``: a comma list of kinds, ``all``, or ``both`` (jiayuan and bare, as before)."""
    if text == "all":
        return list(KINDS)
    if text == "both":
        return ["jiayuan", "bare"]
    kinds = list(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"kinds are {', '.join(KINDS)} (a comma list), or all; not {text!r}")
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listeners", type=int, default=200, help="L: listeners in the hearing")
    parser.add_argument("--rate", type=float, default=5.0, help="R: comments per second, all commenters")
    parser.add_argument("--seconds", type=float, default=20.0, help="T: how long comments flow")
    parser.add_argument("--commenters", type=int, default=5, help="N: commenter accounts (raised if needed)")
    parser.add_argument(
        "--server",
        type=server_kinds,
        default="all",
        metavar="KINDS",
        help="a comma list of jiayuan, bare, node; or all (default)",
    )
    parser.add_argument("--runs", type=int, default=3, help="K: runs per server, interleaved")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL")
    parser.add_argument("--json", action="store_true", help="also print a JSON summary")
    parser.add_argument("--listener-accounts", type=int, default=20, help="accounts the listeners share")
    parser.add_argument(
        "--history", type=int, default=0, help="comments the hearing holds before anyone joins (Jiayuan)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes of jiayuan and of bare, behind a Redis of the bench's own",
    )
    parser.add_argument("--storm", action="store_true", help="after the comments, a reconnect storm")
    parser.add_argument(
        "--storm-window", type=float, default=2.0, help="seconds within which dropped listeners come back"
    )
    parser.add_argument(
        "--storm-tail", type=float, default=3.0, help="seconds comments go on after the last is back"
    )
    parser.add_argument("--storm-seed", type=int, default=1, help="seed of the moments listeners come back")
    parser.add_argument(
        "--storm-timeout", type=float, default=120.0, help="how long past the window a listener keeps trying"
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
    kinds: list[str] = args.server if isinstance(args.server, list) else server_kinds(args.server)
    if args.profile:
        if not Path(args.py_spy).exists():
            parser.error(f"--profile needs py-spy ({args.py_spy}): pip install py-spy")
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    if not (args.listeners > 0 and args.rate > 0 and args.seconds > 0 and args.runs > 0):
        parser.error("--listeners, --rate, --seconds and --runs must be positive")
    if args.listener_accounts < 1 or args.commenters < 1 or args.connect_concurrency < 1:
        parser.error("--listener-accounts, --commenters and --connect-concurrency must be at least 1")
    if args.workers < 1 or args.history < 0 or args.storm_window < 0 or args.storm_tail < 0:
        parser.error("--workers must be at least 1; --history, --storm-window and --storm-tail not negative")
    if "node" in kinds and (problem := node_problem()):
        parser.error(problem)
    if args.workers > 1:
        if shutil.which("redis-server") is None:
            parser.error("--workers needs redis-server on the PATH (Debian's redis-server package)")
        if "jiayuan" in kinds and not is_postgres(args.database):
            # It works (write-ahead logging), but README runs several processes on PostgreSQL.
            print(
                f"note: {args.workers} Jiayuan processes share one SQLite file; production's workers "
                "share PostgreSQL (--database postgresql://...)"
            )

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
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="jiayuan-hearing-load-") as tmp:
        for run in range(1, args.runs + 1):
            for kind in kinds if run % 2 else reversed(kinds):
                folder = Path(tmp) / f"{kind}-{run}"
                folder.mkdir()
                print(f"run {run}/{args.runs}: {kind} ...", flush=True)
                result = one_run(kind, run, args, commenters, folder)
                results.append(result)
                line = (
                    f"  joined {result.connect_total_s:.1f} s, "
                    f"join CPU {result.join_cpu_per_person_ms:.2f} ms/person, "
                    f"p50 {result.latency_p50_ms:.1f} ms, p99 {result.latency_p99_ms:.1f} ms, "
                    f"{result.cpu_per_delivery_us:.1f} us CPU/delivery, lost {result.lost}, "
                    f"dup {result.duplicated}, generator {result.generator_comment_busy:.0%}"
                )
                if args.storm:
                    extra = result.extra
                    line += (
                        f"\n  storm: all back {shown('{:.2f}', extra['storm_all_back_s'])} s, "
                        f"holds every comment {shown('{:.2f}', extra.get('storm_settled_s', math.nan))} s, "
                        f"CPU {extra['storm_cpu_s']:.2f} s "
                        f"({extra['storm_cpu_per_person_ms']:.2f} ms/person), "
                        f"lost {shown('{:.0f}', extra.get('storm_lost', math.nan))}, "
                        f"dup {shown('{:.0f}', extra.get('storm_duplicated', math.nan))}, "
                        f"failed attempts {extra['storm_failed_attempts']:.0f}"
                    )
                print(line, flush=True)
    summary = summarise(results, args)
    print_report(summary, args)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped", file=sys.stderr)
        sys.exit(130)
