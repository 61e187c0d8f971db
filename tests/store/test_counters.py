"""Named counters in the kv table: start at 0, move on by one, never mistaken for a number."""

from __future__ import annotations

from datetime import UTC, datetime

from store.counters import bump_counter, read_counter
from store.db import SessionFactory
from store.models import KeyValue

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_a_counter_starts_at_zero_and_moves_on_by_one(sessions: SessionFactory) -> None:
    with sessions() as session:
        assert read_counter(session, "c") == 0
        assert bump_counter(session, "c", now=NOW) == 1
        assert bump_counter(session, "c", now=NOW) == 2
        session.commit()
    with sessions() as session:
        assert read_counter(session, "c") == 2


def test_a_rolled_back_bump_is_undone(sessions: SessionFactory) -> None:
    with sessions() as session:
        bump_counter(session, "c", now=NOW)
        session.commit()
        bump_counter(session, "c", now=NOW)
        session.rollback()
        assert read_counter(session, "c") == 1


def test_a_value_that_is_not_a_number_reads_as_minus_one(sessions: SessionFactory) -> None:
    with sessions() as session:
        session.add(KeyValue(key="c", value="not a number", updated_at=NOW))
        session.commit()
        assert read_counter(session, "c") == -1
