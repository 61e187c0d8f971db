"""Daily briefings: choose what to brief, claim the briefing, post the thread, resume it.

Exactly once comes from the store, not from the scheduler:

1. Claim. One transaction inserts the `Briefing` row (unique per channel and period) and one
   pending `BriefingPost` per reply, in order. The loser of a race hits the unique constraint:
   it stops when the briefing is complete or its holder's lease is still running, and takes
   the claim over (an atomic compare-and-set on the holder) when the lease has expired (the
   holder crashed) or the briefing failed earlier.
2. Post. The parent goes first and its `ts` is committed at once; then each pending reply, and
   each reply's `ts` is committed right after Slack returns it (one commit per message), with
   the lease renewed each time. A resumed run posts only the replies still pending, into the
   same thread.
3. The one window left is a crash after Slack accepted a message and before its `ts` was
   committed. The parent carries its briefing id and every reply its post id in Slack message
   metadata, so a resumed run first reads the channel (`conversations.history`) and the
   threads (`conversations.replies`) and adopts what it finds there. That needs the history
   scopes (`channels:history`, `groups:history`); without them the run logs one line and may
   repeat the single message that was in flight (a second parent, or one reply twice).

A fatal Slack error (`channel_not_found`, `not_in_channel`, `invalid_auth`, ...) fails that
channel's briefing once, with a log line and the error in the row; other channels go on. A
transient error that outlasts the retries releases the lease, so the next run resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.deps import Deps
from bot.slack.blocks.briefing import (
    BriefingDigest,
    BriefingEntry,
    Message,
    SourceLink,
    UnreachedSource,
    block_kit_builder_url,
    parent_message,
    quiet_message,
    reply_message,
    sort_entries,
    thread_as_text,
)
from bot.slack.client import (
    CONTENT_ERRORS,
    FatalSlackError,
    PostResult,
    RetryableSlackError,
    SlackPoster,
)
from bot.vocab import normalize_jurisdiction, normalize_topic
from store.db import session_scope
from store.leases import default_holder
from store.models import Briefing, BriefingPost, Development, Item, Source

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=10)
FIRST_WINDOW = timedelta(hours=24)
METADATA_EVENT = "policybot_briefing_reply"
PARENT_METADATA_EVENT = "policybot_briefing"

# Briefing.status values.
CLAIMED, POSTED, COMPLETE, FAILED = "claimed", "posted", "complete", "failed"


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

    entries = {e.development_id: e for e in _entries(session, new_devs, tz=tz)}
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


def _entries(
    session: Session,
    devs: Sequence[Development],
    *,
    tz: tzinfo,
    updates: Mapping[int, datetime | None] | None = None,
) -> list[BriefingEntry]:
    """Briefing entries for `devs`, with every item's link labelled primary or secondary."""
    del tz
    ids = [d.id for d in devs if d.id is not None]
    rows = (
        session.exec(
            select(Item, Source)
            .join(Source, col(Item.source_id) == col(Source.id))
            .where(col(Item.development_id).in_(ids))
        ).all()
        if ids
        else []
    )
    by_dev: dict[int, list[tuple[Item, Source]]] = {}
    for item, source in rows:
        assert item.development_id is not None
        by_dev.setdefault(item.development_id, []).append((item, source))
    since_map = updates or {}
    entries = []
    for dev in devs:
        assert dev.id is not None
        pairs = sorted(
            by_dev.get(dev.id, []),
            key=lambda pair: (not pair[1].primary, pair[0].first_seen_at, pair[0].id or 0),
        )
        since = since_map.get(dev.id)
        seen: set[str] = set()
        links = []
        for item, source in pairs:
            if item.url in seen:
                continue
            seen.add(item.url)
            links.append(
                SourceLink(
                    url=item.url,
                    source=source.name,
                    title=item.title if item.title != dev.title else "",
                    primary=source.primary,
                    new=since is not None and item.updated_at > since,
                )
            )
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


