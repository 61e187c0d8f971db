"""Socket Mode survives what real networks and Slack do to a long-lived connection.

Each test runs `SocketModeConnection` (slack_sdk's websockets client, a Bolt app acking
`/policy`) against the loopback fake Socket Mode Slack. Waits are bounded; no test reads the
wall clock to decide a result except where a bound is the requirement itself (an ack within
Slack's deadline is waited for with that deadline).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt import App
from slack_sdk import WebClient
from support.fakeslack import FakeSlack
from support.fakesocketmode import FakeSocketMode

from bot.deps import Deps
from bot.slack.socket_mode import DISCONNECTED_GRACE, SocketModeConnection, SocketModeError
from bot.slack.web import socket_mode_health_app

# Small pings so a silent peer is caught within ping + websockets' 20 s pong timeout.
PING = 1.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, FakeSocketMode]]:
    with FakeSlack() as web, FakeSocketMode() as sm:
        web.socket_mode = sm
        yield web, sm


def _app(web: FakeSlack) -> App:
    app = App(
        client=WebClient(token=web.token, base_url=web.url),
        token_verification_enabled=False,
    )
    app.command("/policy")(lambda ack: ack("ok"))
    return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def connection(
    slack: tuple[FakeSlack, FakeSocketMode], clock: FakeClock
) -> Iterator[SocketModeConnection]:
    web, sm = slack
    conn = SocketModeConnection(
        _app(web), sm.app_token, api_url=web.url, ping_interval=PING, clock=clock
    )
    yield conn
    conn.close()


def test_connected_is_logged_once_hello_arrived_and_a_command_is_acked(
    slack: tuple[FakeSlack, FakeSocketMode],
    connection: SocketModeConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, sm = slack
    caplog.set_level(logging.INFO, logger="policybot.socket_mode")
    assert connection.start(wait=10) is True
    sm.wait_connection(1)
    assert "connected to Slack in Socket Mode" in caplog.text
    assert connection.status() == (True, {"slack": "connected"})
    ack = sm.wait_ack(sm.send_command("/policy", "help"))
    assert ack.payload == {"text": "ok"}


def test_a_url_that_refuses_is_retried_and_never_logged_as_connected(
    slack: tuple[FakeSlack, FakeSocketMode],
    connection: SocketModeConnection,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web, sm = slack
    sm.refuse_connections = True
    caplog.set_level(logging.INFO)
    assert connection.start(wait=1) is False
    assert "connected to Slack" not in caplog.text
    assert "could not open the Socket Mode connection" in caplog.text
    ok, details = connection.status()
    assert ok and details["slack"] == "connecting"
    clock.now += DISCONNECTED_GRACE + 1
    assert connection.status() == (
        False,
        {"slack": "connecting", "slack_down_seconds": int(DISCONNECTED_GRACE + 1)},
    )
    # Once the URL works, the next attempt connects.
    sm.refuse_connections = False
    sm.wait_connection(1, timeout=30)
    _wait_until(lambda: connection.connected)
    assert "connected to Slack in Socket Mode" in caplog.text
    assert len(web.calls_to("apps.connections.open")) >= 2


def test_an_app_token_slack_refuses_raises(slack: tuple[FakeSlack, FakeSocketMode]) -> None:
    web, _ = slack
    conn = SocketModeConnection(_app(web), "xapp-1-wrong", api_url=web.url)
    with pytest.raises(SocketModeError, match="invalid_auth"):
        conn.start(wait=5)


@pytest.mark.parametrize(
    ("mode", "within"), [("fin", 20.0), ("reset", 20.0), ("close_frame", 20.0), ("silent", 60.0)]
)
def test_a_dropped_connection_is_replaced_without_spinning_a_core(
    slack: tuple[FakeSlack, FakeSocketMode],
    connection: SocketModeConnection,
    mode: str,
    within: float,
) -> None:
    _, sm = slack
    assert connection.start(wait=10)
    first = sm.wait_connection(1)
    cpu = time.process_time()
    sm.drop(first, mode)  # type: ignore[arg-type]
    second = sm.wait_connection(2, timeout=within)
    # The bound: at most 5 s of CPU while reconnecting (the old client spun a core).
    assert time.process_time() - cpu < 5.0
    assert sm.wait_ack(sm.send_command("/policy", "help", second)).connection == 2


def test_a_lost_connection_shows_in_healthz_until_it_is_back(
    slack: tuple[FakeSlack, FakeSocketMode],
    connection: SocketModeConnection,
    clock: FakeClock,
    deps: Deps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web, sm = slack
    caplog.set_level(logging.INFO, logger="policybot.socket_mode")
    http = HealthProbe(socket_mode_health_app(deps, connection.status))
    assert connection.start(wait=10)
    assert http.get("/healthz").json()["slack"] == "connected"
    web.socket_mode = None  # apps.connections.open now fails: the bot stays disconnected
    sm.drop(sm.newest(), "fin")
    _wait_until(lambda: not connection.connected)
    assert "lost the Socket Mode connection" in caplog.text
    response = http.get("/healthz")
    assert response.status_code == 200 and response.json()["slack"] == "disconnected"
    clock.now += DISCONNECTED_GRACE + 1
    response = http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["slack"] == "disconnected"
    assert response.json()["reason"] == "no connection to Slack"
    web.socket_mode = sm
    sm.wait_connection(2, timeout=60)
    _wait_until(lambda: connection.connected, timeout=30)
    assert http.get("/healthz").status_code == 200
    assert "reconnected to Slack in Socket Mode" in caplog.text


def test_ten_refreshes_lose_no_envelope_ack_none_twice_and_ack_the_new_connection_at_once(
    slack: tuple[FakeSlack, FakeSocketMode], connection: SocketModeConnection
) -> None:
    _, sm = slack
    on_new: list[str] = []
    sm.on_open.append(lambda conn: on_new.append(sm.send_command("/policy", "new", conn)))
    assert connection.start(wait=10)
    sm.wait_connection(1)
    sent: list[str] = []
    for i in range(10):
        old = sm.newest()
        sent.append(sm.send_command("/policy", "old", old))
        sm.refresh(old)
        sm.wait_connection(i + 2, timeout=30)
        _wait_until(lambda n=i + 2: len(on_new) == n)  # type: ignore[misc]
        # Slack's 3 s deadline, less a margin: what a user sees as "dispatch_failed".
        sm.wait_ack(on_new[-1], timeout=2.5)
        sm.wait_ack(sent[-1], timeout=10)
        if not old.closed:
            sm.drop(old, "close_frame")  # Slack closes the old one soon after
    for envelope_id in sent + on_new:
        assert len(sm.acks_for(envelope_id)) == 1, envelope_id


class HealthProbe:
    """GET on an ASGI app in process (httpx's ASGI transport)."""

    def __init__(self, app: object) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path)

        return asyncio.run(call())


def _wait_until(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
