"""Load co-design: a proposal's team of D designers each sends R ops a second for T seconds
to the draft they share, in one draft or in many at once.

Issue 15's benchmark. It starts a real ``python app.py`` (gevent, as in production) on a
free 127.0.0.1 port and a fresh database: a new SQLite file in a temporary folder (or,
with ``--database postgresql://...``, a new database created on that server and dropped
afterwards), ``flask db upgrade`` and ``flask seed-demo``, as hearing_load.py starts it
(which also opens a hearing that nobody here joins). Over the HTTP API the demo's
moderator opens a round on the half court's site and moves it to ``proposing`` (where a
proposal takes versions, so its draft takes changes); designer accounts are signed up and
made designers of the community; each of ``--drafts`` proposals is submitted by one of
them (the demo's shaded court as its first version) with ``--team`` - 1 of the others as
co-designers. A designer submits at most five proposals to a round (limits.py), so there
are max(team, ceil(drafts / 5)) accounts and teams reuse them across drafts.

It drives the server from one asyncio process of python-socketio ``AsyncClient``s
(WebSocket transport only, the ``/design`` namespace, ``auth={"token": ...}``; needs
aiohttp): one connection per designer and draft, as one browser tab each.

1. Join: every connection ``draft_join``s its draft (``--connect-concurrency`` at a time)
   and keeps the features of the ack; the server is then left to settle. A join refused
   as a ``conflict`` (teammates opening a new draft at one moment, on PostgreSQL: a
   server bug) is tried again after half a second, and counted.
2. Ops: each designer sends R ops a second for T seconds on a fixed schedule (the team's
   starts spread over the first 1/R s), every op a ``draft_op`` upsert with a unique
   ``op_id`` and ``base_seq`` = the last seq that connection has seen (its join's or a
   broadcast's; an ack's seq is seen once its broadcast comes), each waiting for its own
   ack: a designer moves their own bench (a Point), reshapes their own planter (a
   Polygon) or redraws their own path (a LineString), at random places inside the site
   (valid geometry of kinds geo knows); with probability ``--shared`` (0.1) they move
   the bench everyone moves (the demo's ``bench-1``), so that teammates replace each
   other's work and the server reports overwrites. The bench waits until every
   connection of a draft has received every acknowledged op of that draft (or
   ``--delivery-timeout``), then for the server to settle.
3. Convergence: each connection has applied every broadcast it received to the features
   of its join (a change applies over an older seq, as the editor does); a fresh
   ``draft_join`` per draft reads the features as the server holds them: a connection
   whose layout differs counts as diverged.

Measured: ops sent, acknowledged, refused (by error code) and never answered; lost
broadcasts (every connection of the draft, the sender's included, should receive every
acknowledged op of its draft exactly once: expected minus unique receipts) and duplicated
ones; seq gaps (a seq of the draft that no connection received and no ack named) and
broadcasts that arrived after a later seq; op-to-teammate latency p50/p95/p99 (send to
receipt at each *other* connection of the draft; one process, one monotonic clock) and
ack latency p50/p99; overwrites the acks reported; server CPU (its CPU-time
clock, clock_getcpuclockid) from the first op until the server settled, per acknowledged op and per
delivered broadcast; the server's peak RSS (VmHWM); the load generator's CPU (a
generator near 100 % of one core measures itself: compare server CPU then); and how long
the server waited for a CPU (/proc/<pid>/task/*/schedstat) with the load average, since
other work on a 2-core machine shows up in latency first.

    .venv/bin/python bench/codesign_load.py                      # 6 designers x 10 ops/s, 60 s, one draft
    .venv/bin/python bench/codesign_load.py --drafts 50          # 50 drafts of 6, 0.2 op/s each designer
    .venv/bin/python bench/codesign_load.py --drafts 50 --rate 1 --seconds 10
    .venv/bin/python bench/codesign_load.py --seconds 10 \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Flags: --drafts N (1), --team D (6), --rate R (ops per second per designer: 10 with one
draft; with several, one draft's 60 ops/s in all spread over them, 0.2 for 50 drafts of
6), --seconds T (60), --shared P (0.1), --database (sqlite, or a
postgresql:// URL of a server where the bench may create a database; that server's CPU is
not counted), --seed, --json (also print a JSON summary); see --help for the rest. The
server's log goes to a temporary folder that is removed at the end; every wait is bounded,
and the server is stopped on errors, on Ctrl-C and on SIGTERM (and dies with the bench, on
Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Api, count_client_logs, percentile
from bench.hearing_load import (
    BENCH_PASSWORD,
    CLIENT_PING_ALLOWANCE,
    DEMO_PASSWORD,
    MODERATOR,
    ServerProcess,
    Setup,
    generator_cpu,
    git_commit,
    is_postgres,
    load_average,
    run_queue_wait,
    start_jiayuan,
)
from deliberation.demo import HALF_COURT_OFFSET, ORIGIN, shaded_court_layout
from deliberation.limits import PROPOSALS_PER_DESIGNER

NAMESPACE = "/design"
HALF_COURT_ROUND = 1  # the demo's round on the half court: the bench opens its own on that site
SITE_SIZE = (24.0, 26.0)  # metres: the half court's site (demo.half_court_site)
ONE_DRAFT_RATE = 10.0  # ops per second per designer in one draft: issue 15's
SHARED_FEATURE = "bench-1"  # in the demo's shaded court: the bench everyone moves
JOIN_ATTEMPTS = 3  # a draft_join refused as a conflict is tried again, twice at most
CLIENT_LOG = count_client_logs()


# --- the server and the teams --------------------------------------------------------------


@dataclass
class Drafts:
    """The server (hearing_load's setup: a fresh database, ``python app.py``, stopped and
    dropped by ``close``) and the drafts' proposals with their teams."""

    setup: Setup
    proposal_ids: list[int] = field(default_factory=list)
    teams: list[list[str]] = field(default_factory=list)  # per draft, its designers' tokens

    @property
    def server(self) -> ServerProcess:
        return self.setup.servers[0]


