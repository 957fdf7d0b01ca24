"""What the benches share: ports, child processes and their CPU, a Redis of their own, client logs,
percentiles, the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
# Filler for comment bodies: a realistic mix of Chinese and English.
FILLER = "篮球场边能不能多放几张长椅，晚上的灯也要亮一点；the shade trees by the corridor should stay."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    """In the child before exec: be killed if the bench dies, however it dies (Linux).

    The signal follows the *thread* that started the child, so children are only ever
    started from the main thread."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


_LIBC = ctypes.CDLL(None, use_errno=True)


def process_cpu(pid: int) -> float | None:
    """CPU time of a process (all its threads, ended ones too), in seconds; None once it is gone.

    Read from the process's CPU-time clock (clock_getcpuclockid), in nanoseconds, not from
    /proc's utime + stime, which count whole clock ticks (10 ms): 200 people joining a bare
    server cost 13 to 21 ticks, so a tick either side moved its figure by a tenth.
    """
    clock = ctypes.c_int()
    if _LIBC.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        return None
    try:
        return time.clock_gettime(clock.value)
    except OSError:  # the process has gone since
        return None


def log_tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (nan when empty); an infinite value is a never-answered one."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def prepare_database(env: dict[str, str]) -> None:
    """The schema by its migrations and the demo, as the README's run command makes them."""
    for command in (["db", "upgrade"], ["seed-demo"]):
        run_python(env, ["-m", "flask", *command], f"flask {' '.join(command)}")


def run_python(env: dict[str, str], arguments: list[str], what: str) -> None:
    """Python with these arguments in the project's folder (dying with the bench); its errors raised."""
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        preexec_fn=die_with_parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr.decode()[-3000:]}")


class OwnRedis:
    """A redis-server of the bench's own on a free port, which it kills, restarts and pauses."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is required (Debian's redis-server package)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = folder / "redis.log"
        self.process: subprocess.Popen | None = None
        self.paused = False

    def start(self) -> None:
        """Start (or restart, on the same port) and return at once; see ``ready``."""
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder), "--logfile", str(self.log)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent
        )

    def ping(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{log_tail(self.log)}")
        return self.ping()

    def _silent(self, timeout: float) -> RuntimeError:
        return RuntimeError(f"redis-server did not answer within {timeout} s:\n{log_tail(self.log)}")

    async def ready(self, timeout: float = 10) -> None:
        """Wait until it answers (from a loop that serves clients meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(self._answers):
                return
            await asyncio.sleep(0.05)
        raise self._silent(timeout)

    def wait_ready(self, timeout: float = 10) -> None:
        """Wait until it answers (blocking)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._answers():
                return
            time.sleep(0.05)
        raise self._silent(timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped process would not die of SIGTERM
            self.process.kill()
            self.process.wait(timeout=10)


class CountingHandler(logging.Handler):
    """Counts the Socket.IO/Engine.IO clients' log messages instead of printing a thousand."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.getMessage()[:80]] += 1

    def take(self) -> dict[str, int]:
        counts, self.counts = dict(self.counts), Counter()
        return counts


def count_client_logs() -> CountingHandler:
    """The python-socketio clients' warnings, counted rather than printed."""
    handler = CountingHandler()
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).propagate = False
    return handler


class Api:
    """Just enough of Jiayuan's HTTP API, with bearer tokens (no cookies kept)."""

    def __init__(self, base: str, timeout: float = 60):
        self.base = base
        self.timeout = timeout
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **body: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(
            method, self.base + "/api/v1" + path, json=body or None, headers=headers, timeout=self.timeout
        )
        self.http.cookies.clear()  # a login's session cookie must not stand for the next caller
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def login(self, email: str, password: str) -> str:
        return self.call("POST", "/auth/login", email=email, password=password)["token"]

    def sign_up(self, email: str, name: str, password: str) -> int:
        return self.call("POST", "/auth/signup", email=email, password=password, name=name)["user"]["id"]
