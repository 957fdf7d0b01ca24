"""The WebSocket connection the live namespaces speak over (deliberation/live_transport.py)."""

from __future__ import annotations

import socket

from deliberation.live_transport import SharedFrameServer


def _handshake_environ(server_side: socket.socket) -> dict:
    return {
        "werkzeug.socket": server_side,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/socket.io/",
        "QUERY_STRING": "EIO=4&transport=websocket",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
        "HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate; client_max_window_bits",
    }


def test_a_connection_sends_small_messages_at_once_and_uncompressed() -> None:
    """An ack written right after a broadcast must not wait for the client's delayed TCP ACK
    (Nagle's algorithm held it about 40 ms), and the offered compression is declined."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        client = socket.create_connection(listening.getsockname(), timeout=5)
        server_side, _address = listening.accept()
        assert server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        connection = SharedFrameServer(_handshake_environ(server_side))
        try:
            assert server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += client.recv(4096)
            head, _sep, rest = answer.partition(b"\r\n\r\n")
            assert head.lower().startswith(b"http/1.1 101")
            assert b"sec-websocket-extensions" not in head.lower()
            connection.send('42/hearing,["comment"]')
            frame = rest
            while len(frame) < 2 + len('42/hearing,["comment"]'):
                frame += client.recv(4096)
            assert frame == b"\x81\x16" + b'42/hearing,["comment"]'
        finally:
            connection.close()
            client.close()
