"""A fake Slack Web API server on loopback, speaking Slack's wire format.

Tests drive the real `slack_sdk.WebClient` (and slack_bolt's `respond()`) against it, the way
Slack's own SDKs test themselves. It runs a stdlib `ThreadingHTTPServer` on 127.0.0.1, port 0.

    fake = FakeSlack().start()
    client = WebClient(token=fake.token, base_url=fake.url)
    client.chat_postMessage(channel="C1", text="hi")
    assert fake.messages("C1")[0].text == "hi"
    fake.stop()

What it speaks:
- `POST /api/<method>` with a form-encoded or JSON body; `Authorization: Bearer <token>` (or a
  `token` field) must equal `fake.token`, otherwise `invalid_auth`.
- Answers are JSON shaped like `tests/fixtures/slack/web_*.json` (copied from Slack's docs):
  HTTP 200 with `ok: true`, or HTTP 200 with `ok: false` + `error` for platform errors.
- `auth.test`, `chat.postMessage` (a fresh unique `ts`; with `thread_ts` it is a reply),
  `chat.postEphemeral`, `chat.update`, `conversations.open` (one `D…` channel per user),
  `conversations.history`, `conversations.replies`, `users.info`, `views.publish`. Any other method is recorded and
  answered `unknown_method`.
- `apps.connections.open` (with the app token) when a `FakeSocketMode` is attached as
  `fake.socket_mode` (tests/support/fakesocketmode.py): the WebSocket URL of Socket Mode.
- `POST /response/<id>`: a `response_url` (see `response_url(id)`); recorded in `.responses`.

Scripting failures (each rule is used `times` times, first match wins; `after=n` lets the
first n matching calls through, for a failure in mid-thread):
- `fail(method, error, times=, channel=)`: HTTP 200 `{"ok": false, "error": error}`;
  `fail("chat.postMessage", "ratelimited")` is Slack's "ratelimited inside a 200 body".
- `http_error(method, status)`: an HTTP 5xx (or any status) with a JSON error body.
- `rate_limit(method, retry_after)`: HTTP 429 with `Retry-After`, body `ratelimited`.
- `enforce_per_channel_rate=1.0`: `chat.postMessage` to a channel that already got a message
  less than 1/rate seconds before answers 429 with `Retry-After: 1` (Slack's documented
  "about one message per second per channel").
- `users_that_cannot_be_messaged`: `conversations.open` for them answers `user_not_found`, and
  `chat.postMessage` with their user id as channel answers `cannot_dm_bot`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
DEFAULT_TOKEN = "xoxb-fake-test-token"


def load_template(name: str) -> dict[str, Any]:
    """A response template, e.g. `load_template("web_chat_postMessage_ok")`."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass
class PostedMessage:
    """A message the fake accepted through `chat.postMessage` (or changed with `chat.update`)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    params: dict[str, Any]
    updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Rule:
    method: str
    times: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    channel: str | None = None
    after: int = 0  # let this many matching calls through first


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        data = json.loads(raw.decode("utf-8"))
        return data if isinstance(data, dict) else {"payload": data}
    form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    params: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    # Form-encoded clients send structured arguments as JSON strings.
    for key in ("blocks", "attachments", "view", "metadata"):
        value = params.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            params[key] = json.loads(value)
    return params


class FakeSlack:
    """The fake server. Thread-safe: bolt and the poster may call it from several threads."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        enforce_per_channel_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.enforce_per_channel_rate = enforce_per_channel_rate
        self.users_that_cannot_be_messaged: set[str] = set()
        # A `support.fakesocketmode.FakeSocketMode`: `apps.connections.open` answers its URL.
        self.socket_mode: Any = None
        self._clock = clock
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self._server is not None, "FakeSlack is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """Base URL of the Web API, to pass as `SLACK_API_URL` / `WebClient(base_url=...)`."""
        return f"{self.base}/api/"

    def response_url(self, response_id: str = "1") -> str:
        """A `response_url` to put in a slash-command payload; posts land in `.responses`."""
        return f"{self.base}/response/{response_id}"

    def reset(self) -> None:
        """Forget every call, message, scripted failure and DM channel."""
        with self._lock:
            self.calls: list[tuple[str, dict[str, Any]]] = []
            self.responses: list[tuple[str, dict[str, Any]]] = []
            self.statuses: list[tuple[str, int]] = []
            self._messages: list[PostedMessage] = []
            self._rules: list[_Rule] = []
            self._dm_channels: dict[str, str] = {}
            self._last_post_at: dict[str, float] = {}
            self._ts_counter = itertools.count(1)
            self.users_that_cannot_be_messaged = set()

    # -- scripting ---------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        error: str = "channel_not_found",
        *,
        times: int = 1,
        channel: str | None = None,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` (to `channel`, if given) answer `ok: false`.

        `after=n` lets the first n matching calls succeed (a failure in mid-thread).
        """
        body = {"ok": False, "error": error}
        self._add_rule(_Rule(method, times, 200, body, {}, channel, after))

    def http_error(
        self,
        method: str,
        status: int = 500,
        *,
        times: int = 1,
        channel: str | None = None,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` answer HTTP `status` (after `after` successes)."""
        body = {"ok": False, "error": "fatal_error" if status >= 500 else "http_error"}
        self._add_rule(_Rule(method, times, status, body, {}, channel, after))

    def rate_limit(
        self,
        method: str,
        retry_after: int = 1,
        *,
        times: int = 1,
        channel: str | None = None,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` answer HTTP 429 with `Retry-After`."""
        template = load_template("web_ratelimited_429")
        headers = {"Retry-After": str(retry_after)}
        self._add_rule(_Rule(method, times, 429, template["body"], headers, channel, after))

    def clear_failures(self) -> None:
        """Drop every scripted failure that has not been used yet."""
        with self._lock:
            self._rules = []

    def _add_rule(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    # -- inspection --------------------------------------------------------------------------
    def messages(self, channel: str | None = None) -> list[PostedMessage]:
        """Every message accepted (parents and replies), in order, optionally for one channel."""
        with self._lock:
            return [m for m in self._messages if channel is None or m.channel == channel]

    def parents(self, channel: str | None = None) -> list[PostedMessage]:
        """Top-level messages only."""
        return [m for m in self.messages(channel) if m.thread_ts is None]

    def replies(self, thread_ts: str) -> list[PostedMessage]:
        """Replies in the thread whose parent has `ts == thread_ts`, in order."""
        return [m for m in self.messages() if m.thread_ts == thread_ts]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def count_status(self, status: int) -> int:
        """How many answers had this HTTP status (e.g. 429)."""
        with self._lock:
            return sum(1 for _, s in self.statuses if s == status)

    # -- request handling (called from server threads) ------------------------------------
    def handle(
        self, method: str, params: dict[str, Any], auth: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.calls.append((method, params))
            status, headers, body = self._answer(method, params, auth)
            self.statuses.append((method, status))
            return status, headers, body

    def _answer(
        self, method: str, params: dict[str, Any], auth: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        token = (
            auth[len("Bearer ") :] if auth and auth.startswith("Bearer ") else params.get("token")
        )
        if method == "apps.connections.open":  # the one method that takes the app token
            if self.socket_mode is None or token != self.socket_mode.app_token:
                return 200, {}, load_template("web_error_invalid_auth")
            return 200, {}, {"ok": True, "url": self.socket_mode.connections_open_url()}
        if token != self.token:
            return 200, {}, load_template("web_error_invalid_auth")
        channel = params.get("channel")
        for rule in self._rules:
            if rule.times > 0 and rule.method == method and rule.channel in (None, channel):
                if rule.after > 0:
                    rule.after -= 1
                    continue
                rule.times -= 1
                return rule.status, dict(rule.headers), dict(rule.body)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        result: tuple[int, dict[str, str], dict[str, Any]] = handler(params)
        return result

    def _error(self, error: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        return 200, {}, {"ok": False, "error": error}

    def _next_ts(self) -> str:
        n = next(self._ts_counter)
        return f"{int(time.time())}.{n:06d}"

    def _m_auth_test(self, params: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        return (
            200,
            {"x-oauth-scopes": "chat:write,commands,im:write,users:read"},
            (load_template("web_auth_test_bot_ok")),
        )

    def _m_chat_postMessage(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        channel = str(params.get("channel") or "")
        if not channel:
            return self._error("channel_not_found")
        if channel in self.users_that_cannot_be_messaged:
            return self._error("cannot_dm_bot")
        if not params.get("text") and not params.get("blocks"):
            return self._error("no_text")
        if self.enforce_per_channel_rate:
            now = self._clock()
            last = self._last_post_at.get(channel)
            if last is not None and now - last < 1.0 / self.enforce_per_channel_rate:
                body = load_template("web_ratelimited_429")["body"]
                return 429, {"Retry-After": "1"}, body
            self._last_post_at[channel] = now
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None and not any(
            m.ts == thread_ts and m.channel == channel for m in self._messages
        ):
            # Slack accepts a reply to an unknown ts as a new top-level message; a test that
            # gets here has a bug, so be loud instead.
            return self._error("thread_not_found")
        ts = self._next_ts()
        blocks = params.get("blocks")
        self._messages.append(
            PostedMessage(
                channel=channel,
                ts=ts,
                text=str(params.get("text") or ""),
                blocks=blocks if isinstance(blocks, list) else None,
                thread_ts=str(thread_ts) if thread_ts else None,
                params=params,
            )
        )
        name = (
            "web_chat_postMessage_thread_reply_DERIVED" if thread_ts else "web_chat_postMessage_ok"
        )
        body = load_template(name)
        body["channel"] = channel
        body["ts"] = ts
        body["message"].pop("attachments", None)
        body["message"].update({"text": params.get("text") or "", "ts": ts})
        if blocks:
            body["message"]["blocks"] = blocks
        if thread_ts:
            body["message"]["thread_ts"] = thread_ts
        return 200, {}, body

    def _m_chat_postEphemeral(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if not params.get("channel"):
            return self._error("channel_not_found")
        if not params.get("user"):
            return self._error("user_not_in_channel")
        body = load_template("web_chat_postEphemeral_ok")
        body["message_ts"] = self._next_ts()
        return 200, {}, body

    def _m_chat_update(self, params: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        channel, ts = params.get("channel"), params.get("ts")
        for message in self._messages:
            if message.channel == channel and message.ts == ts:
                message.updates.append(params)
                message.text = str(params.get("text") or message.text)
                if isinstance(params.get("blocks"), list):
                    message.blocks = params["blocks"]
                body = load_template("web_chat_update_ok")
                body.update({"channel": channel, "ts": ts, "text": message.text})
                body["message"]["text"] = message.text
                return 200, {}, body
        return self._error("message_not_found")

    def _m_conversations_open(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        users = str(params.get("users") or "").split(",")
        user = users[0].strip()
        if not user or user in self.users_that_cannot_be_messaged:
            return self._error("user_not_found")
        if user in self._dm_channels:
            body = load_template("web_conversations_open_already_open")
            body["channel"].update({"id": self._dm_channels[user], "user": user})
            return 200, {}, body
        dm = f"D{len(self._dm_channels) + 1:08d}"
        self._dm_channels[user] = dm
        body = load_template("web_conversations_open_ok")
        body["channel"]["id"] = dm
        return 200, {}, body

    def _m_conversations_replies(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        channel, ts = params.get("channel"), params.get("ts")
        thread = [
            m for m in self._messages if m.channel == channel and (m.ts == ts or m.thread_ts == ts)
        ]
        if not thread:
            return self._error("thread_not_found")
        messages = []
        for m in thread:
            message: dict[str, Any] = {
                "type": "message",
                "ts": m.ts,
                "text": m.text,
                "thread_ts": m.thread_ts or m.ts,
            }
            if isinstance(m.params.get("metadata"), dict):
                message["metadata"] = m.params["metadata"]
            messages.append(message)
        return 200, {}, {"ok": True, "messages": messages, "has_more": False}

    def _m_conversations_history(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Top-level messages of a channel, newest first (with metadata when they had some)."""
        channel = params.get("channel")
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        found = [
            m
            for m in self._messages
            if m.channel == channel and m.thread_ts is None and float(m.ts) >= oldest
        ]
        messages = []
        for m in reversed(found[-limit:]):
            message: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if isinstance(m.params.get("metadata"), dict):
                message["metadata"] = m.params["metadata"]
            messages.append(message)
        return 200, {}, {"ok": True, "messages": messages, "has_more": len(found) > limit}

    def _m_users_info(self, params: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        user = params.get("user")
        if not user or user in self.users_that_cannot_be_messaged:
            return self._error("user_not_found")
        body = load_template("web_users_info_ok")
        body["user"]["id"] = user
        return 200, {}, body

    def _m_views_publish(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if not params.get("user_id"):
            return self._error("invalid_arguments")
        body = load_template("web_views_publish_ok")
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if isinstance(view, dict):
            body["view"]["blocks"] = view.get("blocks", [])
        return 200, {}, body

    def record_response(self, response_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self.responses.append((response_id, payload))


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

        def _read(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return _parse_body(raw, self.headers.get("Content-Type") or "")

        def _send(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            params = self._read()
            if path.startswith("/response/"):
                fake.record_response(path[len("/response/") :], params)
                self._send(200, {}, b"ok", "text/plain")
                return
            if not path.startswith("/api/"):
                self._send(404, {}, b"not found", "text/plain")
                return
            # Query-string arguments (GET-style calls) also count.
            if "?" in self.path:
                for key, values in parse_qs(self.path.split("?", 1)[1]).items():
                    params.setdefault(key, values[0])
            status, headers, body = fake.handle(
                path[len("/api/") :], params, self.headers.get("Authorization")
            )
            self._send(
                status, headers, json.dumps(body).encode(), "application/json; charset=utf-8"
            )

        do_GET = do_POST

    return Handler