def start(folder: Path, args: argparse.Namespace) -> Drafts:
    """A fresh ``python app.py`` with the demo, a round in ``proposing`` and the drafts' teams."""
    drafts = Drafts(start_jiayuan(folder, args.database, listener_accounts=0, commenters=0))
    try:
        api = Api(drafts.server.url, timeout=30)
        moderator = api.login(MODERATOR, DEMO_PASSWORD)
        demo_round = api.call("GET", f"/rounds/{HALF_COURT_ROUND}", moderator)
        community_id = demo_round["community_id"]
        round_id = api.call(
            "POST", "/rounds", moderator, site_id=demo_round["site_id"], title="Bench co-design 共同设计"
        )["id"]
        api.call("POST", f"/rounds/{round_id}/phase", moderator, phase="proposing", reason="bench")
        accounts = max(args.team, math.ceil(args.drafts / PROPOSALS_PER_DESIGNER))
        tag = secrets.token_hex(3)
        ids, tokens = [], []
        for index in range(accounts):
            email = f"bench-designer-{index}-{tag}@example.com"
            user_id = api.sign_up(email, f"Designer {index} 设计师", BENCH_PASSWORD)
            for role in ("resident", "designer"):
                api.call(
                    "POST", f"/communities/{community_id}/members", moderator, user_id=user_id, role=role
                )
            ids.append(user_id)
            tokens.append(api.login(email, BENCH_PASSWORD))
        layout = shaded_court_layout()
        for number in range(args.drafts):
            author = number // PROPOSALS_PER_DESIGNER
            team = [(author + k) % accounts for k in range(args.team)]
            proposal = api.call(
                "POST",
                f"/rounds/{round_id}/proposals",
                tokens[author],
                title=f"Bench draft {number + 1} 草图",
                layout=layout,
                co_designers=[ids[k] for k in team[1:]],
            )
            drafts.proposal_ids.append(proposal["id"])
            drafts.teams.append([tokens[k] for k in team])
    except BaseException:
        drafts.setup.close()
        raise
    return drafts


# --- what the designers draw ---------------------------------------------------------------


