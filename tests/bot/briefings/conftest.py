"""Briefing fixtures: the store, a fake Slack pacing on a fake clock, and a paced poster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from support.briefing_support import Clock, FakeTime
from support.fakeslack import FakeSlack

from bot.config import Settings
from bot.deps import Deps
from bot.slack.client import SlackPoster, make_web_client
from store.db import SessionFactory


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pacing() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fake(pacing: FakeTime) -> Iterator[FakeSlack]:
    # Enforces Slack's one message per second per channel on the poster's (fake) clock.
    with FakeSlack(enforce_per_channel_rate=1.0, clock=pacing.clock) as server:
        yield server


@pytest.fixture
def bot_settings(settings: Settings, fake: FakeSlack) -> Settings:
    return settings.model_copy(
        update={
            "slack_api_url": fake.url,
            "slack_bot_token": SecretStr(fake.token),
            "briefing_channels": ["C1"],
        }
    )


@pytest.fixture
def bot(bot_settings: Settings, sessions: SessionFactory, engine: Engine, clock: Clock) -> Deps:
    return Deps(settings=bot_settings, sessions=sessions, clock=clock, engine=engine)


@pytest.fixture
def poster(bot_settings: Settings, pacing: FakeTime) -> SlackPoster:
    client = make_web_client(bot_settings, backoff_factor=0.01)
    return SlackPoster(client, clock=pacing.clock, sleep=pacing.sleep)
