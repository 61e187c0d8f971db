"""`policybot demo` runs the real path end to end and prints what Slack would show."""

from __future__ import annotations

import functools
import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from support.moments import pythonpath
from typer.testing import CliRunner

from bot.cli.main import app
from bot.demo.run import QUESTIONS, DemoResult, demo_clock, run_demo
from bot.slack.blocks.briefing import message_as_lines

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.usefixtures("engine")  # an empty, migrated store on either backend
def test_demo_runs_the_real_path_and_shows_briefing_and_answers(database_url: str) -> None:
    console = Console(record=True, width=120)
    result = run_demo(console=console, database_url=database_url)
    output = console.export_text()

    # Polled every source over loopback, then the changed page.
    assert len(result.polls) == 2
    first = result.polls[0]
    assert {row.status for row in first.rows} == {"ok"}
    assert len(first.rows) == 7
    assert sum(row.new for row in first.rows) >= 28
    assert result.polls[1].rows[0].updated == 1

    # Negatives and backfill are stored but silent; several sources cluster.
    assert result.silent >= 3
    assert result.developments < result.items

    # A threaded briefing: one parent, one reply per development.
    briefing = result.briefing
    assert briefing is not None and briefing.parent is not None
    assert len(briefing.replies) >= 8
    assert "parent message" in output and "thread reply 1/" in output
    # The hostile title reaches Slack escaped, so it cannot ping or forge a link.
    payloads = str([briefing.parent, *briefing.replies])
    assert "&lt;!channel&gt;" in payloads
    assert "<!channel>" not in payloads
    assert "<https://evil.example" not in payloads
    assert "@channel" not in output  # it would read "@channel" had it been a real mention
    assert "<!channel>" in output  # shown as the literal text it is
    assert "Sovereign bond" not in payloads and "Potato chip" not in payloads

    # Three questions, each answered with a cited source.
    assert [a.question for a in result.answers] == list(QUESTIONS)
    for answer in result.answers:
        assert answer.found, answer.text
        assert answer.developments[0].url.startswith("https://")
        assert answer.developments[0].url in output.replace("\n", "")
    assert result.answers[1].developments[0].jurisdictions == ["NL"]


SHOWCASE_ANSWERS = [
    ["UK Strategic Export Control Lists updated for advanced AI chips and semiconductor tools"],
    [
        "Netherlands expands export licence requirement for advanced semiconductor manufacturing equipment"
    ],
    [
        "Commission launches AI gigafactories to strengthen Europe's AI sovereignty",
        "Council and Parliament agree on Chips Act 2.0 to secure Europe's semiconductor supply",
    ],
]


def _headlines(result: DemoResult) -> list[str]:
    assert result.briefing is not None
    # The first line of each reply, without the loopback server's port.
    lines = [message_as_lines(reply)[0] for reply in result.briefing.replies]
    return [re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1", line) for line in lines]


@functools.cache
def _reference_headlines() -> tuple[str, ...]:
    noon = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    result = run_demo(console=Console(file=io.StringIO()), clock=demo_clock(lambda: noon))
    return tuple(_headlines(result))


def test_the_demo_is_the_same_showcase_at_any_moment(moment: datetime) -> None:
    console = Console(record=True, width=200, file=io.StringIO())
    result = run_demo(console=console)  # on the demo's own clock, from the (travelled) real one
    output = console.export_text()

    noon = moment.astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    assert f"The demo pretends it is {noon:%A %-d %B %Y}, 12:00 UTC" in output
    assert [[d.title for d in a.developments] for a in result.answers] == SHOWCASE_ANSWERS
    assert tuple(_headlines(result)) == _reference_headlines()


def test_the_demo_clock_is_noon_utc_today_ticking_on() -> None:
    real = datetime(2027, 6, 7, 0, 30, tzinfo=ZoneInfo("Pacific/Auckland"))  # Sunday in UTC
    clock = demo_clock(lambda: real)
    first, second = clock(), clock()
    assert timedelta(0) <= first - datetime(2027, 6, 6, 12, 0, tzinfo=UTC) < timedelta(seconds=5)
    assert timedelta(0) <= second - first < timedelta(seconds=5)


def test_policybot_demo_command_exits_zero_with_no_settings(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--database", f"sqlite:///{tmp_path / 'd.db'}"])
    assert result.exit_code == 0, result.output
    assert "Questions, answered from the store" in result.output
    assert "Demo finished" in result.output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX environment handling")
def test_demo_as_a_fresh_process_ignores_the_operators_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "POLICYBOT_"))}
    # Settings that would change or break the demo if it read them.
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-should-not-be-used",
            "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "POLICYBOT_SOURCES": str(tmp_path / "missing.toml"),
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": pythonpath(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "thread reply" in done.stdout


def test_the_demo_never_prints_a_database_password() -> None:
    from bot.demo.run import _shown_url

    shown = _shown_url("postgresql+psycopg://policybot:s3cret-pw@db.internal:5432/policybot")
    assert "s3cret-pw" not in shown and "db.internal" in shown
