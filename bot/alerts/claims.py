"""The `Delivery` rows of the exactly-once protocol: claim, then mark sent, failed or stale.

A claim is one committed INSERT … ON CONFLICT DO NOTHING per message (one `batch_id`), so two
processes never both hold one (team, subscriber, development, revision). It is held under a
short lease (`CLAIM_LEASE`) that `ClaimKeeper` renews while its holder sends; once the lease
has lapsed (the holder died) the claim may be taken over (see `bot.alerts.recovery`).
`claimed_at` stays the time of the claim: the history check looks for the message from there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, update
from sqlmodel import Session, col, select

from bot.alerts.matching import SubscriberKey
from bot.deps import Deps
from bot.heartbeat import Heartbeat
from store.db import session_scope
from store.dialect import process_identity, upsert_insert
from store.models import Delivery

__all__ = [
    "CLAIM_LEASE",
    "ClaimKeeper",
    "claim_batch",
    "claim_owner",
    "expire_claim",
    "lease_lapsed",
    "mark_failed",
    "mark_sent",
    "release_claim",
    "renew_claim",
]

logger = logging.getLogger(__name__)

# A claim's lease: short, so a claim cut by a crash lapses quickly (and the recovery job,
# every minute, settles it), and kept alive while its holder sends (`ClaimKeeper`).
CLAIM_LEASE = timedelta(seconds=45)
# Claims without a stored lease (written by a replica of an earlier version during a rolling
# deploy) keep that version's rule: stale 15 minutes after the claim.
LEGACY_CLAIM_LEASE = timedelta(minutes=15)


def lease_lapsed(now: datetime) -> ColumnElement[bool]:
    """SQL: the claim's lease has lapsed at `now` (its holder died or gave the claim up)."""
    return or_(
        col(Delivery.lease_until) <= now,
        and_(
            col(Delivery.lease_until).is_(None),
            col(Delivery.claimed_at) < now - LEGACY_CLAIM_LEASE,
        ),
    )


def claim_owner() -> str:
    """This process (the same for every call: a batch claimed here is renewed here)."""
    return process_identity(per_run=False)


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
            "lease_until": now + CLAIM_LEASE,
            "batch_id": batch_id,
            "claimed_by": owner,
        }
        for dev_id, revision, sub_id in entries
    ]
    if not rows:
        return []
    session.execute(upsert_insert(session, Delivery).values(rows).on_conflict_do_nothing())
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
    """End the claim's lease now: the next recovery checks the history before resending."""
    with session_scope(deps.sessions) as session:
        session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id, col(Delivery.status) == "claimed")
            .values(lease_until=deps.clock())
        )


def renew_claim(session: Session, *, batch_id: str, owner: str, now: datetime) -> bool:
    """Extend the batch's lease to `now + CLAIM_LEASE` while it is still ours (held by `owner`,
    lease not lapsed); False when it was lost (taken over, or settled)."""
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.batch_id) == batch_id, col(Delivery.status) == "claimed")
        .where(col(Delivery.claimed_by) == owner, col(Delivery.lease_until) > now)
        .values(lease_until=now + CLAIM_LEASE)
    )
    return int(getattr(result, "rowcount", 0) or 0) > 0


class ClaimKeeper(Heartbeat):
    """Keeps a batch's lease alive on its own thread while its holder sends (`with` block).

    Opening the conversation, reading its history and posting (Slack's pacing, a long
    `Retry-After`) can outlast the lease; the keeper renews it every third of the lease. A
    killed process renews nothing, so its lease lapses. `lost` says a renewal found the claim
    gone: the holder must not post.
    """

    def __init__(
        self, deps: Deps, *, batch_id: str, owner: str, every: float | None = None
    ) -> None:
        every = CLAIM_LEASE.total_seconds() / 3 if every is None else every
        super().__init__(every=every, name="alert-lease")
        self._deps = deps
        self._batch_id = batch_id
        self._owner = owner

    def renew(self) -> None:
        try:
            with session_scope(self._deps.sessions) as session:
                kept = renew_claim(
                    session, batch_id=self._batch_id, owner=self._owner, now=self._deps.clock()
                )
        except Exception as exc:  # the database may be back by the next beat
            logger.warning("alerts: renewing batch %s failed: %s", self._batch_id, exc)
            return
        if not kept:
            self.lost = True
            logger.warning("alerts: the claim on batch %s was lost while sending", self._batch_id)


def release_claim(deps: Deps, *, batch_id: str) -> None:
    with session_scope(deps.sessions) as session:
        session.execute(delete(Delivery).where(col(Delivery.batch_id) == batch_id))
