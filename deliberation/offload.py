"""Heavy work off the loop that serves live connections.

Under gevent (``python app.py``, gunicorn's gevent worker) every request and every socket
of a process shares one loop: a layout check of a dense megabyte, a notice PDF or a
password hash run on it would stall every hearing the process serves for seconds. Such
work runs here on a native thread instead (gevent's own thread pool): the loop keeps
running while it computes, since the interpreter hands it the GIL within a millisecond
(LOOP_SWITCH_INTERVAL_SECONDS), and shapely, scrypt and the PDF's drawing release the GIL
for their C parts. The heavy threads also run at a lower scheduling priority, so that
on a busy machine the loop, the database and the message queue get the cores first: a
hearing's comment waits for nobody's PDF (bench/faults.py measures it). At most
HEAVY_AT_ONCE such jobs run at a time per process; more wait their turn, without
blocking anything else.

The work must be plain: no Flask context, no database session (pass it data). Outside
gevent (the tests' threading mode, the command line) it simply runs where it is called.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

T = TypeVar("T")
HEAVY_AT_ONCE = 2
# Modules the heavy work imports: imported on the loop when the worker starts, since a
# first import may start a process (weasyprint runs ldconfig to find its libraries), and
# gevent watches child processes only from its main loop, never from the pool's threads.
HEAVY_MODULES = ("weasyprint",)
# How long a heavy thread may keep the GIL when the loop wants it back (Python's default is
# 5 ms): every wake-up of the loop (a socket ready, a database answer) waits at most this.
LOOP_SWITCH_INTERVAL_SECONDS = 0.001
# The heavy threads' nice value (Linux schedules threads one by one): 10 lets them use
# the cores nobody else needs. Bench figures with three PDFs and two 1 MB layout checks on
# two cores: comment delivery p99 about 600 ms at the loop's own priority, 130-370 ms at 10.
HEAVY_NICE = 10

_gate: Any = None


def prepare(app: Flask) -> None:
    """Make this process ready to offload under gevent (nothing to do otherwise).

    What a first use would otherwise do on the loop, seconds into a hearing, is done here
    once: imports that start processes, and compiling the pages' templates.
    """
    if not _gevent_running():
        return
    for name in HEAVY_MODULES:
        importlib.import_module(name)
    for template in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(template)
    sys.setswitchinterval(LOOP_SWITCH_INTERVAL_SECONDS)


def _gevent_running() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover
        return False
    return monkey.is_module_patched("socket")


def run_heavy(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``work(*args, **kwargs)`` off the live loop and return what it returns."""
    if not _gevent_running():
        return work(*args, **kwargs)
    import gevent
    from gevent.lock import BoundedSemaphore

    global _gate
    if _gate is None:
        _gate = BoundedSemaphore(HEAVY_AT_ONCE)
    with _gate:
        return gevent.get_hub().threadpool.apply(_at_low_priority, (work, *args), kwargs)


def _at_low_priority(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """On a pool thread: lower this thread's priority (Linux), then do the work."""
    if sys.platform == "linux":
        from gevent import monkey

        thread_id = monkey.get_original("threading", "get_native_id")()
        # Raising one's nice value needs no privilege; lowering it back would, so the
        # pool's threads simply stay at HEAVY_NICE (they only ever run heavy work).
        if os.getpriority(os.PRIO_PROCESS, thread_id) < HEAVY_NICE:
            os.setpriority(os.PRIO_PROCESS, thread_id, HEAVY_NICE)
    return work(*args, **kwargs)
