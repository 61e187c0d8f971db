"""Subscriptions: who wants alerts about which jurisdictions, per Slack team.

A subscriber is a user (alerts by DM) or a channel. One row holds one filter: jurisdictions
(required, any overlap matches), topics (optional, any overlap), a minimum importance
(optional) and a mode (`instant` or `daily`). Subscribing again with the same topics,
importance and mode merges the jurisdictions into the existing row instead of adding a
duplicate; subscribing a jurisdiction in the other mode moves it there, so one development
never reaches the same subscriber through both modes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.vocab import (
    IMPORTANCE,
    JURISDICTIONS,
    TOPICS,
    normalize_importance,
    normalize_jurisdiction,
    normalize_topic,
)
from store.models import Delivery, Subscription

MODES: tuple[str, ...] = ("instant", "daily")
SUBSCRIBER_KINDS: tuple[str, ...] = ("user", "channel")


class SubscriptionError(ValueError):
    """A request that cannot be honoured; the message is meant for the person who asked."""


@dataclass(frozen=True)
class SubscribeArgs:
    """`/policy subscribe` arguments after normalisation through the vocabulary."""

    jurisdictions: tuple[str, ...]
    topics: tuple[str, ...] = ()
    min_importance: str | None = None
    mode: str = "instant"
    here: bool = False


@dataclass(frozen=True)
class UnsubscribeArgs:
    jurisdictions: tuple[str, ...] = ()
    everything: bool = False
    here: bool = False


@dataclass
class SubscribeResult:
    added: list[str]  # jurisdictions that were not followed with this filter before
    subscription: Subscription
    resumed: bool = False  # the subscriber had been paused and is active again
    current: list[Subscription] = field(default_factory=list)


@dataclass
class UnsubscribeResult:
    removed: list[str]  # jurisdictions no longer followed
    not_followed: list[str]  # asked for but were not followed
    current: list[Subscription] = field(default_factory=list)


def _split_words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


def _take_jurisdiction(words: list[str], i: int) -> tuple[str | None, int]:
    """Longest jurisdiction name starting at `words[i]` ("united kingdom" is two words)."""
    for size in (4, 3, 2, 1):
        if i + size > len(words):
            continue
        code = normalize_jurisdiction(" ".join(words[i : i + size]))
        if code:
            return code, i + size
    return None, i + 1


def _take_topic(words: list[str], i: int) -> tuple[str | None, int]:
    for size in (2, 1):
        if i + size > len(words):
            continue
        topic = normalize_topic(" ".join(words[i : i + size]))
        if topic:
            return topic, i + size
    return None, i + 1


def parse_subscribe_args(text: str) -> SubscribeArgs:
    """Parse `JURISDICTION… [TOPIC…] [high|medium|low] [instant|daily] [here]`.

    Raises `SubscriptionError` naming the words it did not understand.
    """
    words = _split_words(text)
    jurisdictions: list[str] = []
    topics: list[str] = []
    importance: str | None = None
    mode = "instant"
    here = False
    unknown: list[str] = []
    i = 0
    while i < len(words):
        word = words[i].lower()
        if word in MODES:
            mode, i = word, i + 1
            continue
        if word == "here":
            here, i = True, i + 1
            continue
        found_importance = normalize_importance(word.removesuffix("+"))
        if found_importance:
            importance, i = found_importance, i + 1
            continue
        topic, after_topic = _take_topic(words, i)
        code, after_code = _take_jurisdiction(words, i)
        # A topic word wins when it is at least as long a match ("export controls").
        if topic and (code is None or after_topic >= after_code):
            if topic not in topics:
                topics.append(topic)
            i = after_topic
            continue
        if code:
            if code not in jurisdictions:
                jurisdictions.append(code)
            i = after_code
            continue
        unknown.append(words[i])
        i += 1
    if unknown:
        raise SubscriptionError(f"I don't know {_quoted(unknown)}. {SUBSCRIBE_HELP}")
    if not jurisdictions:
        raise SubscriptionError(f"Name at least one jurisdiction. {SUBSCRIBE_HELP}")
    return SubscribeArgs(
        jurisdictions=tuple(jurisdictions),
        topics=tuple(topics),
        min_importance=importance,
        mode=mode,
        here=here,
    )


def parse_unsubscribe_args(text: str) -> UnsubscribeArgs:
    """Parse `JURISDICTION…|all [here]`."""
    words = _split_words(text)
    jurisdictions: list[str] = []
    everything = False
    here = False
    unknown: list[str] = []
    i = 0
    while i < len(words):
        word = words[i].lower()
        if word == "all":
            everything, i = True, i + 1
            continue
        if word == "here":
            here, i = True, i + 1
            continue
        code, i_next = _take_jurisdiction(words, i)
        if code:
            if code not in jurisdictions:
                jurisdictions.append(code)
        else:
            unknown.append(words[i])
        i = i_next
    if unknown:
        raise SubscriptionError(f"I don't know {_quoted(unknown)}. {UNSUBSCRIBE_HELP}")
    if not jurisdictions and not everything:
        raise SubscriptionError(f"Name a jurisdiction, or `all`. {UNSUBSCRIBE_HELP}")
    return UnsubscribeArgs(jurisdictions=tuple(jurisdictions), everything=everything, here=here)


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(f"“{w}”" for w in words)


SUBSCRIBE_HELP = (
    "Usage: `/policy subscribe JURISDICTION… [TOPIC…] [high|medium|low] [instant|daily] [here]`, "
    "e.g. `/policy subscribe EU NL export-controls`. Jurisdictions: "
    + ", ".join(JURISDICTIONS)
    + ". Topics: "
    + ", ".join(TOPICS)
    + "."
)
UNSUBSCRIBE_HELP = (
    "Usage: `/policy unsubscribe JURISDICTION…|all [here]`, e.g. `/policy unsubscribe NL`."
)


def _ordered(codes: Iterable[str], order: Sequence[str]) -> list[str]:
    unique = set(codes)
    known = [c for c in order if c in unique]
    return known + sorted(unique - set(order))


def _delete(session: Session, sub: Subscription) -> None:
    """Delete a subscription; its past deliveries stay (they keep alerts from repeating)."""
    if sub.id is not None:
        session.execute(
            update(Delivery)
            .where(col(Delivery.subscription_id) == sub.id)
            .values(subscription_id=None)
        )
    session.delete(sub)


def _same_filter(sub: Subscription, topics: Sequence[str], min_importance: str | None) -> bool:
    return set(sub.topics) == set(topics) and sub.min_importance == min_importance


def list_subscriptions(session: Session, *, team_id: str, subscriber_id: str) -> list[Subscription]:
    """The subscriber's subscriptions, oldest first."""
    stmt = (
        select(Subscription)
        .where(Subscription.team_id == team_id, Subscription.subscriber_id == subscriber_id)
        .order_by(col(Subscription.id))
    )
    return list(session.exec(stmt))


