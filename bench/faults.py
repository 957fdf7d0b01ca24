"""Break a running hearing on purpose and measure how it heals: Redis, a worker, PostgreSQL.

DESIGN.md ("Live") promises that no comment is lost silently whatever breaks, that an
acknowledgement never waits on the message queue, that presence heals by itself within a
minute, and that no heavy request stalls a hearing. This benchmark plays the faults for
real against the production set-up and prints what a hearing lived through.

What it starts (all its own, all removed at the end, on errors and on Ctrl-C too):

* a ``redis-server`` on a free port of 127.0.0.1, without persistence, in a temporary
  folder (the shared Redis on 6379 is never used);
* a new PostgreSQL database with a unique name on the server of
  ``JIAYUAN_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``),
  migrated and seeded with the demo (``flask db upgrade``, ``flask seed-demo``), dropped
  at the end;
* two gunicorn gevent workers as the README's "Production" section runs them
  (``gunicorn -k gevent -w 1 --no-control-socket -b 127.0.0.1:PORT 'app:create_app()'``),
  sharing the database, the Redis, a secret key and a Redis channel of their own.

What it drives, from one asyncio process of python-socketio clients (WebSocket only):

* L listeners (``--listeners``, default 20) split evenly over both workers. Each speaks
  the healing protocol as static/js/live.js does: a comment whose ``prev_seq`` it does
  not hold, or a ``sync`` whose ``latest_seq`` is above what it holds, makes it join
  again with ``after_seq`` = the last seq it holds without a gap (one join at a time);
  so does every reconnection. Each knows both workers' addresses: when its worker dies
  it reconnects to the other one (and is moved back once that worker is up again).
* commenters posting ``--rate`` comments a second in all (default 3), each account at
  most one comment every few seconds (Jiayuan allows a person 5 comments in 10 s and 20
  a minute), half on each worker. A comment whose ack does not come within 5 s (or whose
  connection dropped) is sent again with the same ``client_id``, which stores nothing
  new; the ack latency is from the first send to the ack, as a person would feel it.

Then, after a fault-free baseline, the faults, one after another with a quiet period
between them: Redis killed (SIGKILL) for 5 s and restarted on the same port; killed for
20 s; paused (SIGSTOP) for 10 s then continued; paused 45 s; one worker's gunicorn
(master and worker) killed with SIGKILL, restarted after 10 s; every PostgreSQL backend
of the bench database terminated. For each: how many comments were sent and acknowledged
during the fault window and their ack latency p50/p99; how many comments each listener
lacked when the fault ended; after healing (every listener holds every acknowledged
comment, waited for up to 90 s) what is still missing and how long healing took; and
presence: the count a fresh ``join`` (as the moderator, whom no other client uses)
reports against the distinct people really connected, waited for up to 70 s to agree;
and the CPU the workers and the whole machine used meanwhile.

Last, heavy requests while the hearing runs: three decision-notice PDFs of round 4 (the
demo's round in the deciding phase: the bench closes its ballots and the secretary
decides) and two validations of a dense ~1 MB layout (1,000 overlapping planters on the
site of round 1) fired at once, while /healthz is polled every 100 ms on both workers;
measured until the last of them is answered, and for 10 s at least (a request that fails
fast may leave its worker stalled).

The targets, each printed PASS or MISS: nothing lost after healing; ack p99 under 1 s
during every fault; presence true within 60 s; /healthz p99 and comment delivery p99
(send to the first listener's receipt) under 500 ms under the heavy requests. The exit
code is 0 whatever the figures (this is a benchmark); it is not 0 when the bench itself
could not run.

    .venv/bin/python bench/faults.py               # the full run, about 5 minutes
    .venv/bin/python bench/faults.py --quick       # shorter outages, 10 listeners, about 2 minutes
    .venv/bin/python bench/faults.py --listeners 40 --sync-seconds 5 --logs /tmp/fault-logs

--logs DIR keeps copies of the workers' and Redis's logs; --ledger FILE writes every
comment's timings as CSV, with the faults' windows, to see which comments made a
percentile. The machine's load counts: on a 2-core machine the two workers, PostgreSQL,
Redis and this process share the CPUs, and other work running meanwhile shows up as
latency (the CPU column tells the workers' share from the machine's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import socketio
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    CLOCK_TICKS,
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
)
from deliberation.hearings import RATE_LIMITS

NAMESPACE = "/hearing"
PASSWORD = "jiayuan-demo"
MODERATOR = "moderator@demo.jiayuan.cn"
SECRETARY = "secretary@demo.jiayuan.cn"
HEARING_ROUND = 1  # the demo's round in the hearing phase
DECIDING_ROUND = 4  # the demo's round in the deciding phase, ballots open
POSTGRES_URL = os.environ.get(
    "JIAYUAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# Commenters must be members able to take part: residents aged 14 and over (the demo's
# under-14s, resident1 and neighbour01-04, may only watch until a guardian consents).
COMMENTER_ACCOUNTS = (
    *(f"resident{n}@demo.jiayuan.cn" for n in range(2, 7)),
    *(f"neighbour{n:02d}@demo.jiayuan.cn" for n in range(24, 4, -1)),
)
# Watching needs only a login. The moderator is kept out: the presence probe logs in as them.
WATCHER_ACCOUNTS = (
    *(f"neighbour{n:02d}@demo.jiayuan.cn" for n in range(1, 5)),
    "resident1@demo.jiayuan.cn",
    "designer1@demo.jiayuan.cn",
    "designer2@demo.jiayuan.cn",
    SECRETARY,
)

ACK_TIMEOUT = 5.0  # seconds before a comment is sent again (same client id)
GIVE_UP_AFTER = 60.0  # seconds after its first send a comment counts as never acknowledged
HEAL_TIMEOUT = 90.0
PRESENCE_TIMEOUT = 70.0
HEAVY_WINDOW = 10.0  # seconds: the heavy requests' window lasts at least this long
HEALTHZ_TIMEOUT = aiohttp.ClientTimeout(30)
TARGET_ACK_P99_MS = 1000.0
TARGET_PRESENCE_S = 60.0
TARGET_HEAVY_P99_MS = 500.0


# --- small helpers -----------------------------------------------------------------------


def ms(value: float) -> str:
    """A latency in milliseconds for the table: 'n/a', 'never' (not answered) or a number."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "never"
    return f"{value:.0f}"


def bench_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSample:
    """CPU seconds used so far by the workers' processes, and by the whole machine."""

    at: float
    processes: dict[int, float]
    machine: float


def process_tree(pid: int) -> list[int]:
    """A process and its children (a gunicorn master and its worker)."""
    found = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(child) for child in children.read_text().split()]
    return found


def cpu_sample(pids: Iterable[int]) -> CpuSample:
    used = {pid: cpu for pid in pids if (cpu := process_cpu(pid)) is not None}
    # /proc/stat's first line: all CPUs' time by state; busy is everything but idle and iowait.
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return CpuSample(time.monotonic(), used, busy / CLOCK_TICKS)


def cores_between(first: CpuSample, last: CpuSample) -> tuple[float, float]:
    """Cores the workers kept busy between two samples (processes alive at both), and the machine."""
    wall = max(1e-9, last.at - first.at)
    workers = sum(
        last.processes[pid] - first.processes[pid] for pid in first.processes if pid in last.processes
    )
    return workers / wall, (last.machine - first.machine) / wall


