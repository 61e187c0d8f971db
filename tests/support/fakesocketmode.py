"""A fake Slack Socket Mode server on loopback: `apps.connections.open` plus a WebSocket.

It speaks the protocol Slack documents (docs.slack.dev/apis/events-api/using-socket-mode): on
each new WebSocket the server sends `hello`; it then sends envelopes (`slash_commands`,
`events_api`, `interactive`), each with an `envelope_id` the client must echo back as an ack;
`{"type": "disconnect", "reason": "refresh_requested"}` asks the client to open a new
connection. A stdlib server (threads and raw sockets, no WebSocket library) so tests control
exactly what goes on the wire, including the failures real networks produce:

    sm = FakeSocketMode().start()
    fake_slack.socket_mode = sm                 # `apps.connections.open` answers sm's URL
    conn = sm.wait_connection()                 # the client connected and got `hello`
    eid = sm.send_command("/policy", "help")    # on the newest connection
    ack = sm.wait_ack(eid)                      # the client's ack (with its payload)
    sm.drop(conn, "fin")                        # TCP close with no close frame

Drop modes: `close_frame` (a proper close 1001), `fin` (TCP close without a close frame: a
NAT or proxy forgetting an idle connection), `reset` (TCP RST), `silent` (the socket stays
open but the server stops answering pings and sending anything: a dead peer behind a proxy).
`refuse_connections = True` makes `apps.connections.open` hand out a URL nothing listens on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

DropMode = Literal["close_frame", "fin", "reset", "silent"]
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


@dataclass
class Ack:
    """An envelope acknowledgement the client sent back."""

    envelope_id: str
    connection: int
    at: float  # time.monotonic() when the server read it
    payload: dict[str, Any] | None


@dataclass
class Connection:
    """One WebSocket the client opened."""

    number: int
    sock: socket.socket
    opened_at: float
    silent: bool = False
    closed: bool = False
    pings: int = 0
    send_lock: threading.Lock = field(default_factory=threading.Lock)


def _frame(opcode: int, payload: bytes) -> bytes:
    """A server-to-client frame (unmasked, FIN set)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """A client-to-server frame (masked); fragments are not used by Slack clients."""
    b1, b2 = _read_exact(sock, 2)
    opcode, masked, n = b1 & 0x0F, b2 & 0x80, b2 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", _read_exact(sock, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", _read_exact(sock, 8))
    mask = _read_exact(sock, 4) if masked else b"\0\0\0\0"
    data = bytearray(_read_exact(sock, n))
    for i in range(n):
        data[i] ^= mask[i % 4]
    return opcode, bytes(data)


