"""The WebSocket under the live hearings: one frame per broadcast, not one per listener,
and acknowledgements sent as the UTF-8 their JSON is made in.

python-socketio encodes a broadcast once, but simple-websocket frames it again for every
connection, and compresses it for every browser (it accepts the permessage-deflate that
browsers offer): each compressing connection keeps its own zlib state (about 300 KB) and
spends CPU on every message. Socket.IO 4 and Phoenix turned that compression off and send
the same bytes to everyone; so does this: the offer is declined, and a message sent to
many connections in a row is framed by wsproto for the first and the same frame is
written to the rest.

A packet for one connection (a join's answer carries a page of 200 comments, ~90 KB) went
from orjson's UTF-8 to text, was copied by Socket.IO and Engine.IO, then encoded back to
UTF-8 and copied into its frame: four passes over it per joiner. On a WebSocket it is now
encoded to UTF-8 once and framed as it is (``Utf8Message``).

Engine.IO hands every message to the connection's own writer (a queue, and a greenlet woken
to empty it): for a broadcast to 1,000 listeners, a thousand wake-ups and switches, half
the CPU of the whole delivery. Under gevent a message for a connection whose queue is empty
and which is writing nothing is written at once, by whoever sends it, as far as the kernel
takes it without waiting; the rest of its frame (a phone reading slowly) goes to the
writer's queue ahead of anything later, so nobody waits for the slowest phone and every
connection's bytes stay in order (gevent switches only where a greenlet waits).
"""

from __future__ import annotations

import contextlib
import socket
import weakref
from collections.abc import Callable
from typing import Any

import gevent.socket
import simple_websocket
from engineio import packet as eio_packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from socketio import packet as sio_packet
from wsproto.connection import ConnectionState
from wsproto.events import TextMessage

from deliberation.live_json import packet_utf8


class Utf8Message(bytes):
    """A text message already encoded as UTF-8: sent in a text frame as it is."""


class FrameRest(bytes):
    """The rest of a frame whose beginning is written already: written as it is, first."""