CLIENT_LOG = count_client_logs()


# --- what the bench starts: Redis, a database, workers -------------------------------------


class BenchDatabase:
    """A PostgreSQL database of the bench's own, on the server of POSTGRES_URL."""

    def __init__(self, server_url: str):
        url = make_url(server_url)
        # psycopg speaks libpq URLs; the app's SQLAlchemy wants the +psycopg driver name.
        self._admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.name = f"jiayuan_faults_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = url.set(drivername="postgresql+psycopg", database=self.name).render_as_string(
            hide_password=False
        )
        self.created = False

    def create(self) -> None:
        with psycopg.connect(self._admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(self._admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False

    def terminate_backends(self) -> int:
        """End every server process connected to the bench database (the workers' pools); how many."""
        with psycopg.connect(self._admin, autocommit=True, connect_timeout=10) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        return sum(1 for (ended,) in rows if ended)


# What a worker inherits from the bench: enough to run Python and find files. Everything
# the app reads is set explicitly, so an operator's own REDIS_URL, DATABASE_URL or TZ never
# points the bench's workers at something shared (as tests/e2e/conftest.py does).
# (gevent's monitor, GEVENT_MONITOR_THREAD_ENABLE=1 GEVENT_MAX_BLOCKING_TIME=0.1, names in the
# workers' logs whatever holds their loop)
INHERITED_VARIABLES = (
    "PATH",
    "HOME",
    "TMPDIR",
    "SYSTEMROOT",
    "VIRTUAL_ENV",
    "GEVENT_MONITOR_THREAD_ENABLE",
    "GEVENT_MAX_BLOCKING_TIME",
)


def worker_environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in INHERITED_VARIABLES if k in os.environ}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DISPLAY_TIMEZONE": "Asia/Shanghai",
            "DEFAULT_LANGUAGE": "zh-CN",
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "FLASK_APP": "app.py",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


class Worker:
    """One gunicorn gevent worker (master and one worker process) on a fixed port."""

    def __init__(self, name: str, env: dict[str, str], folder: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = folder / f"worker-{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        """Start (or restart on the same port) and return at once; see ``ready``."""
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "-k", "gevent", "-w", "1", "--no-control-socket"]
        command += ["-b", f"127.0.0.1:{self.port}", "app:create_app()"]
        with self.log.open("ab") as handle:
            handle.write(f"\n--- start {self.starts + 1} at {datetime.now(UTC).isoformat()}\n".encode())
            # A session of its own: SIGKILL goes to the master and its worker together, as
            # when a machine or container dies, and a terminal's Ctrl-C reaches only the bench
            # (which then stops the workers itself).
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self.starts += 1

    async def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"worker {self.name} exited:\n{log_tail(self.log)}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(2)) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"worker {self.name} did not come up:\n{log_tail(self.log)}")

    def kill(self) -> None:
        """SIGKILL the master and its worker at once: nothing is closed, nothing respawned."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        # Whatever is left of the session (the worker outlives a master killed alone).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def log_problems(self) -> tuple[int, int]:
        """Lines logged at ERROR and tracebacks, from this worker's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count(" ERROR "), text.count("Traceback (most recent call last)")


# --- the hearing's set-up over HTTP -------------------------------------------------------


@dataclass
class World:
    """What the HTTP set-up made: tokens, the hearing, the decided round and the dense layout."""

    tokens: dict[str, str]
    hearing_id: int
    site_id: int
    layout: bytes
    layout_features: int


def decide_round(api: Api, moderator: str, secretary: str) -> None:
    """Bring round 4 to a decision, so that it has a notice: ballots closed, the secretary decides."""
    round_ = api.call("GET", f"/rounds/{DECIDING_ROUND}", moderator)
    if round_.get("phase") != "deciding":
        raise RuntimeError(f"round {DECIDING_ROUND} is {round_.get('phase')!r}, not deciding")
    api.call("POST", f"/rounds/{DECIDING_ROUND}/ballots/close", moderator)
    winner = api.call("GET", f"/rounds/{DECIDING_ROUND}/tally", moderator).get("winner")
    if winner is None:  # no ballots: any active proposal
        proposals = api.call("GET", f"/rounds/{DECIDING_ROUND}/proposals", moderator)["proposals"]
        winner = next(p["id"] for p in proposals if p.get("status") == "active")
    api.call(
        "POST",
        f"/rounds/{DECIDING_ROUND}/decision",
        secretary,
        proposal_id=winner,
        rationale=(
            "The residents ranked this plan first in the instant-runoff count, and it keeps the "
            "shade and seating that older neighbours asked for at every meeting of this round."
        ),
    )


def dense_layout(boundary: dict[str, Any], features: int = 1000, target_bytes: int = 1_000_000) -> bytes:
    """About a megabyte of overlapping planters around a site: the worst a layout check meets.

    Each planter is an 18-sided polygon 0.8-1.6 m across its radius, so 1,000 of them stay
    under the 20,000-vertex limit; their labels are padded to bring the JSON near
    ``target_bytes`` (the API takes up to 2 MB)."""
    ring = boundary["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    lat0 = sum(lats) / len(lats)
    metres_lat = 111_320.0
    metres_lon = 111_320.0 * math.cos(math.radians(lat0))
    rng = random.Random(20240601)
    items = []
    for index in range(features):
        cx, cy = rng.uniform(min(lons), max(lons)), rng.uniform(min(lats), max(lats))
        radius = rng.uniform(0.8, 1.6)
        points = [
            [
                round(cx + radius * math.cos(2 * math.pi * k / 18) / metres_lon, 9),
                round(cy + radius * math.sin(2 * math.pi * k / 18) / metres_lat, 9),
            ]
            for k in range(18)
        ]
        fid = f"planter-{index:04d}"
        items.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": {"type": "Polygon", "coordinates": [[*points, points[0]]]},
                "properties": {"id": fid, "kind": "planter", "label": ""},
            }
        )
    size = len(json.dumps({"type": "FeatureCollection", "features": items}).encode())
    pad = max(0, (target_bytes - size) // features)
    for item in items:
        item["properties"]["label"] = ("raised planter " * (pad // 15 + 1))[:pad]
    return json.dumps({"type": "FeatureCollection", "features": items}).encode()


def set_up_world(base: str, accounts: Iterable[str]) -> World:
    api = Api(base)
    tokens = {email: api.login(email, PASSWORD) for email in dict.fromkeys([MODERATOR, SECRETARY, *accounts])}
    moderator = tokens[MODERATOR]
    hearing_id = api.call(
        "POST",
        f"/rounds/{HEARING_ROUND}/hearings",
        moderator,
        title="Fault bench 故障演练",
        starts_at=datetime.now(UTC).isoformat(),
        place="Bench room",
    )["id"]
    decide_round(api, moderator, tokens[SECRETARY])
    site_id = api.call("GET", f"/rounds/{HEARING_ROUND}", moderator)["site_id"]
    site = api.call("GET", f"/sites/{site_id}", moderator)
    layout = dense_layout(site["geometry"])
    return World(tokens, hearing_id, site_id, layout, 1000)


# --- the clients --------------------------------------------------------------------------


@dataclass
class Sent:
    """One comment as its commenter lived it."""

    client_id: str
    commenter: str
    first_sent: float
    attempts: int = 0
    acked_at: float | None = None
    seq: int | None = None
    refused: str | None = None  # the error code of a refusal that was not retried
    errors: list[str] = field(default_factory=list)
    done: bool = False
    worker: str = ""  # the address that acknowledged it

    @property
    def ack_ms(self) -> float:
        return (self.acked_at - self.first_sent) * 1000 if self.acked_at is not None else math.inf


class HealingClient:
    """A Socket.IO client in the hearing that heals every gap and fails over between workers.

    It holds the comments it has seen by seq, and ``last_seq``: the last seq it holds
    without a gap, following each comment's ``prev_seq`` link. It joins again from there
    on a gap, on a ``sync`` above it, and after every reconnection, the way
    static/js/live.js does. Reconnection is its own (python-socketio's would only ever
    retry the same address): the worker it was on first, then the other.
    """

    def __init__(self, name: str, email: str, token: str, urls: list[str], hearing_id: int):
        self.name = name
        self.email = email
        self.token = token
        self.urls = urls  # its home worker first
        self.url_index = 0
        self.hearing_id = hearing_id
        self.received: dict[int, float] = {}  # seq -> when it first arrived (monotonic)
        self.next_of: dict[int | None, int] = {}  # prev_seq -> seq: the hearing's chain
        self.last_seq: int | None = None
        self.max_seq: int | None = None
        self.presence: int | None = None
        self.ready = asyncio.Event()  # connected and joined
        self.lost = asyncio.Event()  # the current connection dropped (set once per connection)
        self.closing = False
        self.sio: socketio.AsyncClient | None = None
        self.rejoins = 0
        self.disconnects = 0
        self.failovers = 0
        self.join_failures = 0
        self._healing = False
        self._reconnecting: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return self.urls[self.url_index]

    # --- holding comments ------------------------------------------------------------------

    def take(self, comment: dict[str, Any]) -> None:
        """Hold a comment and move ``last_seq`` along the chain as far as it is unbroken."""
        seq = comment["seq"]
        self.received.setdefault(seq, time.monotonic())
        self.next_of[comment.get("prev_seq")] = seq
        self.max_seq = seq if self.max_seq is None else max(self.max_seq, seq)
        while (following := self.next_of.get(self.last_seq)) is not None:
            self.last_seq = following

    def has_gap(self) -> bool:
        return self.max_seq is not None and (self.last_seq is None or self.max_seq > self.last_seq)

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- events (plain functions: python-socketio calls them in arrival order) -------------

    def _on_comment(self, sio: socketio.AsyncClient, comment: dict[str, Any]) -> None:
        if sio is not self.sio or not isinstance(comment, dict) or "seq" not in comment:
            return
        self.take(comment)
        if self.has_gap():
            self.heal()

    def _on_sync(self, sio: socketio.AsyncClient, data: dict[str, Any]) -> None:
        if sio is not self.sio:
            return
        latest = data.get("latest_seq") if isinstance(data, dict) else None
        if latest is not None and (self.last_seq is None or latest > self.last_seq):
            self.heal()

    def _on_presence(self, sio: socketio.AsyncClient, data: dict[str, Any]) -> None:
        if sio is self.sio and isinstance(data, dict):
            self.presence = data.get("count")

    def _on_disconnect(self, sio: socketio.AsyncClient, reason: Any = None) -> None:
        if sio is not self.sio:
            return
        self.ready.clear()
        self.lost.set()
        if not self.closing:
            self.disconnects += 1
            if self._reconnecting is None or self._reconnecting.done():
                self._reconnecting = asyncio.ensure_future(self._reconnect())

    # --- connecting, joining, healing -------------------------------------------------------

    async def _open(self, url: str) -> None:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        sio.on("comment", lambda data: self._on_comment(sio, data), namespace=NAMESPACE)
        sio.on("sync", lambda data: self._on_sync(sio, data), namespace=NAMESPACE)
        sio.on("presence", lambda data: self._on_presence(sio, data), namespace=NAMESPACE)
        sio.on("disconnect", lambda reason=None: self._on_disconnect(sio, reason), namespace=NAMESPACE)
        self.sio = sio
        self.lost = asyncio.Event()
        try:
            await asyncio.wait_for(
                sio.connect(
                    url,
                    auth={"token": self.token},
                    transports=["websocket"],
                    namespaces=[NAMESPACE],
                    wait_timeout=5,
                ),
                8,
            )
        except BaseException:
            self.sio = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sio.disconnect(), 2)
            raise

    async def _join(self) -> None:
        """Join (again) from the last seq held without a gap; page on while there is more."""
        assert self.sio is not None
        while True:
            payload: dict[str, Any] = {"hearing_id": self.hearing_id}
            if self.last_seq is not None or self.max_seq is not None:
                payload["after_seq"] = self.last_seq or 0
            ack = await self.sio.call("join", payload, namespace=NAMESPACE, timeout=10)
            if not (isinstance(ack, dict) and ack.get("ok")):
                self.join_failures += 1
                raise RuntimeError(f"{self.name}: join refused: {ack}")
            for comment in ack.get("comments", []):
                self.take(comment)
            self.presence = ack.get("state", {}).get("presence")
            if not ack.get("has_more"):
                return

    async def connect(self) -> None:
        """The first connection, to the home worker."""
        await self._open(self.url)
        await self._join()
        self.ready.set()

    async def _reconnect(self) -> None:
        """Connect again, to the worker it was on or else the other, and catch up."""
        delay = 0.2
        while not self.closing:
            for step in range(len(self.urls)):
                index = (self.url_index + step) % len(self.urls)
                try:
                    await self._open(self.urls[index])
                    await self._join()
                except Exception:
                    # Forgotten first, so that closing it is not taken for another drop.
                    failed, self.sio = self.sio, None
                    if failed is not None:
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(failed.disconnect(), 2)
                    continue
                if index != self.url_index:
                    self.failovers += 1
                self.url_index = index
                self.rejoins += 1
                self.ready.set()
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def heal(self) -> None:
        """Join again from ``last_seq``, as live.js does: one join at a time, and a gap seen
        meanwhile waits for the next comment or sync (so the load on the workers is a
        browser's, not more)."""
        if self._healing or not self.ready.is_set():
            return  # joining already, or reconnecting (which joins anyway)
        self._healing = True
        self._spawn(self._heal())

    async def _heal(self) -> None:
        connection = self.sio
        try:
            while True:
                try:
                    await self._join()
                    self.rejoins += 1
                    return
                except Exception:
                    # As live.js: try again in 2 s, if still on the same connection.
                    await asyncio.sleep(2.0)
                    if self.sio is not connection or not self.ready.is_set() or self.closing:
                        return
        finally:
            self._healing = False

    async def move_to(self, index: int) -> None:
        """Leave the current worker on purpose and connect to another (rebalancing)."""
        self.ready.clear()
        old, self.sio = self.sio, None  # forgotten first: its closing is no drop
        self.lost.set()
        if old is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.disconnect(), 5)
        self.url_index = index
        try:
            await self._open(self.url)
            await self._join()
            self.rejoins += 1
            self.ready.set()
        except Exception:
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def close(self) -> None:
        self.closing = True
        self.ready.clear()
        for task in [self._reconnecting, *self._tasks]:
            if task is not None and not task.done():
                task.cancel()
        if self.sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sio.disconnect(), 5)


class Commenter(HealingClient):
    """A healing client that also posts comments, each until it is acknowledged."""

    async def post(self, record: Sent) -> None:
        body = f"[bench {record.client_id}] {FILLER}"
        payload = {"hearing_id": self.hearing_id, "client_id": record.client_id, "body": body}
        deadline = record.first_sent + GIVE_UP_AFTER
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(self.ready.wait(), remaining)
                except TimeoutError:
                    break
                sio, lost = self.sio, self.lost
                if sio is None:
                    await asyncio.sleep(0.05)
                    continue
                record.attempts += 1
                try:
                    ack = await self._call_unless_lost(sio, lost, payload, min(ACK_TIMEOUT, remaining))
                except socketio.exceptions.TimeoutError:
                    record.errors.append("ack timeout")
                    continue  # send again, same client id: nothing is stored twice
                except (socketio.exceptions.SocketIOError, ConnectionError):
                    record.errors.append("connection lost")
                    continue  # sent again once reconnected (to whichever worker answers)
                if isinstance(ack, dict) and ack.get("ok"):
                    record.acked_at = time.monotonic()
                    record.seq = ack["comment"]["seq"]
                    record.worker = self.url
                    self.take(ack["comment"])
                    return
                code = str((ack or {}).get("error", {}).get("code", "?")) if isinstance(ack, dict) else "?"
                record.errors.append(code)
                if code != "internal_error":
                    record.refused = code  # a refusal on the merits: sending again changes nothing
                    return
                await asyncio.sleep(0.5)
        finally:
            record.done = True

    @staticmethod
    async def _call_unless_lost(
        sio: socketio.AsyncClient, lost: asyncio.Event, payload: dict[str, Any], timeout: float
    ) -> Any:
        """``comment``'s ack; a dropped connection ends the wait at once, as it does in a
        browser, instead of leaving the person waiting for the ack timeout."""
        call = asyncio.ensure_future(sio.call("comment", payload, namespace=NAMESPACE, timeout=timeout))
        dropped = asyncio.ensure_future(lost.wait())
        try:
            await asyncio.wait({call, dropped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            dropped.cancel()
        if call.done():
            return call.result()
        call.cancel()
        raise ConnectionError("the connection dropped before the ack")


# --- the bench ----------------------------------------------------------------------------


@dataclass
class FaultResult:
    """What one fault (or the fault-free baseline) did to the hearing."""

    name: str
    window_s: float
    sent: int
    acked: int
    refused: dict[str, int]
    errors: dict[str, int]  # why comments were sent again (ack timeout, connection lost, internal_error)
    resent: int
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    missing_at_end: tuple[int, int]  # min, max over listeners, when the fault ended
    missing_after: tuple[int, int, int]  # min, max, total, after healing
    healed_s: float | None
    presence: tuple[int | None, int]  # reported by a fresh join, people really connected
    presence_s: float | None
    rejoins: int
    reconnects: int
    failovers: int
    started_at: float  # monotonic clock: when the fault began and ended
    ended_at: float
    cores: tuple[float, float]  # CPU cores busy in the window: the workers', the machine's
    note: str = ""


@dataclass
class HeavyRequest:
    name: str
    worker: str
    status: int | str
    seconds: float
    size: int


@dataclass
class HeavyResult:
    window_s: float
    requests: list[HeavyRequest]
    healthz: dict[str, tuple[float, float, float, int, int]]  # worker: p50, p99, max ms, polls, not 200
    healthz_before: dict[str, tuple[float, float]]  # worker: p50, p99 ms in the 3 s before
    delivery_first_p99_ms: float
    delivery_first_p50_ms: float
    delivery_all_p99_ms: float
    ack_p99_ms: float
    comments: int
    cores: tuple[float, float]


@dataclass
class Plan:
    """The faults' durations: the full run's, or --quick's."""

    baseline: float
    redis_kills: tuple[float, float]
    redis_pauses: tuple[float, float]
    worker_down: float
    database_window: float
    quiet: float


FULL = Plan(
    baseline=10, redis_kills=(5, 20), redis_pauses=(10, 45), worker_down=10, database_window=5, quiet=20
)
QUICK = Plan(baseline=5, redis_kills=(3, 6), redis_pauses=(3, 6), worker_down=5, database_window=3, quiet=6)


class Bench:
    """Clients, commenters and the faults, in one asyncio loop."""

    def __init__(
        self,
        args: argparse.Namespace,
        world: World,
        workers: list[Worker],
        own_redis: OwnRedis,
        database: BenchDatabase,
        listener_accounts: list[str],
        commenter_accounts: list[str],
    ):
        self.args = args
        self.world = world
        self.workers = workers
        self.redis = own_redis
        self.database = database
        urls = [w.url for w in workers]
        self.listeners = [
            HealingClient(
                f"listener{i}", email, world.tokens[email], urls[i % 2 :] + urls[: i % 2], world.hearing_id
            )
            for i, email in enumerate(listener_accounts)
        ]
        self.commenters = [
            Commenter(
                f"commenter{i}", email, world.tokens[email], urls[i % 2 :] + urls[: i % 2], world.hearing_id
            )
            for i, email in enumerate(commenter_accounts)
        ]
        self.clients: list[HealingClient] = [*self.listeners, *self.commenters]
        self.ledger: list[Sent] = []
        self.stop_commenting = asyncio.Event()
        self.commenter_tasks: list[asyncio.Task] = []
        self.probes = 0

    # --- comments -----------------------------------------------------------------------

    async def comment_loop(self, commenter: Commenter, interval: float, offset: float) -> None:
        """Post one comment every ``interval`` seconds, never two at once, never catching up
        in a burst after a slow ack (the per-person limits would refuse it)."""
        await asyncio.sleep(offset)
        next_at = time.monotonic()
        number = 0
        while not self.stop_commenting.is_set():
            number += 1
            record = Sent(
                f"{commenter.name}-{number}-{secrets.token_hex(3)}", commenter.email, time.monotonic()
            )
            self.ledger.append(record)
            await commenter.post(record)
            next_at = max(next_at + interval, time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_commenting.wait(), next_at - time.monotonic())

    def start_commenting(self) -> None:
        interval = len(self.commenters) / self.args.rate
        for index, commenter in enumerate(self.commenters):
            offset = interval * index / len(self.commenters)
            self.commenter_tasks.append(asyncio.ensure_future(self.comment_loop(commenter, interval, offset)))

    def acked_seqs(self, *, sent_before: float | None = None, acked_by: float | None = None) -> set[int]:
        return {
            s.seq
            for s in self.ledger
            if s.seq is not None
            and s.acked_at is not None
            and (sent_before is None or s.first_sent < sent_before)
            and (acked_by is None or s.acked_at <= acked_by)
        }

    def missing(self, target: set[int]) -> list[int]:
        return [len(target - listener.received.keys()) for listener in self.listeners]

    # --- presence -------------------------------------------------------------------------

    async def probe_presence(self, url: str) -> int | None:
        """The presence count a fresh join reports (the moderator, who no other client is)."""
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.probes += 1
        try:
            await asyncio.wait_for(
                sio.connect(
                    url,
                    auth={"token": self.world.tokens[MODERATOR]},
                    transports=["websocket"],
                    namespaces=[NAMESPACE],
                    wait_timeout=5,
                ),
                8,
            )
            ack = await sio.call(
                "join", {"hearing_id": self.world.hearing_id}, namespace=NAMESPACE, timeout=10
            )
            if isinstance(ack, dict) and ack.get("ok"):
                return ack["state"]["presence"]
            return None
        except Exception:
            return None
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sio.disconnect(), 5)

    def people_connected(self) -> tuple[int, bool]:
        """Distinct people joined right now (presence counts people, not tabs), the probe's
        moderator included; and whether every client is connected and joined."""
        people = {c.email for c in self.clients if c.ready.is_set()} | {MODERATOR}
        return len(people), all(c.ready.is_set() for c in self.clients)

    async def presence_settles(self, since: float) -> tuple[tuple[int | None, int], float | None]:
        """Probe every second, alternating workers, until a fresh join reports the truth."""
        deadline = since + PRESENCE_TIMEOUT
        last: tuple[int | None, int] = (None, 0)
        turn = 0
        while time.monotonic() < deadline:
            alive = [w for w in self.workers if w.process is not None and w.process.poll() is None]
            if alive:
                worker = alive[turn % len(alive)]
                turn += 1
                reported = await self.probe_presence(worker.url)
                expected, everyone = self.people_connected()
                last = (reported, expected)
                if reported == expected and everyone:
                    return last, time.monotonic() - since
            await asyncio.sleep(1.0)
        return last, None

    # --- faults ---------------------------------------------------------------------------

    async def play(
        self,
        name: str,
        start: Callable[[], Awaitable[str | None]],
        end: Callable[[], Awaitable[None]],
        seconds: float,
    ) -> FaultResult:
        """Start a fault, hold it ``seconds``, end it; then measure healing and presence."""
        print(f"  {name} ...", flush=True)
        counters = self.counters()
        cpu0 = self.cpu()
        t0 = time.monotonic()
        note = await start() or ""
        await asyncio.sleep(max(0.0, t0 + seconds - time.monotonic()))
        await end()
        t1 = time.monotonic()
        cores = cores_between(cpu0, self.cpu())
        # What each listener lacked the moment the fault was over.
        at_end = self.missing(self.acked_seqs(acked_by=t1))

        presence_task = asyncio.ensure_future(self.presence_settles(t1))
        # Every comment sent before the fault ended settles first (acked, refused, or given up).
        while any(not s.done for s in self.ledger if s.first_sent < t1):
            await asyncio.sleep(0.1)
        target = self.acked_seqs(sent_before=t1)
        healed_at: float | None = None
        while True:
            missing = self.missing(target)
            if not any(missing):
                healed_at = time.monotonic()
                break
            if time.monotonic() > t1 + HEAL_TIMEOUT:
                break
            await asyncio.sleep(0.1)
        presence, presence_s = await presence_task

        window = [s for s in self.ledger if t0 <= s.first_sent < t1]
        acks = [s.ack_ms for s in window if s.refused is None]
        after = self.counters()
        result = FaultResult(
            name=name,
            window_s=t1 - t0,
            sent=len(window),
            acked=sum(1 for s in window if s.acked_at is not None),
            refused=dict(Counter(s.refused for s in window if s.refused)),
            errors=dict(Counter(e for s in window for e in s.errors if e != s.refused)),
            resent=sum(max(0, s.attempts - 1) for s in window),
            ack_p50_ms=percentile(acks, 50),
            ack_p99_ms=percentile(acks, 99),
            ack_max_ms=max(acks, default=math.nan),
            missing_at_end=(min(at_end), max(at_end)),
            missing_after=(min(missing), max(missing), sum(missing)),
            healed_s=None if healed_at is None else healed_at - t1,
            presence=presence,
            presence_s=presence_s,
            rejoins=after[0] - counters[0],
            reconnects=after[1] - counters[1],
            failovers=after[2] - counters[2],
            started_at=t0,
            ended_at=t1,
            cores=cores,
            note=note,
        )
        print(
            f"    window {result.window_s:.1f} s, {result.acked}/{result.sent} acked, "
            f"ack p99 {ms(result.ack_p99_ms)} ms, lost {result.missing_after[2]}, "
            f"healed in {'-' if result.healed_s is None else f'{result.healed_s:.1f} s'}, "
            f"presence {presence[0]}/{presence[1]}"
            + (f" after {presence_s:.1f} s" if presence_s is not None else " (never agreed)")
            + (f"; {note}" if note else ""),
            flush=True,
        )
        return result

    def cpu(self) -> CpuSample:
        """The workers' CPU (master and worker of each gunicorn) and the machine's, so far."""
        pids = [pid for w in self.workers if w.process is not None for pid in process_tree(w.process.pid)]
        return cpu_sample(pids)

    def counters(self) -> tuple[int, int, int]:
        listeners = self.listeners
        return (
            sum(c.rejoins for c in listeners),
            sum(c.disconnects for c in self.clients),
            sum(c.failovers for c in self.clients),
        )

    async def rebalance(self) -> None:
        """Send clients that failed over back to their own worker, so that the next phase
        starts with the hearing split over both again."""
        moves = [c.move_to(0) for c in self.clients if c.url_index != 0 and not c.closing]
        await asyncio.gather(*moves)
        await self.everyone_ready()

    async def everyone_ready(self, timeout: float = 60) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in self.clients)), timeout)

    async def faults(self, plan: Plan) -> list[FaultResult]:
        redis_server, database = self.redis, self.database
        victim = self.workers[0]

        async def nothing() -> None:
            return None

        async def kill_redis() -> None:
            redis_server.kill()

        async def restart_redis() -> None:
            redis_server.start()
            await redis_server.ready()

        async def pause_redis() -> None:
            redis_server.pause()

        async def resume_redis() -> None:
            redis_server.resume()

        async def kill_worker() -> None:
            victim.kill()

        async def restart_worker() -> None:
            victim.start()
            await victim.ready()

        async def terminate_backends() -> str:
            ended = await asyncio.to_thread(database.terminate_backends)
            return f"{ended} backends terminated"

        steps: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]], float]] = [
            ("no fault (baseline)", nothing, nothing, plan.baseline),
            (f"Redis killed {plan.redis_kills[0]:g} s", kill_redis, restart_redis, plan.redis_kills[0]),
            (f"Redis killed {plan.redis_kills[1]:g} s", kill_redis, restart_redis, plan.redis_kills[1]),
            (f"Redis paused {plan.redis_pauses[0]:g} s", pause_redis, resume_redis, plan.redis_pauses[0]),
            (f"Redis paused {plan.redis_pauses[1]:g} s", pause_redis, resume_redis, plan.redis_pauses[1]),
            (
                f"worker {victim.name} killed {plan.worker_down:g} s",
                kill_worker,
                restart_worker,
                plan.worker_down,
            ),
            ("PostgreSQL backends ended", terminate_backends, nothing, plan.database_window),
        ]
        if self.args.heavy_only:
            steps = steps[:1]
        results = []
        for index, (name, start, end, seconds) in enumerate(steps):
            results.append(await self.play(name, start, end, seconds))
            await self.rebalance()
            if index < len(steps) - 1:
                await asyncio.sleep(plan.quiet)  # comments flow on; the next fault starts from calm
        return results

    # --- heavy requests -------------------------------------------------------------------

    async def heavy(self) -> HeavyResult:
        """Three notice PDFs and two dense layout checks at once, with the hearing running."""
        print("  heavy requests ...", flush=True)
        token = self.world.tokens[MODERATOR]
        headers = {"Authorization": f"Bearer {token}"}
        a, b = self.workers
        jobs = [
            ("notice PDF", a, "GET", f"/rounds/{DECIDING_ROUND}/notice.pdf?lang=en", None),
            ("layout check", b, "POST", f"/api/v1/sites/{self.world.site_id}/validate", self.world.layout),
            ("notice PDF", b, "GET", f"/rounds/{DECIDING_ROUND}/notice.pdf?lang=en", None),
            ("layout check", a, "POST", f"/api/v1/sites/{self.world.site_id}/validate", self.world.layout),
            ("notice PDF", a, "GET", f"/rounds/{DECIDING_ROUND}/notice.pdf?lang=en", None),
        ]
        polls: dict[str, list[tuple[float, float, int]]] = {w.name: [] for w in self.workers}
        stop = asyncio.Event()

        async with aiohttp.ClientSession() as http:

            async def poll(worker: Worker) -> None:
                """GET /healthz every 100 ms (the next one at once if one took longer)."""
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        async with http.get(worker.url + "/healthz", timeout=HEALTHZ_TIMEOUT) as r:
                            await r.read()
                            status = r.status
                    except (aiohttp.ClientError, TimeoutError):
                        status = 0
                    took = time.monotonic() - started
                    polls[worker.name].append((started, took * 1000, status))
                    await asyncio.sleep(max(0.0, 0.1 - took))

            async def fire(
                name: str, worker: Worker, method: str, path: str, body: bytes | None
            ) -> HeavyRequest:
                started = time.monotonic()
                send_headers = {**headers, "Content-Type": "application/json"} if body else headers
                try:
                    async with http.request(
                        method,
                        worker.url + path,
                        data=body,
                        headers=send_headers,
                        timeout=aiohttp.ClientTimeout(300),
                    ) as r:
                        size = len(await r.read())  # not parsed: a 4 MB JSON would stall this loop
                        status: int | str = r.status
                except (aiohttp.ClientError, TimeoutError) as error:
                    size, status = 0, type(error).__name__
                return HeavyRequest(name, worker.name, status, time.monotonic() - started, size)

            pollers = [asyncio.ensure_future(poll(w)) for w in self.workers]
            await asyncio.sleep(3.0)  # /healthz before anything heavy, for comparison
            cpu0 = self.cpu()
            t0 = time.monotonic()
            done = await asyncio.gather(*(fire(*job) for job in jobs))
            # Measured until the last heavy request is answered, and for HEAVY_WINDOW at least:
            # a request that fails fast may still leave its worker stalled behind it.
            t1 = max(time.monotonic(), t0 + HEAVY_WINDOW)
            await asyncio.sleep(t1 - time.monotonic())
            cores = cores_between(cpu0, self.cpu())
            stop.set()
            await asyncio.gather(*pollers)  # a poll still waiting counts, up to its timeout

        # Comments sent while the heavy requests ran: every listener must receive them, and the
        # delivery latency is measured once the last of them has had time to arrive.
        target = self.acked_seqs(sent_before=t1)
        deadline = time.monotonic() + 30
        while any(self.missing(target)) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        window = [s for s in self.ledger if t0 <= s.first_sent < t1]
        first, every = [], []
        for s in window:
            if s.seq is None:
                first.append(math.inf)
                continue
            arrivals = [c.received.get(s.seq) for c in self.listeners]
            known = [at for at in arrivals if at is not None]
            first.append((min(known) - s.first_sent) * 1000 if known else math.inf)
            every += [(at - s.first_sent) * 1000 if at is not None else math.inf for at in arrivals]

        def stats(name: str, since: float, until: float) -> list[float]:
            return [took for at, took, _ in polls[name] if since <= at < until]

        healthz = {}
        for w in self.workers:
            inside = stats(w.name, t0, t1)
            bad = sum(1 for at, _, status in polls[w.name] if t0 <= at < t1 and status != 200)
            healthz[w.name] = (
                percentile(inside, 50),
                percentile(inside, 99),
                max(inside, default=math.nan),
                len(inside),
                bad,
            )
        before = {w.name: stats(w.name, t0 - 3.0, t0) for w in self.workers}
        result = HeavyResult(
            window_s=t1 - t0,
            requests=list(done),
            healthz=healthz,
            healthz_before={k: (percentile(v, 50), percentile(v, 99)) for k, v in before.items()},
            delivery_first_p99_ms=percentile(first, 99),
            delivery_first_p50_ms=percentile(first, 50),
            delivery_all_p99_ms=percentile(every, 99),
            ack_p99_ms=percentile([s.ack_ms for s in window], 99),
            comments=len(window),
            cores=cores,
        )
        print(
            f"    window {result.window_s:.1f} s, /healthz p99 "
            + ", ".join(f"{k} {ms(v[1])} ms" for k, v in healthz.items())
            + f", delivery p99 {ms(result.delivery_first_p99_ms)} ms",
            flush=True,
        )
        return result

    def write_ledger(self, path: Path, results: list[FaultResult]) -> None:
        """Every comment as a CSV row (times in seconds since the first), the faults' windows
        as comment lines: for finding out which comments made a percentile."""
        origin = min((s.first_sent for s in self.ledger), default=0.0)
        names = {w.url: w.name for w in self.workers}
        with path.open("w", newline="") as handle:
            for r in results:
                handle.write(f"# {r.name}: {r.started_at - origin:.3f} to {r.ended_at - origin:.3f}\n")
            out = csv.writer(handle)
            out.writerow(
                ["sent_s", "commenter", "acked_by", "attempts", "ack_ms", "seq", "errors", "refused"]
            )
            for s in self.ledger:
                ack = "" if s.acked_at is None else f"{s.ack_ms:.1f}"
                out.writerow(
                    [
                        f"{s.first_sent - origin:.3f}",
                        s.commenter,
                        names.get(s.worker, ""),
                        s.attempts,
                        ack,
                        s.seq or "",
                        "|".join(s.errors),
                        s.refused or "",
                    ]
                )

    # --- the whole run --------------------------------------------------------------------

    async def run(self, plan: Plan) -> tuple[list[FaultResult], HeavyResult | None, dict[str, Any]]:
        try:
            gate = asyncio.Semaphore(10)

            async def connect(client: HealingClient) -> None:
                async with gate:
                    await client.connect()

            await asyncio.gather(*(connect(c) for c in self.clients))
            print(
                f"  {len(self.listeners)} listeners and {len(self.commenters)} commenters joined hearing "
                f"{self.world.hearing_id}",
                flush=True,
            )
            self.start_commenting()
            cpu0, wall0 = bench_cpu_seconds(), time.monotonic()
            await asyncio.sleep(5.0)  # warm up: pools filled, every commenter has spoken
            results = await self.faults(plan)
            await asyncio.sleep(plan.quiet)
            heavy = None if self.args.skip_heavy else await self.heavy()
            self.stop_commenting.set()
            await asyncio.wait_for(asyncio.gather(*self.commenter_tasks), GIVE_UP_AFTER + 10)
            # The whole run: every listener should hold every acknowledged comment.
            target = self.acked_seqs()
            deadline = time.monotonic() + HEAL_TIMEOUT
            while any(self.missing(target)) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            missing = self.missing(target)
            busy = (bench_cpu_seconds() - cpu0) / (time.monotonic() - wall0)
            totals = {
                "comments sent": len(self.ledger),
                "acknowledged": len(target),
                "refused": dict(Counter(s.refused for s in self.ledger if s.refused)),
                "never acknowledged": sum(1 for s in self.ledger if s.acked_at is None and s.refused is None),
                "lost at the end (total over listeners)": sum(missing),
                "listener rejoins": sum(c.rejoins for c in self.listeners),
                "reconnections": sum(c.disconnects for c in self.clients),
                "presence probes": self.probes,
                "failed joins": sum(c.join_failures for c in self.clients),
                # Near 100 % of a core, latencies would measure this process, not the workers.
                "bench process busy": f"{busy:.0%} of a core",
            }
            if self.args.ledger:
                self.write_ledger(Path(self.args.ledger), results)
            return results, heavy, totals
        finally:
            self.stop_commenting.set()
            for task in self.commenter_tasks:
                task.cancel()
            await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)


