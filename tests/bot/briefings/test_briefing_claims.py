"""The claim on a briefing: who may post it, who may take it over, and what a resume adopts.

Races are driven step by step, not by sleeps: a replica's poster (or its first database write)
hands control to the other replica at the exact point where the two could collide, and waits
for it. Every test runs on SQLite and PostgreSQL, through the fake Slack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from support.briefing_support import (
    NOW,
    Clock,
    Crash,
    CrashingPoster,
    FakeTime,
    add_development,
    add_source,
    briefings,
    reply_texts,
)
from support.fakeslack import FakeSlack

from bot.briefings import DEFAULT_LEASE, BriefingOutcome, resume_stalled_briefings, run_briefing
from bot.config import Settings
from bot.deps import Deps
from bot.slack.client import PostResult, SlackPoster, make_web_client

LAPSED = DEFAULT_LEASE + timedelta(seconds=1)
WAIT = 30  # seconds a handed-over step may take before the test fails rather than hangs


def replica(settings: Settings, pacing: FakeTime) -> SlackPoster:
    client = make_web_client(settings, backoff_factor=0.01)
    return SlackPoster(client, clock=pacing.clock, sleep=pacing.sleep)


class SteppedPoster(SlackPoster):
    """Posts through `inner`, and hands control over at chosen steps.

    `before_first_read` runs before the first history read (right after a resume took the
    claim over), `after_first_read` after it, `after_post(n)` after Slack accepted message n.
    """

    def __init__(
        self,
        inner: SlackPoster,
        *,
        before_first_read: Callable[[], None] = lambda: None,
        after_first_read: Callable[[], None] = lambda: None,
        after_post: Callable[[int], None] = lambda n: None,
    ) -> None:
        super().__init__(inner.client, clock=inner._clock, sleep=inner._sleep)
        self.before_first_read = before_first_read
        self.after_first_read = after_first_read
        self.after_post = after_post
        self.reads = 0
        self.posted = 0

    def _read(self, read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        self.reads += 1
        if self.reads == 1:
            self.before_first_read()
        found = read()
        if self.reads == 1:
            self.after_first_read()
        return found

    def recent_messages(self, channel: str, *, limit: int = 100) -> list[dict[str, Any]]:
        return self._read(lambda: super(SteppedPoster, self).recent_messages(channel, limit=limit))

    def thread_messages(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return self._read(lambda: super(SteppedPoster, self).thread_messages(channel, thread_ts))

    def post_message(self, *args: Any, **kwargs: Any) -> PostResult:
        result = super().post_message(*args, **kwargs)
        self.posted += 1
        self.after_post(self.posted)
        return result


class OtherReplica:
    """A second replica resuming stalled briefings on its own thread, paused after its take-over
    (at its first history read) until `let_go()`."""

    def __init__(self, deps: Deps, inner: SlackPoster) -> None:
        self.took_over = threading.Event()
        self._go = threading.Event()
        self.outcomes: list[BriefingOutcome] = []
        poster = SteppedPoster(inner, before_first_read=self._pause)
        self._thread = threading.Thread(
            target=lambda: self.outcomes.extend(resume_stalled_briefings(deps, poster))
        )

    def _pause(self) -> None:
        self.took_over.set()
        assert self._go.wait(WAIT)

    def start_and_wait_for_take_over(self) -> None:
        self._thread.start()
        assert self.took_over.wait(WAIT)

    def let_go(self) -> None:
        self._go.set()

    def finish(self) -> None:
        self._go.set()
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join(WAIT)


@contextmanager
def just_before_the_take_over(engine: Engine, step: Callable[[], None]) -> Iterator[None]:
    """Run `step` once, at the last moment before this replica's take-over can be decided.

    On PostgreSQL: just before the first UPDATE of a briefing row (the compare-and-set), after
    the replica read the row. On SQLite a writer holds the database from its first statement,
    so nobody can come between a read and the compare-and-set: there the step comes when the
    replica's first transaction (reading what is stalled) has ended.
    """
    fired: list[bool] = []

    def before_update(*args: Any) -> None:
        if not fired and str(args[2]).lstrip().upper().startswith("UPDATE BRIEFINGS"):
            fired.append(True)
            step()

    def after_first_transaction(*args: Any) -> None:
        if not fired:
            fired.append(True)
            step()

    target, name, hook = (
        (engine, "before_cursor_execute", before_update)
        if engine.dialect.name == "postgresql"
        else (engine.pool, "checkin", after_first_transaction)
    )
    event.listen(target, name, hook)
    try:
        yield
    finally:
        event.remove(target, name, hook)


def one_clean_thread(fake: FakeSlack, parent_ts: str, replies: int) -> None:
    texts = reply_texts(fake, parent_ts)
    assert len(texts) == replies and len(set(texts)) == replies


def crash_after(deps: Deps, poster: SlackPoster, messages: int) -> None:
    with pytest.raises(Crash):
        run_briefing(deps, CrashingPoster(poster, messages), channel="C1")


# -- take-over ---------------------------------------------------------------------------------
def test_two_replicas_racing_to_resume_one_thread_one_wins(
    bot: Deps,
    bot_settings: Settings,
    engine: Engine,
    fake: FakeSlack,
    clock: Clock,
    pacing: FakeTime,
) -> None:
    # Both replicas found the claim lapsed; B takes it over first. A's take-over comes next and
    # must see that the claim is no longer the dead holder's. (Were it to win as well, it would
    # read the thread before B posts and post B's next reply a second time.)
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(6):
        add_development(bot.sessions, source, n)
    crash_after(bot, replica(bot_settings, pacing), 3)
    pacing.sleep(LAPSED.total_seconds())
    b = OtherReplica(bot, replica(bot_settings, pacing))

    def a_read_the_thread() -> None:
        b.let_go()
        b.finish()

    a = SteppedPoster(replica(bot_settings, pacing), after_first_read=a_read_the_thread)
    try:
        with just_before_the_take_over(engine, b.start_and_wait_for_take_over):
            a_outcomes = resume_stalled_briefings(bot, a)
    finally:
        b.finish()

    assert a_outcomes == [] and a.posted == 0
    assert [(o.status, o.resumed) for o in b.outcomes] == [("complete", True)]
    [parent] = fake.parents("C1")
    one_clean_thread(fake, parent.ts, 6)
    assert len(fake.messages()) == 7


def test_a_run_that_lost_its_claim_posts_nothing_more(
    bot: Deps, bot_settings: Settings, fake: FakeSlack, clock: Clock, pacing: FakeTime
) -> None:
    # A stalls after Slack accepted its third message (parent and 2 replies), longer than its
    # lease; B takes the claim over. When A comes back it must stop, not post on beside B.
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(5):
        add_development(bot.sessions, source, n)
    b = OtherReplica(bot, replica(bot_settings, pacing))
    posted_when_lost: list[int] = []

    def stall(posted: int) -> None:
        if posted == 3:
            pacing.sleep(LAPSED.total_seconds())
            b.start_and_wait_for_take_over()
            posted_when_lost.append(posted)

    a = SteppedPoster(replica(bot_settings, pacing), after_post=stall)
    try:
        a_outcome = run_briefing(bot, a, channel="C1")
    finally:
        b.finish()

    assert a_outcome.status == "in_progress"
    assert posted_when_lost == [a.posted] == [3]  # nothing after the claim was lost
    assert [(o.status, o.resumed) for o in b.outcomes] == [("complete", True)]
    [parent] = fake.parents("C1")
    one_clean_thread(fake, parent.ts, 5)  # B adopted A's last reply from the thread


def test_a_live_claim_from_yesterday_is_left_to_its_holder(
    bot: Deps, bot_settings: Settings, fake: FakeSlack, clock: Clock, pacing: FakeTime
) -> None:
    # Yesterday's briefing started at 23:59:30 and is still being posted (its lease runs) when
    # today's run starts at midnight: today's run must not take yesterday's over.
    pacing.couple(clock)
    clock.now = datetime(2026, 11, 26, 23, 59, 30, tzinfo=UTC)
    source = add_source(bot.sessions)
    for n in range(4):
        add_development(bot.sessions, source, n, first_seen_at=clock.now - timedelta(hours=1))
    crash_after(bot, replica(bot_settings, pacing), 3)  # stands for a holder still at work
    midnight = datetime(2026, 11, 27, tzinfo=UTC)
    pacing.sleep((midnight - clock.now).total_seconds() + 1)
    add_development(bot.sessions, source, 9, first_seen_at=midnight)
    today = run_briefing(bot, replica(bot_settings, pacing), channel="C1")

    assert (today.period, today.status, today.replies_posted) == ("2026-11-27", "complete", 1)
    yesterday_parent, today_parent = fake.parents("C1")
    assert len(reply_texts(fake, yesterday_parent.ts)) == 2  # untouched while its lease runs
    assert [b.status for b in briefings(bot.sessions)] == ["posted", "complete"]

    pacing.sleep(LAPSED.total_seconds())  # now the holder is gone for good
    [resumed] = resume_stalled_briefings(bot, replica(bot_settings, pacing))
    assert (resumed.period, resumed.status) == ("2026-11-26", "complete")
    one_clean_thread(fake, yesterday_parent.ts, 4)
    one_clean_thread(fake, today_parent.ts, 1)


# -- what a resume adopts ----------------------------------------------------------------------
def test_a_resume_never_adopts_another_days_parent(
    bot: Deps, bot_settings: Settings, fake: FakeSlack, clock: Clock, pacing: FakeTime
) -> None:
    # Yesterday's parent is in the channel with its own briefing id; today's run dies before its
    # parent reaches Slack. The resume must post today's parent, not reply into yesterday's.
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(2):
        add_development(bot.sessions, source, n)
    assert run_briefing(bot, replica(bot_settings, pacing), channel="C1").status == "complete"
    clock.now = NOW + timedelta(days=1)
    pacing.sleep(1)
    for n in (7, 8):
        add_development(bot.sessions, source, n, first_seen_at=NOW + timedelta(hours=4))
    crash_after(bot, replica(bot_settings, pacing), 0)
    pacing.sleep(LAPSED.total_seconds())

    [outcome] = resume_stalled_briefings(bot, replica(bot_settings, pacing))

    assert (outcome.period, outcome.status, outcome.replies_posted) == ("2026-11-27", "complete", 2)
    yesterday, today = fake.parents("C1")
    assert outcome.parent_ts == today.ts
    assert [t.split(" (")[0] for t in reply_texts(fake, yesterday.ts)] == [
        "Development 0",
        "Development 1",
    ]
    assert [t.split(" (")[0] for t in reply_texts(fake, today.ts)] == [
        "Development 7",
        "Development 8",
    ]


# -- retry after a failure ---------------------------------------------------------------------
def test_a_retry_after_the_channel_failed_mid_thread_posts_only_what_is_missing(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    # `not_in_channel` after the parent and 2 replies (the bot was removed), then it is invited
    # back: the retry plans again and must leave out what the thread already has.
    source = add_source(bot.sessions)
    for n in range(4):
        add_development(bot.sessions, source, n)
    fake.fail("chat.postMessage", "not_in_channel", channel="C1", after=3)
    failed = run_briefing(bot, poster, channel="C1")
    assert (failed.status, failed.replies_posted) == ("failed", 2)

    retry = run_briefing(bot, poster, channel="C1")

    assert (retry.status, retry.replies_posted) == ("complete", 2)
    [parent] = fake.parents("C1")
    one_clean_thread(fake, parent.ts, 4)
