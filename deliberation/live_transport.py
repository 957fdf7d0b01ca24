"""The WebSocket under the live hearings: one frame per broadcast, not one per listener.

python-socketio encodes a broadcast once, but simple-websocket frames it again for every
connection, and compresses it for every browser (it accepts the permessage-deflate that
browsers offer): each compressing connection keeps its own zlib state (about 300 KB) and
spends CPU on every message. Socket.IO 4 and Phoenix turned that compression off and send
the same bytes to everyone; so does this: the offer is declined, and a message sent to
many connections in a row is framed by wsproto for the first and the same frame is
written to the rest.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from wsproto.connection import ConnectionState
from wsproto.events import TextMessage


class _LastFrame:
    """The last text message framed and its frame (messages carry no per-connection state
    once no extension is negotiated). One tuple, read and replaced whole: no lock needed."""

    def __init__(self) -> None:
        self._last: tuple[str | None, bytes] = (None, b"")

    def get(self, text: str) -> bytes | None:
        last_text, frame = self._last
        return frame if last_text == text else None

    def put(self, text: str, frame: bytes) -> None:
        self._last = (text, frame)


LAST_FRAME = _LastFrame()


class SharedFrameServer(simple_websocket.Server):
    """simple-websocket's server connection, negotiating no compression and sending a text
    message's frame made once."""

    def __init__(self, environ: dict[str, Any], **options: Any):
        # Without the client's offer (the handshake is read from environ) wsproto accepts none.
        offerless = {k: v for k, v in environ.items() if k != "HTTP_SEC_WEBSOCKET_EXTENSIONS"}
        super().__init__(offerless, **options)
        # Small messages go out at once: an ack written right after the op's broadcast
        # otherwise waits for the client's delayed TCP ACK of it (Nagle), about 40 ms.
        with contextlib.suppress(OSError):  # not TCP (a Unix socket behind a proxy)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data: Any) -> None:
        if not isinstance(data, str) or not self.connected or self.ws.state != ConnectionState.OPEN:
            return super().send(data)
        frame = LAST_FRAME.get(data)
        if frame is None:
            frame = self.ws.send(TextMessage(data=data))
            LAST_FRAME.put(data, frame)
        sent = self.sock.send(frame)
        if sent < len(frame):  # a full send buffer (a big page to a slow phone): the rest waits
            self.sock.sendall(memoryview(frame)[sent:])


def shared_frames(base: type[SimpleWebSocketWSGI]) -> type[SimpleWebSocketWSGI]:
    """engine.io's WebSocket adapter (``base``, made for its async mode) opening its
    connections as SharedFrameServer."""

    class SharedFrameWebSocketWSGI(base):  # type: ignore[misc, valid-type]
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            # as SimpleWebSocketWSGI.__call__, with the connection class above
            self.ws = SharedFrameServer(environ, **self.server_args)
            answer = self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return answer

    return SharedFrameWebSocketWSGI


def install(engineio_server: Any) -> None:
    """Serve ``engineio_server``'s WebSocket connections with shared frames (its async
    mode's adapter is simple-websocket's in every mode Jiayuan runs in)."""
    adapters = dict(engineio_server._async)  # the async module's own dict is shared: copy it
    base = adapters.get("websocket")
    if isinstance(base, type) and issubclass(base, SimpleWebSocketWSGI):
        adapters["websocket"] = shared_frames(base)
        engineio_server._async = adapters