# -- rendering a plan (also used by the dry run) ---------------------------------------------
@dataclass(frozen=True)
class RenderedBriefing:
    """The payloads of one channel's briefing. `parent` is None on a quiet day set to "none"."""

    channel: str
    parent: Message | None
    replies: list[Message]
    # For each reply: the thread it goes to when it is an update (None: the parent's thread).
    reply_threads: list[str | None] = field(default_factory=list)


def render_plan(
    session: Session, plan: BriefingPlan, *, tz: tzinfo, quiet: str = "line"
) -> RenderedBriefing:
    devs = {
        d.id: d
        for d in session.exec(
            select(Development).where(
                col(Development.id).in_([r.development_id for r in plan.replies])
            )
        ).all()
    }
    update_since = {r.development_id: r.since for r in plan.replies if r.update}
    entries = {
        e.development_id: e
        for e in _entries(
            session,
            [devs[r.development_id] for r in plan.replies if r.development_id in devs],
            tz=tz,
            updates=update_since,
        )
    }
    ordered = [entries[r.development_id] for r in plan.replies if r.development_id in entries]
    digest = BriefingDigest(
        day=plan.day,
        new=[e for e in ordered if not e.update],
        updates=[e for e in ordered if e.update],
        unreached=unreached_sources(session, since=plan.window_start),
    )
    if plan.quiet:
        parent = quiet_message(digest) if quiet == "line" else None
    else:
        parent = parent_message(digest)
    return RenderedBriefing(
        channel=plan.channel,
        parent=parent,
        replies=[reply_message(e, tz=tz) for e in ordered],
        reply_threads=[
            r.thread_ts if r.update else None for r in plan.replies if r.development_id in entries
        ],
    )


def preview_briefing(deps: Deps, *, channel: str, now: datetime | None = None) -> RenderedBriefing:
    """The briefing `channel` would get now, without claiming or posting anything."""
    settings = deps.settings
    moment = now or deps.clock()
    filters = parse_briefing_filters(settings.briefing_filters)
    with session_scope(deps.sessions) as session:
        plan = plan_briefing(
            session,
            channel=channel,
            now=moment,
            tz=settings.tz,
            channel_filter=filters.get(channel),
        )
        return render_plan(session, plan, tz=settings.tz, quiet=settings.briefing_quiet)


# -- claim, post, resume ---------------------------------------------------------------------
@dataclass(frozen=True)
class BriefingOutcome:
    """What one run did for one channel.

    status: complete (posted now), quiet (nothing to brief), already_complete, in_progress
    (another process holds the claim), failed (Slack refused the channel), interrupted (a
    transient error; the next run resumes).
    """

    channel: str
    period: str
    status: str
    parent_ts: str | None = None
    replies_posted: int = 0
    resumed: bool = False
    error: str | None = None


class _LeaseLost(Exception):
    pass


def _plan_into(
    session: Session,
    briefing: Briefing,
    *,
    settings: Settings,
    now: datetime,
    filters: Mapping[str, ChannelFilter],
) -> None:
    """Plan `briefing` now and add one pending post per reply, in order."""
    plan = plan_briefing(
        session,
        channel=briefing.channel,
        now=now,
        tz=settings.tz,
        channel_filter=filters.get(briefing.channel),
    )
    briefing.window_start = plan.window_start
    briefing.window_end = plan.window_end
    briefing.counts = {
        "new": sum(1 for r in plan.replies if not r.update),
        "updates": sum(1 for r in plan.replies if r.update),
    }
    session.add(briefing)
    start = len(_load_posts(session, briefing.id)) if briefing.id is not None else 0
    for position, reply in enumerate(plan.replies, start=start):
        session.add(
            BriefingPost(
                briefing_id=briefing.id,
                channel=briefing.channel,
                development_id=reply.development_id,
                revision=reply.revision,
                kind="update" if reply.update else "new",
                position=position,
                thread_ts=reply.thread_ts,
                status="pending",
            )
        )


