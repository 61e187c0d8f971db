"""Which developments each subscriber hears about, and what an alert says about each.

A development matches a subscription when they share a jurisdiction, share a topic (if the
subscription names topics) and the development is at least the subscription's minimum
importance (if it has one). Developments marked `announce == "never"` (backfill, not AI
policy) never alert, and a subscription only hears about developments that appeared or changed
after it was created. Subscriptions are indexed by jurisdiction, so matching costs about
(developments x subscriptions sharing a jurisdiction), not every pair.

`Development.revision` is bumped when a development gains an item or its page changes; each
(development, revision) is alerted at most once per subscriber (`delivered_keys` says what was),
and one the subscriber had an earlier revision of is marked "Updated".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.developments.timeline import timeline_labels
from bot.slack.blocks.alerts import AlertDevelopment
from bot.vocab import IMPORTANCE_RANK
from store.links import first_links
from store.models import Delivery, Development, Subscription

__all__ = [
    "CitedFacts",
    "Match",
    "SubscriberKey",
    "alert_development",
    "candidate_developments",
    "cited_facts",
    "delivered_keys",
    "is_alertable",
    "match_developments",
    "match_reason",
    "subscription_matches",
]

SubscriberKey = tuple[str, str, str]  # team_id, subscriber_kind, subscriber_id


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


def candidate_developments(
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


def delivered_keys(
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


@dataclass(frozen=True)
class CitedFacts:
    """What alerts cite of each development: its first link and the dates it sets."""

    urls: dict[int, str] = field(default_factory=dict)
    timelines: dict[int, tuple[str, ...]] = field(default_factory=dict)


def cited_facts(session: Session, dev_ids: Sequence[int]) -> CitedFacts:
    return CitedFacts(
        urls=first_links(session, dev_ids), timelines=timeline_labels(session, dev_ids)
    )


def alert_development(
    dev: Development,
    subs: Sequence[Subscription],
    *,
    url: str | None,
    is_update: bool,
    timeline: Sequence[str] = (),
) -> AlertDevelopment:
    """What an alert shows of `dev`: its first link, why it matched, the dates it sets."""
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
        timeline=tuple(timeline),
    )
