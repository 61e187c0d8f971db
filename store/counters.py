"""Named counters in the `kv` table, moved on atomically (replicas each get their own value)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, cast, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from store.dialect import upsert_insert
from store.models import KeyValue


def read_counter(session: Session, key: str) -> int:
    """The counter's value: 0 when it was never moved, -1 when the row is not a number."""
    value = session.execute(
        sa_select(col(KeyValue.value)).where(col(KeyValue.key) == key)
    ).scalar_one_or_none()
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return -1


def bump_counter(session: Session, key: str, *, now: datetime) -> int:
    """Add one in this transaction and return the new value."""
    return add_to_counter(session, key, 1, now=now)


def add_to_counter(session: Session, key: str, amount: int, *, now: datetime) -> int:
    """Add `amount` in this transaction, atomically (one UPDATE), and return the new value."""
    bump = (
        update(KeyValue)
        .where(col(KeyValue.key) == key)
        .values(value=cast(cast(col(KeyValue.value), Integer) + amount, String), updated_at=now)
    )
    if getattr(session.execute(bump), "rowcount", 0) != 1:
        # Two replicas may both find no row: the second insert is a no-op, not an error.
        session.execute(
            upsert_insert(session, KeyValue)
            .values(key=key, value="0", updated_at=now)
            .on_conflict_do_nothing()
        )
        session.execute(bump)
    return read_counter(session, key)
