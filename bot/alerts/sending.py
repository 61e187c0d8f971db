"""One alert message: build it from claimed matches, send it, and record what happened.

`send_batch` opens the conversation, posts and marks the batch sent; `handle_failure` decides
what a refusal means for the claim (see the failure rules in `bot.alerts.delivery`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.claims import (
    ClaimKeeper,
    claim_owner,
    expire_claim,
    mark_failed,
    mark_sent,
    release_claim,
)
from bot.alerts.matching import CitedFacts, Match, SubscriberKey, alert_development
from bot.alerts.subscriptions import describe_subscription, pause_subscriber
from bot.alerts.transport import AlertTransport, DeliveryError
from bot.deps import Deps
from bot.slack.blocks.alerts import AlertMessage, AlertSubscription, build_alert_message
from store.db import session_scope
from store.models import Subscription

__all__ = ["AlertBatch", "AlertReport", "build_batch", "handle_failure", "send_batch"]

logger = logging.getLogger(__name__)


@dataclass
class AlertReport:
    messages: int = 0  # Slack messages posted (alerts and digests)
    delivered: int = 0  # (subscriber, development) deliveries marked sent
    recovered: int = 0  # stale claims found already sent (nothing re-sent)
    resent: int = 0  # stale claims that had never gone out, sent now
    skipped: int = 0  # developments another process had already claimed
    failed: int = 0
    paused: list[str] = field(default_factory=list)  # subscriber ids paused this run

    def add(self, other: AlertReport) -> None:
        self.messages += other.messages
        self.delivered += other.delivered
        self.recovered += other.recovered
        self.resent += other.resent
        self.skipped += other.skipped
        self.failed += other.failed
        self.paused += other.paused


@dataclass
class AlertBatch:
    key: SubscriberKey
    batch_id: str
    payload: dict[str, Any]
    subscription_ids: list[int]
    count: int


def send_batch(
    deps: Deps, transport: AlertTransport, batch: AlertBatch, report: AlertReport
) -> bool:
    """Open the conversation, post, record. Returns False when nothing was sent.

    The claim's lease is kept alive while Slack answers (`ClaimKeeper`); the keeper has
    stopped before the outcome is recorded, so no renewal lands after it.
    """
    _team_id, kind, subscriber_id = batch.key
    failure: DeliveryError | None = None
    maybe_posted = False
    with ClaimKeeper(deps, batch_id=batch.batch_id, owner=claim_owner()) as keeper:
        try:
            channel = transport.open_conversation(kind, subscriber_id)
            if keeper.lost:  # another process took the batch over: it decides
                report.skipped += batch.count
                return False
            maybe_posted = True
            ts = transport.post(channel, batch.payload)
        except DeliveryError as exc:
            failure = exc
    if failure is not None:
        handle_failure(
            deps,
            batch=batch,
            error=failure,
            report=report,
            maybe_posted=maybe_posted and failure.ambiguous,
        )
        return False
    report.messages += 1
    report.delivered += mark_sent(
        deps, batch_id=batch.batch_id, channel=channel, ts=ts, now=deps.clock()
    )
    return True


def handle_failure(
    deps: Deps,
    *,
    batch: AlertBatch,
    error: DeliveryError,
    report: AlertReport,
    maybe_posted: bool = False,
) -> None:
    team_id, kind, subscriber_id = batch.key
    if error.unreachable:
        mark_failed(deps, batch_id=batch.batch_id, error=error.code)
        with session_scope(deps.sessions) as session:
            paused = pause_subscriber(
                session,
                team_id=team_id,
                subscriber_id=subscriber_id,
                reason=f"Slack said {error.code}",
                now=deps.clock(),
            )
        logger.warning(
            "alerts: %s %s in team %s cannot be messaged (%s); paused %d subscription(s)",
            kind,
            subscriber_id,
            team_id,
            error.code,
            len(paused),
        )
        report.paused.append(subscriber_id)
        report.failed += batch.count
    elif error.transient and maybe_posted:
        # It may have gone out: keep the claim, already stale, so the next run checks the
        # conversation history before sending it again.
        expire_claim(deps, batch_id=batch.batch_id)
        logger.warning(
            "alerts: sending to %s %s failed (%s); the next run checks whether it arrived",
            kind,
            subscriber_id,
            error.code,
        )
        report.failed += batch.count
    elif error.transient:
        release_claim(deps, batch_id=batch.batch_id)
        logger.warning(
            "alerts: sending to %s %s failed (%s); will retry next run",
            kind,
            subscriber_id,
            error.code,
        )
        report.failed += batch.count
    else:
        mark_failed(deps, batch_id=batch.batch_id, error=error.code)
        logger.error("alerts: sending to %s %s failed: %s", kind, subscriber_id, error.code)
        report.failed += batch.count


def build_batch(
    deps: Deps,
    key: SubscriberKey,
    batch_id: str,
    matches: Sequence[Match],
    cited: CitedFacts,
    any_rev: set[tuple[str, str, int]],
    *,
    digest: bool,
) -> AlertBatch:
    team_id, _kind, subscriber_id = key
    alert_devs = []
    for m in matches:
        dev_id = int(m.development.id or 0)
        alert_devs.append(
            alert_development(
                m.development,
                m.subscriptions,
                url=cited.urls.get(dev_id),
                is_update=(team_id, subscriber_id, dev_id) in any_rev,
                timeline=cited.timelines.get(dev_id, ()),
            )
        )
    subs: dict[int, Subscription] = {}
    for m in matches:
        for s in m.subscriptions:
            if s.id is not None:
                subs.setdefault(s.id, s)
    message = AlertMessage(
        developments=alert_devs,
        subscriptions=[
            AlertSubscription(id=sid, label=describe_subscription(s)) for sid, s in subs.items()
        ],
        digest=digest,
        batch_id=batch_id,
        tz=deps.settings.tz,
    )
    return AlertBatch(
        key=key,
        batch_id=batch_id,
        payload=build_alert_message(message),
        subscription_ids=list(subs),
        count=len(matches),
    )
