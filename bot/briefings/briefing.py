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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.briefings.claims import claim_briefing, take_over
from bot.briefings.internals import CLAIMED, DEFAULT_LEASE, POSTED, BriefingOutcome, LeaseLost
from bot.briefings.plan import parse_briefing_filters, period_for
from bot.briefings.posting import post_briefing
from bot.config import Settings
from bot.deps import Deps
from bot.slack.client import SlackPoster
from store.db import session_scope
from store.leases import default_holder
from store.models import Briefing

log = logging.getLogger(__name__)


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
        mine = [b.id for b in stale if take_over(session, b, owner=owner, now=now, lease=lease)]
    for briefing_id in mine:
        assert briefing_id is not None
        log.info("briefing for %s: finishing an earlier briefing left open", channel)
        try:
            outcomes.append(
                post_briefing(
                    deps, poster, briefing_id=briefing_id, owner=owner, lease=lease, resumed=True
                )
            )
        except LeaseLost:
            continue
    return outcomes


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
    briefing_id, resumed, outcome = claim_briefing(
        deps, channel=channel, period=period, owner=me, now=moment, lease=lease
    )
    if outcome is not None:
        return outcome
    assert briefing_id is not None
    try:
        return post_briefing(
            deps, poster, briefing_id=briefing_id, owner=me, lease=lease, resumed=resumed
        )
    except LeaseLost:
        log.warning("briefing %s for %s: another process took the claim over", period, channel)
        return BriefingOutcome(channel, period, "in_progress", resumed=resumed)


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
