"""Briefing test helpers: clocks, stored sources and developments, and a poster that dies."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.deps import Deps
from bot.slack.client import PostResult, SlackPoster
from store.db import SessionFactory, session_scope
from store.models import Briefing, BriefingPost, Development, Item, Source
from support.fakeslack import FakeSlack

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
HOSTILE = "<!channel> *bold* & <https://evil.example|click>"


class Clock:
    """The time the bot sees; tests move it forward."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeTime:
    """A monotonic clock for pacing whose sleep advances it (no real waiting)."""

    def __init__(self) -> None:
        self.now = 5000.0
        self._lock = threading.Lock()
        self.bot_clock: Clock | None = None

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(seconds, 0.0)
            if self.bot_clock is not None:
                self.bot_clock.now += timedelta(seconds=max(seconds, 0.0))

    def couple(self, bot_clock: Clock) -> None:
        """From now on a poster's pause moves the bot's clock too: posting takes (fake) time."""
        self.bot_clock = bot_clock


def with_settings(deps: Deps, **changes: Any) -> Deps:
    return Deps(
        settings=deps.settings.model_copy(update=changes),
        sessions=deps.sessions,
        clock=deps.clock,
        engine=deps.engine,
    )


def add_source(
    sessions: SessionFactory,
    name: str = "bis",
    *,
    primary: bool = True,
    last_success_at: datetime | None = NOW,
    last_error: str | None = None,
) -> int:
    with session_scope(sessions) as session:
        source = Source(
            name=name,
            kind="feed",
            url=f"https://{name}.example/feed",
            primary=primary,
            last_success_at=last_success_at,
            last_status="ok" if last_error is None else "error",
            last_error=last_error,
        )
        session.add(source)
        session.flush()
        assert source.id is not None
        return source.id


def add_development(
    sessions: SessionFactory,
    source_id: int,
    n: int,
    *,
    title: str | None = None,
    summary: str | None = None,
    importance: str = "medium",
    jurisdictions: Sequence[str] = ("US",),
    topics: Sequence[str] = ("export-controls",),
    first_seen_at: datetime = NOW - timedelta(hours=2),
    announce: str = "pending",
) -> int:
    with session_scope(sessions) as session:
        dev = Development(
            title=title or f"Development {n}",
            summary=summary or f"What happened in development {n}.",
            jurisdictions=list(jurisdictions),
            topics=list(topics),
            importance=importance,
            first_seen_at=first_seen_at,
            published_at=first_seen_at,
            announce=announce,
        )
        session.add(dev)
        session.flush()
        assert dev.id is not None
        add_item(session, source_id, dev.id, f"https://bis.example/doc/{n}", first_seen_at)
        return dev.id


def add_item(session: Any, source_id: int, dev_id: int, url: str, seen: datetime) -> None:
    session.add(
        Item(
            source_id=source_id,
            development_id=dev_id,
            guid=url,
            url=url,
            title="",
            content_hash=hashlib.sha256(url.encode()).hexdigest(),
            first_seen_at=seen,
            updated_at=seen,
        )
    )


def bump_with_new_item(sessions: SessionFactory, source_id: int, dev_id: int, at: datetime) -> None:
    with session_scope(sessions) as session:
        dev = session.get(Development, dev_id)
        assert dev is not None
        dev.revision += 1
        dev.updated_at = at
        add_item(session, source_id, dev_id, f"https://bis.example/final/{dev_id}", at)


def briefings(sessions: SessionFactory) -> list[Briefing]:
    with session_scope(sessions) as session:
        return list(session.exec(select(Briefing).order_by(Briefing.id)).all())  # type: ignore[arg-type]


def posts(sessions: SessionFactory) -> list[BriefingPost]:
    with session_scope(sessions) as session:
        return list(session.exec(select(BriefingPost).order_by(BriefingPost.id)).all())  # type: ignore[arg-type]


def reply_texts(fake: FakeSlack, parent_ts: str) -> list[str]:
    return [m.text for m in fake.replies(parent_ts)]


class Crash(BaseException):
    """A kill: nothing in the bot catches it."""


class CrashingPoster(SlackPoster):
    """Dies after `survive` messages; with `after_slack=True`, after Slack accepted the next."""

    def __init__(self, inner: SlackPoster, survive: int, *, after_slack: bool = False) -> None:
        super().__init__(inner.client, clock=inner._clock, sleep=inner._sleep)
        self.survive = survive
        self.after_slack = after_slack

    def post_message(self, *args: Any, **kwargs: Any) -> PostResult:
        if self.survive == 0:
            if self.after_slack:
                super().post_message(*args, **kwargs)
            raise Crash
        self.survive -= 1
        return super().post_message(*args, **kwargs)