def _take_over(
    session: Session, existing: Briefing, *, owner: str, now: datetime, lease: timedelta
) -> bool:
    """Compare-and-set the claim from its previous holder to `owner`; True when we got it."""
    taken = session.execute(
        update(Briefing)
        .where(col(Briefing.id) == existing.id)
        .where(col(Briefing.status) == existing.status)
        .where(col(Briefing.claimed_by) == existing.claimed_by)
        .values(
            claimed_by=owner,
            lease_until=now + lease,
            status=POSTED if existing.parent_ts else CLAIMED,
            error=None,
        )
    )
    return getattr(taken, "rowcount", 0) == 1


def _resume_earlier(
    deps: Deps,
    poster: SlackPoster,
    *,
    channel: str,
    period: str,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> list[BriefingOutcome]:
    """Finish briefings of earlier periods that a crashed or interrupted run left open."""
    outcomes = []
    with session_scope(deps.sessions) as session:
        stale = session.exec(
            select(Briefing)
            .where(Briefing.channel == channel, col(Briefing.period) < period)
            .where(col(Briefing.status).in_([CLAIMED, POSTED]))
            .where(col(Briefing.lease_until) <= now)
            .order_by(col(Briefing.period))
        ).all()
        mine = [b.id for b in stale if _take_over(session, b, owner=owner, now=now, lease=lease)]
    for briefing_id in mine:
        assert briefing_id is not None
        log.info("briefing for %s: finishing an earlier briefing left open", channel)
        try:
            outcomes.append(
                _post(deps, poster, briefing_id=briefing_id, owner=owner, lease=lease, resumed=True)
            )
        except _LeaseLost:
            continue
    return outcomes


def _claim(
    deps: Deps, *, channel: str, period: str, owner: str, now: datetime, lease: timedelta
) -> tuple[int | None, bool, BriefingOutcome | None]:
    """Claim (channel, period). Returns (briefing id, resumed, outcome when not ours)."""
    settings = deps.settings
    filters = parse_briefing_filters(settings.briefing_filters)
    try:
        with session_scope(deps.sessions) as session:
            briefing = Briefing(
                channel=channel,
                period=period,
                status=CLAIMED,
                claimed_by=owner,
                lease_until=now + lease,
                created_at=now,
            )
            session.add(briefing)
            session.flush()  # the unique (channel, period) decides the race here
            _plan_into(session, briefing, settings=settings, now=now, filters=filters)
            return briefing.id, False, None
    except IntegrityError:
        pass
    with session_scope(deps.sessions) as session:
        existing = session.exec(
            select(Briefing).where(Briefing.channel == channel, Briefing.period == period)
        ).first()
        if existing is None:  # the other claim was rolled back; let the next run try
            return None, False, BriefingOutcome(channel, period, "in_progress")
        if existing.status == COMPLETE:
            return (
                None,
                False,
                BriefingOutcome(channel, period, "already_complete", parent_ts=existing.parent_ts),
            )
        expired = existing.lease_until is None or existing.lease_until <= now
        if existing.status != FAILED and not expired:
            return None, False, BriefingOutcome(channel, period, "in_progress")
        retry_of_failed = existing.status == FAILED
        previous_holder = existing.claimed_by
        if not _take_over(session, existing, owner=owner, now=now, lease=lease):
            return None, False, BriefingOutcome(channel, period, "in_progress")
        session.refresh(existing)
        if retry_of_failed:
            # A retry of a failed briefing: its unposted replies were dropped; plan again.
            _plan_into(session, existing, settings=settings, now=now, filters=filters)
        log.info(
            "briefing %s for %s: resuming a claim left by %s", period, channel, previous_holder
        )
        return existing.id, True, None


def _renew(
    session: Session,
    *,
    briefing_id: int,
    owner: str,
    now: datetime,
    lease: timedelta,
    **values: Any,
) -> None:
    result = session.execute(
        update(Briefing)
        .where(col(Briefing.id) == briefing_id, col(Briefing.claimed_by) == owner)
        .values(lease_until=now + lease, **values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise _LeaseLost


def _record_parent(
    deps: Deps, *, briefing_id: int, owner: str, lease: timedelta, parent_ts: str
) -> None:
    """Commit the parent's ts (and renew the lease) as soon as Slack has the parent."""
    with session_scope(deps.sessions) as session:
        _renew(
            session,
            briefing_id=briefing_id,
            owner=owner,
            now=deps.clock(),
            lease=lease,
            parent_ts=parent_ts,
            status=POSTED,
        )


def _recover_parent(
    deps: Deps, poster: SlackPoster, *, briefing_id: int, channel: str, owner: str, lease: timedelta
) -> str | None:
    """The parent's ts when Slack has it but the store does not (a crash in between)."""
    for message in poster.recent_messages(channel):
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if (
            meta.get("event_type") == PARENT_METADATA_EVENT
            and payload.get("briefing_id") == briefing_id
        ):
            ts = str(message["ts"])
            _record_parent(deps, briefing_id=briefing_id, owner=owner, lease=lease, parent_ts=ts)
            log.info("briefing for %s: the parent was already in Slack (ts %s)", channel, ts)
            return ts
    return None


def _recover_from_threads(
    deps: Deps,
    poster: SlackPoster,
    *,
    channel: str,
    briefing: Briefing,
    pending: Sequence[BriefingPost],
) -> int:
    """Mark pending replies that Slack already has (found by metadata) as posted."""
    threads = {p.thread_ts or briefing.parent_ts for p in pending}
    found: dict[int, tuple[str, str]] = {}
    for thread_ts in threads:
        if not thread_ts:
            continue
        for message in poster.thread_messages(channel, thread_ts):
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT and "post_id" in payload:
                found[int(payload["post_id"])] = (str(message["ts"]), thread_ts)
    recovered = 0
    with session_scope(deps.sessions) as session:
        for post in pending:
            if post.id in found:
                row = session.get(BriefingPost, post.id)
                if row is not None and row.status != "posted":
                    row.ts, row.thread_ts = found[post.id]
                    row.status = "posted"
                    row.posted_at = deps.clock()
                    recovered += 1
    if recovered:
        log.info("briefing for %s: %d replies were already in Slack", channel, recovered)
    return recovered


def run_briefing(
    deps: Deps,
    poster: SlackPoster,
    *,
    channel: str,
    now: datetime | None = None,
    owner: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> BriefingOutcome:
    """Claim, post and complete `channel`'s briefing for the current period (exactly once)."""
    settings = deps.settings
    moment = now or deps.clock()
    period = period_for(moment, settings.tz)
    me = owner or default_holder()
    earlier = _resume_earlier(
        deps, poster, channel=channel, period=period, owner=me, now=moment, lease=lease
    )
    if any(o.status == "failed" for o in earlier):
        failed = next(o for o in earlier if o.status == "failed")
        return BriefingOutcome(channel, period, "failed", error=failed.error)
    briefing_id, resumed, outcome = _claim(
        deps, channel=channel, period=period, owner=me, now=moment, lease=lease
    )
    if outcome is not None:
        return outcome
    assert briefing_id is not None
    try:
        return _post(deps, poster, briefing_id=briefing_id, owner=me, lease=lease, resumed=resumed)
    except _LeaseLost:
        log.warning("briefing %s for %s: another process took the claim over", period, channel)
        return BriefingOutcome(channel, period, "in_progress", resumed=resumed)


def _post_one(
    poster: SlackPoster,
    channel: str,
    message: Message,
    *,
    metadata: dict[str, Any],
    thread_ts: str | None = None,
) -> PostResult:
    """Post `message`; if Slack refuses its blocks, post its plain text instead."""
    try:
        return poster.post_message(
            channel, message["text"], message.get("blocks"), thread_ts, metadata=metadata
        )
    except FatalSlackError as exc:
        if exc.error not in CONTENT_ERRORS or not message.get("blocks"):
            raise
        log.warning("Slack refused a briefing message's blocks (%s); posting its text", exc.error)
        return poster.post_message(channel, message["text"], None, thread_ts, metadata=metadata)


def _post(
    deps: Deps,
    poster: SlackPoster,
    *,
    briefing_id: int,
    owner: str,
    lease: timedelta,
    resumed: bool,
) -> BriefingOutcome:
    settings = deps.settings
    if resumed:
        with session_scope(deps.sessions) as session:
            briefing = session.get(Briefing, briefing_id)
            assert briefing is not None
            pending = _load_posts(session, briefing_id, pending_only=True)
        if briefing.parent_ts is None:
            briefing.parent_ts = _recover_parent(
                deps,
                poster,
                briefing_id=briefing_id,
                channel=briefing.channel,
                owner=owner,
                lease=lease,
            )
        if briefing.parent_ts and pending:
            _recover_from_threads(
                deps, poster, channel=briefing.channel, briefing=briefing, pending=pending
            )
    with session_scope(deps.sessions) as session:
        briefing = session.get(Briefing, briefing_id)
        assert briefing is not None and briefing.window_start and briefing.window_end
        posts = _load_posts(session, briefing_id)
        plan = BriefingPlan(
            channel=briefing.channel,
            day=date.fromisoformat(briefing.period),
            window_start=briefing.window_start,
            window_end=briefing.window_end,
            replies=[
                PlannedReply(
                    development_id=p.development_id,
                    revision=p.revision,
                    update=p.kind == "update",
                    thread_ts=p.thread_ts,
                    since=_previous_post_time(session, p),
                )
                for p in posts
            ],
        )
        rendered = render_plan(session, plan, tz=settings.tz, quiet=settings.briefing_quiet)
        channel, period = briefing.channel, briefing.period
        parent_ts = briefing.parent_ts
        post_ids = [p.id for p in posts]
        done = {p.id for p in posts if p.status == "posted"}

    posted = 0
    try:
        if parent_ts is None and rendered.parent is not None:
            result = _post_one(
                poster,
                channel,
                rendered.parent,
                metadata={
                    "event_type": PARENT_METADATA_EVENT,
                    "event_payload": {"briefing_id": briefing_id},
                },
            )
            parent_ts = result.ts
            _record_parent(
                deps, briefing_id=briefing_id, owner=owner, lease=lease, parent_ts=parent_ts
            )
        for post_id, message, thread in zip(
            post_ids, rendered.replies, rendered.reply_threads, strict=True
        ):
            if post_id in done:
                continue
            thread_ts = thread or parent_ts
            assert thread_ts is not None and post_id is not None
            result = _post_one(
                poster,
                channel,
                message,
                thread_ts=thread_ts,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"post_id": post_id}},
            )
            with session_scope(deps.sessions) as session:
                _renew(session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=lease)
                row = session.get(BriefingPost, post_id)
                assert row is not None
                row.ts, row.thread_ts, row.status = result.ts, thread_ts, "posted"
                row.posted_at = deps.clock()
            posted += 1
        with session_scope(deps.sessions) as session:
            _renew(
                session,
                briefing_id=briefing_id,
                owner=owner,
                now=deps.clock(),
                lease=timedelta(0),
                status=COMPLETE,
                completed_at=deps.clock(),
            )
    except FatalSlackError as exc:
        log.error(
            "briefing %s for channel %s failed: Slack answered %s%s",
            period,
            channel,
            exc.error,
            " (invite the bot to the channel)" if exc.error == "not_in_channel" else "",
        )
        with session_scope(deps.sessions) as session:
            _renew(
                session,
                briefing_id=briefing_id,
                owner=owner,
                now=deps.clock(),
                lease=timedelta(0),
                status=FAILED,
                error=exc.error,
            )
            # Unposted replies go back to the pool: the next briefing (or a retry) takes them.
            for row in _load_posts(session, briefing_id, pending_only=True):
                session.delete(row)
        return BriefingOutcome(
            channel, period, "failed", parent_ts, posted, resumed=resumed, error=exc.error
        )
    except RetryableSlackError as exc:
        log.warning(
            "briefing %s for channel %s interrupted after %d replies: %s; the next run resumes",
            period,
            channel,
            posted,
            exc.error,
        )
        with session_scope(deps.sessions) as session:
            # Release the lease so the next run resumes at once.
            _renew(
                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=timedelta(0)
            )
        return BriefingOutcome(
            channel, period, "interrupted", parent_ts, posted, resumed=resumed, error=exc.error
        )
    status = "quiet" if rendered.parent is None or not post_ids else "complete"
    return BriefingOutcome(channel, period, status, parent_ts, posted, resumed=resumed)


def _load_posts(
    session: Session, briefing_id: int, *, pending_only: bool = False
) -> list[BriefingPost]:
    query = select(BriefingPost).where(BriefingPost.briefing_id == briefing_id)
    if pending_only:
        query = query.where(BriefingPost.status != "posted")
    return list(session.exec(query.order_by(col(BriefingPost.position))).all())


def _previous_post_time(session: Session, post: BriefingPost) -> datetime | None:
    if post.kind != "update":
        return None
    earlier = session.exec(
        select(BriefingPost)
        .where(
            BriefingPost.channel == post.channel,
            BriefingPost.development_id == post.development_id,
            BriefingPost.status == "posted",
            col(BriefingPost.revision) < post.revision,
        )
        .order_by(col(BriefingPost.revision).desc())
        .limit(1)
    ).first()
    return earlier.posted_at if earlier else None


def run_briefings(
    deps: Deps,
    poster: SlackPoster,
    *,
    channels: Sequence[str],
    now: datetime | None = None,
    max_workers: int = 4,
) -> list[BriefingOutcome]:
    """Brief every channel; channels run in parallel (pacing is per channel)."""
    if not channels:
        return []
    moment = now or deps.clock()

    def one(channel: str) -> BriefingOutcome:
        try:
            return run_briefing(deps, poster, channel=channel, now=moment)
        except Exception as exc:  # one channel's bug must not stop the others
            log.exception("briefing for channel %s crashed", channel)
            return BriefingOutcome(
                channel,
                period_for(moment, deps.settings.tz),
                "interrupted",
                error=type(exc).__name__,
            )

    with ThreadPoolExecutor(max_workers=min(max_workers, len(channels))) as pool:
        return list(pool.map(one, channels))


def briefing_settings_problem(settings: Settings) -> str | None:
    """A one-line description of what is wrong with the briefing settings, or None."""
    try:
        parse_briefing_filters(settings.briefing_filters)
    except ValueError as exc:
        return str(exc)
    return None


def render_briefing_text(rendered: RenderedBriefing) -> str:
    """The thread as Slack would show it, as plain text (parent, then indented replies)."""
    return thread_as_text(rendered.parent, rendered.replies)


def briefing_payloads(rendered: RenderedBriefing) -> dict[str, Any]:
    """`{"parent": {...}, "replies": [{...}]}`: the `chat.postMessage` payloads of a briefing.

    A reply's `thread_ts` is known only for updates (their thread exists); new replies go to
    the parent's thread, whose `ts` Slack gives when the parent is posted.
    """
    parent = None if rendered.parent is None else {"channel": rendered.channel, **rendered.parent}
    replies = []
    for message, thread in zip(rendered.replies, rendered.reply_threads, strict=False):
        payload: dict[str, Any] = {"channel": rendered.channel, **message}
        if thread:
            payload["thread_ts"] = thread
        replies.append(payload)
    return {
        "channel": rendered.channel,
        "parent": parent,
        "replies": replies,
        "block_kit_builder": block_kit_builder_url(rendered.parent) if rendered.parent else None,
    }