def lonlat(x: float, y: float) -> list[float]:
    """A position on the half court's site, in metres from its corner, as lon/lat."""
    dx, dy = HALF_COURT_OFFSET
    lon, lat = ORIGIN.to_lonlat_xy(x + dx, y + dy)
    return [round(lon, 8), round(lat, 8)]


def feature_for(feature_id: str, kind: str, draw: random.Random) -> dict[str, Any]:
    """A valid feature of ``kind`` at a random place inside the site."""
    width, height = SITE_SIZE
    x, y = draw.uniform(2, width - 6), draw.uniform(2, height - 6)
    properties: dict[str, Any] = {"kind": kind}
    if kind == "bench":
        geometry = {"type": "Point", "coordinates": lonlat(x, y)}
        properties["seats"] = 3
    elif kind == "planter":
        w, h = draw.uniform(1, 4), draw.uniform(1, 4)
        ring = [lonlat(x, y), lonlat(x + w, y), lonlat(x + w, y + h), lonlat(x, y + h), lonlat(x, y)]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    else:
        points = [lonlat(x, y), lonlat(x + draw.uniform(1, 4), y + draw.uniform(1, 4))]
        geometry = {"type": "LineString", "coordinates": points}
        properties["width_m"] = 1.5
    return {"type": "Feature", "id": feature_id, "properties": properties, "geometry": geometry}


# --- the clients ---------------------------------------------------------------------------


class Designer:
    """One designer's connection to one draft: what it sends, receives and holds."""

    def __init__(self, bench: Bench, index: int, draft: int, member: int, token: str):
        self.bench = bench
        self.index = index
        self.draft = draft  # index into the setup's drafts
        self.member = member
        self.token = token
        self.proposal_id = bench.drafts.proposal_ids[draft]
        self.last_seq = 0  # of the join and the broadcasts: the base of its next op
        self.features: dict[str, tuple[int, dict[str, Any] | None]] = {}  # id -> (seq, feature)
        self.draw = random.Random(f"{bench.args.seed}-{index}")
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.sio.on("draft_op", self._on_op, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)

    def _on_op(self, data: Any) -> None:
        now = time.perf_counter()
        if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
            self.bench.unexpected += 1
            return
        seq = data["seq"]
        if seq < self.last_seq:
            self.bench.out_of_order += 1
        self.last_seq = max(self.last_seq, seq)
        self.bench.receipts.append((self.index, data.get("op_id"), seq, now))
        held = self.features.get(data["feature_id"])
        if held is None or held[0] < seq:
            self.features[data["feature_id"]] = (seq, data.get("feature"))

    def _on_disconnect(self, reason: Any = None) -> None:
        if not self.bench.closing:
            self.bench.disconnects[f"{reason} (at {time.perf_counter() - self.bench.started:.0f} s)"] += 1

    async def join(self, url: str, timeout: float) -> None:
        await self.sio.connect(
            url,
            auth={"token": self.token},
            transports=["websocket"],
            namespaces=[NAMESPACE],
            wait_timeout=timeout,
        )
        # As in hearing_load.py: python-engineio's client leaves a connection whose server
        # ping came late; browsers do not.
        self.sio.eio.ping_interval += CLIENT_PING_ALLOWANCE
        for attempt in range(JOIN_ATTEMPTS):
            ack = await self.sio.call(
                "draft_join", {"proposal_id": self.proposal_id}, namespace=NAMESPACE, timeout=timeout
            )
            if isinstance(ack, dict) and ack.get("ok"):
                break
            code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
            if code != "conflict" or attempt == JOIN_ATTEMPTS - 1:
                raise RuntimeError(f"draft_join refused: {ack}")
            # Teammates opening a new draft at once can be refused (see the report's note): again.
            self.bench.join_conflicts += 1
            await asyncio.sleep(0.5)
        self.last_seq = max(self.last_seq, ack["seq"])
        for feature_id, held in ack["features"].items():
            self.features.setdefault(feature_id, (held["seq"], held["feature"]))

    def next_change(self) -> tuple[str, dict[str, Any]]:
        """Move the shared bench (sometimes) or one of one's own features."""
        if self.draw.random() < self.bench.args.shared:
            return SHARED_FEATURE, feature_for(SHARED_FEATURE, "bench", self.draw)
        kind = self.draw.choice(("bench", "planter", "path"))
        feature_id = f"m{self.member}-{kind}"
        return feature_id, feature_for(feature_id, kind, self.draw)

    async def send(self, number: int) -> None:
        bench = self.bench
        feature_id, feature = self.next_change()
        op_id = f"{bench.tag}-{self.index}-{number}"
        payload = {
            "proposal_id": self.proposal_id,
            "op_id": op_id,
            "base_seq": self.last_seq,
            "action": "upsert",
            "feature_id": feature_id,
            "feature": feature,
        }
        bench.sent[op_id] = (self.draft, self.index, time.perf_counter())
        try:
            ack = await self.sio.call(
                "draft_op", payload, namespace=NAMESPACE, timeout=bench.args.ack_timeout
            )
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            bench.ack_timeouts += 1
            return
        bench.ack_ms.append((time.perf_counter() - bench.sent[op_id][2]) * 1000)
        if isinstance(ack, dict) and ack.get("ok"):
            bench.acked[op_id] = ack["seq"]  # seen once its broadcast comes, with those before it
            if ack.get("overwrote"):
                bench.overwrites += 1
        else:
            code = ack.get("error", {}).get("code", "?") if isinstance(ack, dict) else "?"
            bench.refused[str(code)] += 1
            if bench.first_refusal is None:
                bench.first_refusal = ack

    async def draw_for(self, start: float) -> None:
        """R ops a second for T seconds from ``start``, each waiting for its own ack."""
        rate, count = self.bench.args.rate, round(self.bench.args.rate * self.bench.args.seconds)
        tasks = []
        for number in range(count):
            delay = start + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(number)))
        await asyncio.wait_for(asyncio.gather(*tasks), self.bench.args.ack_timeout + 5)

    def layout(self) -> dict[str, Any]:
        return {fid: feature for fid, (_seq, feature) in self.features.items() if feature is not None}

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 5)


