"""The floor for bench/hearing_load.py: a bare python-socketio broadcast server.

Served the way ``python app.py`` serves Jiayuan in production: gevent (monkey-patched
first), ``socketio.Server(async_mode="gevent")``, engineio's WSGI app on gevent's pywsgi
``WSGIServer`` (WebSocket from simple-websocket, as Flask-SocketIO does when
gevent-websocket is absent), no access log. No database, no authentication, no
presence: on the ``/hearing`` namespace, ``join {hearing_id}`` puts the connection in
the hearing's room and answers an ack shaped like Jiayuan's; ``comment {hearing_id,
client_id, body}`` broadcasts a payload shaped (and so sized) like Jiayuan's stored
comment to that room, sender included, and acks the sender with it. With ``--redis URL``,
several such processes share their rooms through python-socketio's own ``RedisManager``
(the floor for Jiayuan's workers behind Redis; each process numbers its comments alone).

    .venv/bin/python bench/bare_broadcast_server.py --host 127.0.0.1 --port 5123

GET /healthz answers 200 once the server is up.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402

NAMESPACE = "/hearing"


def build_app(redis_url: str | None = None, channel: str = "bench") -> Callable[..., Iterable[bytes]]:
    """The WSGI app: Socket.IO under /socket.io, a health check, 404 elsewhere."""
    manager = socketio.RedisManager(redis_url, channel=channel) if redis_url else None
    sio = socketio.Server(async_mode="gevent", client_manager=manager)
    seq = itertools.count(1)

    @sio.on("connect", namespace=NAMESPACE)
    def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        return None

    @sio.on("join", namespace=NAMESPACE)
    def join(sid: str, data: Any) -> dict[str, Any]:
        hearing_id = data.get("hearing_id") if isinstance(data, dict) else None
        if not isinstance(hearing_id, int):
            return {"ok": False, "error": {"code": "invalid_input", "message": "hearing_id"}}
        sio.enter_room(sid, f"hearing:{hearing_id}", namespace=NAMESPACE)
        state = {"hearing_id": hearing_id, "phase": "hearing", "slot": None, "poll": None, "presence": 0}
        return {"ok": True, "state": state, "comments": [], "has_more": False}

    @sio.on("comment", namespace=NAMESPACE)
    def comment(sid: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("hearing_id"), int):
            return {"ok": False, "error": {"code": "invalid_input", "message": "hearing_id"}}
        number = next(seq)
        # The same fields as Jiayuan's comment_dict, so the broadcast is comparably sized.
        payload = {
            "id": number,
            "seq": number,
            "prev_seq": number - 1 if number > 1 else None,
            "hearing_id": data["hearing_id"],
            "client_id": data.get("client_id"),
            "body": data.get("body"),
            "author": {"id": 1, "name": "居民 Bench Resident", "stakeholder": None},
            "parent_id": None,
            "proposal_id": None,
            "anchor": None,
            "is_question": False,
            "on_behalf_of": None,
            "hidden": False,
            "hidden_reason": None,
            "reactions": {},
            "upvotes": 0,
            "created_at": datetime.now(UTC).isoformat(),
        }
        sio.emit("comment", payload, to=f"hearing:{data['hearing_id']}", namespace=NAMESPACE)
        return {"ok": True, "comment": payload}

    def health(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return socketio.WSGIApp(sio, health)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", help="a Redis URL shared with other such processes")
    parser.add_argument("--channel", default="bench", help="the channel on that Redis")
    args = parser.parse_args()
    app = build_app(args.redis, args.channel)
    pywsgi.WSGIServer((args.host, args.port), app, log=None).serve_forever()


if __name__ == "__main__":
    main()
