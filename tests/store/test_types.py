"""Datetimes go in and come out as timezone-aware UTC on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from store.db import SessionFactory
from store.models import Source


def test_datetimes_round_trip_as_aware_utc(sessions: SessionFactory) -> None:
    cet = timezone(timedelta(hours=1))
    with sessions() as session:
        source = Source(
            name="s",
            kind="feed",
            url="https://example.org/feed",
            next_due_at=datetime(2026, 1, 1, 9, tzinfo=cet),
        )
        session.add(source)
        session.commit()
        source_id = source.id
    with sessions() as session:
        loaded = session.get(Source, source_id)
        assert loaded is not None
        assert loaded.next_due_at == datetime(2026, 1, 1, 8, tzinfo=UTC)
        assert loaded.next_due_at.tzinfo is not None
        assert loaded.created_at.tzinfo is not None


def test_naive_datetime_is_refused(sessions: SessionFactory) -> None:
    with sessions() as session:
        session.add(Source(name="n", kind="feed", url="u", next_due_at=datetime(2026, 1, 1)))
        with pytest.raises(StatementError):
            session.commit()
