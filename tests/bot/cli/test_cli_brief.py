"""`policybot brief`: dry run, JSON payloads, real posting once, settings errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from support.fakeslack import FakeSlack
from support.moments import real_time, shifted_env, travel_to
from typer.testing import CliRunner

from bot.cli.main import app
from bot.slack.blocks.briefing import BLOCK_KIT_BUILDER
from store.db import SessionFactory, session_scope
from store.models import Briefing, Development, Item, Source

NOW = datetime(2027, 6, 9, 9, 0, tzinfo=UTC)  # a Wednesday morning


@pytest.fixture(autouse=True)
def clock_offset() -> Iterator[float]:
    """The real clock (the CLI's) runs from NOW; yields its offset for subprocesses."""
    offset = NOW.timestamp() - real_time()
    with travel_to(NOW):
        yield offset


def seed(sessions: SessionFactory, titles: list[str]) -> None:
    now = NOW
    with session_scope(sessions) as session:
        source = Source(
            name="bis", kind="feed", url="https://bis.example/feed", last_success_at=now
        )
        session.add(source)
        session.flush()
        for n, title in enumerate(titles):
            dev = Development(
                title=title,
                summary=f"Summary {n}",
                jurisdictions=["US"],
                topics=["export-controls"],
                importance="high" if n == 0 else "low",
                first_seen_at=now - timedelta(hours=1),
            )
            session.add(dev)
            session.flush()
            url = f"https://bis.example/{n}"
            session.add(
                Item(
                    source_id=source.id or 0,
                    development_id=dev.id,
                    guid=url,
                    url=url,
                    content_hash=hashlib.sha256(url.encode()).hexdigest(),
                )
            )


def briefing_rows(sessions: SessionFactory) -> list[Briefing]:
    with session_scope(sessions) as session:
        return list(session.exec(select(Briefing)).all())


def test_without_channels_it_names_the_setting_and_exits_2(database_url: str) -> None:
    result = CliRunner().invoke(app, ["brief", "--dry-run"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 2
    assert "POLICYBOT_BRIEFING_CHANNELS" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_dry_run_renders_the_thread_without_token_or_claim(
    database_url: str, sessions: SessionFactory
) -> None:
    seed(sessions, ["Chip rule <!channel>", "Cloud rule"])
    env = {"DATABASE_URL": database_url, "POLICYBOT_BRIEFING_CHANNELS": "C1"}
    result = CliRunner().invoke(app, ["brief", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "AI POLICY BRIEFING" in result.output
    assert result.output.index("Chip rule <!channel>") < result.output.index("Cloud rule")
    assert "reply 2/2" in result.output
    assert "Block Kit Builder: " + BLOCK_KIT_BUILDER in result.output
    assert briefing_rows(sessions) == []


def test_dry_run_json_prints_the_payloads_per_channel(
    database_url: str, sessions: SessionFactory
) -> None:
    seed(sessions, ["Chip rule & more"])
    env = {"DATABASE_URL": database_url}
    result = CliRunner().invoke(
        app, ["brief", "--dry-run", "--json", "--channel", "C1", "--channel", "C2"], env=env
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [line["channel"] for line in lines] == ["C1", "C2"]
    first = lines[0]
    assert first["parent"]["channel"] == "C1" and first["parent"]["blocks"]
    assert len(first["replies"]) == 1
    assert first["replies"][0]["text"].startswith("Chip rule &amp; more")
    assert first["block_kit_builder"].startswith(BLOCK_KIT_BUILDER)
    assert briefing_rows(sessions) == []


def test_brief_posts_once_to_slack(
    database_url: str, sessions: SessionFactory, fake_slack: FakeSlack
) -> None:
    seed(sessions, ["Chip rule", "Cloud rule"])
    env = {
        "DATABASE_URL": database_url,
        "SLACK_API_URL": fake_slack.url,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "POLICYBOT_BRIEFING_CHANNELS": "C1",
    }
    first = CliRunner().invoke(app, ["brief"], env=env)
    assert first.exit_code == 0, first.output
    assert "complete" in first.output and "Block Kit Builder" not in first.output
    [parent] = fake_slack.parents("C1")
    assert len(fake_slack.replies(parent.ts)) == 2
    second = CliRunner().invoke(app, ["brief", "--json"], env=env)
    assert second.exit_code == 0, second.output
    payload = json.loads(second.output)
    assert payload["status"] == "already_complete" and payload["replies"] == []
    assert len(fake_slack.messages()) == 3


def test_brief_json_prints_what_was_posted(
    database_url: str, sessions: SessionFactory, fake_slack: FakeSlack
) -> None:
    seed(sessions, ["Chip rule"])
    env = {
        "DATABASE_URL": database_url,
        "SLACK_API_URL": fake_slack.url,
        "SLACK_BOT_TOKEN": fake_slack.token,
    }
    result = CliRunner().invoke(app, ["brief", "--json", "--channel", "C9"], env=env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    parent = fake_slack.parents("C9")[0]
    assert payload["parent"]["ts"] == parent.ts
    assert [r["thread_ts"] for r in payload["replies"]] == [parent.ts]


def test_brief_without_token_exits_2(database_url: str, sessions: SessionFactory) -> None:
    env = {"DATABASE_URL": database_url, "POLICYBOT_BRIEFING_CHANNELS": "C1"}
    result = CliRunner().invoke(app, ["brief"], env=env)
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output
    assert briefing_rows(sessions) == []


def test_failed_channel_exits_3_and_names_the_error(
    database_url: str, sessions: SessionFactory, fake_slack: FakeSlack
) -> None:
    seed(sessions, ["Chip rule"])
    fake_slack.fail("chat.postMessage", "not_in_channel", channel="CX")
    env = {
        "DATABASE_URL": database_url,
        "SLACK_API_URL": fake_slack.url,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "POLICYBOT_BRIEFING_CHANNELS": "CX",
    }
    result = CliRunner().invoke(app, ["brief"], env=env)
    assert result.exit_code == 3
    assert "not_in_channel" in result.output


def test_bad_filter_setting_exits_2(database_url: str) -> None:
    env = {
        "DATABASE_URL": database_url,
        "POLICYBOT_BRIEFING_CHANNELS": "C1",
        "POLICYBOT_BRIEFING_FILTERS": "C1=Atlantis",
    }
    result = CliRunner().invoke(app, ["brief", "--dry-run"], env=env)
    assert result.exit_code == 2
    assert "Atlantis" in result.output


def test_two_processes_running_brief_at_once_post_once(
    database_url: str, sessions: SessionFactory, fake_slack: FakeSlack, clock_offset: float
) -> None:
    seed(sessions, ["Chip rule", "Cloud rule"])
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_API_URL": fake_slack.url,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "POLICYBOT_BRIEFING_CHANNELS": "C1",
    }
    root = Path(__file__).resolve().parents[3]
    env.update(shifted_env(clock_offset, root))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "brief", "--json"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    statuses = sorted(json.loads(out)["status"] for out, _ in results)
    assert statuses in (["complete", "in_progress"], ["already_complete", "complete"])
    [parent] = fake_slack.parents("C1")
    assert len(fake_slack.replies(parent.ts)) == 2
    assert len(fake_slack.messages()) == 3
