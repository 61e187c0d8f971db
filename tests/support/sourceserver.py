"""A loopback HTTP server that plays policy sources, good and bad, for tests and the demo.

It runs a stdlib `ThreadingHTTPServer` on 127.0.0.1, port 0, so fetching goes through the real
httpx path. Each path is a `Route`; bodies may contain `{base}`, replaced by the server's URL.

    with SourceServer() as server:
        url = server.fixture("/bis.json", "fr_bis_page1.json", etag='"v1"')
        server.route("/broken", status=500)
        server.route("/slow", drip=True)
        ...
        assert server.requests_to("/bis.json")[-1].headers["if-none-match"] == '"v1"'

Route options:
- `body`, `status`, `content_type`, `headers`: what is answered.
- `etag` / `last_modified`: sent with 200s; a request whose `If-None-Match` equals `etag` (or
  whose `If-Modified-Since` equals `last_modified`) gets `304 Not Modified` with no body.
- `delay`: seconds to wait before answering (a slow server).
- `drip`: send headers, then one byte every `drip_interval` seconds, forever (until the client
  goes away or the server stops) - a body that never ends.
- `size`: a body of this many bytes generated on the fly (a huge response), with its
  `Content-Length` unless `chunked=True`.
- `redirect_to`: answer 302 with this Location (relative or absolute; `{base}` allowed).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"

_TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    drip: bool = False
    drip_interval: float = 0.2
    size: int | None = None
    chunked: bool = False
    redirect_to: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    at: float


class SourceServer:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base = ""

    # --- configuration ---------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._base, "start() first"
        return self._base

    def route(self, path: str, **options: Any) -> str:
        """Serve `path` with these `Route` options (replacing any earlier route); its URL."""
        body = options.pop("body", b"")
        if isinstance(body, str):
            body = body.encode("utf-8")
        with self._lock:
            self._routes[path] = Route(body=body, **options)
        return self.url + path

    def fixture(self, path: str, name: str, **options: Any) -> str:
        """Serve `tests/fixtures/sources/<name>` at `path` (content type from the extension)."""
        suffix = Path(name).suffix
        options.setdefault("content_type", _TYPES.get(suffix, "application/octet-stream"))
        return self.route(path, body=fixture_bytes(name), **options)

    def get_route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> SourceServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        host, port = server.server_address[:2]
        self._base = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SourceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- used by the handler ---------------------------------------------------------

    def _record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(path, headers, time.monotonic()))


def _make_handler(server: SourceServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(self.path if "?" in self.path else path, headers)
            route = server.get_route(self.path) or server.get_route(path)
            if route is None:
                self._plain(404, b"not found")
                return
            if route.delay and server._stopping.wait(route.delay):
                return
            if route.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", route.redirect_to.replace("{base}", server.url))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if (route.etag and headers.get("if-none-match") == route.etag) or (
                route.last_modified and headers.get("if-modified-since") == route.last_modified
            ):
                self.send_response(304)
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.content_type:
                self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.drip:
                self._drip(route)
                return
            if route.size is not None:
                self._huge(route)
                return
            body = route.body.replace(b"{base}", server.url.encode("ascii"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _plain(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, route: Route) -> None:
            # No length: the body ends when the connection closes, which it never does.
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"<?xml version='1.0'?><rss><channel>")
            deadline = time.monotonic() + 120
            try:
                while not server._stopping.is_set() and time.monotonic() < deadline:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(route.drip_interval)
            except OSError:
                return
            self.close_connection = True

        def _huge(self, route: Route) -> None:
            assert route.size is not None
            if route.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(route.size))
            self.end_headers()
            block = b"<!-- padding -->" * 4096
            remaining = route.size
            try:
                while remaining > 0 and not server._stopping.is_set():
                    piece = block[: min(len(block), remaining)]
                    if route.chunked:
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    else:
                        self.wfile.write(piece)
                    remaining -= len(piece)
                if route.chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True

    return Handler
