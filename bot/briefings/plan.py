"""What a channel's briefing holds: per-channel filters, the plan, and its entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlmodel import Session, col, select

from bot.briefings.internals import COMPLETE
from bot.developments.timeline import timeline_labels
from bot.slack.blocks.briefing import BriefingEntry, SourceLink, UnreachedSource, sort_entries
from bot.vocab import normalize_jurisdiction, normalize_topic
from store.links import development_links
from store.models import Briefing, BriefingPost, Development, Source

FIRST_WINDOW = timedelta(hours=24)


# -- per-channel filters -------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelFilter:
    """Jurisdictions and topics a channel wants; an empty set means "any".

    A development passes when it shares a jurisdiction with the filter (if any are given) and
    shares a topic with it (if any are given).
    """

    jurisdictions: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()

    def matches(self, jurisdictions: Iterable[str], topics: Iterable[str]) -> bool:
        if self.jurisdictions and not self.jurisdictions & set(jurisdictions):
            return False
        return not (self.topics and not self.topics & set(topics))


def parse_briefing_filters(text: str) -> dict[str, ChannelFilter]:
    """Parse `POLICYBOT_BRIEFING_FILTERS`: "C0123=US,EU,export-controls;C0456=UK".

    Words are jurisdiction codes or names, or topics (normalised through `bot.vocab`). Raises
    ValueError naming the word that is neither.
    """
    filters: dict[str, ChannelFilter] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        channel, sep, words = part.partition("=")
        if not sep or not channel.strip():
            raise ValueError(f"POLICYBOT_BRIEFING_FILTERS: expected CHANNEL=WORDS, got {part!r}")
        jurisdictions: set[str] = set()
        topics: set[str] = set()
        for word in words.split(","):
            if not word.strip():
                continue
            topic = normalize_topic(word)
            code = normalize_jurisdiction(word) if topic is None else None
            if topic:
                topics.add(topic)
            elif code:
                jurisdictions.add(code)
            else:
                raise ValueError(
                    f"POLICYBOT_BRIEFING_FILTERS: {word.strip()!r} is neither a jurisdiction"
                    " nor a topic"
                )
        filters[channel.strip()] = ChannelFilter(frozenset(jurisdictions), frozenset(topics))
    return filters


def period_for(now: datetime, tz: tzinfo) -> str:
    """The briefing period of `now`: the local date in the briefing time zone."""
    return now.astimezone(tz).date().isoformat()


# -- selection -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedReply:
    development_id: int
    revision: int
    update: bool
    thread_ts: str | None = None  # updates: the development's existing thread
    since: datetime | None = None  # updates: when it was last briefed


@dataclass(frozen=True)
class BriefingPlan:
    channel: str
    day: date
    window_start: datetime
    window_end: datetime
    replies: Sequence[PlannedReply]

    @property
    def quiet(self) -> bool:
        return not self.replies


def _window_start(session: Session, *, channel: str, now: datetime) -> datetime:
    last = session.exec(
        select(Briefing)
        .where(Briefing.channel == channel, Briefing.status == COMPLETE)
        .where(col(Briefing.window_end).is_not(None))
        .order_by(col(Briefing.window_end).desc())
        .limit(1)
    ).first()
    if last is not None and last.window_end is not None and last.window_end < now:
        return last.window_end
    return now - FIRST_WINDOW


def plan_briefing(
    session: Session,
    *,
    channel: str,
    now: datetime,
    tz: tzinfo,
    channel_filter: ChannelFilter | None = None,
) -> BriefingPlan:
    """What the channel's next briefing holds: new developments and updates, in order.

    New: first seen since the previous complete briefing to this channel (the first briefing:
    the last 24 hours), not announced `never`, not yet posted here, passing the filter.
    Updates: developments posted here whose revision has grown since.
    """
    start = _window_start(session, channel=channel, now=now)
    wanted = channel_filter or ChannelFilter()
    posts = session.exec(select(BriefingPost).where(BriefingPost.channel == channel)).all()
    known: dict[int, list[BriefingPost]] = {}
    for post in posts:
        known.setdefault(post.development_id, []).append(post)

    fresh = session.exec(
        select(Development)
        .where(Development.announce != "never")
        .where(col(Development.first_seen_at) >= start, col(Development.first_seen_at) < now)
    ).all()
    new_devs = [
        d
        for d in fresh
        if d.id is not None and d.id not in known and wanted.matches(d.jurisdictions, d.topics)
    ]

    updates: list[tuple[Development, BriefingPost]] = []
    if known:
        briefed = session.exec(
            select(Development).where(col(Development.id).in_(list(known)))
        ).all()
        for dev in briefed:
            assert dev.id is not None
            dev_posts = known[dev.id]
            if any(p.status != "posted" for p in dev_posts):
                continue  # an unfinished briefing still owns it
            latest = max(dev_posts, key=lambda p: p.revision)
            if (
                dev.revision > latest.revision
                and dev.announce != "never"
                and wanted.matches(dev.jurisdictions, dev.topics)
                and latest.thread_ts
            ):
                updates.append((dev, latest))

    entries = {e.development_id: e for e in briefing_entries(session, new_devs)}
    ordered = [e.development_id for e in sort_entries(list(entries.values()))]
    replies = [
        PlannedReply(development_id=dev_id, revision=_revision(new_devs, dev_id), update=False)
        for dev_id in ordered
    ]
    for dev, latest in sorted(updates, key=lambda pair: pair[1].posted_at or pair[0].updated_at):
        assert dev.id is not None
        replies.append(
            PlannedReply(
                development_id=dev.id,
                revision=dev.revision,
                update=True,
                thread_ts=latest.thread_ts,
                since=latest.posted_at,
            )
        )
    return BriefingPlan(
        channel=channel,
        day=now.astimezone(tz).date(),
        window_start=start,
        window_end=now,
        replies=replies,
    )


def _revision(devs: Sequence[Development], dev_id: int) -> int:
    return next(d.revision for d in devs if d.id == dev_id)


def briefing_entries(
    session: Session,
    devs: Sequence[Development],
    *,
    updates: Mapping[int, datetime | None] | None = None,
) -> list[BriefingEntry]:
    """Briefing entries for `devs`, each link labelled primary or secondary (`store.links`),
    each with the dates the development sets (its timeline)."""
    ids = [d.id for d in devs if d.id is not None]
    links_of = development_links(session, ids)
    dated = timeline_labels(session, ids)
    since_map = updates or {}
    entries = []
    for dev in devs:
        assert dev.id is not None
        since = since_map.get(dev.id)
        links = [
            SourceLink(
                url=link.url,
                source=link.source,
                title=link.title if link.title != dev.title else "",
                primary=link.primary,
                new=since is not None and link.updated_at > since,
            )
            for link in links_of.get(dev.id, [])
        ]
        entries.append(
            BriefingEntry(
                development_id=dev.id,
                title=dev.title,
                summary=dev.summary,
                jurisdictions=tuple(dev.jurisdictions),
                topics=tuple(dev.topics),
                importance=dev.importance,
                first_seen_at=dev.first_seen_at,
                published_at=dev.published_at,
                links=tuple(links),
                revision=dev.revision,
                update=dev.id in since_map,
                timeline=dated.get(dev.id, ()),
            )
        )
    return entries


def unreached_sources(session: Session, *, since: datetime) -> list[UnreachedSource]:
    """Enabled sources with no successful fetch since `since` (the previous briefing)."""
    sources = session.exec(
        select(Source).where(col(Source.enabled).is_(True)).order_by(col(Source.name))
    ).all()
    return [
        UnreachedSource(name=s.name, last_error=s.last_error, last_success_at=s.last_success_at)
        for s in sources
        if s.last_success_at is None or s.last_success_at < since
    ]
