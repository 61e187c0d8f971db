"""Recovery from channel history: adopt what Slack has but the store missed (a crash between).

The parent carries its briefing id and every reply its post id in Slack message metadata, so a
resumed run reads the channel (`conversations.history`) and the threads
(`conversations.replies`) and marks what it finds as posted before posting anything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.briefings.claims import record_parent
from bot.briefings.internals import METADATA_EVENT, PARENT_METADATA_EVENT
from bot.deps import Deps
from bot.slack.client import SlackPoster
from store.db import session_scope
from store.models import Briefing, BriefingPost

log = logging.getLogger(__name__)


def recover_parent(
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
            record_parent(deps, briefing_id=briefing_id, owner=owner, lease=lease, parent_ts=ts)
            log.info("briefing for %s: the parent was already in Slack (ts %s)", channel, ts)
            return ts
    return None


def recover_from_threads(
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
