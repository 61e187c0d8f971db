"""Jurisdiction alerts: match new or updated developments to subscriptions and deliver them once.

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

A crash between 1 and 3 leaves `claimed` rows. After `CLAIM_LEASE` they are stale: the next run
takes them over with a compare-and-set on `claimed_at` (so only one process recovers a batch),
reads the conversation's recent history (`conversations.history`, metadata included) and looks
for the batch id. Found: the message went out, mark it sent, send nothing. Not found: it never
went out, send it now (same batch id). If the history cannot be read (missing scope, error),
the batch is marked `failed` ("unverified") and logged: we choose a possibly lost alert over a
possible duplicate. The lease must outlast one send with its retries; a process that is still
alive but stalled past the lease could, in principle, race its recoverer; the lease is long
(15 minutes) to make that practically impossible.

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

import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.alerts.subscriptions import describe_subscription, pause_subscriber
from bot.config import Settings
from bot.deps import Deps, open_store
from bot.slack.blocks.alerts import (
    ALERT_METADATA_EVENT,
    AlertDevelopment,
    AlertMessage,
    AlertSubscription,
    build_alert_message,
)
from bot.slack.client import FatalSlackError, RetryableSlackError, SlackPoster, make_web_client
from bot.vocab import IMPORTANCE_RANK
from store.db import session_scope
from store.models import Delivery, Development, Item, Source, Subscription

logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=15)
# Slack errors that mean "this subscriber cannot be reached": pause, do not retry forever.
UNREACHABLE_ERRORS = frozenset(
    {
        "cannot_dm_bot",
        "messages_tab_disabled",
        "user_not_found",
        "account_inactive",
        "user_disabled",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
    }
)
# Errors worth another try on the next run (the claim is released).
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "http_error",
        "connection_error",
    }
)
HISTORY_PAGES = 5

SubscriberKey = tuple[str, str, str]  # team_id, subscriber_kind, subscriber_id


# -- matching -------------------------------------------------------------------------------


def is_alertable(dev: Development) -> bool:
    return dev.announce != "never" and dev.relevant


def subscription_matches(sub: Subscription, dev: Development) -> bool:
    """Jurisdictions overlap; topics overlap when the subscription names some; importance."""
    if not set(sub.jurisdictions) & set(dev.jurisdictions):
        return False
    if sub.topics and not set(sub.topics) & set(dev.topics):
        return False
    if sub.min_importance:
        return IMPORTANCE_RANK.get(dev.importance, 0) >= IMPORTANCE_RANK.get(sub.min_importance, 0)
    return True


def match_reason(sub: Subscription, dev: Development) -> str:
    """What the subscriber follows that this development touches: "UK, export-controls"."""
    parts = [c for c in sub.jurisdictions if c in dev.jurisdictions]
    parts += [t for t in sub.topics if t in dev.topics]
    if sub.min_importance:
        parts.append(f"{sub.min_importance}+ importance")
    return ", ".join(parts)


@dataclass
class Match:
    development: Development
    subscriptions: list[Subscription] = field(default_factory=list)


def match_developments(
    subscriptions: Iterable[Subscription], developments: Iterable[Development]
) -> dict[SubscriberKey, list[Match]]:
    """Per subscriber, the developments that match any of their subscriptions (in order).

    Subscriptions are indexed by jurisdiction; paused ones and developments that must never
    alert are skipped; a subscription hears only of developments updated since it was created.
    """
    by_jurisdiction: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subscriptions:
        if sub.paused_at is not None:
            continue
        for code in sub.jurisdictions:
            by_jurisdiction[code].append(sub)
    result: dict[SubscriberKey, list[Match]] = defaultdict(list)
    for dev in developments:
        if not is_alertable(dev):
            continue
        seen: dict[SubscriberKey, Match] = {}
        checked: set[int] = set()
        for code in dev.jurisdictions:
            for sub in by_jurisdiction.get(code, ()):
                sub_id = id(sub)
                if sub_id in checked:
                    continue
                checked.add(sub_id)
                if dev.updated_at < sub.created_at or not subscription_matches(sub, dev):
                    continue
                key = (sub.team_id, sub.subscriber_kind, sub.subscriber_id)
                match = seen.get(key)
                if match is None:
                    match = seen[key] = Match(development=dev)
                    result[key].append(match)
                match.subscriptions.append(sub)
    return dict(result)


# -- Slack transport ------------------------------------------------------------------------


class DeliveryError(Exception):
    """Slack refused a call; `code` is Slack's error code (never contains a secret)."""

    def __init__(self, code: str, *, transient: bool | None = None) -> None:
        super().__init__(code)
        self.code = code
        self._transient = transient

    @property
    def unreachable(self) -> bool:
        return self.code in UNREACHABLE_ERRORS

    @property
    def transient(self) -> bool:
        if self._transient is not None:
            return self._transient and not self.unreachable
        return self.code in TRANSIENT_ERRORS

    @property
    def ambiguous(self) -> bool:
        """A transient failure after which the message may still have been posted (a
        timeout, a dropped connection, a 5xx); a rate-limit answer means it was not."""
        return self.transient and self.code not in ("ratelimited", "rate_limited")