def subscribe(
    session: Session,
    *,
    team_id: str,
    subscriber_kind: str,
    subscriber_id: str,
    jurisdictions: Sequence[str],
    topics: Sequence[str] = (),
    min_importance: str | None = None,
    mode: str = "instant",
    created_by: str | None = None,
    now: datetime,
) -> SubscribeResult:
    """Follow `jurisdictions` with the given filter, merging into an existing subscription."""
    if subscriber_kind not in SUBSCRIBER_KINDS:
        raise SubscriptionError(f"unknown subscriber kind {subscriber_kind!r}")
    if mode not in MODES:
        raise SubscriptionError(f"Mode must be instant or daily, not “{mode}”.")
    if min_importance is not None and min_importance not in IMPORTANCE:
        raise SubscriptionError(f"Importance must be high, medium or low, not “{min_importance}”.")
    codes = _ordered(jurisdictions, list(JURISDICTIONS))
    bad = [c for c in codes if c not in JURISDICTIONS]
    if not codes or bad:
        raise SubscriptionError(f"Name at least one known jurisdiction. {SUBSCRIBE_HELP}")
    wanted_topics = _ordered(topics, TOPICS)
    if any(t not in TOPICS for t in wanted_topics):
        raise SubscriptionError(f"Unknown topic. {SUBSCRIBE_HELP}")

    existing = list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id)
    resumed = any(s.paused_at is not None for s in existing)
    target: Subscription | None = None
    for sub in existing:
        if not _same_filter(sub, wanted_topics, min_importance):
            continue
        if sub.mode == mode and target is None:
            target = sub
        elif sub.mode != mode:
            # Move these jurisdictions out of the other mode's subscription.
            remaining = [c for c in sub.jurisdictions if c not in codes]
            if remaining:
                sub.jurisdictions = remaining
                session.add(sub)
            else:
                _delete(session, sub)

    if target is None:
        target = Subscription(
            team_id=team_id,
            subscriber_kind=subscriber_kind,
            subscriber_id=subscriber_id,
            jurisdictions=codes,
            topics=wanted_topics,
            min_importance=min_importance,
            mode=mode,
            created_by=created_by,
            created_at=now,
        )
        added = codes
    else:
        added = [c for c in codes if c not in target.jurisdictions]
        target.jurisdictions = _ordered([*target.jurisdictions, *codes], list(JURISDICTIONS))
    session.add(target)
    # Asking again is how a paused subscriber says "try again": resume everything of theirs.
    for sub in existing:
        if sub.paused_at is not None:
            sub.paused_at = None
            sub.pause_reason = None
            session.add(sub)
    session.flush()
    current = list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id)
    return SubscribeResult(added=added, subscription=target, resumed=resumed, current=current)


