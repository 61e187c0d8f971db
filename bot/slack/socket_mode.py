"""Socket Mode for `serve`: a WebSocket to Slack that survives real networks, and the truth about it.

The client is slack_sdk's `websockets` one (chosen over the built-in, websocket-client and
aiohttp clients by bench/socket_mode.py against a fake Socket Mode Slack): a TCP close without
a close frame or a reset is seen at once without busy reading, a silent peer is caught by the
protocol's own pings (about 35 s: ping, websockets' pong and close timeouts), and on Slack's
`disconnect` (refresh) it reads the new connection before closing the old one, so a command
arriving on the new one is acked at once. It runs on an event loop in a thread of its own;
Bolt's synchronous `App.dispatch` runs on worker threads so a slow listener never holds up acks.

What this module adds around the client:
- "connected" is logged when the WebSocket is open *and* Slack's `hello` arrived, never before;
  a lost connection is logged once, and the reconnection too;
- a first connection that fails for a network reason is retried with back-off (serve keeps
  running and `/healthz` says so); one that Slack refuses (`invalid_auth`) raises
  `SocketModeError`, which makes `serve` exit 1;
- `status()` for `/healthz`: connected, connecting or disconnected, and for how long.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.websockets import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("policybot.socket_mode")

# Pings every 5 s: a silent peer is given up after 5 + 20 s (websockets' pong timeout) + 10 s
# (its close timeout), about 35 s in bench/socket_mode.py.
PING_INTERVAL = 5.0
# How often the connection's state is looked at (a closed socket is replaced this fast).
WATCH_EVERY = 0.5
# How long `start` waits for the first `hello` before serving on while it keeps trying.
FIRST_CONNECT_WAIT = 10.0
RETRY_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
# `/healthz` fails once Slack has been unreachable this long (a refresh takes well under it).
DISCONNECTED_GRACE = 60.0


class SocketModeError(Exception):
    """Slack refused the app token (or the app cannot use Socket Mode); `serve` exits 1."""


def describe_slack_error(exc: BaseException) -> str:
    """What went wrong, without the request (its headers hold the token)."""
    response: Any = getattr(exc, "response", None)
    code = response.get("error") if response is not None and hasattr(response, "get") else None
    return f"{type(exc).__name__}: {code}" if code else type(exc).__name__


class SocketModeConnection:
    """One Socket Mode connection to Slack for `bolt_app`, kept up until `close()`."""

    def __init__(
        self,
        bolt_app: App,
        app_token: str,
        *,
        api_url: str | None = None,
        ping_interval: float = PING_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = bolt_app
        self._app_token = app_token
        self._api_url = api_url
        self._ping_interval = ping_interval
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="socket-mode", daemon=True
        )
        self._client: SocketModeClient | None = None
        self._watcher: Future[None] | None = None
        self._lock = threading.Lock()
        self._hello = threading.Event()
        self._connected = False
        self._ever_connected = False
        self._down_since: float = clock()
        self._failures = 0
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, wait: float = FIRST_CONNECT_WAIT) -> bool:
        """Connect; True once Slack said hello within `wait` seconds, False if still trying.

        Raises `SocketModeError` when Slack refuses the app token.
        """
        self._thread.start()
        first: Future[None] = asyncio.run_coroutine_threadsafe(self._first_connect(), self._loop)
        try:
            first.result(timeout=wait + 30)
        except SlackApiError as exc:
            self.close()
            raise SocketModeError(describe_slack_error(exc)) from None
        self._watcher = asyncio.run_coroutine_threadsafe(self._watch(), self._loop)
        return self._hello.wait(timeout=wait)

    def close(self) -> None:
        """Disconnect and stop the event loop (acks in flight are sent first)."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=15)
            except Exception as exc:  # closing a dead connection may fail; we stop anyway
                log.debug("Socket Mode close: %s", type(exc).__name__)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    # -- state -------------------------------------------------------------------------------
    def status(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details) for `/healthz`: unhealthy once down longer than the grace."""
        with self._lock:
            if self._connected:
                return True, {"slack": "connected"}
            down = self._clock() - self._down_since
        details = {
            "slack": "disconnected" if self._ever_connected else "connecting",
            "slack_down_seconds": int(down),
        }
        return down <= DISCONNECTED_GRACE, details

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connected

    # -- on the event loop -------------------------------------------------------------------
    async def _first_connect(self) -> None:
        # websockets' client needs an async Web API client for `apps.connections.open`.
        web = AsyncWebClient(base_url=self._api_url) if self._api_url else AsyncWebClient()
        client = SocketModeClient(
            app_token=self._app_token,
            logger=logging.getLogger("slack_sdk.socket_mode"),
            web_client=web,
            ping_interval=self._ping_interval,
        )
        client.message_listeners.append(self._on_message)
        client.socket_mode_request_listeners.append(self._on_request)
        self._client = client
        try:
            await client.connect()  # type: ignore[no-untyped-call]
        except SlackApiError:
            raise
        except Exception as exc:  # a network failure: keep trying in `_watch`
            self._failures = 1
            log.warning(
                "could not open the Socket Mode connection (%s); retrying",
                describe_slack_error(exc),
            )

    async def _on_message(self, client: Any, message: dict[str, Any], raw: str | None) -> None:
        del client, raw
        if message.get("type") != "hello":
            return
        with self._lock:
            was_connected, again = self._connected, self._ever_connected
            self._connected = self._ever_connected = True
        self._failures = 0
        if not was_connected:
            log.info("%sconnected to Slack in Socket Mode", "re" if again else "")
        self._hello.set()

    async def _on_request(self, client: Any, request: SocketModeRequest) -> None:
        started = time.time()
        response = await asyncio.to_thread(run_bolt_app, self._app, request)
        await send_async_response(client, request, response, started)

    async def _watch(self) -> None:
        """Notice a lost connection at once, and reconnect (the client's own monitor is slow)."""
        client = self._client
        assert client is not None
        next_try = 0.0
        while not self._closed:
            await asyncio.sleep(WATCH_EVERY)
            if await client.is_connected():
                continue
            with self._lock:
                if self._connected:
                    self._connected = False
                    self._down_since = self._clock()
                    log.warning("lost the Socket Mode connection to Slack; reconnecting")
            now = time.monotonic()
            if now < next_try:
                continue
            try:
                await client.connect_to_new_endpoint()
                self._failures = 0
            except Exception as exc:  # retried with back-off; one line per failure
                delay = RETRY_BACKOFF[min(self._failures, len(RETRY_BACKOFF) - 1)]
                self._failures += 1
                next_try = now + delay
                log.warning(
                    "could not reconnect to Slack in Socket Mode (%s); retrying in %.0f s",
                    describe_slack_error(exc),
                    delay,
                )

    async def _close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        if self._client is not None:
            # Stop reading first: otherwise our own close is logged as a receive error.
            self._client.closed = True
            if self._client.message_receiver is not None:
                self._client.message_receiver.cancel()
            await self._client.close()  # type: ignore[no-untyped-call]
            session = getattr(self._client.web_client, "session", None)
            if session is not None and not session.closed:
                await session.close()
        with self._lock:
            self._connected = False
