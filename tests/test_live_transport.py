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


def _packets() -> list:
    from socketio import packet

    from deliberation import live_json
    from deliberation.live_json import fragment

    class LivePacket(packet.Packet):
        json = live_json  # as the app configures python-socketio

    page = fragment([{"body": "篮球架往东挪 “两米” \\ ☺", "seq": n} for n in range(3)])
    return [
        LivePacket(packet.ACK, namespace="/hearing", id=12, data=[{"ok": True, "comments": page}]),
        LivePacket(packet.ACK, namespace="/hearing", id=0, data=[]),
        LivePacket(packet.EVENT, namespace="/design", data=["op", {"counts": {3: 1}, "x": None}]),
        LivePacket(packet.EVENT, namespace="/", data=["presence", 4]),
        LivePacket(packet.CONNECT, namespace="/hearing", data={"sid": "abc"}),
        LivePacket(packet.CONNECT_ERROR, namespace="/hearing", data={"message": "unauthorized"}),
        LivePacket(packet.DISCONNECT, namespace="/hearing"),
    ]


def test_a_packet_in_utf8_is_what_socketio_encodes_in_utf8() -> None:
    """The acknowledgements a WebSocket gets as UTF-8 must be the bytes python-socketio's own
    text would have become: namespaces, ids, Chinese, escapes, int keys, spliced pages."""
    from deliberation.live_json import packet_utf8

    for pkt in _packets():
        assert packet_utf8(pkt) == pkt.encode().encode(), pkt.encode()


def test_a_utf8_message_is_framed_as_wsproto_frames_its_text() -> None:
    """A Utf8Message goes out as a text frame, byte for byte the frame of its text, at each of
    the three lengths a frame header can give (7 bits, 16, 64)."""
    from wsproto.frame_protocol import FrameProtocol

    from deliberation.live_transport import Utf8Message

    framing = FrameProtocol(client=False, extensions=[])
    with socket.create_server(("127.0.0.1", 0)) as listening:
        client = socket.create_connection(listening.getsockname(), timeout=5)
        server_side, _address = listening.accept()
        connection = SharedFrameServer(_handshake_environ(server_side))
        try:
            received = b""
            while b"\r\n\r\n" not in received:
                received += client.recv(65536)
            received = received.partition(b"\r\n\r\n")[2]
            expected = b""
            for text in ("43/hearing,1[{}]", "长椅" * 100, "篮球 ball " * 9000):
                connection.send(Utf8Message(text.encode()))
                expected += framing.send_data(text, fin=True)
            while len(received) < len(expected):
                received += client.recv(65536)
            assert received == expected
        finally:
            connection.close()
            client.close()