def text_frame(payload: bytes) -> bytes:
    """A whole text message in one frame, as a server sends it: unmasked (RFC 6455, 5.2)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x81, size))
    elif size < 1 << 16:
        head = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return head + payload


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
        self.writing = False  # a frame is on its way (its writer may be waiting for room)

    def _frame(self, data: Any) -> bytes | None:
        """The bytes to write for a text message (or a frame's rest); None for binary."""
        if isinstance(data, FrameRest):
            return data
        if isinstance(data, Utf8Message):
            return text_frame(data)
        if not isinstance(data, str):
            return None
        frame = LAST_FRAME.get(data)
        if frame is None:
            frame = self.ws.send(TextMessage(data=data))
            LAST_FRAME.put(data, frame)
        return frame

    def is_open(self) -> bool:
        return self.connected and self.ws.state == ConnectionState.OPEN

    def send(self, data: Any) -> None:
        if not self.is_open():
            # closed: simple-websocket raises ConnectionClosed, which Engine.IO expects
            return super().send(data.decode() if isinstance(data, Utf8Message) else data)
        frame = self._frame(data)
        self.writing = True
        try:
            if frame is None:
                return super().send(data)
            sent = self.sock.send(frame)
            if sent < len(frame):  # a full send buffer (a big page to a slow phone): the rest waits
                self.sock.sendall(memoryview(frame)[sent:])
        finally:
            self.writing = False

    def send_now(self, data: Any) -> bytes | None:
        """Write a text message's frame as far as the kernel takes it without waiting; what
        it did not take (to be written next, before anything else), or None if it took
        nothing (or the message is binary): then send it as usual."""
        frame = self._frame(data)
        if frame is None or not isinstance(self.sock, gevent.socket.socket):
            return None
        try:
            sent = self.sock.send(frame, 0, 0.0)  # gevent's: with a timeout of 0 it never waits
        except BlockingIOError:
            return None
        return frame[sent:] if sent else None


# Each Engine.IO connection's WebSocket, while both last.
CONNECTIONS: weakref.WeakKeyDictionary[Any, SharedFrameServer] = weakref.WeakKeyDictionary()


def shared_frames(base: type[SimpleWebSocketWSGI]) -> type[SimpleWebSocketWSGI]:
    """engine.io's WebSocket adapter (``base``, made for its async mode) opening its
    connections as SharedFrameServer."""

    class SharedFrameWebSocketWSGI(base):  # type: ignore[misc, valid-type]
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            # as SimpleWebSocketWSGI.__call__, with the connection class above
            self.ws = SharedFrameServer(environ, **self.server_args)
            engineio_socket = getattr(self.app, "__self__", None)  # app: its _websocket_handler
            if engineio_socket is not None:
                CONNECTIONS[engineio_socket] = self.ws
            answer = self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return answer

    return SharedFrameWebSocketWSGI


def _encoded(message: bytes) -> Any:
    """An Engine.IO packet whose encoding is ``message`` already (a Utf8Message or a
    FrameRest): Engine.IO's writer hands it to the connection as it is."""
    packet = eio_packet.Packet(eio_packet.MESSAGE)
    packet.encode_cache = message
    return packet


# Socket.IO packets whose data is JSON (the binary ones carry attachments).
_JSON_PACKETS = frozenset(
    (sio_packet.CONNECT, sio_packet.DISCONNECT, sio_packet.EVENT, sio_packet.ACK, sio_packet.CONNECT_ERROR)
)


def utf8_packets(socketio_server: Any, send_packet: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    """python-socketio's ``_send_packet`` (``send_packet``), sending a JSON packet to a
    connection on a WebSocket as one Utf8Message; to one still polling, as before (its
    payloads are text). A connection upgraded once stays on its WebSocket."""

    def send(eio_sid: str, pkt: Any) -> None:
        socket_ = socketio_server.eio.sockets.get(eio_sid)
        if pkt.packet_type not in _JSON_PACKETS or socket_ is None or not socket_.upgraded:
            return send_packet(eio_sid, pkt)
        message = Utf8Message(b"4" + packet_utf8(pkt))  # 4: Engine.IO's "message"
        socketio_server._send_eio_packet(eio_sid, _encoded(message))

    return send


def written_at_once(
    engineio_server: Any, send_queued: Callable[[str, Any], None]
) -> Callable[[str, Any], None]:
    """python-socketio's ``_send_eio_packet`` (``send_queued``), writing a message at once to
    a WebSocket connection that has nothing queued and nothing on its way; otherwise, and to
    connections still polling, queued as before."""

    def send(eio_sid: str, pkt: Any) -> None:
        socket_ = engineio_server.sockets.get(eio_sid)
        connection = CONNECTIONS.get(socket_) if socket_ is not None else None
        if (
            connection is None
            or not socket_.upgraded
            or socket_.closed
            or not socket_.queue.empty()
            or connection.writing
            or not connection.is_open()
        ):
            return send_queued(eio_sid, pkt)
        if not socket_.check_ping_timeout():  # as Engine.IO's send: a silent client is closed
            return None
        try:
            rest = connection.send_now(pkt.encode())
        except OSError:  # a dropped connection: its writer finds out, as it did
            rest = None
        if rest is None:
            return send_queued(eio_sid, pkt)
        if rest:
            socket_.queue.put(_encoded(FrameRest(rest)))
        return None

    return send


def install(socketio_server: Any) -> None:
    """Serve ``socketio_server``'s WebSocket connections with shared frames and its packets
    for one connection as UTF-8 (its async mode's adapter is simple-websocket's in every
    mode Jiayuan runs in; with another, nothing changes)."""
    engineio_server = socketio_server.eio
    adapters = dict(engineio_server._async)  # the async module's own dict is shared: copy it
    base = adapters.get("websocket")
    if isinstance(base, type) and issubclass(base, SimpleWebSocketWSGI):
        adapters["websocket"] = shared_frames(base)
        engineio_server._async = adapters
        socketio_server._send_packet = utf8_packets(socketio_server, socketio_server._send_packet)
        if engineio_server.async_mode == "gevent":  # greenlets switch only where they wait
            socketio_server._send_eio_packet = written_at_once(
                engineio_server, socketio_server._send_eio_packet
            )
