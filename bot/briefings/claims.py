"""The claim on a briefing: one row per channel and period, held under a lease.

`claim_briefing` inserts the row and its pending posts (the unique (channel, period) decides a
race), or takes an expired or failed claim over with `take_over`, a compare-and-set on the
previous holder. `renew_claim` extends the lease only while the row is still ours.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.briefings.internals import (
    CLAIMED,
    COMPLETE,
    FAILED,
    OPEN,
    POSTED,
    BriefingOutcome,
    LeaseLost,
)
from bot.briefings.plan import ChannelFilter, parse_briefing_filters, plan_briefing
from bot.config import Settings
from bot.deps import Deps
from bot.heartbeat import Heartbeat
from store.db import session_scope
from store.models import Briefing, BriefingPost

log = logging.getLogger(__name__)


def plan_into(
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
    start = len(load_posts(session, briefing.id)) if briefing.id is not None else 0
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


def take_over(
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


def claim_briefing(
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
            plan_into(session, briefing, settings=settings, now=now, filters=filters)
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
        if not take_over(session, existing, owner=owner, now=now, lease=lease):
            return None, False, BriefingOutcome(channel, period, "in_progress")
        session.refresh(existing)
        if retry_of_failed:
            # A retry of a failed briefing: its unposted replies were dropped; plan again.
            plan_into(session, existing, settings=settings, now=now, filters=filters)
        log.info(
            "briefing %s for %s: resuming a claim left by %s", period, channel, previous_holder
        )
        return existing.id, True, None


def renew_claim(
    session: Session,
    *,
    briefing_id: int,
    owner: str,
    now: datetime,
    lease: timedelta,
    **values: Any,
) -> None:
    """Extend the lease to `now + lease` (and set `values`) while the claim is still ours.

    Ours means held by `owner` with the lease not yet lapsed: once it has lapsed another
    process may be resuming the briefing, so a late holder stops (`LeaseLost`) rather than
    race it; what it posted is then adopted from the channel's history.
    """
    result = session.execute(
        update(Briefing)
        .where(col(Briefing.id) == briefing_id, col(Briefing.claimed_by) == owner)
        .where(col(Briefing.lease_until) > now)
        .values(lease_until=now + lease, **values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise LeaseLost


class ClaimKeeper(Heartbeat):
    """Keeps a claim's lease alive on its own thread while its holder works (`with` block).

    Posting renews the lease as each message is recorded; the keeper covers what takes longer
    than a message (reading history, a long `Retry-After`, a slow Slack), renewing every third
    of the lease. If a renewal finds the claim lost, `check()` raises `LeaseLost` before the
    holder posts anything more. A killed process renews nothing, so its lease lapses.
    """

    def __init__(
        self,
        deps: Deps,
        *,
        briefing_id: int,
        owner: str,
        lease: timedelta,
        every: float | None = None,
    ) -> None:
        every = lease.total_seconds() / 3 if every is None else every
        super().__init__(every=every, name="briefing-lease")
        self._deps = deps
        self._briefing_id = briefing_id
        self._owner = owner
        self._lease = lease

    def check(self) -> None:
        if self.lost:
            raise LeaseLost

    def renew(self) -> None:
        """One renewal now (what the thread does every `every` seconds)."""
        try:
            with session_scope(self._deps.sessions) as session:
                renew_claim(
                    session,
                    briefing_id=self._briefing_id,
                    owner=self._owner,
                    now=self._deps.clock(),
                    lease=self._lease,
                )
        except LeaseLost:
            self.lost = True
            log.warning("briefing %d: the claim was lost while posting", self._briefing_id)
        except Exception as exc:  # the database may be back by the next beat
            log.warning("briefing %d: lease renewal failed: %s", self._briefing_id, exc)


def stalled_briefings(session: Session, *, now: datetime, period: str) -> list[Briefing]:
    """Open briefings up to `period` whose holder's lease has lapsed, oldest period first.

    Open: claimed or posting; a crashed or interrupted run left them so. Failed ones wait for
    a person (and the next run), complete ones are done.
    """
    return list(
        session.exec(
            select(Briefing)
            .where(col(Briefing.status).in_(OPEN), col(Briefing.period) <= period)
            .where(col(Briefing.lease_until) <= now)
            .order_by(col(Briefing.period), col(Briefing.channel))
        ).all()
    )


def record_parent(
    deps: Deps, *, briefing_id: int, owner: str, lease: timedelta, parent_ts: str
) -> None:
    """Commit the parent's ts (and renew the lease) as soon as Slack has the parent."""
    with session_scope(deps.sessions) as session:
        renew_claim(
            session,
            briefing_id=briefing_id,
            owner=owner,
            now=deps.clock(),
            lease=lease,
            parent_ts=parent_ts,
            status=POSTED,
        )


def load_posts(
    session: Session, briefing_id: int, *, pending_only: bool = False
) -> list[BriefingPost]:
    query = select(BriefingPost).where(BriefingPost.briefing_id == briefing_id)
    if pending_only:
        query = query.where(BriefingPost.status != "posted")
    return list(session.exec(query.order_by(col(BriefingPost.position))).all())
