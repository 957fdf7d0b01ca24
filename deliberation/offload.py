"""Heavy work off the loop that serves live connections.

Under gevent (``python app.py``, gunicorn's gevent worker) every request and every socket
of a process shares one loop: a layout check of a dense megabyte, a notice PDF or a
password hash run on it would stall every hearing the process serves for seconds. Such
work runs here on a native thread instead (gevent's own thread pool): the loop keeps
running while it computes, since the interpreter hands it the GIL every few milliseconds,
and shapely, scrypt and the PDF's drawing release the GIL for their C parts. At most
HEAVY_AT_ONCE such jobs run at a time per process; more wait their turn, without
blocking anything else.

The work must be plain: no Flask context, no database session (pass it data). Outside
gevent (the tests' threading mode, the command line) it simply runs where it is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
HEAVY_AT_ONCE = 2

_gate: Any = None


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
        return gevent.get_hub().threadpool.apply(work, args, kwargs)
