"""Jurisdiction alerts: match new or updated developments to subscriptions and deliver them once.

This module runs a delivery (instant alerts, daily digests) and states its protocol below; its
parts are `matching` (who hears about what), `claims` (the `Delivery` rows), `transport`
(Slack), `sending` (one message: build, send, record) and `recovery` (stale claims).

Matching. A development matches a subscription when they share a jurisdiction, share a topic
(if the subscription names topics) and the development is at least the subscription's minimum
importance (if it has one). Developments marked `announce == "never"` (backfill, not AI
policy) never alert, and a subscription only hears about developments that appeared or changed
after it was created. Subscriptions are indexed by jurisdiction, so matching costs about
(developments x subscriptions sharing a jurisdiction), not every pair.

Updates. `Development.revision` is bumped when a development gains an item or its page
changes. Each (development, revision) is alerted at most once per subscriber, so an update
alerts again, marked "Updated", when the subscriber already had an earlier revision. A proposed
rule made final is exactly what a manager wants to hear about.

Exactly once (the `Delivery` table, unique per team + subscriber + development + revision):

1. Claim. In its own committed transaction, insert one `claimed` row per development for the
   message about to be sent, all with one fresh `batch_id` (INSERT … ON CONFLICT DO NOTHING).
   Rows another process already claimed are not ours; only what we claimed goes in the message.
   Two processes therefore never send the same development to the same subscriber.
2. Send. `conversations.open` (users) then `chat.postMessage`; the message carries the batch
   id in its Slack message metadata (`event_type = policybot_alert`).
3. Record. Mark the batch's rows `sent` with the channel and `ts`.

A crash between 1 and 3 leaves `claimed` rows. Each claim holds a short lease
(`CLAIM_LEASE`, 45 s) that a heartbeat renews while its holder waits on Slack; a killed process
renews nothing, so the lease lapses. The recovery (every minute in `serve`, on every replica,
and at the start of each delivery) takes a lapsed claim over with a compare-and-set on the
lapse (so only one process recovers a batch), reads the conversation's recent history
(`conversations.history`, metadata included, from the time of the claim) and looks for the
batch id. Found: the message went out, mark it sent, send nothing. Not found: it never went
out, send it now (same batch id). If the history cannot be read (missing scope, error), the
batch is marked `failed` ("unverified") and logged: we choose a possibly lost alert over a
possible duplicate. A holder whose heartbeat finds the claim lost posts nothing more; a process
frozen (not merely slow) for longer than the lease could, in principle, still race its
recoverer with the message it had in flight.

Failures. A subscriber that cannot be messaged (`cannot_dm_bot`, `user_not_found`,
`account_inactive`, or a channel that is gone or closed to the bot) has its subscriptions
paused (`paused_at`, `pause_reason`), a log line is written and the batch is marked `failed`;
`/policy status` lists paused subscriptions, and subscribing again resumes them. A rate-limit
answer that outlasts the retries means Slack did not take the message: the claim is released
and the next run tries again. A failure after which the message may have arrived anyway (a
timeout, a dropped connection, a 5xx) keeps the claim but marks it stale, so the next run
settles it through the history check above instead of guessing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import update
from sqlmodel import col, select

from bot.alerts.claims import CLAIM_LEASE, claim_batch, claim_owner
from bot.alerts.matching import (
    SubscriberKey,
    candidate_developments,
    cited_facts,
    delivered_keys,
    is_alertable,
    match_developments,
)
from bot.alerts.recovery import recover_stale_claims
from bot.alerts.sending import AlertBatch, AlertReport, build_batch, send_batch
from bot.alerts.transport import AlertTransport, DeliveryError, SlackAlertTransport
from bot.config import Settings
from bot.deps import Deps, open_store
from bot.slack.client import make_web_client
from store.db import session_scope
from store.models import Development, Subscription

# The alerts API callers use (the names defined in the collaborators are re-exported on
# purpose: `bot.alerts.delivery` is the entry point; the collaborators are its parts).
__all__ = [
    "CLAIM_LEASE",
    "AlertReport",
    "AlertTransport",
    "DeliveryError",
    "SlackAlertTransport",
    "alerts_after_poll",
    "claim_batch",
    "deliver_alerts",
    "deliver_due_digests",
    "is_alertable",
    "last_digest_time",
    "match_developments",
    "recover_stale_claims",
]


def _lookback(deps: Deps) -> timedelta:
    return timedelta(days=max(1, deps.settings.announce_max_age_days))


def _plan_and_claim(
    deps: Deps,
    *,
    subscriptions: Sequence[Subscription],
    developments: Sequence[Development],
    digest: bool,
    now: datetime,
    report: AlertReport,
) -> list[AlertBatch]:
    """Match, drop what was delivered before, claim the rest per subscriber, build messages."""
    matches = match_developments(subscriptions, developments)
    if not matches:
        return []
    owner = claim_owner()
    batches: list[AlertBatch] = []
    with session_scope(deps.sessions) as session:
        dev_ids = [d.id for d in developments if d.id is not None]
        exact, any_rev = delivered_keys(session, dev_ids)
        cited = cited_facts(session, dev_ids)
    for key, subscriber_matches in matches.items():
        team_id, _kind, subscriber_id = key
        pending = [
            m
            for m in subscriber_matches
            if (team_id, subscriber_id, m.development.id, m.development.revision) not in exact
        ]
        if not pending:
            continue
        batch_id = uuid.uuid4().hex
        entries = [
            (int(m.development.id or 0), m.development.revision, m.subscriptions[0].id)
            for m in pending
        ]
        with session_scope(deps.sessions) as session:
            got = set(
                claim_batch(
                    session, key=key, entries=entries, batch_id=batch_id, owner=owner, now=now
                )
            )
        report.skipped += len(entries) - len(got)
        claimed = [m for m in pending if (m.development.id, m.development.revision) in got]
        if not claimed:
            continue
        batches.append(build_batch(deps, key, batch_id, claimed, cited, any_rev, digest=digest))
    return batches


def _transport_for(client: WebClient, transport: AlertTransport | None) -> AlertTransport:
    return transport if transport is not None else SlackAlertTransport(client)


def deliver_alerts(
    deps: Deps,
    *,
    client: WebClient,
    now: datetime,
    development_ids: Sequence[int] | None = None,
    transport: AlertTransport | None = None,
) -> AlertReport:
    """Deliver instant alerts for new or updated developments, once each.

    `development_ids` (from a poll) limits the developments considered; without it, every
    development updated within the announce window is considered (catching up on anything a
    crashed or offline run left behind). Stale claims are recovered first.
    """
    sender = _transport_for(client, transport)
    report = recover_stale_claims(deps, transport=sender, now=now)
    with session_scope(deps.sessions) as session:
        subs = list(
            session.exec(
                select(Subscription).where(
                    Subscription.mode == "instant", col(Subscription.paused_at).is_(None)
                )
            )
        )
        devs = (
            candidate_developments(
                session, now=now, lookback=_lookback(deps), development_ids=development_ids
            )
            if subs
            else []
        )
    for batch in _plan_and_claim(
        deps, subscriptions=subs, developments=devs, digest=False, now=now, report=report
    ):
        send_batch(deps, sender, batch, report)
    return report


def last_digest_time(deps: Deps, now: datetime) -> datetime:
    """The most recent daily briefing time (POLICYBOT_BRIEFING_TIME in POLICYBOT_TIMEZONE)."""
    tz = deps.settings.tz
    hour, minute = (int(p) for p in deps.settings.briefing_time.split(":"))
    local = now.astimezone(tz)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due > local:
        due = (local - timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due.astimezone(now.tzinfo)


def deliver_due_digests(
    deps: Deps, *, client: WebClient, now: datetime, transport: AlertTransport | None = None
) -> AlertReport:
    """Send each `daily` subscriber one digest per day, at or after the briefing time."""
    sender = _transport_for(client, transport)
    report = recover_stale_claims(deps, transport=sender, now=now)
    due_at = last_digest_time(deps, now)
    with session_scope(deps.sessions) as session:
        subs = [
            s
            for s in session.exec(
                select(Subscription).where(
                    Subscription.mode == "daily", col(Subscription.paused_at).is_(None)
                )
            )
            if s.created_at <= due_at and (s.last_digest_at is None or s.last_digest_at < due_at)
        ]
        devs = (
            candidate_developments(session, now=now, lookback=_lookback(deps), development_ids=None)
            if subs
            else []
        )
    failed_keys: set[SubscriberKey] = set()
    for batch in _plan_and_claim(
        deps, subscriptions=subs, developments=devs, digest=True, now=now, report=report
    ):
        before = report.failed
        if not send_batch(deps, sender, batch, report) and report.failed > before:
            failed_keys.add(batch.key)
    # Mark the day done (also for those with nothing new), except where a send failed.
    done = [
        s.id
        for s in subs
        if s.id is not None and (s.team_id, s.subscriber_kind, s.subscriber_id) not in failed_keys
    ]
    if done:
        with session_scope(deps.sessions) as session:
            session.execute(
                update(Subscription)
                .where(col(Subscription.id).in_(done))
                .values(last_digest_at=now)
            )
    return report


def alerts_after_poll(
    settings: Settings, *, development_ids: Sequence[int], now: datetime | None = None
) -> AlertReport | None:
    """Deliver the instant alerts of a finished `policybot poll`; None when SLACK_BOT_TOKEN is
    unset (the alerts then wait for `policybot alerts` or `serve`, per docs/reference.md)."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        return None
    deps = open_store(settings, migrate_schema=False)
    try:
        return deliver_alerts(
            deps,
            client=make_web_client(settings),
            now=now or deps.clock(),
            development_ids=development_ids,
        )
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