@dataclass
class Result:
    drafts: int
    team: int
    rate: float
    seconds: float
    connections: int
    join_s: float
    join_conflicts: int  # draft_joins refused as a conflict (then tried again)
    ops_sent: int
    ops_acked: int
    ops_refused: dict[str, int]
    ack_timeouts: int
    expected_receipts: int
    receipts: int
    lost: int
    duplicated: int
    unexpected: int
    seq_gaps: int
    out_of_order: int
    diverged: int
    overwrites: int
    disconnects: dict[str, int]
    client_log: dict[str, int]
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    ack_p50_ms: float
    ack_p99_ms: float
    ops_per_s: float
    op_server_cpu_s: float
    cpu_per_op_ms: float
    cpu_per_receipt_us: float
    server_busy: float  # server CPU / wall time from the first op until settled (1.0 = one core)
    peak_rss_mib: float
    generator_busy: float
    server_runq_wait_s: float  # the server runnable but waiting for a CPU (other work on the machine)
    load_average_1m: float
    first_refusal: Any = None


class Bench:
    def __init__(self, drafts: Drafts, args: argparse.Namespace):
        self.drafts = drafts
        self.args = args
        self.tag = secrets.token_hex(3)
        self.closing = False
        self.receipts: list[tuple[int, str | None, int, float]] = []
        self.sent: dict[str, tuple[int, int, float]] = {}  # op id -> (draft, sender, sent at)
        self.acked: dict[str, int] = {}  # op id -> seq
        self.refused: Counter[str] = Counter()
        self.first_refusal: Any = None
        self.ack_timeouts = 0
        self.ack_ms: list[float] = []
        self.overwrites = 0
        self.unexpected = 0
        self.out_of_order = 0
        self.disconnects: Counter[str] = Counter()
        self.join_conflicts = 0
        self.started = time.perf_counter()  # the first op's moment, once ops flow
        self.designers = [
            Designer(self, len(drafts.teams[0]) * draft + member, draft, member, token)
            for draft, team in enumerate(drafts.teams)
            for member, token in enumerate(team)
        ]

    def cpu(self) -> float:
        return self.drafts.server.cpu_seconds()

    async def settle(self) -> None:
        """Wait (bounded) until the server uses no CPU and no client receives anything."""
        deadline = time.perf_counter() + self.args.settle_timeout
        quiet, window = 0, 0.5
        cpu, heard = self.cpu(), len(self.receipts)
        while quiet < 2 and time.perf_counter() < deadline:
            await asyncio.sleep(window)
            now_cpu, now_heard = self.cpu(), len(self.receipts)
            quiet = quiet + 1 if now_cpu - cpu < 0.02 * window and now_heard == heard else 0
            cpu, heard = now_cpu, now_heard
        if quiet < 2:
            print(f"  note: the server did not settle within {self.args.settle_timeout:.0f} s")

    async def join_all(self) -> float:
        gate = asyncio.Semaphore(self.args.connect_concurrency)
        url, timeout = self.drafts.server.url, self.args.ack_timeout

        async def one(designer: Designer) -> None:
            async with gate:
                await designer.join(url, timeout)

        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(one(d) for d in self.designers)), 60 + 0.2 * len(self.designers)
        )
        return time.perf_counter() - started

    async def converged(self) -> int:
        """Connections whose layout differs from the server's (a fresh join per draft; one
        that was dropped missed changes and is counted among the disconnects instead)."""
        diverged = 0
        for draft in range(len(self.drafts.proposal_ids)):
            team = [d for d in self.designers if d.draft == draft and NAMESPACE in d.sio.namespaces]
            if not team:
                continue
            ack = await team[0].sio.call(
                "draft_join",
                {"proposal_id": team[0].proposal_id},
                namespace=NAMESPACE,
                timeout=self.args.ack_timeout,
            )
            held = {fid: f["feature"] for fid, f in ack["features"].items()}
            diverged += sum(1 for designer in team if designer.layout() != held)
        return diverged

    async def run(self) -> Result:
        try:
            return await self._run()
        finally:
            self.closing = True
            self.drafts.server.stop()
            await asyncio.wait_for(asyncio.gather(*(d.close() for d in self.designers)), 30)
            gc.unfreeze()

    async def _run(self) -> Result:
        args = self.args
        join_s = await self.join_all()
        await self.settle()
        gc.collect()
        gc.freeze()
        CLIENT_LOG.take()
        cpu0, gen0 = self.cpu(), generator_cpu()
        wait0 = run_queue_wait(self.drafts.server.process.pid)
        start = self.started = time.perf_counter() + 0.2
        spread = random.Random(args.seed)
        await asyncio.gather(*(d.draw_for(start + spread.uniform(0, 1 / args.rate)) for d in self.designers))
        sending_end = time.perf_counter()
        gen1 = generator_cpu()
        team_of = Counter(d.draft for d in self.designers)
        expected = sum(team_of[self.sent[op_id][0]] for op_id in self.acked)
        deadline = time.perf_counter() + args.delivery_timeout
        while len(self.receipts) < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        await self.settle()
        cpu1, settled = self.cpu(), time.perf_counter()
        server_wait = run_queue_wait(self.drafts.server.process.pid) - wait0
        load = load_average()
        peak_rss = self.drafts.server.peak_rss_mib()
        if not self.drafts.server.alive():
            raise RuntimeError(f"the server died:\n{self.drafts.server.log_tail()}")
        diverged = await self.converged()

        draft_of = {d.index: d.draft for d in self.designers}
        seen = Counter((index, op_id) for index, op_id, _seq, _at in self.receipts)
        duplicated = sum(n - 1 for n in seen.values() if n > 1)
        unique_acked = sum(
            1 for (index, op_id) in seen if op_id in self.acked and self.sent[op_id][0] == draft_of[index]
        )
        unexpected = self.unexpected + sum(
            1 for (index, op_id) in seen if op_id not in self.acked or self.sent[op_id][0] != draft_of[index]
        )
        latencies = [
            (at - self.sent[op_id][2]) * 1000
            for index, op_id, _seq, at in self.receipts
            if op_id in self.sent and self.sent[op_id][1] != index
        ]
        # Every draft's seqs are gap-free: a seq between the lowest and the highest that no
        # connection of the draft received, nor any ack answered, is a gap.
        gaps = 0
        for draft in range(len(self.drafts.proposal_ids)):
            seqs = {seq for op_id, seq in self.acked.items() if self.sent[op_id][0] == draft}
            seqs |= {seq for index, _op_id, seq, _at in self.receipts if draft_of[index] == draft}
            if seqs:
                gaps += (max(seqs) - min(seqs) + 1) - len(seqs)
        ops_cpu = cpu1 - cpu0
        acked = len(self.acked)
        receipts = len(self.receipts)
        return Result(
            drafts=len(self.drafts.proposal_ids),
            team=len(self.drafts.teams[0]),
            rate=args.rate,
            seconds=args.seconds,
            connections=len(self.designers),
            join_s=join_s,
            join_conflicts=self.join_conflicts,
            ops_sent=len(self.sent),
            ops_acked=acked,
            ops_refused=dict(self.refused),
            ack_timeouts=self.ack_timeouts,
            expected_receipts=expected,
            receipts=receipts,
            lost=expected - unique_acked,
            duplicated=duplicated,
            unexpected=unexpected,
            seq_gaps=gaps,
            out_of_order=self.out_of_order,
            diverged=diverged,
            overwrites=self.overwrites,
            disconnects=dict(self.disconnects),
            client_log=CLIENT_LOG.take(),
            latency_p50_ms=percentile(latencies, 50),
            latency_p95_ms=percentile(latencies, 95),
            latency_p99_ms=percentile(latencies, 99),
            latency_max_ms=max(latencies, default=math.nan),
            ack_p50_ms=statistics.median(self.ack_ms) if self.ack_ms else math.nan,
            ack_p99_ms=percentile(self.ack_ms, 99),
            ops_per_s=acked / (sending_end - start) if sending_end > start else math.nan,
            op_server_cpu_s=ops_cpu,
            cpu_per_op_ms=ops_cpu * 1000 / acked if acked else math.nan,
            cpu_per_receipt_us=ops_cpu * 1e6 / receipts if receipts else math.nan,
            server_busy=ops_cpu / (settled - start),
            peak_rss_mib=peak_rss,
            generator_busy=(gen1 - gen0) / (sending_end - start),
            server_runq_wait_s=server_wait,
            load_average_1m=load,
            first_refusal=self.first_refusal,
        )


