"""The in-process schedule: daily briefings per channel, plus interval jobs (polls, alerts).

APScheduler 3 with a `MemoryJobStore`: nothing about jobs is persisted, so renamed functions
never break a restart. APScheduler alone is at most once (a kill mid-job loses the run, and a
restart recomputes the next run time, dropping one that was missed), so the guarantees come
from the store (`bot.briefings.briefing`):

- Exactly once: every briefing run claims (channel, local date) in the `briefings` table
  first; a second run for the same day posts nothing, an interrupted one is finished.
- Catch-up: at start-up, each channel whose briefing slot today has passed by at most
  `POLICYBOT_BRIEFING_GRACE_HOURS` (default 12) and has no complete briefing for today gets
  one run at once. A slot missed by more than the grace window is skipped; the next
  briefing covers everything since the last complete one, so nothing is lost, only merged.
- Resume: every `BRIEFING_RESUME_EVERY` (60 s), on every replica, `resume_briefings_round`
  finishes any open briefing whose holder's lease (`bot.briefings.DEFAULT_LEASE`, 45 s, kept
  alive while its holder posts) has lapsed: a crash mid-thread is being repaired within about
  45 + 60 s, by whichever replica is alive. The start-up catch-up does the same first.
- Cron jobs use `coalesce=True`, `max_instances=1` and `misfire_grace_time` = the grace
  window, so a scheduler stalled past the slot runs the job once when it recovers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlmodel import select

from bot.briefings import (
    COMPLETE,
    BriefingOutcome,
    period_for,
    resume_stalled_briefings,
    run_briefing,
)
from bot.deps import Deps
from bot.slack.client import SlackPoster, make_web_client
from store.db import session_scope
from store.leases import default_holder, leased
from store.models import Briefing

log = logging.getLogger(__name__)

PosterFactory = Callable[[], SlackPoster]
CATCH_UP_JOB_ID = "briefing-catch-up"
RESUME_JOB_ID = "briefing-resume"
BRIEFING_RESUME_EVERY = timedelta(seconds=60)
# The job lease only saves work (each briefing's claim decides who posts); it is short so that
# a replica killed while holding it keeps the others from looking for no longer than this.
RESUME_JOB_LEASE = timedelta(seconds=30)


def briefing_job_id(channel: str) -> str:
    return f"briefing:{channel}"


def slot_today(deps: Deps, now: datetime) -> datetime:
    """Today's briefing time (local date of `now` in `POLICYBOT_TIMEZONE`) as an aware datetime."""
    settings = deps.settings
    local = now.astimezone(settings.tz)
    hour, minute = (int(part) for part in settings.briefing_time.split(":"))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def catch_up_due(deps: Deps, *, channel: str, now: datetime) -> bool:
    """Is today's briefing for `channel` overdue (slot passed within the grace window) and not done?"""
    slot = slot_today(deps, now)
    grace = timedelta(hours=deps.settings.briefing_grace_hours)
    if not (slot <= now <= slot + grace):
        return False
    period = period_for(now, deps.settings.tz)
    with session_scope(deps.sessions) as session:
        done = session.exec(
            select(Briefing).where(
                Briefing.channel == channel, Briefing.period == period, Briefing.status == COMPLETE
            )
        ).first()
    return done is None


def default_poster_factory(deps: Deps) -> PosterFactory:
    def make() -> SlackPoster:
        return SlackPoster(make_web_client(deps.settings))

    return make


def brief_channel(deps: Deps, channel: str, poster_factory: PosterFactory) -> BriefingOutcome:
    """The briefing job for one channel (what the cron job and the catch-up run)."""
    outcome = run_briefing(deps, poster_factory(), channel=channel)
    log.info(
        "briefing %s for %s: %s (%d replies)",
        outcome.period,
        channel,
        outcome.status,
        outcome.replies_posted,
    )
    return outcome


def resume_briefings_round(
    deps: Deps, poster_factory: PosterFactory, *, holder: str | None = None
) -> list[BriefingOutcome]:
    """Finish the briefings whose holder died mid-thread (under the job lease; [] if busy)."""
    with leased(
        deps.sessions,
        name="job:briefing-resume",
        holder=holder or default_holder(),
        ttl=RESUME_JOB_LEASE,
        clock=deps.clock,
    ) as got:
        if not got:
            return []
        outcomes = resume_stalled_briefings(deps, poster_factory())
    for outcome in outcomes:
        log.info(
            "briefing %s for %s resumed: %s (%d replies)",
            outcome.period,
            outcome.channel,
            outcome.status,
            outcome.replies_posted,
        )
    return outcomes


def catch_up_briefings(
    deps: Deps, poster_factory: PosterFactory, *, channels: list[str] | None = None
) -> list[BriefingOutcome]:
    """Finish briefings cut by a crash, then run today's briefing for each channel whose slot
    passed while the bot was down."""
    outcomes = resume_briefings_round(deps, poster_factory)
    now = deps.clock()
    for channel in channels if channels is not None else deps.settings.briefing_channels:
        if catch_up_due(deps, channel=channel, now=now):
            log.info("briefing for %s was missed today; posting it now", channel)
            outcomes.append(brief_channel(deps, channel, poster_factory))
    return outcomes


def add_briefing_jobs(
    scheduler: BaseScheduler,
    deps: Deps,
    *,
    client: WebClient | None = None,
    poster_factory: PosterFactory | None = None,
    catch_up: bool = True,
    resume_every: timedelta = BRIEFING_RESUME_EVERY,
) -> list[Job]:
    """Add the briefing jobs to `scheduler` (whatever its own time zone and defaults are).

    One cron job per `POLICYBOT_BRIEFING_CHANNELS` channel at `POLICYBOT_BRIEFING_TIME` in
    `POLICYBOT_TIMEZONE`, and, with `catch_up`, a run at start-up that posts a briefing missed
    today; and, always, the resume job every `resume_every` (a thread cut by a crash). Posts go
    through one shared `SlackPoster` on `client` (or `poster_factory`).
    """
    settings = deps.settings
    grace_seconds = max(1, int(settings.briefing_grace_hours * 3600))
    if poster_factory is not None:
        make_poster = poster_factory
    elif client is not None:
        shared = SlackPoster(client)

        def make_poster() -> SlackPoster:
            return shared
    else:
        make_poster = default_poster_factory(deps)
    hour, minute = (int(part) for part in settings.briefing_time.split(":"))
    jobs = []
    for channel in settings.briefing_channels:
        jobs.append(
            scheduler.add_job(
                brief_channel,
                CronTrigger(hour=hour, minute=minute, timezone=settings.tz),
                args=[deps, channel, make_poster],
                id=briefing_job_id(channel),
                name=f"daily briefing to {channel}",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace_seconds,
            )
        )
    if catch_up and settings.briefing_channels:
        # No trigger: a date job that runs as soon as the scheduler starts.
        jobs.append(
            scheduler.add_job(
                catch_up_briefings,
                args=[deps, make_poster],
                id=CATCH_UP_JOB_ID,
                name="post a briefing missed while the bot was down",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace_seconds,
            )
        )
    jobs.append(
        scheduler.add_job(
            resume_briefings_round,
            IntervalTrigger(seconds=resume_every.total_seconds(), timezone=settings.tz),
            args=[deps, make_poster],
            id=RESUME_JOB_ID,
            name="finish briefings cut by a crash",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(resume_every.total_seconds())),
        )
    )
    return jobs
