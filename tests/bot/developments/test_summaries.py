"""With an LLM configured, summaries are rewritten after the poll's commit, never inside it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select
from support.fakellm import FakeLLM, serve_fake_llm

from bot.analysis.summarise import summarise_items
from bot.config import Settings
from bot.developments.ingest import ingest_entries
from bot.developments.summaries import rewrite_summaries
from bot.sources.entries import RawEntry
from store.db import SessionFactory
from store.models import Development, Source

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENTRIES = [
    RawEntry(
        guid="bis-1",
        url="https://example.gov/bis-entity-list",
        title="Commerce adds 12 chip firms to the Entity List",
        text="The Bureau of Industry and Security added 12 Chinese chip firms to the Entity "
        "List, restricting exports of advanced semiconductors. The rule takes effect at once.",
        published=NOW,
    ),
    RawEntry(
        guid="nl-1",
        url="https://example.nl/asml-licences",
        title="Netherlands widens export licences for ASML lithography tools",
        text="The Dutch government requires export licences for more ASML deep ultraviolet "
        "lithography systems, citing national security and AI chip controls.",
        published=NOW,
    ),
]


@pytest.fixture
def fake_llm() -> Iterator[tuple[FakeLLM, str]]:
    with serve_fake_llm() as served:
        yield served


def _llm_settings(settings: Settings, base: str) -> Settings:
    return settings.model_copy(
        update={
            "llm_provider": "openai",
            "llm_model": "test-model",
            "llm_base_url": base + "/v1",
            "llm_api_key": SecretStr("sk-test"),
        }
    )


def _ingest(sessions: SessionFactory, settings: Settings) -> list[int]:
    with sessions() as session:
        source = Source(name="wire", kind="feed", url="https://example.org/feed", primary=True)
        session.add(source)
        session.flush()
        result = ingest_entries(session, source=source, entries=ENTRIES, now=NOW, settings=settings)
        session.commit()
    return result.summaries_to_rewrite


def test_ingest_stores_extractive_summaries_and_lists_them_for_the_llm(
    sessions: SessionFactory, settings: Settings, fake_llm: tuple[FakeLLM, str]
) -> None:
    fake, base = fake_llm
    ids = _ingest(sessions, _llm_settings(settings, base))
    assert len(ids) == 2
    assert fake.requests == []  # no call while ingest's transaction was open
    with sessions() as session:
        stored = session.exec(select(Development)).all()
    assert {d.summary for d in stored} == {summarise_items([(e.title, e.text)]) for e in ENTRIES}


def test_without_an_llm_nothing_is_listed_for_rewriting(
    sessions: SessionFactory, settings: Settings
) -> None:
    assert _ingest(sessions, settings) == []


def test_rewrite_runs_with_no_transaction_open_and_replaces_the_summary(
    sessions: SessionFactory, settings: Settings, engine: Engine, fake_llm: tuple[FakeLLM, str]
) -> None:
    fake, base = fake_llm
    llm = _llm_settings(settings, base)
    ids = _ingest(sessions, llm)
    writable: list[bool] = []

    def store_is_writable() -> None:
        # Another writer gets the store at once while the model is thinking.
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            conn.execute(text("UPDATE kv SET value = value WHERE key = 'none'"))
            conn.commit()
        writable.append(True)

    fake.during = store_is_writable
    assert rewrite_summaries(sessions, ids, settings=llm, now=NOW) == 2
    assert writable == [True, True]
    with sessions() as session:
        stored = session.exec(select(Development)).all()
    assert {d.summary for d in stored} == {fake.reply_text}
    assert all(fake.reply_text in d.search_text for d in stored)


def test_a_development_changed_meanwhile_keeps_its_newer_summary(
    sessions: SessionFactory, settings: Settings, fake_llm: tuple[FakeLLM, str]
) -> None:
    fake, base = fake_llm
    llm = _llm_settings(settings, base)
    ids = _ingest(sessions, llm)

    def another_poll_edits_it() -> None:
        with sessions() as session:
            for development in session.exec(select(Development)):
                development.revision += 1
                development.summary = "Newer extractive summary."
                session.add(development)
            session.commit()

    fake.during = another_poll_edits_it
    assert rewrite_summaries(sessions, ids, settings=llm, now=NOW) == 0
    with sessions() as session:
        assert {d.summary for d in session.exec(select(Development))} == {
            "Newer extractive summary."
        }


def test_a_failing_llm_leaves_the_extractive_summary(
    sessions: SessionFactory, settings: Settings, fake_llm: tuple[FakeLLM, str]
) -> None:
    fake, base = fake_llm
    fake.status = 500
    llm = _llm_settings(settings, base)
    ids = _ingest(sessions, llm)
    assert rewrite_summaries(sessions, ids, settings=llm, now=NOW) == 0
    with sessions() as session:
        summaries = {d.summary for d in session.exec(select(Development))}
    assert summaries == {summarise_items([(e.title, e.text)]) for e in ENTRIES}
