"""A briefing plan as Slack messages: the thread's payloads, a preview, and plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from bot.briefings.plan import (
    BriefingPlan,
    briefing_entries,
    parse_briefing_filters,
    plan_briefing,
    unreached_sources,
)
from bot.deps import Deps
from bot.slack.blocks.briefing import (
    BriefingDigest,
    Message,
    block_kit_builder_url,
    parent_message,
    quiet_message,
    reply_message,
    thread_as_text,
)
from store.db import session_scope
from store.models import Development


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
        for e in briefing_entries(
            session,
            [devs[r.development_id] for r in plan.replies if r.development_id in devs],
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
