"""The ASGI app of HTTP mode (Starlette): `POST /slack/events` and `GET /healthz`.

- `/slack/events` refuses an oversized body (413) or one without a valid signature inside the
  5-minute replay window (401) before parsing or logging anything of it
  (`bot/slack/request_guard.py`), then hands the raw signed body to Bolt. Bolt's `dispatch` is synchronous, so it runs
  on a worker thread and never blocks the event loop for other requests.
- A delivery Slack retries (`X-Slack-Retry-Num`) whose first copy was already handled is
  acknowledged with 200 and not processed again: the key is the event's `event_id`, or a digest
  of the body for other payloads. The memory is per process and bounded.
- `/healthz`: the database answers, and the last successful poll is not too old; 503 otherwise.
  In Socket Mode (`socket_mode_health_app`, the only route then) it also reports the Slack
  connection (`"slack": "connected" | "connecting" | "disconnected"`) and fails once Slack has
  been unreachable longer than a minute.
- Any unexpected error becomes a bare 500 with no detail; the traceback goes to the log only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, text
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.deps import Deps
from bot.slack.request_guard import Refusal, check_signature, read_bounded_body, refusal_summary
from store.db import session_scope
from store.models import Source

log = logging.getLogger(__name__)

SEEN_DELIVERIES_LIMIT = 10_000
# The last successful poll may be this many times the longest source interval old.
POLL_AGE_FACTOR = 3
MIN_POLL_AGE = timedelta(hours=2)


class SeenDeliveries:
    """A bounded, thread-safe memory of handled deliveries (oldest forgotten first)."""

    def __init__(self, limit: int = SEEN_DELIVERIES_LIMIT) -> None:
        self._limit = limit
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, key: str) -> bool:
        with self._lock:
            return key in self._keys

    def add(self, key: str) -> None:
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self._limit:
                self._keys.popitem(last=False)


def delivery_key(body: bytes, content_type: str) -> str:
    """The event's `event_id` when there is one, else a digest of the raw body."""
    try:
        if "json" in content_type:
            data = json.loads(body)
        else:
            form = parse_qs(body.decode("utf-8", "replace"))
            payload = form.get("payload", [""])[0]
            data = json.loads(payload) if payload else {}
        event_id = data.get("event_id") if isinstance(data, dict) else None
        if isinstance(event_id, str):
            return "event:" + event_id
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    return "body:" + hashlib.sha256(body).hexdigest()


def health(deps: Deps, now: datetime) -> tuple[bool, dict[str, Any]]:
    """(healthy, details): database reachable and the last successful poll recent enough."""
    try:
        with session_scope(deps.sessions) as session:
            session.connection().execute(text("SELECT 1"))
            last = session.exec(select(func.max(Source.last_success_at))).one()
            longest = session.exec(
                select(func.max(Source.interval_minutes)).where(col(Source.enabled).is_(True))
            ).one()
    except Exception as exc:
        log.error("health check: database unreachable (%s)", type(exc).__name__)
        return False, {"status": "unhealthy", "database": "unreachable"}
    details: dict[str, Any] = {"status": "ok", "database": "ok", "last_poll_age_seconds": None}
    if last is not None:
        if isinstance(last, str):  # SQLite aggregates bypass the column type
            last = datetime.fromisoformat(last)
        if last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        age = now - last
        details["last_poll_age_seconds"] = int(age.total_seconds())
        limit = max(MIN_POLL_AGE, timedelta(minutes=POLL_AGE_FACTOR * int(longest or 60)))
        if age > limit:
            details["status"] = "unhealthy"
            details["reason"] = "last successful poll is too old"
            return False, details
    return True, details


def create_web_app(
    deps: Deps,
    *,
    bolt_app: App,
    path: str = "/slack/events",
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The ASGI app serving `bolt_app` at `path` and the health check at `/healthz`."""
    seen = SeenDeliveries()
    now = clock or deps.clock
    signing_secret = deps.settings.require_signing_secret()
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: Request) -> Response:
        # Nothing of an unsigned request is parsed or logged (bot/slack/request_guard.py).
        body = await read_bounded_body(request)
        refusal = (
            body
            if isinstance(body, Refusal)
            else check_signature(
                verifier,
                body,
                request.headers.get("x-slack-request-timestamp"),
                request.headers.get("x-slack-signature"),
            )
        )
        if refusal is not None:
            length = None if isinstance(body, Refusal) else len(body)
            log.info("%s", refusal_summary(request, refusal, length))
            return PlainTextResponse(refusal.reason, status_code=refusal.status)
        assert isinstance(body, bytes)
        content_type = request.headers.get("content-type", "")
        key = delivery_key(body, content_type)
        if request.headers.get("x-slack-retry-num") and seen.seen(key):
            return Response(status_code=200, headers={"X-Slack-No-Retry": "1"})
        try:
            bolt_response = await run_in_threadpool(
                bolt_app.dispatch, to_bolt_request(request, body)
            )
        except Exception:
            log.exception("dispatch failed")
            return PlainTextResponse("internal error", status_code=500)
        if 200 <= bolt_response.status < 300:
            seen.add(key)
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        ok, details = await run_in_threadpool(health, deps, now())
        return JSONResponse(details, status_code=200 if ok else 503)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s: %s", request.url.path, type(exc).__name__)
        return PlainTextResponse("internal error", status_code=500)

    return Starlette(
        routes=[
            Route(path, slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        exception_handlers={500: server_error, Exception: server_error},
    )


def socket_mode_health_app(
    deps: Deps, slack_status: Callable[[], tuple[bool, dict[str, Any]]]
) -> Starlette:
    """Socket Mode's ASGI app: only `GET /healthz`, with the Slack connection's state in it."""

    async def healthz(request: Request) -> Response:
        ok, details = await run_in_threadpool(health, deps, deps.clock())
        slack_ok, slack = slack_status()
        details.update(slack)
        if ok and not slack_ok:
            details["status"] = "unhealthy"
            details["reason"] = "no connection to Slack"
        return JSONResponse(details, status_code=200 if ok and slack_ok else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"])])