def unsubscribe(
    session: Session,
    *,
    team_id: str,
    subscriber_id: str,
    jurisdictions: Sequence[str] = (),
    everything: bool = False,
) -> UnsubscribeResult:
    """Stop following `jurisdictions` (in every subscription of this subscriber), or all."""
    existing = list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id)
    followed = {c for s in existing for c in s.jurisdictions}
    if everything:
        removed = _ordered(followed, list(JURISDICTIONS))
        for sub in existing:
            _delete(session, sub)
        session.flush()
        return UnsubscribeResult(removed=removed, not_followed=[], current=[])
    asked = _ordered(jurisdictions, list(JURISDICTIONS))
    for sub in existing:
        remaining = [c for c in sub.jurisdictions if c not in asked]
        if remaining == sub.jurisdictions:
            continue
        if remaining:
            sub.jurisdictions = remaining
            session.add(sub)
        else:
            _delete(session, sub)
    session.flush()
    return UnsubscribeResult(
        removed=[c for c in asked if c in followed],
        not_followed=[c for c in asked if c not in followed],
        current=list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id),
    )


def remove_subscription(
    session: Session, *, team_id: str, subscriber_id: str, subscription_id: int
) -> Subscription | None:
    """Delete one subscription (a remove or unsubscribe button); only its owner may."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.team_id != team_id or sub.subscriber_id != subscriber_id:
        return None
    _delete(session, sub)
    session.flush()
    return sub


def pause_subscriber(
    session: Session, *, team_id: str, subscriber_id: str, reason: str, now: datetime
) -> list[Subscription]:
    """Pause every subscription of a subscriber who cannot be reached (not retried forever)."""
    paused = []
    for sub in list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id):
        if sub.paused_at is None:
            sub.paused_at = now
            sub.pause_reason = reason[:200]
            session.add(sub)
            paused.append(sub)
    session.flush()
    return paused


def paused_subscriptions(session: Session, *, team_id: str | None = None) -> list[Subscription]:
    """Paused subscriptions (for `/policy status`); all teams when `team_id` is None."""
    stmt = select(Subscription).where(col(Subscription.paused_at).is_not(None))
    if team_id is not None:
        stmt = stmt.where(Subscription.team_id == team_id)
    return list(session.exec(stmt.order_by(col(Subscription.id))))


def describe_subscription(sub: Subscription) -> str:
    """One line: "UK, EU · export-controls · high and above · instant". Escaped-safe text."""
    parts = [", ".join(sub.jurisdictions)]
    if sub.topics:
        parts.append(", ".join(sub.topics))
    if sub.min_importance:
        parts.append(
            "high only" if sub.min_importance == "high" else f"{sub.min_importance} and above"
        )
    parts.append("daily digest" if sub.mode == "daily" else "instant")
    return " · ".join(parts)


def subscriber_label(kind: str, subscriber_id: str) -> str:
    return f"<#{subscriber_id}>" if kind == "channel" else "you"


def describe_following(subs: Sequence[Subscription], *, kind: str, subscriber_id: str) -> str:
    """What is now followed, as the reply to subscribe/unsubscribe/subscriptions."""
    who = subscriber_label(kind, subscriber_id)
    if not subs:
        return "You follow nothing now." if kind == "user" else f"{who} follows nothing now."
    lines = [f"{'You follow' if kind == 'user' else who + ' follows'}:"]
    for sub in subs:
        line = f"• {describe_subscription(sub)}"
        if sub.paused_at is not None:
            line += f" (paused: {sub.pause_reason or 'unreachable'})"
        lines.append(line)
    return "\n".join(lines)


def paused_status_lines(session: Session, *, team_id: str | None = None) -> list[str]:
    """One mrkdwn line per paused subscription, for `/policy status`:
    "<@U1>: UK · instant, paused since 26 Nov 2026 (Slack said cannot_dm_bot)"."""
    lines = []
    for sub in paused_subscriptions(session, team_id=team_id):
        who = (
            f"<#{sub.subscriber_id}>"
            if sub.subscriber_kind == "channel"
            else f"<@{sub.subscriber_id}>"
        )
        since = f"{sub.paused_at.day} {sub.paused_at:%b %Y}" if sub.paused_at else "?"
        reason = sub.pause_reason or "unreachable"
        lines.append(f"{who}: {describe_subscription(sub)}, paused since {since} ({reason})")
    return lines