class FakeSocketMode:
    """The WebSocket side of a fake Slack; attach it to `FakeSlack.socket_mode`."""

    def __init__(self, *, app_token: str = "xapp-1-A0TEST-1-fakeapptoken") -> None:
        self.app_token = app_token
        self.refuse_connections = False
        self.acks: list[Ack] = []
        self.connections: list[Connection] = []
        self.received: list[dict[str, Any]] = []  # every text frame the client sent
        self.on_open: list[Callable[[Connection], None]] = []  # run right after `hello`
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSocketMode:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        for conn in self.connections:
            self._close_socket(conn)

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connections_open_url(self) -> str:
        """What `apps.connections.open` answers: this server, or a port that refuses."""
        if self.refuse_connections:
            with socket.socket() as probe:  # bound then closed: nothing listens there
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            return f"ws://127.0.0.1:{port}/link/?ticket=refused"
        assert self._listener is not None, "FakeSocketMode is not started"
        port = self._listener.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=t{next(self._ids)}&app_id=A0TEST"

    # -- what the server sends ----------------------------------------------------------------
    def send(self, message: dict[str, Any], conn: Connection | None = None) -> None:
        target = conn or self.newest()
        with target.send_lock:
            target.sock.sendall(_frame(OP_TEXT, json.dumps(message).encode()))

    def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        conn: Connection | None = None,
        *,
        envelope_id: str | None = None,
    ) -> str:
        envelope_id = envelope_id or f"env-{next(self._ids)}"
        self.send(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            },
            conn,
        )
        return envelope_id

    def send_command(
        self,
        command: str,
        text: str,
        conn: Connection | None = None,
        *,
        response_url: str = "http://127.0.0.1:9/response/1",
        user: str = "U0TEST1",
    ) -> str:
        """A slash-command envelope shaped like Slack's (the payload keeps the legacy token)."""
        return self.send_envelope(
            "slash_commands", command_payload(command, text, response_url, user), conn
        )

    def refresh(self, conn: Connection | None = None) -> None:
        """Slack's periodic `disconnect` (the client should open a new connection)."""
        self.send(
            {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}},
            conn,
        )

    def drop(self, conn: Connection, mode: DropMode) -> None:
        """End `conn` the way `mode` says (see the module docstring)."""
        if mode == "silent":
            conn.silent = True
            return
        if mode == "close_frame":
            with conn.send_lock:
                conn.sock.sendall(_frame(OP_CLOSE, struct.pack("!H", 1001) + b"going away"))
        elif mode == "reset":
            # Linger 0 makes close() send RST; SHUT_RD first wakes our reader thread, whose
            # blocked recv would otherwise keep the socket (and the RST) alive.
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.sock.shutdown(socket.SHUT_RD)
        elif mode == "fin":
            conn.sock.shutdown(socket.SHUT_RDWR)
        self._close_socket(conn)

    # -- inspection ---------------------------------------------------------------------------
    def newest(self) -> Connection:
        with self._cond:
            assert self.connections, "no client has connected"
            return self.connections[-1]

    def open_connections(self) -> list[Connection]:
        with self._cond:
            return [c for c in self.connections if not c.closed]

    def wait_connection(self, count: int = 1, timeout: float = 30.0) -> Connection:
        """Wait until `count` connections have been opened in all; the newest one."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.connections) >= count, timeout):
                raise AssertionError(f"{len(self.connections)} connection(s), wanted {count}")
            return self.connections[-1]

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        with self._cond:
            found: list[Ack] = []

            def acked() -> bool:
                found[:] = [a for a in self.acks if a.envelope_id == envelope_id]
                return bool(found)

            if not self._cond.wait_for(acked, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged")
            return found[0]

    def acks_for(self, envelope_id: str) -> list[Ack]:
        with self._cond:
            return [a for a in self.acks if a.envelope_id == envelope_id]

    # -- server internals ---------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if not self._handshake(sock):
                sock.close()
                return
        except OSError:
            sock.close()
            return
        with self._cond:
            conn = Connection(
                number=len(self.connections) + 1, sock=sock, opened_at=time.monotonic()
            )
            hello = {
                "type": "hello",
                "num_connections": len(self.open_connections()) + 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0TEST"},
            }
            sock.sendall(_frame(OP_TEXT, json.dumps(hello).encode()))
            self.connections.append(conn)
            self._cond.notify_all()
        for hook in list(self.on_open):
            hook(conn)
        self._read_loop(conn)

    def _handshake(self, sock: socket.socket) -> bool:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(4096)
            if not chunk:
                return False
            request += chunk
        headers = {}
        for line in request.decode("latin-1").split("\r\n")[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key")
        if not key or headers.get("upgrade", "").lower() != "websocket":
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return True

    def _read_loop(self, conn: Connection) -> None:
        try:
            while not conn.closed:
                opcode, data = _read_frame(conn.sock)
                if conn.silent:
                    continue
                if opcode == OP_PING:
                    conn.pings += 1
                    with conn.send_lock:
                        conn.sock.sendall(_frame(OP_PONG, data))
                elif opcode == OP_CLOSE:
                    with conn.send_lock:
                        conn.sock.sendall(_frame(OP_CLOSE, data[:2]))
                    break
                elif opcode == OP_TEXT:
                    self._on_text(conn, data)
        except (OSError, ConnectionError):
            pass
        self._close_socket(conn)

    def _on_text(self, conn: Connection, data: bytes) -> None:
        message = json.loads(data.decode())
        with self._cond:
            self.received.append(message)
            if isinstance(message, dict) and "envelope_id" in message:
                self.acks.append(
                    Ack(
                        envelope_id=str(message["envelope_id"]),
                        connection=conn.number,
                        at=time.monotonic(),
                        payload=message.get("payload"),
                    )
                )
            self._cond.notify_all()

    def _close_socket(self, conn: Connection) -> None:
        with self._cond:
            if conn.closed:
                return
            conn.closed = True
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            conn.sock.close()


def command_payload(command: str, text: str, response_url: str, user: str) -> dict[str, Any]:
    """A slash-command payload as Slack sends it over Socket Mode."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T0TEST",
        "team_domain": "test",
        "channel_id": "C0TEST",
        "channel_name": "policy",
        "user_id": user,
        "user_name": "tester",
        "command": command,
        "text": text,
        "api_app_id": "A0TEST",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
