"""The schedule: a cron job per briefing channel, catch-up of a missed briefing, interval jobs."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from slack_sdk import WebClient

from bot.config import Settings
from bot.deps import Deps
from bot.schedule import (
    CATCH_UP_JOB_ID,
    RESUME_JOB_ID,
    add_briefing_jobs,
    briefing_job_id,
    catch_up_briefings,
    catch_up_due,
)
from bot.slack.client import SlackPoster
from store.db import SessionFactory, session_scope
from store.models import Briefing


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_deps(settings: Settings, sessions: SessionFactory, now: datetime, **changes: Any) -> Deps:
    values: dict[str, Any] = {
        "briefing_channels": ["C1", "C2"],
        "briefing_time": "08:00",
        "timezone": "Europe/Amsterdam",
    }
    values.update(changes)
    return Deps(settings=settings.model_copy(update=values), sessions=sessions, clock=Clock(now))


def no_poster() -> SlackPoster:
    # Nothing listens on the discard port: any post would fail loudly.
    return SlackPoster(WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/api/"))


def test_one_cron_job_per_channel_at_the_briefing_time_in_the_zone(
    settings: Settings, sessions: SessionFactory
) -> None:
    deps = make_deps(settings, sessions, datetime(2026, 11, 26, 6, 0, tzinfo=UTC))
    scheduler = _scheduler(deps)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        briefing_job_id("C1"),
        briefing_job_id("C2"),
        CATCH_UP_JOB_ID,
        RESUME_JOB_ID,
    }
    job = jobs[briefing_job_id("C1")]
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger.timezone) == "Europe/Amsterdam"
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("8", "0")
    assert job.coalesce is True and job.max_instances == 1
    assert job.misfire_grace_time == 12 * 3600
    assert isinstance(jobs[CATCH_UP_JOB_ID].trigger, DateTrigger)
    amsterdam = ZoneInfo("Europe/Amsterdam")
    nxt = job.trigger.get_next_fire_time(None, datetime(2026, 11, 26, 9, 0, tzinfo=amsterdam))
    assert nxt == datetime(2026, 11, 27, 8, 0, tzinfo=amsterdam)


def test_grace_window_follows_the_setting(settings: Settings, sessions: SessionFactory) -> None:
    deps = make_deps(settings, sessions, datetime(2026, 11, 26, tzinfo=UTC), briefing_grace_hours=2)
    scheduler = _scheduler(deps, catch_up=False)
    crons = [job for job in scheduler.get_jobs() if isinstance(job.trigger, CronTrigger)]
    assert {job.misfire_grace_time for job in crons} == {7200}


@pytest.mark.parametrize(
    ("utc_time", "due"),
    [
        ("06:59", False),  # 07:59 in Amsterdam: the cron job will fire
        ("07:00", True),  # the slot itself
        ("12:00", True),  # missed this morning, inside the 12-hour grace
        ("19:00", True),
        ("19:01", False),  # beyond the grace window
    ],
)
def test_catch_up_is_due_only_inside_the_grace_window(
    settings: Settings, sessions: SessionFactory, utc_time: str, due: bool
) -> None:
    hour, minute = map(int, utc_time.split(":"))
    now = datetime(2026, 11, 26, hour, minute, tzinfo=UTC)
    deps = make_deps(settings, sessions, now)
    assert catch_up_due(deps, channel="C1", now=now) is due


def test_catch_up_is_not_due_when_today_is_complete(
    settings: Settings, sessions: SessionFactory
) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    deps = make_deps(settings, sessions, now)
    with session_scope(sessions) as session:
        session.add(Briefing(channel="C1", period="2026-11-26", status="complete"))
        session.add(Briefing(channel="C2", period="2026-11-26", status="claimed"))
    assert catch_up_due(deps, channel="C1", now=now) is False
    assert catch_up_due(deps, channel="C2", now=now) is True  # an unfinished one is resumed


def test_started_scheduler_runs_the_catch_up_once_for_due_channels(
    settings: Settings, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    deps = make_deps(settings, sessions, now)
    with session_scope(sessions) as session:
        session.add(Briefing(channel="C2", period="2026-11-26", status="complete"))
    ran: list[str] = []
    finished = threading.Event()

    def fake_brief(deps: Deps, channel: str, poster_factory: object) -> None:
        ran.append(channel)
        finished.set()

    monkeypatch.setattr("bot.schedule.brief_channel", fake_brief)
    scheduler = _scheduler(deps)
    scheduler.start()
    try:
        assert finished.wait(timeout=10)
        # Let the scheduler retire the one-shot job before shutting down; shutting down first
        # clears the job store under it (APScheduler then logs a JobLookupError in its thread).
        deadline = time.monotonic() + 10
        while scheduler.get_job(CATCH_UP_JOB_ID) is not None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        scheduler.shutdown(wait=True)
    assert ran == ["C1"]


def test_catch_up_posts_the_missed_briefing_through_the_store(
    settings: Settings, sessions: SessionFactory
) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    deps = make_deps(settings, sessions, now, briefing_channels=["C1"], briefing_quiet="none")
    outcomes = catch_up_briefings(deps, no_poster)  # a quiet day posts nothing
    assert [o.status for o in outcomes] == ["quiet"]
    assert catch_up_briefings(deps, no_poster) == []  # complete now: never twice


def test_no_channels_means_no_briefing_jobs_but_cut_threads_are_still_resumed(
    settings: Settings, sessions: SessionFactory
) -> None:
    # A briefing posted by hand (`policybot brief --channel`) may be cut by a crash too.
    deps = make_deps(settings, sessions, datetime(2026, 11, 26, tzinfo=UTC), briefing_channels=[])
    jobs = _scheduler(deps).get_jobs()
    assert [job.id for job in jobs] == [RESUME_JOB_ID]
    assert jobs[0].trigger.interval == timedelta(seconds=60)


def test_briefing_jobs_keep_their_zone_in_a_utc_scheduler(
    settings: Settings, sessions: SessionFactory
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    deps = make_deps(settings, sessions, datetime(2026, 11, 26, tzinfo=UTC))
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"misfire_grace_time": 300})
    client = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/api/")
    jobs = add_briefing_jobs(scheduler, deps, client=client)
    cron = next(job for job in jobs if job.id == briefing_job_id("C2"))
    assert str(cron.trigger.timezone) == "Europe/Amsterdam"
    assert cron.misfire_grace_time == 12 * 3600
    # One poster shared by the briefing jobs, on the given client.
    posters = {job.args[2]() for job in jobs if job.id.startswith("briefing:")}
    assert len(posters) == 1 and next(iter(posters)).client is client


def _scheduler(deps: Deps, *, catch_up: bool = True) -> BackgroundScheduler:
    """A scheduler as `serve` builds one (UTC), with the briefing jobs added."""
    scheduler = BackgroundScheduler(timezone="UTC")
    add_briefing_jobs(scheduler, deps, poster_factory=no_poster, catch_up=catch_up)
    return scheduler
