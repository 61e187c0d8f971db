"""Settling stale claims: a process died, or lost Slack's answer, between claim and record.

A claim whose lease has lapsed is taken over with a compare-and-set on the lapse (only one
process recovers a batch; its lease is then kept alive while it checks and sends, like a
sender's); the conversation's history is read for the batch id: found, the
batch is marked sent; not found, it is sent now under the same id; unreadable, it is marked
failed ("unverified"), because a possibly lost alert is better than a possible duplicate.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.alerts.claims import (
    CLAIM_LEASE,
    ClaimKeeper,
    claim_owner,
    lease_lapsed,
    mark_failed,
    mark_sent,
)
from bot.alerts.matching import (
    CitedFacts,
    Match,
    SubscriberKey,
    cited_facts,
    subscription_matches,
)
from bot.alerts.sending import AlertBatch, AlertReport, build_batch, handle_failure
from bot.alerts.transport import AlertTransport, DeliveryError
from bot.deps import Deps
from store.db import session_scope
from store.models import Delivery, Development, Subscription

__all__ = ["recover_stale_claims"]

logger = logging.getLogger(__name__)


def _subscriber_kind(session: Session, team_id: str, subscriber_id: str) -> str:
    sub = session.exec(
        select(Subscription).where(
            Subscription.team_id == team_id, Subscription.subscriber_id == subscriber_id
        )
    ).first()
    if sub is not None:
        return sub.subscriber_kind
    return "channel" if subscriber_id[:1] in ("C", "G") else "user"


def recover_stale_claims(deps: Deps, *, transport: AlertTransport, now: datetime) -> AlertReport:
    """Settle claims whose lease has lapsed: sent (found in history) or resent once."""
    report = AlertReport()
    with session_scope(deps.sessions) as session:
        rows = list(
            session.exec(select(Delivery).where(Delivery.status == "claimed", lease_lapsed(now)))
        )
    batches: dict[str, list[Delivery]] = defaultdict(list)
    for row in rows:
        batches[row.batch_id or f"row-{row.id}"].append(row)
    for batch_id, batch_rows in batches.items():
        _recover_batch(deps, transport, batch_id, batch_rows, now=now, report=report)
    return report


def _recover_batch(
    deps: Deps,
    transport: AlertTransport,
    batch_id: str,
    rows: Sequence[Delivery],
    *,
    now: datetime,
    report: AlertReport,
) -> None:
    first = rows[0]
    oldest = min(r.claimed_at for r in rows) - timedelta(minutes=1)
    owner = claim_owner()
    # Take the batch over: only one process wins this compare-and-set.
    with session_scope(deps.sessions) as session:
        if first.batch_id is None:
            # Legacy row without a batch: give it one so it can be settled like the others.
            session.execute(
                update(Delivery)
                .where(col(Delivery.id) == first.id, col(Delivery.status) == "claimed")
                .values(batch_id=batch_id)
            )
        result = session.execute(
            update(Delivery)
            .where(
                col(Delivery.batch_id) == batch_id,
                col(Delivery.status) == "claimed",
                lease_lapsed(now),
            )
            .values(lease_until=now + CLAIM_LEASE, claimed_by=owner)
        )
        if not int(getattr(result, "rowcount", 0) or 0):
            return
        kind = _subscriber_kind(session, first.team_id, first.subscriber_id)
        subs = list(
            session.exec(
                select(Subscription).where(
                    Subscription.team_id == first.team_id,
                    Subscription.subscriber_id == first.subscriber_id,
                    col(Subscription.paused_at).is_(None),
                )
            )
        )
        dev_ids = [r.development_id for r in rows]
        devs = list(session.exec(select(Development).where(col(Development.id).in_(dev_ids))))
        cited = cited_facts(session, dev_ids)
    key: SubscriberKey = (first.team_id, kind, first.subscriber_id)
    with ClaimKeeper(deps, batch_id=batch_id, owner=owner) as keeper:
        _check_and_resend(
            deps, transport, keeper, key, batch_id, rows, devs, subs, cited, oldest, now, report
        )


def _check_and_resend(
    deps: Deps,
    transport: AlertTransport,
    keeper: ClaimKeeper,
    key: SubscriberKey,
    batch_id: str,
    rows: Sequence[Delivery],
    devs: Sequence[Development],
    subs: Sequence[Subscription],
    cited: CitedFacts,
    oldest: datetime,
    now: datetime,
    report: AlertReport,
) -> None:
    """Look for the batch in the conversation; mark it sent if there, else send it now."""
    first = rows[0]
    kind = key[1]
    try:
        channel = transport.open_conversation(kind, first.subscriber_id)
        ts = transport.find_batch(channel, batch_id, oldest)
    except DeliveryError as exc:
        if exc.unreachable:
            handle_failure(
                deps,
                batch=AlertBatch(key, batch_id, {}, [], len(rows)),
                error=exc,
                report=report,
            )
            return
        if exc.transient:
            # Try again once the lease (just renewed) runs out.
            logger.warning("alerts: could not check batch %s yet (%s)", batch_id, exc.code)
            report.failed += len(rows)
            return
        # Cannot tell whether it went out: prefer a lost alert to a duplicate.
        mark_failed(deps, batch_id=batch_id, error=f"unverified: {exc.code}")
        logger.error(
            "alerts: could not check %s for batch %s (%s); not resending",
            first.subscriber_id,
            batch_id,
            exc.code,
        )
        report.failed += len(rows)
        return
    if ts is not None:
        report.recovered += mark_sent(deps, batch_id=batch_id, channel=channel, ts=ts, now=now)
        logger.info("alerts: batch %s had been sent (ts %s); recorded it", batch_id, ts)
        return
    revisions = {r.development_id: r.revision for r in rows}
    matches = []
    for dev in devs:
        matching = [s for s in subs if subscription_matches(s, dev)]
        if matching and dev.id is not None:
            matches.append(Match(development=dev, subscriptions=matching))
    if not matches:
        mark_failed(deps, batch_id=batch_id, error="no longer subscribed")
        return
    any_rev = {
        (first.team_id, first.subscriber_id, dev_id) for dev_id, rev in revisions.items() if rev > 1
    }
    batch = build_batch(deps, key, batch_id, matches, cited, any_rev, digest=False)
    if keeper.lost:  # another process took the batch over: it decides
        return
    try:
        ts = transport.post(channel, batch.payload)
    except DeliveryError as exc:
        handle_failure(deps, batch=batch, error=exc, report=report, maybe_posted=exc.ambiguous)
        return
    report.messages += 1
    report.resent += mark_sent(deps, batch_id=batch_id, channel=channel, ts=ts, now=now)