class AlertTransport(Protocol):
    def open_conversation(self, subscriber_kind: str, subscriber_id: str) -> str: ...

    def post(self, channel: str, payload: dict[str, Any]) -> str: ...

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None: ...


def _slack_error_code(exc: SlackApiError) -> str:
    code = str(exc.response.get("error") or "")
    if exc.response.status_code == 429:
        return "ratelimited"
    if not code or exc.response.status_code >= 500:
        return code if code and code != "http_error" else "fatal_error"
    return code


class SlackAlertTransport:
    """Alerts over the Slack Web API. Posts go through the briefings' `SlackPoster` (one
    message per second per channel, `ratelimited` retried after Retry-After); the client's
    retry handlers cover 429s, 5xx and connection errors of the other calls."""

    def __init__(self, client: WebClient, *, poster: SlackPoster | None = None) -> None:
        self._client = client
        self._poster = poster if poster is not None else SlackPoster(client)

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except SlackApiError as exc:
            code = _slack_error_code(exc)
            raise DeliveryError(code) from None
        except (SlackClientError, OSError):
            raise DeliveryError("connection_error", transient=True) from None

    def open_conversation(self, subscriber_kind: str, subscriber_id: str) -> str:
        if subscriber_kind == "channel":
            return subscriber_id
        response = self._call(lambda: self._client.conversations_open(users=[subscriber_id]))
        return str(response["channel"]["id"])

    def post(self, channel: str, payload: dict[str, Any]) -> str:
        try:
            result = self._poster.post_message(
                channel,
                str(payload["text"]),
                payload.get("blocks"),
                metadata=payload.get("metadata"),
            )
        except FatalSlackError as exc:
            raise DeliveryError(exc.error, transient=False) from None
        except RetryableSlackError as exc:
            raise DeliveryError(exc.error, transient=True) from None
        return result.ts

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None:
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            kwargs: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest.timestamp():.6f}",
                "include_all_metadata": True,
                "limit": 200,
            }
            if cursor:
                kwargs["cursor"] = cursor
            response = self._call(lambda kw=kwargs: self._client.conversations_history(**kw))  # type: ignore[misc]
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                event_payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == ALERT_METADATA_EVENT
                    and event_payload.get("batch_id") == batch_id
                ):
                    return str(message.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None


# -- delivery -------------------------------------------------------------------------------


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


def _owner() -> str:
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


def _mark_sent(deps: Deps, *, batch_id: str, channel: str, ts: str, now: datetime) -> int:
    with session_scope(deps.sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id)
            .values(status="sent", channel=channel, ts=ts, sent_at=now, error=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _mark_failed(deps: Deps, *, batch_id: str, error: str) -> int:
    with session_scope(deps.sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id)
            .values(status="failed", error=error[:200])
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _expire_claim(deps: Deps, *, batch_id: str) -> None:
    stale = deps.clock() - CLAIM_LEASE - timedelta(seconds=1)
    with session_scope(deps.sessions) as session:
        session.execute(
            update(Delivery)
            .where(col(Delivery.batch_id) == batch_id, col(Delivery.status) == "claimed")
            .values(claimed_at=stale)
        )


def _release(deps: Deps, *, batch_id: str) -> None:
    with session_scope(deps.sessions) as session:
        session.execute(delete(Delivery).where(col(Delivery.batch_id) == batch_id))


def primary_urls(session: Session, dev_ids: Sequence[int]) -> dict[int, str]:
    """A link per development: its primary source's item if any, else its first item."""
    if not dev_ids:
        return {}
    rows = session.exec(
        select(Item.development_id, Item.url, Source.primary)
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(col(Item.development_id).in_(list(dev_ids)))
        .order_by(col(Item.id))
    )
    urls: dict[int, tuple[bool, str]] = {}
    for dev_id, url, primary in rows:
        if dev_id is None or not url:
            continue
        current = urls.get(int(dev_id))
        if current is None or (primary and not current[0]):
            urls[int(dev_id)] = (bool(primary), str(url))
    return {k: v[1] for k, v in urls.items()}


def _alert_development(
    dev: Development, subs: Sequence[Subscription], *, url: str | None, is_update: bool
) -> AlertDevelopment:
    assert dev.id is not None
    reasons = tuple(dict.fromkeys(match_reason(s, dev) for s in subs))
    return AlertDevelopment(
        id=dev.id,
        title=dev.title,
        summary=dev.summary,
        url=url,
        jurisdictions=tuple(dev.jurisdictions),
        topics=tuple(dev.topics),
        importance=dev.importance,
        published_at=dev.published_at,
        is_update=is_update,
        reasons=reasons,
    )


@dataclass
class _Batch:
    key: SubscriberKey
    batch_id: str
    payload: dict[str, Any]
    subscription_ids: list[int]
    count: int


def _send_batch(deps: Deps, transport: AlertTransport, batch: _Batch, report: AlertReport) -> bool:
    """Open the conversation, post, record. Returns False when nothing was sent."""
    _team_id, kind, subscriber_id = batch.key
    try:
        channel = transport.open_conversation(kind, subscriber_id)
    except DeliveryError as exc:
        _handle_failure(deps, batch=batch, error=exc, report=report, maybe_posted=False)
        return False
    try:
        ts = transport.post(channel, batch.payload)
    except DeliveryError as exc:
        _handle_failure(deps, batch=batch, error=exc, report=report, maybe_posted=exc.ambiguous)
        return False
    report.messages += 1
    report.delivered += _mark_sent(
        deps, batch_id=batch.batch_id, channel=channel, ts=ts, now=deps.clock()
    )
    return True


def _handle_failure(
    deps: Deps,
    *,
    batch: _Batch,
    error: DeliveryError,
    report: AlertReport,
    maybe_posted: bool = False,
) -> None:
    team_id, kind, subscriber_id = batch.key
    if error.unreachable:
        _mark_failed(deps, batch_id=batch.batch_id, error=error.code)
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
        _expire_claim(deps, batch_id=batch.batch_id)
        logger.warning(
            "alerts: sending to %s %s failed (%s); the next run checks whether it arrived",
            kind,
            subscriber_id,
            error.code,
        )
        report.failed += batch.count
    elif error.transient:
        _release(deps, batch_id=batch.batch_id)
        logger.warning(
            "alerts: sending to %s %s failed (%s); will retry next run",
            kind,
            subscriber_id,
            error.code,
        )
        report.failed += batch.count
    else:
        _mark_failed(deps, batch_id=batch.batch_id, error=error.code)
        logger.error("alerts: sending to %s %s failed: %s", kind, subscriber_id, error.code)
        report.failed += batch.count


def _delivered_keys(
    session: Session, dev_ids: Sequence[int]
) -> tuple[set[tuple[str, str, int, int]], set[tuple[str, str, int]]]:
    """(team, subscriber, development, revision) already claimed or sent, and
    (team, subscriber, development) that had any earlier delivery."""
    exact: set[tuple[str, str, int, int]] = set()
    any_rev: set[tuple[str, str, int]] = set()
    if not dev_ids:
        return exact, any_rev
    rows = session.exec(
        select(
            Delivery.team_id, Delivery.subscriber_id, Delivery.development_id, Delivery.revision
        ).where(col(Delivery.development_id).in_(list(dev_ids)))
    )
    for team_id, subscriber_id, dev_id, revision in rows:
        exact.add((team_id, subscriber_id, int(dev_id), int(revision)))
        any_rev.add((team_id, subscriber_id, int(dev_id)))
    return exact, any_rev


def _candidate_developments(
    session: Session, *, now: datetime, lookback: timedelta, development_ids: Sequence[int] | None
) -> list[Development]:
    stmt = select(Development).where(
        col(Development.announce) != "never", col(Development.relevant).is_(True)
    )
    if development_ids is not None:
        if not development_ids:
            return []
        stmt = stmt.where(col(Development.id).in_(list(development_ids)))
    else:
        stmt = stmt.where(col(Development.updated_at) >= now - lookback)
    stmt = stmt.order_by(col(Development.updated_at).desc(), col(Development.id).desc())
    return list(session.exec(stmt))


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
) -> list[_Batch]:
    """Match, drop what was delivered before, claim the rest per subscriber, build messages."""
    matches = match_developments(subscriptions, developments)
    if not matches:
        return []
    owner = _owner()
    batches: list[_Batch] = []
    with session_scope(deps.sessions) as session:
        dev_ids = [d.id for d in developments if d.id is not None]
        exact, any_rev = _delivered_keys(session, dev_ids)
        urls = primary_urls(session, dev_ids)
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
        batches.append(_build_batch(deps, key, batch_id, claimed, urls, any_rev, digest=digest))
    return batches


def _build_batch(
    deps: Deps,
    key: SubscriberKey,
    batch_id: str,
    matches: Sequence[Match],
    urls: dict[int, str],
    any_rev: set[tuple[str, str, int]],
    *,
    digest: bool,
) -> _Batch:
    team_id, _kind, subscriber_id = key
    alert_devs = [
        _alert_development(
            m.development,
            m.subscriptions,
            url=urls.get(int(m.development.id or 0)),
            is_update=(team_id, subscriber_id, int(m.development.id or 0)) in any_rev,
        )
        for m in matches
    ]
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
    return _Batch(
        key=key,
        batch_id=batch_id,
        payload=build_alert_message(message),
        subscription_ids=list(subs),
        count=len(matches),
    )


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
            _candidate_developments(
                session, now=now, lookback=_lookback(deps), development_ids=development_ids
            )
            if subs
            else []
        )
    for batch in _plan_and_claim(
        deps, subscriptions=subs, developments=devs, digest=False, now=now, report=report
    ):
        _send_batch(deps, sender, batch, report)
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
            _candidate_developments(
                session, now=now, lookback=_lookback(deps), development_ids=None
            )
            if subs
            else []
        )
    failed_keys: set[SubscriberKey] = set()
    for batch in _plan_and_claim(
        deps, subscriptions=subs, developments=devs, digest=True, now=now, report=report
    ):
        before = report.failed
        if not _send_batch(deps, sender, batch, report) and report.failed > before:
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


