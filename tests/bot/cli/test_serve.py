"""`policybot serve` as a real process: health, a signed command, the schedule, a clean stop."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.fakeslack import FakeSlack
from support.fakesocketmode import FakeSocketMode
from support.servehelp import (
    SIGNING_SECRET,
    ServeProcess,
    command_body,
    signed_headers,
    start_serve,
)

from bot.demo.snapshot import demo_sources_toml, serve_snapshot
from bot.deps import system_clock


@pytest.fixture
def fake_slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _env(database_url: str, fake: FakeSlack, sources: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "POLICYBOT_SOURCES": str(sources),
        "POLICYBOT_ALLOW_PRIVATE_SOURCES": "true",
        "POLICYBOT_FETCH_HOST_INTERVAL_SECONDS": "0",
    }


def _wait_for(predicate: object, timeout: float = 30.0) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.usefixtures("engine")
def test_serve_answers_health_and_a_signed_command_then_stops_on_sigterm(
    database_url: str, tmp_path: Path, fake_slack_server: FakeSlack
) -> None:
    fake = fake_slack_server
    with serve_snapshot(clock=system_clock) as snapshot:
        sources = tmp_path / "sources.toml"
        sources.write_text(demo_sources_toml(base=snapshot.base_url, now=snapshot.now), "utf-8")
        served: ServeProcess = start_serve(
            workdir=tmp_path,
            env=_env(database_url, fake, sources),
            extra_args=["--log-format", "json"],
        )
        try:
            health = served.wait_healthy()
            assert health.status_code in (200, 503)
            assert health.json()["database"] == "ok"

            # The schedule polls the due sources soon after start-up.
            assert _wait_for(lambda: len(snapshot.requests) >= 7), served.log()
            assert _wait_for(lambda: httpx.get(served.base_url + "/healthz").status_code == 200)

            body = command_body("help", response_url=fake.response_url("help"))
            answer = httpx.post(
                served.base_url + "/slack/events", content=body, headers=signed_headers(body)
            )
            assert answer.status_code == 200
            assert "/policy" in answer.text

            forged = httpx.post(
                served.base_url + "/slack/events",
                content=body,
                headers=signed_headers(body, secret="not-the-secret"),
            )
            assert forged.status_code == 401
        finally:
            code = served.terminate()
    assert code == 0, served.log()
    log = served.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines, log
    assert any(line["message"].startswith("poll:") for line in lines)
    assert any(line["message"] == "stopped" for line in lines)
    # No secret in any log line.
    assert fake.token not in log and SIGNING_SECRET not in log


@pytest.mark.usefixtures("engine")
def test_serve_stops_cleanly_on_sigint_with_text_logs(
    database_url: str, tmp_path: Path, fake_slack_server: FakeSlack
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("", "utf-8")  # no sources: nothing to poll
    served = start_serve(workdir=tmp_path, env=_env(database_url, fake_slack_server, sources))
    try:
        served.wait_healthy()
    finally:
        served.proc.send_signal(signal.SIGINT)
        code = served.terminate()
    assert code == 0, served.log()
    assert "INFO" in served.log() and "stopped" in served.log()


def test_serve_without_a_token_names_the_missing_setting(database_url: str, tmp_path: Path) -> None:
    served = start_serve(workdir=tmp_path, env={"DATABASE_URL": database_url})
    assert served.proc.wait(timeout=60) == 2
    assert "SLACK_BOT_TOKEN" in served.log()


@pytest.mark.usefixtures("engine")
def test_socket_mode_is_used_when_an_app_token_is_set_and_a_failed_connect_exits_1(
    database_url: str, tmp_path: Path, fake_slack_server: FakeSlack
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("", "utf-8")
    app_token = "xapp-1-A0TEST-12345-0123456789abcdef"
    env = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": fake_slack_server.token,
        "SLACK_APP_TOKEN": app_token,  # no signing secret: Socket Mode does not need one
        "SLACK_API_URL": fake_slack_server.url,
        "POLICYBOT_SOURCES": str(sources),
    }
    served = start_serve(workdir=tmp_path, env=env)
    assert served.proc.wait(timeout=60) == 1, served.log()
    # It asked Slack for a WebSocket URL (the fake has none to give) instead of serving HTTP.
    assert fake_slack_server.calls_to("apps.connections.open")
    log = served.log()
    assert "Socket Mode" in log and "SLACK_APP_TOKEN" in log
    assert app_token not in log and fake_slack_server.token not in log


@pytest.mark.usefixtures("engine")
def test_socket_mode_serve_acks_survives_a_dropped_connection_and_logs_no_secret(
    database_url: str, tmp_path: Path, fake_slack_server: FakeSlack
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("", "utf-8")
    with FakeSocketMode() as sm:
        fake_slack_server.socket_mode = sm
        env = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": fake_slack_server.token,
            "SLACK_APP_TOKEN": sm.app_token,
            "SLACK_API_URL": fake_slack_server.url,
            "POLICYBOT_SOURCES": str(sources),
        }
        served = start_serve(workdir=tmp_path, env=env, extra_args=["--log-level", "debug"])
        try:
            first = sm.wait_connection(1, timeout=60)
            response_url = fake_slack_server.response_url("sm1")
            ack = sm.wait_ack(sm.send_command("/policy", "help", response_url=response_url))
            assert ack.payload is not None  # the help text comes back in the ack
            assert served.wait_healthy().json()["slack"] == "connected"
            sm.drop(first, "fin")  # TCP close without a close frame
            second = sm.wait_connection(2, timeout=20)
            assert sm.wait_ack(sm.send_command("/policy", "help", second)).connection == 2
            assert _wait_for(lambda: "no sources configured" in served.log())
        finally:
            assert served.terminate() == 0
    log = served.log()
    assert log.count("connected to Slack in Socket Mode") == 2  # connected, then reconnected
    assert "reconnected to Slack in Socket Mode" in log
    assert "legacy-verification-token" not in log and "/response/sm1" not in log
    assert sm.app_token not in log and fake_slack_server.token not in log
    assert "Traceback" not in log and log.count("no sources configured") == 1
