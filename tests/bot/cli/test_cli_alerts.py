"""`policybot alerts` and the alerts a finished poll delivers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from support.alerts_support import HistoryFakeSlack, add_development, slack
from support.moments import travel_to
from support.sourceserver import SourceServer
from typer.testing import CliRunner

from bot.alerts.delivery import alerts_after_poll
from bot.alerts.subscriptions import subscribe
from bot.cli.main import app
from bot.config import MissingSettingError, Settings
from store.db import SessionFactory, session_scope

__all__ = ["slack"]

NOW = datetime(2027, 6, 7, 0, 30, tzinfo=UTC)  # a Monday just after midnight


@pytest.fixture(autouse=True)
def _clock_at_now() -> Iterator[None]:
    """The real clock (the CLI's, the fake Slack's message timestamps) starts at NOW too."""
    with travel_to(NOW):
        yield


def _setup(sessions: SessionFactory) -> int:
    with session_scope(sessions) as session:
        subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["UK"],
            now=NOW,
        )
    return add_development(sessions, title="UK AI export rule", jurisdictions=["UK"], at=NOW)


def test_alerts_command_delivers_once(
    database_url: str, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _setup(sessions)
    env = {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.url}
    first = CliRunner().invoke(app, ["alerts"], env=env)
    assert first.exit_code == 0, first.output
    assert "1 message(s) sent covering 1 development(s)" in first.output
    second = CliRunner().invoke(app, ["alerts"], env=env)
    assert "0 message(s)" in second.output
    assert len(slack.messages()) == 1


def test_alerts_command_needs_the_bot_token(database_url: str) -> None:
    result = CliRunner().invoke(app, ["alerts"], env={"DATABASE_URL": database_url})
    assert isinstance(result.exception, MissingSettingError)
    assert "SLACK_BOT_TOKEN" in str(result.exception)


def test_after_a_poll_alerts_wait_without_a_token(
    settings: Settings, sessions: SessionFactory
) -> None:
    dev = _setup(sessions)
    assert alerts_after_poll(settings, development_ids=[dev]) is None


def test_after_a_poll_alerts_go_out_with_a_token(
    settings: Settings, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    dev = _setup(sessions)
    with_token = settings.model_copy(
        update={"slack_bot_token": SecretStr(slack.token), "slack_api_url": slack.url}
    )
    report = alerts_after_poll(with_token, development_ids=[dev])
    assert report is not None and report.messages == 1
    assert [m.text.splitlines()[0] for m in slack.messages()] == [
        "Policy alert: a new development:"
    ]


def test_policybot_poll_delivers_instant_alerts_when_the_token_is_set(
    database_url: str,
    sessions: SessionFactory,
    slack: HistoryFakeSlack,
    source_server: SourceServer,
    tmp_path: Path,
) -> None:
    with session_scope(sessions) as session:
        subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["UK"],
            topics=["export-controls"],
            now=NOW - timedelta(minutes=1),
        )
    date = format_datetime(NOW - timedelta(hours=1))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>w</title><link>https://n.org/</link>'
        "<description>d</description><item><title>UK adds advanced AI chips to its strategic "
        "export control list</title><link>https://n.org/uk</link><guid>uk</guid>"
        f"<pubDate>{date}</pubDate><description>The Export Control Joint Unit added AI "
        "semiconductors to the UK Strategic Export Control Lists.</description></item>"
        "</channel></rss>"
    )
    url = source_server.route("/feed", body=feed.encode())
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{url}"\nprimary = true\n',
        encoding="utf-8",
    )
    env = {
        "DATABASE_URL": database_url,
        "POLICYBOT_SOURCES": str(sources),
        "POLICYBOT_ALLOW_PRIVATE_SOURCES": "true",
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_API_URL": slack.url,
    }
    result = CliRunner().invoke(app, ["poll", "--all"], env=env)
    assert result.exit_code == 0, result.output
    assert "alerts: 1 message(s) sent covering 1 development(s)" in result.output
    assert len(slack.messages()) == 1
    again = CliRunner().invoke(app, ["poll", "--all"], env=env)
    assert "alerts: 0 message(s)" in again.output
    assert len(slack.messages()) == 1
