"""Daily briefings: choose what to brief, claim the briefing, post the thread, resume it.

Exactly once comes from the store, not from the scheduler (modules: `plan`, `render`,
`claims`, `posting`, `recovery`; this one runs them):

1. Claim. One transaction inserts the `Briefing` row (unique per channel and period) and one
   pending `BriefingPost` per reply, in order. The loser of a race hits the unique constraint:
   it stops when the briefing is complete or its holder's lease is still running, and takes
   the claim over (an atomic compare-and-set on the holder) when the lease has expired (the
   holder crashed) or the briefing failed earlier.
2. Post. The parent goes first and its `ts` is committed at once; then each pending reply, and
   each reply's `ts` is committed right after Slack returns it (one commit per message). The
   lease is short (`DEFAULT_LEASE`, 45 s) and kept alive while posting: renewed as each message
   is recorded and by a heartbeat every third of it. A holder whose lease lapsed cannot renew
   it and stops. A resumed run posts only the replies still pending, into the same thread.
3. Resume. Someone always looks again: `resume_stalled_briefings` (run every minute by
   `serve` on every replica, and at start-up) takes over each open briefing whose lease has
   lapsed and finishes it. With the defaults a thread cut by a crash is being finished within
   45 s + 60 s of the crash (README, "Briefings and restarts").
4. The one window left is a crash after Slack accepted a message and before its `ts` was
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

from bot.briefings.claims import claim_briefing, stalled_briefings, take_over
from bot.briefings.internals import CLAIMED, DEFAULT_LEASE, OPEN, POSTED, BriefingOutcome, LeaseLost
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


def resume_stalled_briefings(
    deps: Deps,
    poster: SlackPoster,
    *,
    now: datetime | None = None,
    owner: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
    max_workers: int = 4,
) -> list[BriefingOutcome]:
    """Finish every open briefing (up to today's) whose holder's lease has lapsed.

    A holder that crashed renews nothing, so its claim lapses within `lease`; whichever process
    runs this next takes the claim over (a compare-and-set: of several racing, one wins) and
    posts what is missing, after adopting from the channel's history what Slack already has.
    Channels run in parallel; one channel's briefings oldest first.
    """
    moment = now or deps.clock()
    me = owner or default_holder()
    today = period_for(moment, deps.settings.tz)
    with session_scope(deps.sessions) as session:
        by_channel: dict[str, list[int]] = {}
        for briefing in stalled_briefings(session, now=moment, period=today):
            assert briefing.id is not None
            by_channel.setdefault(briefing.channel, []).append(briefing.id)
    if not by_channel:
        return []

    def one(channel: str) -> list[BriefingOutcome]:
        outcomes = []
        for briefing_id in by_channel[channel]:
            try:
                outcome = _resume(deps, poster, briefing_id, owner=me, now=moment, lease=lease)
            except Exception as exc:  # one channel's bug must not stop the others
                log.exception("resuming briefing %d crashed", briefing_id)
                outcome = BriefingOutcome(channel, today, "interrupted", error=type(exc).__name__)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    with ThreadPoolExecutor(max_workers=min(max_workers, len(by_channel))) as pool:
        return [o for outcomes in pool.map(one, list(by_channel)) for o in outcomes]


def _resume(
    deps: Deps,
    poster: SlackPoster,
    briefing_id: int,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> BriefingOutcome | None:
    """Take one lapsed claim over and finish it; None when it is no longer ours to finish."""
    with session_scope(deps.sessions) as session:
        briefing = session.get(Briefing, briefing_id)
        if briefing is None or briefing.status not in OPEN:
            return None
        lapsed = briefing.lease_until is None or briefing.lease_until <= now
        if not lapsed or not take_over(session, briefing, owner=owner, now=now, lease=lease):
            return None
        channel, period, previous = briefing.channel, briefing.period, briefing.claimed_by
    log.info("briefing %s for %s: resuming a thread %s left unfinished", period, channel, previous)
    try:
        return post_briefing(
            deps, poster, briefing_id=briefing_id, owner=owner, lease=lease, resumed=True
        )
    except LeaseLost:
        log.warning("briefing %s for %s: another process took the claim over", period, channel)
        return BriefingOutcome(channel, period, "in_progress", resumed=True)


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