# --- the report ----------------------------------------------------------------------------


def print_report(result: Result, args: argparse.Namespace) -> None:
    database = "postgresql" if is_postgres(args.database) else "sqlite"
    r = result
    print(
        f"\nCo-design load: {r.drafts} draft(s) x {r.team} designers, {r.rate:g} ops/s each for "
        f"{r.seconds:g} s ({r.drafts * r.team * r.rate:g} ops/s in all), shared {args.shared:g}, "
        f"{database}, {git_commit()}"
    )
    rows = [
        ("connections (one per designer and draft)", f"{r.connections}, all joined in {r.join_s:.1f} s"),
        ("draft_joins refused as a conflict, then retried", f"{r.join_conflicts}"),
        ("ops sent / acknowledged", f"{r.ops_sent} / {r.ops_acked} ({r.ops_per_s:.1f} acked/s)"),
        ("ops refused / never answered", f"{r.ops_refused or 0} / {r.ack_timeouts}"),
        ("broadcasts expected / received", f"{r.expected_receipts} / {r.receipts}"),
        ("ops lost (a teammate never received one)", f"{r.lost}"),
        ("broadcasts duplicated / unexpected", f"{r.duplicated} / {r.unexpected}"),
        ("seq gaps / broadcasts after a later seq", f"{r.seq_gaps} / {r.out_of_order}"),
        ("connections whose layout diverged", f"{r.diverged}"),
        ("overwrites reported (acks)", f"{r.overwrites}"),
        (
            "op-to-teammate latency p50 / p95 / p99 / max",
            f"{r.latency_p50_ms:.1f} / {r.latency_p95_ms:.1f} / {r.latency_p99_ms:.1f} / "
            f"{r.latency_max_ms:.1f} ms",
        ),
        ("ack latency p50 / p99", f"{r.ack_p50_ms:.1f} / {r.ack_p99_ms:.1f} ms"),
        (
            "server CPU per op",
            f"{r.cpu_per_op_ms:.2f} ms ({r.cpu_per_receipt_us:.0f} us per broadcast received)",
        ),
        (
            "server CPU, first op until settled",
            f"{r.op_server_cpu_s:.1f} s ({r.server_busy:.0%} of one core)",
        ),
        ("server peak RSS", f"{r.peak_rss_mib:.0f} MiB"),
        ("load generator CPU while sending", f"{r.generator_busy:.0%} of one core"),
        (
            "server waiting for a CPU / load average",
            f"{r.server_runq_wait_s:.1f} s / {r.load_average_1m:.2f}",
        ),
    ]
    for label, value in rows:
        print(f"{label:46} {value}")
    if r.disconnects or r.client_log:
        print(f"disconnects {r.disconnects}; client log {r.client_log}")
    if r.first_refusal is not None:
        print(f"first refusal: {json.dumps(r.first_refusal, ensure_ascii=False)[:400]}")
    offered = r.drafts * r.team * r.rate
    if r.ack_timeouts or r.ops_per_s < 0.9 * offered:
        print(
            f"note: the server fell behind: {offered:g} ops/s offered, {r.ops_per_s:.1f}/s acknowledged in "
            f"time; its queue grows without bound, and once a ping's answer waits in it past the ping "
            f"timeout (25 + 20 s) it drops the connections."
        )
    if r.join_conflicts:
        print(
            "note: teammates opening a new draft at the same moment were refused 'conflict' "
            "(each making the draft's features anew): a server bug, the joins were tried again."
        )
    if r.generator_busy > 0.8:
        print("note: the load generator was near one core: latency partly measures it; compare server CPU.")
    passed = r.lost == 0 and r.duplicated == 0 and r.diverged == 0 and r.ack_timeouts == 0
    print(f"target: ops lost 0 (none duplicated, every layout converged): {'PASS' if passed else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drafts", type=int, default=1, help="drafts edited at once, one proposal each")
    parser.add_argument("--team", type=int, default=6, help="D: designers in each draft's team")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="R: ops per second per designer (10 with one draft; with several, one draft's 60 ops/s in all)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="T: how long ops flow")
    parser.add_argument("--shared", type=float, default=0.1, help="share of ops moving the bench all move")
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL")
    parser.add_argument("--seed", type=int, default=1, help="seed of what is drawn where")
    parser.add_argument("--json", action="store_true", help="also print a JSON summary")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="connections opening at once")
    parser.add_argument("--ack-timeout", type=float, default=30.0, help="seconds to wait for each ack")
    parser.add_argument(
        "--delivery-timeout", type=float, default=60.0, help="waiting for the last broadcasts"
    )
    parser.add_argument(
        "--settle-timeout", type=float, default=60.0, help="waiting for the server to go idle"
    )
    args = parser.parse_args()
    if args.rate is None:  # with several drafts, the load of one draft's six designers spread over them
        args.rate = ONE_DRAFT_RATE if args.drafts == 1 else ONE_DRAFT_RATE * 6 / (args.drafts * args.team)
    if not (args.drafts > 0 and args.team > 1 and args.rate > 0 and args.seconds > 0):
        parser.error("--drafts, --rate and --seconds must be positive, --team at least 2")
    if not 0 <= args.shared <= 1 or args.connect_concurrency < 1:
        parser.error("--shared is a share from 0 to 1; --connect-concurrency at least 1")

    # Ctrl-C and SIGTERM unwind through the finally blocks that stop the server.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="jiayuan-codesign-load-") as tmp:
        print(f"starting the server and {args.drafts} draft(s) of {args.team} ...", flush=True)
        drafts = start(Path(tmp), args)
        try:
            print(f"  {drafts.server.url}; ops flow for {args.seconds:g} s ...", flush=True)
            result = asyncio.run(Bench(drafts, args).run())
        finally:
            drafts.setup.close()
    print_report(result, args)
    if args.json:
        print(
            json.dumps({"args": vars(args), "commit": git_commit(), **asdict(result)}, indent=2, default=str)
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: the server is stopped", file=sys.stderr)
        sys.exit(130)
