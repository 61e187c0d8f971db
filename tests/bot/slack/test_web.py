"""The ASGI app: /healthz, retried deliveries, and `policybot serve` settings."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import App
from sqlalchemy.engine import Engine
from support.fakeslack import FakeSlack
from support.policy_served import SIGNING_SECRET, Served, command_body, serve_app, sign
from typer.testing import CliRunner

from bot.cli.main import app as cli_app
from bot.config import Settings
from bot.deps import Deps
from bot.slack.app import GENERIC_ERROR
from bot.slack.web import SeenDeliveries, delivery_key, health
from store.db import SessionFactory, session_scope
from store.models import Source


@pytest.fixture
def web_deps(
    database_url: str,
    sessions: SessionFactory,
    engine: Engine,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> Deps:
    settings = Settings(
        database_url=database_url,
        sources_path=tmp_path / "sources.toml",
        slack_bot_token=fake_slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        _env_file=None,  # type: ignore[call-arg]
    )
    return Deps(settings=settings, sessions=sessions, engine=engine)


class Mentions:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()

    def register(self, app: App) -> None:
        def on_mention(event: dict[str, Any]) -> None:
            with self.lock:
                self.count += 1
            self.done.set()

        app.event("app_mention")(on_mention)


@pytest.fixture
def mentions() -> Mentions:
    return Mentions()


@pytest.fixture
def served(web_deps: Deps, fake_slack: FakeSlack, mentions: Mentions) -> Iterator[Served]:
    with serve_app(web_deps, fake_slack, extra=mentions.register) as s:
        yield s


def _event(event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1,
            "event": {
                "type": "app_mention",
                "user": "U0USER",
                "text": "<@U0BOT> hi",
                "ts": "1.1",
                "channel": "C0CHAN",
                "event_ts": "1.1",
            },
        }
    )


def test_healthz_is_ok_with_a_reachable_database_and_no_polls_yet(served: Served) -> None:
    response = served.client.get(served.base_url + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "last_poll_age_seconds": None}


def test_healthz_reports_the_age_of_the_last_poll(
    served: Served, sessions: SessionFactory, web_deps: Deps
) -> None:
    # Ages are measured on the app's injected clock, so the poll is dated on it too.
    with session_scope(sessions) as s:
        s.add(
            Source(
                name="a",
                kind="feed",
                url="https://a",
                last_success_at=web_deps.clock() - timedelta(minutes=10),
            )
        )
    body = served.client.get(served.base_url + "/healthz").json()
    assert body["status"] == "ok"
    assert 500 <= body["last_poll_age_seconds"] <= 700


def test_healthz_is_503_when_the_last_poll_is_too_old(
    served: Served, sessions: SessionFactory, web_deps: Deps
) -> None:
    with session_scope(sessions) as s:
        s.add(
            Source(
                name="a",
                kind="feed",
                url="https://a",
                last_success_at=web_deps.clock() - timedelta(days=2),
            )
        )
    response = served.client.get(served.base_url + "/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"


def test_health_is_unhealthy_when_the_database_is_unreachable(web_deps: Deps) -> None:
    def broken() -> Any:
        raise OSError("connection refused to db.internal:5432")

    deps = Deps(settings=web_deps.settings, sessions=broken)
    ok, details = health(deps, datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    assert not ok
    assert details == {"status": "unhealthy", "database": "unreachable"}


def test_a_retried_event_is_acknowledged_and_not_processed_twice(
    served: Served, mentions: Mentions
) -> None:
    body = _event("Ev0001")
    first = served.post(body, content_type="application/json")
    assert first.status_code == 200
    assert mentions.done.wait(10)
    retry = served.post(
        body,
        content_type="application/json",
        headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"},
    )
    assert retry.status_code == 200
    # A different event afterwards is processed, so the first listener call had its chance.
    mentions.done.clear()
    served.post(_event("Ev0002"), content_type="application/json")
    assert mentions.done.wait(10)
    assert mentions.count == 2


def test_a_retry_of_an_event_never_received_is_processed(
    served: Served, mentions: Mentions
) -> None:
    served.post(
        _event("Ev0009"), content_type="application/json", headers={"x-slack-retry-num": "2"}
    )
    assert mentions.done.wait(10)
    assert mentions.count == 1


def _retry(
    served: Served, body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> httpx.Response:
    """Slack's first retry of `body`, signed with `secret` at `timestamp` (default: now)."""
    headers = {
        "content-type": "application/json",
        **sign(body, secret=secret, timestamp=timestamp),
        "x-slack-retry-num": "1",
    }
    return served.client.post(served.base_url + "/slack/events", content=body, headers=headers)


def test_an_unsigned_retry_is_refused_even_for_a_seen_event(served: Served) -> None:
    body = _event("Ev0003")
    served.post(body, content_type="application/json")
    assert _retry(served, body, secret="nope").status_code == 401


def test_a_signed_retry_older_than_five_minutes_is_refused_even_for_a_seen_event(
    served: Served, mentions: Mentions
) -> None:
    """A captured, correctly signed retry replayed after Slack's 5-minute window earns no
    short-cut: the replay check applies to retries too."""
    body = _event("Ev0004")
    served.post(body, content_type="application/json")
    assert mentions.done.wait(10)
    assert _retry(served, body, timestamp=int(time.time()) - 6 * 60).status_code == 401


def test_a_refused_request_does_not_stop_the_genuine_retry_from_being_processed(
    served: Served, mentions: Mentions
) -> None:
    """A forged copy of an event is refused and forgotten: Slack's signed retry of the same
    event id is then handled, not acknowledged as already seen."""
    body = _event("Ev0005")
    forged = {"content-type": "application/json", **sign(body, secret="nope")}
    response = served.client.post(served.base_url + "/slack/events", content=body, headers=forged)
    assert response.status_code == 401
    retry = served.post(body, content_type="application/json", headers={"x-slack-retry-num": "1"})
    assert retry.status_code == 200
    assert mentions.done.wait(10)
    assert mentions.count == 1


def test_delivery_key_prefers_event_id() -> None:
    assert delivery_key(b'{"event_id": "Ev1"}', "application/json") == "event:Ev1"
    assert delivery_key(b"text=help", "application/x-www-form-urlencoded").startswith("body:")


def test_seen_deliveries_forget_the_oldest() -> None:
    seen = SeenDeliveries(limit=2)
    for key in ("a", "b", "c"):
        seen.add(key)
    assert not seen.seen("a") and seen.seen("b") and seen.seen("c")


def test_serve_without_slack_settings_is_a_one_line_error(database_url: str) -> None:
    result = CliRunner().invoke(cli_app, ["serve"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output
    assert len(result.output.strip().splitlines()) == 1


def _register_broken_command(app: App) -> None:
    def broken(ack: Any) -> None:
        raise RuntimeError("listener bug before ack")

    app.command("/broken")(broken)


def test_a_command_whose_listener_fails_gets_a_generic_apology(
    web_deps: Deps, fake_slack: FakeSlack
) -> None:
    """The person sees that something went wrong on our side; no detail of the failure."""
    body = command_body("now", response_url=fake_slack.response_url()).replace(
        "%2Fpolicy", "%2Fbroken"
    )
    with serve_app(web_deps, fake_slack, extra=_register_broken_command) as served:
        response = served.post(body)
    assert response.status_code == 200
    assert response.text == GENERIC_ERROR