# -- recovery -------------------------------------------------------------------------------


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
    """Settle claims older than CLAIM_LEASE: sent (found in history) or resent once."""
    report = AlertReport()
    stale_before = now - CLAIM_LEASE
    with session_scope(deps.sessions) as session:
        rows = list(
            session.exec(
                select(Delivery).where(
                    Delivery.status == "claimed", col(Delivery.claimed_at) < stale_before
                )
            )
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
    owner = _owner()
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
                col(Delivery.claimed_at) < now - CLAIM_LEASE,
            )
            .values(claimed_at=now, claimed_by=owner)
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
        urls = primary_urls(session, dev_ids)
    key: SubscriberKey = (first.team_id, kind, first.subscriber_id)
    try:
        channel = transport.open_conversation(kind, first.subscriber_id)
        ts = transport.find_batch(channel, batch_id, oldest)
    except DeliveryError as exc:
        if exc.unreachable:
            _handle_failure(
                deps,
                batch=_Batch(key, batch_id, {}, [], len(rows)),
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
        _mark_failed(deps, batch_id=batch_id, error=f"unverified: {exc.code}")
        logger.error(
            "alerts: could not check %s for batch %s (%s); not resending",
            first.subscriber_id,
            batch_id,
            exc.code,
        )
        report.failed += len(rows)
        return
    if ts is not None:
        report.recovered += _mark_sent(deps, batch_id=batch_id, channel=channel, ts=ts, now=now)
        logger.info("alerts: batch %s had been sent (ts %s); recorded it", batch_id, ts)
        return
    revisions = {r.development_id: r.revision for r in rows}
    matches = []
    for dev in devs:
        matching = [s for s in subs if subscription_matches(s, dev)]
        if matching and dev.id is not None:
            matches.append(Match(development=dev, subscriptions=matching))
    if not matches:
        _mark_failed(deps, batch_id=batch_id, error="no longer subscribed")
        return
    any_rev = {
        (first.team_id, first.subscriber_id, dev_id) for dev_id, rev in revisions.items() if rev > 1
    }
    batch = _build_batch(deps, key, batch_id, matches, urls, any_rev, digest=False)
    try:
        ts = transport.post(channel, batch.payload)
    except DeliveryError as exc:
        _handle_failure(deps, batch=batch, error=exc, report=report, maybe_posted=exc.ambiguous)
        return
    report.messages += 1
    report.resent += _mark_sent(deps, batch_id=batch_id, channel=channel, ts=ts, now=now)


def alerts_after_poll(
    settings: Settings, *, development_ids: Sequence[int], now: datetime | None = None
) -> AlertReport | None:
    """Deliver the instant alerts of a finished `policybot poll`; None when SLACK_BOT_TOKEN is
    unset (the alerts then wait for `policybot alerts` or `serve`, per CONTRACT.md)."""
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
