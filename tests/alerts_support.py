"""Helpers for the alert and subscription tests: stored developments and a fake Slack that
also answers `conversations.history` (with message metadata), which alert recovery reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fakeslack import FakeSlack
from slack_sdk import WebClient
from sqlmodel import select

from bot.alerts import SlackAlertTransport
from bot.slack import SlackPoster
from store.db import SessionFactory, session_scope
from store.models import Development, Item, Source


class HistoryFakeSlack(FakeSlack):
    """FakeSlack plus `conversations.history`: top-level messages, newest first."""

    def _m_conversations_history(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        channel = params.get("channel")
        oldest = float(params.get("oldest") or 0)
        found = [
            m
            for m in self._messages
            if m.channel == channel and m.thread_ts is None and float(m.ts) >= oldest
        ]
        messages = []
        for m in reversed(found):
            message: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if isinstance(m.params.get("metadata"), dict):
                message["metadata"] = m.params["metadata"]
            messages.append(message)
        return 200, {}, {"ok": True, "messages": messages, "has_more": False}


@pytest.fixture
def slack() -> Iterator[HistoryFakeSlack]:
    with HistoryFakeSlack() as fake:
        yield fake


def web_client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.url)


def transport(fake: FakeSlack) -> SlackAlertTransport:
    client = web_client(fake)
    # The real pacing path, on a clock that never waits.
    return SlackAlertTransport(client, poster=SlackPoster(client, sleep=lambda _s: None))


def add_development(
    sessions: SessionFactory,
    *,
    title: str,
    jurisdictions: list[str],
    topics: list[str] | None = None,
    importance: str = "medium",
    at: datetime,
    announce: str = "pending",
    revision: int = 1,
    url: str | None = None,
) -> int:
    """Store a development (with one item of a primary source) updated at `at`; its id."""
    with session_scope(sessions) as session:
        source = session.exec(select(Source).where(Source.name == "test-source")).first()
        if source is None:
            source = Source(name="test-source", kind="feed", url="https://example.gov/feed")
            session.add(source)
            session.flush()
        dev = Development(
            title=title,
            summary=f"Summary of {title}",
            jurisdictions=jurisdictions,
            topics=topics if topics is not None else ["export-controls"],
            importance=importance,
            published_at=at,
            first_seen_at=at,
            updated_at=at,
            announce=announce,
            revision=revision,
        )
        session.add(dev)
        session.flush()
        assert dev.id is not None and source.id is not None
        session.add(
            Item(
                source_id=source.id,
                development_id=dev.id,
                guid=f"guid-{dev.id}",
                url=url or f"https://example.gov/doc/{dev.id}",
                title=title,
                content_hash=f"h{dev.id}",
                published_at=at,
            )
        )
        return dev.id
