"""The `Delivery` rows of the exactly-once protocol: claim, then mark sent, failed or stale.

A claim is one committed INSERT … ON CONFLICT DO NOTHING per message (one `batch_id`), so two
processes never both hold one (team, subscriber, development, revision). A claim older than
`CLAIM_LEASE` is stale and may be taken over (see `bot.alerts.recovery`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.alerts.matching import SubscriberKey
from bot.deps import Deps
from store.db import session_scope
from store.models import Delivery

__all__ = [
    "CLAIM_LEASE",
    "claim_batch",
    "claim_owner",
    "expire_claim",
    "mark_failed",
    "mark_sent",
    "release_claim",
]

CLAIM_LEASE = timedelta(minutes=15)


def claim_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim_batch(
    session: Session,
    *,
    key: SubscriberKey,
    entries: Sequence[tuple[int, int, int | None]],
    batch_id: str,
    owner: str,
    now: datetime,
) -> list[tuple[int, int]]:
    """Insert `claimed` rows for (development_id, revision, subscription_id); return the
    (development_id, revision) pairs this batch got (others were claimed before)."""
    team_id, _kind, subscriber_id = key
    rows = [
        {
            "team_id": team_id,
            "subscriber_id": subscriber_id,
            "subscription_id": sub_id,
            "development_id": dev_id,
            "revision": revision,
            "status": "claimed",
            "claimed_at": now,
            "batch_id": batch_id,
            "claimed_by": owner,
        }
        for dev_id, revision, sub_id in entries
    ]
    if not rows:
        return []
    session.execute(_insert(session)(Delivery).values(rows).on_conflict_do_nothing())
    got = session.exec(
        select(Delivery.development_id, Delivery.revision).where(Delivery.batch_id == batch_id)
    )
    return [(int(d), int(r)) for d, r in got]


def mark_sent(deps: Deps, *, batch_id: str, channel: str, ts: str, now: datetime) -> int:
    with session_scope(deps.sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id)
            .values(status="sent", channel=channel, ts=ts, sent_at=now, error=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def mark_failed(deps: Deps, *, batch_id: str, error: str) -> int:
    with session_scope(deps.sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id)
            .values(status="failed", error=error[:200])
        )
        return int(getattr(result, "rowcount", 0) or 0)


def expire_claim(deps: Deps, *, batch_id: str) -> None:
    stale = deps.clock() - CLAIM_LEASE - timedelta(seconds=1)
    with session_scope(deps.sessions) as session:
        session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id, col(Delivery.status) == "claimed")
            .values(claimed_at=stale)
        )


def release_claim(deps: Deps, *, batch_id: str) -> None:
    with session_scope(deps.sessions) as session:
        session.execute(delete(Delivery).where(col(Delivery.batch_id) == batch_id))
