"""Named leases: at most one process (replica) runs a given scheduled job at a time.

A lease is one row of `leases`, taken with a single atomic upsert: insert it, or, when a row
already exists, take it over only if it has expired or is already ours (a renewal). Both
SQLite (3.24+) and PostgreSQL evaluate `INSERT ... ON CONFLICT DO UPDATE ... WHERE` atomically,
so two replicas racing for one lease cannot both win. The write takes effect when the caller's
transaction commits; `try_lease` and `leased` commit at once.

A lease only keeps replicas from doing the same work at the same moment. What must never
happen twice (a briefing, an alert) is guarded by its own claim row; leases save the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session

from store.db import SessionFactory, session_scope
from store.dialect import process_identity, upsert_insert
from store.models import Lease

_TABLE = Lease.__table__  # type: ignore[attr-defined]


def default_holder() -> str:
    """An identity unique to this process (see `store.dialect.process_identity`)."""
    return process_identity()


def acquire_lease(
    session: Session, *, name: str, holder: str, ttl: timedelta, now: datetime
) -> bool:
    """Take (or renew) the lease `name` for `holder` until `now + ttl`; True when held."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    expires = now + ttl
    stmt = upsert_insert(session, _TABLE).values(name=name, holder=holder, expires_at=expires)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.name],
        set_={"holder": holder, "expires_at": expires},
        where=(_TABLE.c.expires_at <= now) | (_TABLE.c.holder == holder),
    )
    session.execute(stmt)
    current = session.execute(select(_TABLE.c.holder).where(_TABLE.c.name == name)).scalar_one()
    return bool(current == holder)


def release_lease(session: Session, *, name: str, holder: str) -> bool:
    """Give the lease up if `holder` has it; True when something was released."""
    result = session.execute(delete(_TABLE).where(_TABLE.c.name == name, _TABLE.c.holder == holder))
    return bool(getattr(result, "rowcount", 0))


def lease_holder(session: Session, *, name: str, now: datetime) -> str | None:
    """Who holds `name` now (None when free or expired)."""
    row = session.execute(
        select(_TABLE.c.holder).where(_TABLE.c.name == name, _TABLE.c.expires_at > now)
    ).first()
    return None if row is None else str(row[0])


def try_lease(
    sessions: SessionFactory, *, name: str, holder: str, ttl: timedelta, now: datetime
) -> bool:
    """`acquire_lease` in its own committed transaction."""
    with session_scope(sessions) as session:
        return acquire_lease(session, name=name, holder=holder, ttl=ttl, now=now)


@contextmanager
def leased(
    sessions: SessionFactory,
    *,
    name: str,
    holder: str,
    ttl: timedelta,
    clock: Callable[[], datetime],
) -> Iterator[bool]:
    """Hold `name` for the body if free: yields True (then releases it) or False (skip)."""
    got = try_lease(sessions, name=name, holder=holder, ttl=ttl, now=clock())
    try:
        yield got
    finally:
        if got:
            with session_scope(sessions) as session:
                release_lease(session, name=name, holder=holder)
