"""Optional LLM summaries against a fake provider on loopback (real httpx, real sockets)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from support.fakellm import FakeLLM, serve_fake_llm

from bot.analysis.summarise import summarise_items
from bot.config import Settings
from bot.llm import TokenBudget, complete, summarise_development, tokens_used
from store.db import SessionFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ITEMS = [
    (
        "Commerce adds 12 chip firms to the Entity List",
        "The Bureau of Industry and Security on Monday added 12 Chinese chip firms to the Entity "
        "List. The rule takes effect immediately.",
    )
]
API_KEY = "sk-test-secret-123"


@pytest.fixture
def fake_llm() -> Iterator[tuple[FakeLLM, str]]:
    with serve_fake_llm() as served:
        yield served


def _settings(provider: str, base: str, **extra: Any) -> Settings:
    return Settings(
        llm_provider=provider,
        llm_model="test-model",
        llm_base_url=base,
        llm_api_key=SecretStr(API_KEY),
        _env_file=None,  # type: ignore[call-arg]
        **extra,
    )


def test_off_by_default_gives_the_extractive_summary(sessions: SessionFactory) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    budget = TokenBudget(sessions)
    assert summarise_development(ITEMS, settings=settings, budget=budget, now=NOW) == (
        summarise_items(ITEMS)
    )


def test_openai_compatible_provider_summarises_and_counts_tokens(
    fake_llm: tuple[FakeLLM, str], sessions: SessionFactory
) -> None:
    fake, base = fake_llm
    settings = _settings("openai", base + "/v1")
    summary = summarise_development(ITEMS, settings=settings, budget=TokenBudget(sessions), now=NOW)
    assert summary == fake.reply_text
    with sessions() as session:
        assert tokens_used(session, now=NOW) == 150
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    body = request["body"]
    assert body["model"] == "test-model"
    assert body["messages"][0]["role"] == "system"
    assert "only facts stated in the text" in body["messages"][0]["content"]
    assert "Entity List" in body["messages"][1]["content"]


def test_anthropic_provider_uses_the_messages_api(
    fake_llm: tuple[FakeLLM, str], sessions: SessionFactory
) -> None:
    fake, base = fake_llm
    settings = _settings("anthropic", base)
    summary = summarise_development(ITEMS, settings=settings, budget=TokenBudget(sessions), now=NOW)
    assert summary == fake.reply_text
    with sessions() as session:
        assert tokens_used(session, now=NOW) == 120
    request = fake.requests[0]
    assert request["path"] == "/v1/messages"
    assert request["headers"]["x-api-key"] == API_KEY
    assert request["headers"]["anthropic-version"]
    assert request["body"]["system"].startswith("You summarise")


@pytest.mark.parametrize(
    "breakage", ["http_500", "invalid_json", "no_content", "too_long", "timeout"]
)
def test_any_failure_falls_back_to_the_extractive_summary(
    breakage: str,
    fake_llm: tuple[FakeLLM, str],
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, base = fake_llm
    extra: dict[str, Any] = {}
    if breakage == "http_500":
        fake.status = 500
    elif breakage == "invalid_json":
        fake.raw = b"not json"
    elif breakage == "no_content":
        fake.raw = b'{"choices": []}'
    elif breakage == "too_long":
        fake.reply_text = "Word " * 200
    else:
        fake.delay = 1.0
        extra["llm_timeout_seconds"] = 0.2
    settings = _settings("openai", base, **extra)
    caplog.set_level(logging.INFO)
    summary = summarise_development(ITEMS, settings=settings, budget=TokenBudget(sessions), now=NOW)
    assert summary == summarise_items(ITEMS)
    assert API_KEY not in caplog.text


def test_the_daily_token_budget_stops_calls(
    fake_llm: tuple[FakeLLM, str], sessions: SessionFactory
) -> None:
    fake, base = fake_llm
    settings = _settings("openai", base, llm_daily_token_budget=400)
    budget = TokenBudget(sessions)
    first = complete("Say hi about chips.", settings=settings, budget=budget, now=NOW)
    assert first == fake.reply_text
    second = complete("Say hi about chips.", settings=settings, budget=budget, now=NOW)
    assert second is None  # 150 used + ~300 estimated > 400
    assert len(fake.requests) == 1
    tomorrow = NOW.replace(day=3)
    assert complete("Say hi.", settings=settings, budget=budget, now=tomorrow)
    assert len(fake.requests) == 2