# --- the report ---------------------------------------------------------------------------


def print_report(
    results: list[FaultResult],
    heavy: HeavyResult | None,
    totals: dict[str, Any],
    workers: list[Worker],
    setting: str,
) -> None:
    print(f"\nFaults: {setting}")
    head = (
        f"{'fault':26}{'window':>7}{'sent':>6}{'acked':>6}{'resent':>7}{'ack p50':>8}{'ack p99':>8}"
        f"{'ack max':>8}{'lacking':>9}{'lost after':>12}{'healed':>8}{'presence':>10}{'agreed':>8}"
        f"{'rejoins':>8}{'moved':>6}{'CPU':>11}"
    )
    units = (
        f"{'':26}{'s':>7}{'':>6}{'':>6}{'':>7}{'ms':>8}{'ms':>8}{'ms':>8}{'min/max':>9}"
        f"{'min/max/sum':>12}{'s':>8}{'join/real':>10}{'s':>8}{'':>8}{'':>6}{'wk/all':>11}"
    )
    print(head)
    print(units)
    for r in results:
        lacking = f"{r.missing_at_end[0]}/{r.missing_at_end[1]}"
        lost = "/".join(str(n) for n in r.missing_after)
        healed = "never" if r.healed_s is None else f"{r.healed_s:.1f}"
        presence = f"{'?' if r.presence[0] is None else r.presence[0]}/{r.presence[1]}"
        agreed = "never" if r.presence_s is None else f"{r.presence_s:.1f}"
        print(
            f"{r.name:26}{r.window_s:>7.1f}{r.sent:>6}{r.acked:>6}{r.resent:>7}{ms(r.ack_p50_ms):>8}"
            f"{ms(r.ack_p99_ms):>8}{ms(r.ack_max_ms):>8}{lacking:>9}{lost:>12}{healed:>8}{presence:>10}"
            f"{agreed:>8}{r.rejoins:>8}{r.failovers:>6}{f'{r.cores[0]:.2f}/{r.cores[1]:.2f}':>11}"
        )
    print(
        "  lacking: comments a listener did not hold when the fault ended; lost after: still missing "
        f"once healing was done (waited up to {HEAL_TIMEOUT:.0f} s); healed: from the fault's end; "
        "presence: what a fresh join reports / distinct people really joined, agreed: when they first "
        "matched; rejoins: listeners' joins to catch up; moved: clients that failed over to the other "
        "worker; "
        "CPU: cores busy during the fault, both workers / the whole machine (PostgreSQL, this bench and "
        "anything else running included)"
    )
    for r in results:
        extra = []
        if r.refused:
            extra.append(f"refused {r.refused}")
        if r.errors:
            extra.append("sent again after " + ", ".join(f"{n}x {e}" for e, n in r.errors.items()))
        if r.note:
            extra.append(r.note)
        if extra:
            print(f"  {r.name}: " + "; ".join(extra))

    if heavy is not None:
        print(
            f"\nHeavy requests, fired at once while the hearing runs (window {heavy.window_s:.1f} s; "
            f"CPU cores busy: workers {heavy.cores[0]:.2f}, machine {heavy.cores[1]:.2f})"
        )
        for req in heavy.requests:
            print(
                f"  {req.name:14} worker {req.worker}: {req.status} in {req.seconds:.2f} s, "
                f"{req.size:,} bytes"
            )
        for name, (p50, p99, top, count, bad) in heavy.healthz.items():
            b50, b99 = heavy.healthz_before[name]
            print(
                f"  /healthz on worker {name}: p50 {ms(p50)} ms, p99 {ms(p99)} ms, max {ms(top)} ms "
                f"({count} polls, {bad} not 200; before: p50 {ms(b50)}, p99 {ms(b99)} ms)"
            )
        print(
            f"  comment delivery, send to the first listener: p50 {ms(heavy.delivery_first_p50_ms)} ms, "
            f"p99 {ms(heavy.delivery_first_p99_ms)} ms; to every listener p99 "
            f"{ms(heavy.delivery_all_p99_ms)} ms; ack p99 {ms(heavy.ack_p99_ms)} ms "
            f"({heavy.comments} comments)"
        )

    print("\nWhole run: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    for worker in workers:
        errors, tracebacks = worker.log_problems()
        print(
            f"  worker {worker.name} log: {errors} ERROR lines, {tracebacks} tracebacks "
            f"({worker.starts} starts)"
        )
    if CLIENT_LOG.counts:
        print(
            "  client library warnings: "
            + "; ".join(f"{n}x {m}" for m, n in CLIENT_LOG.counts.most_common(5))
        )

    faults = [r for r in results if not r.name.startswith("no fault")]
    targets: list[tuple[str, bool, str]] = [
        (
            "nothing lost after healing, every fault",
            all(r.missing_after[2] == 0 for r in results)
            and totals["lost at the end (total over listeners)"] == 0,
            ", ".join(f"{r.name}: {r.missing_after[2]}" for r in faults),
        ),
        (
            f"ack p99 under {TARGET_ACK_P99_MS:.0f} ms during every fault",
            all(r.ack_p99_ms < TARGET_ACK_P99_MS for r in faults),
            ", ".join(f"{r.name}: {ms(r.ack_p99_ms)}" for r in faults),
        ),
        (
            f"presence true within {TARGET_PRESENCE_S:.0f} s of every fault",
            all(r.presence_s is not None and r.presence_s <= TARGET_PRESENCE_S for r in faults),
            ", ".join(
                f"{r.name}: {'never' if r.presence_s is None else f'{r.presence_s:.1f} s'}" for r in faults
            ),
        ),
    ]
    if heavy is not None:
        worst = max(v[1] for v in heavy.healthz.values())
        targets.append(
            (
                f"/healthz p99 under {TARGET_HEAVY_P99_MS:.0f} ms under heavy requests, both workers",
                worst < TARGET_HEAVY_P99_MS,
                ", ".join(f"{k}: {ms(v[1])} ms" for k, v in heavy.healthz.items()),
            )
        )
        targets.append(
            (
                f"comment delivery p99 under {TARGET_HEAVY_P99_MS:.0f} ms under heavy requests",
                heavy.delivery_first_p99_ms < TARGET_HEAVY_P99_MS,
                f"{ms(heavy.delivery_first_p99_ms)} ms",
            )
        )
    print("\nTargets")
    for name, passed, detail in targets:
        print(f"  {'PASS' if passed else 'MISS'}  {name} ({detail})")


# --- main ---------------------------------------------------------------------------------


def choose_accounts(listeners: int, rate: float) -> tuple[list[str], list[str], float]:
    """Commenter accounts enough for ``rate`` within the per-person limits, and listener accounts.

    Each commenter speaks every ``interval`` seconds: 3/4 of what the tighter of Jiayuan's
    limits allows a person (20 a minute: one every 3 s), so that a late ack followed by the
    next comment never trips it. Listeners take the accounts left, distinct where possible."""
    sustainable = min(limit / window for limit, window in RATE_LIMITS)  # comments per second
    needed = math.ceil(round(rate / (0.75 * sustainable), 6))
    if needed > len(COMMENTER_ACCOUNTS):
        raise SystemExit(
            f"--rate {rate} needs {needed} commenter accounts; the demo has {len(COMMENTER_ACCOUNTS)}"
        )
    commenters = list(COMMENTER_ACCOUNTS[:needed])
    pool = [*WATCHER_ACCOUNTS, *(e for e in reversed(COMMENTER_ACCOUNTS) if e not in commenters)]
    return [pool[i % len(pool)] for i in range(listeners)], commenters, needed / rate


async def start_and_run(
    args: argparse.Namespace,
    plan: Plan,
    workers: list[Worker],
    own_redis: OwnRedis,
    database: BenchDatabase,
    listener_accounts: list[str],
    commenter_accounts: list[str],
) -> tuple[list[FaultResult], HeavyResult | None, dict[str, Any]]:
    await own_redis.ready()
    for worker in workers:
        worker.start()
    await asyncio.gather(*(w.ready() for w in workers))
    print(
        f"  workers up: {', '.join(f'{w.name} {w.url}' for w in workers)}; Redis {own_redis.url}", flush=True
    )
    world = await asyncio.to_thread(set_up_world, workers[0].url, [*listener_accounts, *commenter_accounts])
    print(
        f"  hearing {world.hearing_id} on round {HEARING_ROUND}; round {DECIDING_ROUND} decided; "
        f"layout of {world.layout_features} planters, {len(world.layout):,} bytes",
        flush=True,
    )
    bench = Bench(args, world, workers, own_redis, database, listener_accounts, commenter_accounts)
    return await bench.run(plan)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--listeners", type=int, default=None, help="listeners in the hearing (20; --quick 10)"
    )
    parser.add_argument(
        "--rate", type=float, default=3.0, help="comments per second, all commenters together"
    )
    parser.add_argument("--quick", action="store_true", help="short outages and fewer listeners: 2-3 minutes")
    parser.add_argument(
        "--sync-seconds",
        type=float,
        default=15.0,
        help="the workers' LIVE_SYNC_SECONDS (how often sync goes out)",
    )
    parser.add_argument("--presence-ttl", type=float, default=60.0, help="the workers' PRESENCE_TTL_SECONDS")
    parser.add_argument("--quiet", type=float, default=None, help="seconds between faults (20; --quick 6)")
    parser.add_argument("--skip-heavy", action="store_true", help="leave out the heavy requests")
    parser.add_argument(
        "--heavy-only", action="store_true", help="no faults: the baseline, then the heavy requests"
    )
    parser.add_argument(
        "--logs", metavar="DIR", help="copy the workers' and Redis's logs into DIR at the end"
    )
    parser.add_argument("--ledger", metavar="FILE", help="write every comment's timings to FILE (CSV)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.quiet is not None:
        plan = Plan(**{**plan.__dict__, "quiet": args.quiet})
    if args.listeners is None:
        args.listeners = 10 if args.quick else 20
    if args.listeners < 2 or args.rate <= 0:
        parser.error("--listeners must be at least 2 (one per worker) and --rate positive")
    listener_accounts, commenter_accounts, interval = choose_accounts(args.listeners, args.rate)

    # Ctrl-C and SIGTERM both unwind through the finally blocks (SIGINT too when a shell
    # started the bench in the background with SIGINT ignored). Inside asyncio.run, SIGINT
    # cancels the main task; SIGTERM is passed on to whatever handles SIGINT at the time.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: signal.getsignal(signal.SIGINT)(signal.SIGINT, frame))

    setting = (
        f"{args.listeners} listeners, {len(commenter_accounts)} commenters at {args.rate:g} comments/s "
        f"(each every {interval:.1f} s), 2 gunicorn gevent workers, LIVE_SYNC_SECONDS={args.sync_seconds:g}, "
        f"PRESENCE_TTL_SECONDS={args.presence_ttl:g}, {'quick' if args.quick else 'full'} run, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start, "
        f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"fault bench: {setting}", flush=True)
    started = time.monotonic()
    with contextlib.ExitStack() as cleanup:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="jiayuan-faults-")))
        if args.logs:
            # Registered before the servers' own cleanups, so it runs after they stopped.
            cleanup.callback(copy_logs, folder, Path(args.logs))
        own_redis = OwnRedis(folder)
        cleanup.callback(own_redis.stop)
        own_redis.start()
        database = BenchDatabase(POSTGRES_URL)
        cleanup.callback(database.drop)
        database.create()
        print(f"  database {database.name} created; migrating and loading the demo ...", flush=True)
        shared = {
            "SECRET_KEY": "faults-" + secrets.token_hex(16),
            "REDIS_URL": own_redis.url,
            "REDIS_CHANNEL": f"jiayuan_faults_{os.getpid()}_{secrets.token_hex(3)}",
            "LIVE_SYNC_SECONDS": f"{args.sync_seconds:g}",
            "PRESENCE_TTL_SECONDS": f"{args.presence_ttl:g}",
        }
        env = worker_environment(database.url, **shared)
        prepare_database(env)
        workers = [Worker(name, env, folder) for name in ("A", "B")]
        for worker in workers:
            cleanup.callback(worker.stop)
        results, heavy, totals = asyncio.run(
            start_and_run(args, plan, workers, own_redis, database, listener_accounts, commenter_accounts)
        )
        print_report(results, heavy, totals, workers, setting)
    print(
        f"\n(took {time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end; "
        "workers, Redis, database and temporary files removed)"
    )
    return 0


def copy_logs(folder: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for log in folder.glob("*.log"):
        shutil.copy2(log, destination / log.name)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: workers, Redis, the database and temporary files are removed", file=sys.stderr)
        sys.exit(130)
