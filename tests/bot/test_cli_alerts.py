"""`policybot alerts` and the alerts a finished poll delivers."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts_support import HistoryFakeSlack, add_development, slack
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.alerts import alerts_after_poll
from bot.cli import app
from bot.config import MissingSettingError, Settings
from bot.subscriptions import subscribe
from store.db import SessionFactory, session_scope

__all__ = ["slack"]

NOW = datetime.now(UTC)


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
