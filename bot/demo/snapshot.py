"""The bundled demo snapshot and the loopback server that serves it.

`bot/data/demo/` holds sample sources written for the project (see its README). The files are
templates whose dates are relative to the demo's clock (`{{ago:2|rfc822}}`), so the demo
always shows recent developments. `DemoServer` renders them and serves them on
127.0.0.1 with a free port, with ETag / If-None-Match like a real publisher.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

DEMO_PACKAGE_DIR = "data/demo"
PAGE_PATH = "/meti/export-control/ai-semiconductors.html"
_PLACEHOLDER = re.compile(r"\{\{\s*(base|ago:(-?[0-9.]+)(?:\|(\w+))?)\s*\}\}")


@dataclass(frozen=True)
class Resource:
    content_type: str
    template: str  # file name in bot/data/demo


# path -> resource; the Federal Register path also answers `page=2`.
ROUTES: dict[str, Resource] = {
    "/federalregister/api/v1/documents.json": Resource(
        "application/json", "federal_register_page1.json"
    ),
    "/federalregister/api/v1/documents.json?page=2": Resource(
        "application/json", "federal_register_page2.json"
    ),
    "/govuk/api/search.json": Resource("application/json", "govuk_search.json"),
    "/ec/press/rss.xml": Resource("application/rss+xml; charset=utf-8", "ec_press.rss.xml"),
    "/nl/government/news.rss": Resource(
        "application/rss+xml; charset=utf-8", "nl_government.rss.xml"
    ),
    "/wire/atom.xml": Resource("application/atom+xml; charset=utf-8", "policy_wire.atom.xml"),
    "/digest/feed.json": Resource("application/feed+json", "techpolicy_digest.json"),
    PAGE_PATH: Resource("text/html; charset=utf-8", "meti_controls_v1.html"),
}
PAGE_VERSIONS = ("meti_controls_v1.html", "meti_controls_v2.html")


def read_template(name: str) -> str:
    return resources.files("bot").joinpath(f"{DEMO_PACKAGE_DIR}/{name}").read_text("utf-8")


def render(template: str, *, base: str, now: datetime) -> str:
    """Fill `{{base}}` and `{{ago:DAYS|FORMAT}}` placeholders (see bot/data/demo/README.md)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")

    def _fill(match: re.Match[str]) -> str:
        if match.group(1) == "base":
            return base
        when = now - timedelta(days=float(match.group(2)))
        fmt = match.group(3) or "iso"
        if fmt == "iso":
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "rfc822":
            return format_datetime(when)
        if fmt == "date":
            return when.strftime("%Y-%m-%d")
        if fmt == "london":
            return when.astimezone(ZoneInfo("Europe/London")).isoformat(timespec="seconds")
        raise ValueError(f"unknown date format {fmt!r} in a demo template")

    return _PLACEHOLDER.sub(_fill, template)


def demo_sources_toml(*, base: str, now: datetime) -> str:
    return render(read_template("sources.toml"), base=base, now=now)


class DemoServer:
    """The rendered snapshot on http://127.0.0.1:<free port>, in a background thread."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.requests: list[str] = []
        self.page_version = 1
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._bodies: dict[str, bytes] = {}
        for key, resource in ROUTES.items():
            self._bodies[key] = self._render(resource.template)
        self._page_bodies = [self._render(name) for name in PAGE_VERSIONS]
        self._thread: threading.Thread | None = None

    def _render(self, name: str) -> bytes:
        return render(read_template(name), base=self.base_url, now=self.now).encode("utf-8")

    def set_page_version(self, version: int) -> None:
        """Serve version 1 or 2 of the watched page (the demo changes it between polls)."""
        with self._lock:
            self.page_version = version

    def lookup(self, raw_path: str) -> tuple[str, bytes] | None:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query)
        key = parts.path
        if query.get("page") == ["2"]:
            key += "?page=2"
        resource = ROUTES.get(key)
        if resource is None:
            return None
        if key == PAGE_PATH:
            with self._lock:
                return resource.content_type, self._page_bodies[self.page_version - 1]
        return resource.content_type, self._bodies[key]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                found = server.lookup(self.path)
                if found is None:
                    self.send_error(404)
                    return
                content_type, body = found
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args  # quiet: the demo prints its own progress

        return Handler

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def serve_snapshot(*, clock: Callable[[], datetime]) -> Iterator[DemoServer]:
    server = DemoServer(now=clock())
    server.start()
    try:
        yield server
    finally:
        server.stop()
