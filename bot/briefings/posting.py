"""Posting a claimed briefing's thread: the parent, then each pending reply, one commit each."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.briefings.claims import ClaimKeeper, load_posts, record_parent, renew_claim
from bot.briefings.internals import (
    COMPLETE,
    FAILED,
    METADATA_EVENT,
    PARENT_METADATA_EVENT,
    BriefingOutcome,
)
from bot.briefings.plan import BriefingPlan, PlannedReply
from bot.briefings.recovery import recover_from_threads, recover_parent
from bot.briefings.render import render_plan
from bot.deps import Deps
from bot.slack.blocks.briefing import Message
from bot.slack.client import (
    CONTENT_ERRORS,
    FatalSlackError,
    PostResult,
    RetryableSlackError,
    SlackPoster,
)
from store.db import session_scope
from store.models import Briefing, BriefingPost

log = logging.getLogger(__name__)


def post_one(
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


@dataclass
class ThreadProgress:
    """Where posting a briefing's thread has got to (for its outcome and log lines)."""

    channel: str
    period: str
    parent_ts: str | None
    posted: int = 0


def post_briefing(
    deps: Deps,
    poster: SlackPoster,
    *,
    briefing_id: int,
    owner: str,
    lease: timedelta,
    resumed: bool,
) -> BriefingOutcome:
    """Post what a claimed briefing still lacks, then mark it complete (or failed).

    A resumed run first adopts from the channel's history what Slack already has. The lease is
    kept alive throughout (`ClaimKeeper`), and raises `LeaseLost` when another process took
    the claim over.
    """
    with session_scope(deps.sessions) as session:
        briefing = session.get(Briefing, briefing_id)
        assert briefing is not None
        progress = ThreadProgress(briefing.channel, briefing.period, briefing.parent_ts)
    fatal: FatalSlackError | None = None
    transient: RetryableSlackError | None = None
    with ClaimKeeper(deps, briefing_id=briefing_id, owner=owner, lease=lease) as keeper:
        try:
            quiet = _post_thread(
                deps,
                poster,
                keeper,
                progress,
                briefing_id=briefing_id,
                owner=owner,
                lease=lease,
                resumed=resumed,
            )
        except FatalSlackError as exc:
            fatal = exc
        except RetryableSlackError as exc:
            transient = exc
    # The keeper has stopped: no renewal can land after the writes below.
    channel, period, parent_ts, posted = (
        progress.channel,
        progress.period,
        progress.parent_ts,
        progress.posted,
    )
    if fatal is not None:
        log.error(
            "briefing %s for channel %s failed: Slack answered %s%s",
            period,
            channel,
            fatal.error,
            " (invite the bot to the channel)" if fatal.error == "not_in_channel" else "",
        )
        with session_scope(deps.sessions) as session:
            renew_claim(
                session,
                briefing_id=briefing_id,
                owner=owner,
                now=deps.clock(),
                lease=timedelta(0),
                status=FAILED,
                error=fatal.error,
            )
            # Unposted replies go back to the pool: the next briefing (or a retry) takes them.
            for row in load_posts(session, briefing_id, pending_only=True):
                session.delete(row)
        return BriefingOutcome(
            channel, period, "failed", parent_ts, posted, resumed=resumed, error=fatal.error
        )
    if transient is not None:
        log.warning(
            "briefing %s for channel %s interrupted after %d replies: %s; the next run resumes",
            period,
            channel,
            posted,
            transient.error,
        )
        with session_scope(deps.sessions) as session:
            # Release the lease so the next run (or the periodic resume) takes it at once.
            renew_claim(
                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=timedelta(0)
            )
        return BriefingOutcome(
            channel,
            period,
            "interrupted",
            parent_ts,
            posted,
            resumed=resumed,
            error=transient.error,
        )
    with session_scope(deps.sessions) as session:
        renew_claim(
            session,
            briefing_id=briefing_id,
            owner=owner,
            now=deps.clock(),
            lease=timedelta(0),
            status=COMPLETE,
            completed_at=deps.clock(),
        )
    status = "quiet" if quiet else "complete"
    return BriefingOutcome(channel, period, status, parent_ts, posted, resumed=resumed)


def _post_thread(
    deps: Deps,
    poster: SlackPoster,
    keeper: ClaimKeeper,
    progress: ThreadProgress,
    *,
    briefing_id: int,
    owner: str,
    lease: timedelta,
    resumed: bool,
) -> bool:
    """Post the parent (unless Slack has it) and each pending reply; True on a quiet day."""
    settings = deps.settings
    if resumed:
        with session_scope(deps.sessions) as session:
            briefing = session.get(Briefing, briefing_id)
            assert briefing is not None
            pending = load_posts(session, briefing_id, pending_only=True)
        if briefing.parent_ts is None:
            briefing.parent_ts = recover_parent(
                deps,
                poster,
                briefing_id=briefing_id,
                channel=briefing.channel,
                owner=owner,
                lease=lease,
            )
        if briefing.parent_ts and pending:
            recover_from_threads(
                deps, poster, channel=briefing.channel, briefing=briefing, pending=pending
            )
    with session_scope(deps.sessions) as session:
        briefing = session.get(Briefing, briefing_id)
        assert briefing is not None and briefing.window_start and briefing.window_end
        posts = load_posts(session, briefing_id)
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
                    since=previous_post_time(session, p),
                )
                for p in posts
            ],
        )
        rendered = render_plan(session, plan, tz=settings.tz, quiet=settings.briefing_quiet)
        channel = briefing.channel
        progress.parent_ts = briefing.parent_ts
        post_ids = [p.id for p in posts]
        done = {p.id for p in posts if p.status == "posted"}

    if progress.parent_ts is None and rendered.parent is not None:
        keeper.check()
        result = post_one(
            poster,
            channel,
            rendered.parent,
            metadata={
                "event_type": PARENT_METADATA_EVENT,
                "event_payload": {"briefing_id": briefing_id},
            },
        )
        progress.parent_ts = result.ts
        record_parent(deps, briefing_id=briefing_id, owner=owner, lease=lease, parent_ts=result.ts)
    for post_id, message, thread in zip(
        post_ids, rendered.replies, rendered.reply_threads, strict=True
    ):
        if post_id in done:
            continue
        thread_ts = thread or progress.parent_ts
        assert thread_ts is not None and post_id is not None
        keeper.check()
        result = post_one(
            poster,
            channel,
            message,
            thread_ts=thread_ts,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"post_id": post_id}},
        )
        with session_scope(deps.sessions) as session:
            renew_claim(
                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=lease
            )
            row = session.get(BriefingPost, post_id)
            assert row is not None
            row.ts, row.thread_ts, row.status = result.ts, thread_ts, "posted"
            row.posted_at = deps.clock()
        progress.posted += 1
    return rendered.parent is None or not post_ids


def previous_post_time(session: Session, post: BriefingPost) -> datetime | None:
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
