"""Posting a claimed briefing's thread: the parent, then each pending reply, one commit each."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.briefings.claims import load_posts, renew_claim
from bot.briefings.internals import (
    COMPLETE,
    FAILED,
    METADATA_EVENT,
    PARENT_METADATA_EVENT,
    BriefingOutcome,
)
from bot.briefings.plan import BriefingPlan, PlannedReply
from bot.briefings.recovery import record_parent, recover_from_threads, recover_parent
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


def post_briefing(
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
        channel, period = briefing.channel, briefing.period
        parent_ts = briefing.parent_ts
        post_ids = [p.id for p in posts]
        done = {p.id for p in posts if p.status == "posted"}

    posted = 0
    try:
        if parent_ts is None and rendered.parent is not None:
            result = post_one(
                poster,
                channel,
                rendered.parent,
                metadata={
                    "event_type": PARENT_METADATA_EVENT,
                    "event_payload": {"briefing_id": briefing_id},
                },
            )
            parent_ts = result.ts
            record_parent(
                deps, briefing_id=briefing_id, owner=owner, lease=lease, parent_ts=parent_ts
            )
        for post_id, message, thread in zip(
            post_ids, rendered.replies, rendered.reply_threads, strict=True
        ):
            if post_id in done:
                continue
            thread_ts = thread or parent_ts
            assert thread_ts is not None and post_id is not None
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
            posted += 1
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
    except FatalSlackError as exc:
        log.error(
            "briefing %s for channel %s failed: Slack answered %s%s",
            period,
            channel,
            exc.error,
            " (invite the bot to the channel)" if exc.error == "not_in_channel" else "",
        )
        with session_scope(deps.sessions) as session:
            renew_claim(
                session,
                briefing_id=briefing_id,
                owner=owner,
                now=deps.clock(),
                lease=timedelta(0),
                status=FAILED,
                error=exc.error,
            )
            # Unposted replies go back to the pool: the next briefing (or a retry) takes them.
            for row in load_posts(session, briefing_id, pending_only=True):
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
            renew_claim(
                session, briefing_id=briefing_id, owner=owner, now=deps.clock(), lease=timedelta(0)
            )
        return BriefingOutcome(
            channel, period, "interrupted", parent_ts, posted, resumed=resumed, error=exc.error
        )
    status = "quiet" if rendered.parent is None or not post_ids else "complete"
    return BriefingOutcome(channel, period, status, parent_ts, posted, resumed=resumed)


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
