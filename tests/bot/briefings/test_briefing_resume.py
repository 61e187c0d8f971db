"""A briefing cut by a crash is finished within minutes, by whichever replica is alive.

Every test runs the real posting path against the fake Slack, on SQLite and PostgreSQL. The
poster's pauses move the bot's clock (`pacing.couple(clock)`), so posting takes (fake) time
and leases lapse exactly as they would; nothing waits on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from support.briefing_support import (
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

from bot.briefings import DEFAULT_LEASE, BriefingOutcome, run_briefing
from bot.config import Settings
from bot.deps import Deps
from bot.schedule import BRIEFING_RESUME_EVERY, resume_briefings_round
from bot.slack.client import PostResult, SlackPoster, make_web_client

# What the README promises with the defaults for the thread (8 replies, cut after the
# parent and 2): it is complete within 2 minutes of the crash.
BOUND = timedelta(minutes=2)


def replica(settings: Settings, pacing: FakeTime) -> SlackPoster:
    """A replica's own poster (its own pace: it knows nothing of what another one posted)."""
    client = make_web_client(settings, backoff_factor=0.01)
    return SlackPoster(client, clock=pacing.clock, sleep=pacing.sleep)


class MeddlingPoster(SlackPoster):
    """Posts through `inner`, first running `before_each_post` (another replica's move)."""

    def __init__(self, inner: SlackPoster, before_each_post: Callable[[], None]) -> None:
        super().__init__(inner.client, clock=inner._clock, sleep=inner._sleep)
        self.before_each_post = before_each_post

    def post_message(self, *args: Any, **kwargs: Any) -> PostResult:
        self.before_each_post()
        return super().post_message(*args, **kwargs)


def stored_statuses(deps: Deps) -> list[str]:
    return [b.status for b in briefings(deps.sessions)]


def one_clean_thread(fake: FakeSlack, replies: int) -> None:
    """One parent, `replies` replies in its thread, every one different, nothing else."""
    [parent] = fake.parents("C1")
    texts = reply_texts(fake, parent.ts)
    assert len(texts) == replies and len(set(texts)) == replies
    assert len(fake.messages()) == 1 + replies
    assert fake.count_status(429) == 0


@pytest.mark.parametrize("after_slack", [False, True], ids=["before-slack", "after-slack"])
def test_a_thread_cut_by_a_crash_is_finished_by_another_replica_once_the_lease_lapses(
    bot: Deps,
    bot_settings: Settings,
    fake: FakeSlack,
    clock: Clock,
    pacing: FakeTime,
    after_slack: bool,
) -> None:
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(8):
        add_development(bot.sessions, source, n)
    dying = CrashingPoster(replica(bot_settings, pacing), 3, after_slack=after_slack)
    with pytest.raises(Crash):  # the parent and 2 replies, then SIGKILL
        run_briefing(bot, dying, channel="C1")
    [parent] = fake.parents("C1")
    assert len(reply_texts(fake, parent.ts)) == 2 + after_slack
    survivor = replica(bot_settings, pacing)

    pacing.sleep(DEFAULT_LEASE.total_seconds() - 10)  # the dead replica's lease still runs
    assert resume_briefings_round(bot, lambda: survivor) == []
    assert len(fake.messages()) == 3 + after_slack

    pacing.sleep(10)  # now it has lapsed
    [outcome] = resume_briefings_round(bot, lambda: survivor)

    assert (outcome.status, outcome.resumed, outcome.replies_posted) == (
        "complete",
        True,
        6 - after_slack,  # the reply Slack had before the crash is adopted, not posted again
    )
    one_clean_thread(fake, 8)
    assert stored_statuses(bot) == ["complete"]
    assert resume_briefings_round(bot, lambda: survivor) == []  # done: nobody looks again


@pytest.mark.parametrize("tick_after_crash", [0, 20, 44, 46, 59])
def test_with_the_defaults_a_cut_thread_is_complete_within_two_minutes(
    bot: Deps,
    bot_settings: Settings,
    fake: FakeSlack,
    clock: Clock,
    pacing: FakeTime,
    tick_after_crash: int,
) -> None:
    # The survivor's resume job ticks every BRIEFING_RESUME_EVERY, at any phase relative to
    # the crash; the worst case is a tick just before the lease lapses (then one more period).
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(8):
        add_development(bot.sessions, source, n)
    with pytest.raises(Crash):
        run_briefing(bot, CrashingPoster(replica(bot_settings, pacing), 3), channel="C1")
    crashed_at = clock.now
    survivor = replica(bot_settings, pacing)

    pacing.sleep(tick_after_crash)
    outcomes: list[BriefingOutcome] = []
    while not outcomes:
        assert clock.now - crashed_at < BOUND
        outcomes = resume_briefings_round(bot, lambda: survivor)
        if not outcomes:
            pacing.sleep(BRIEFING_RESUME_EVERY.total_seconds())

    assert [o.status for o in outcomes] == ["complete"]
    assert clock.now - crashed_at < BOUND  # including pacing the 6 replies left at 1/s
    one_clean_thread(fake, 8)


def test_a_slow_paced_briefing_keeps_its_lease_while_it_posts(
    bot: Deps, bot_settings: Settings, fake: FakeSlack, clock: Clock, pacing: FakeTime
) -> None:
    # 60 replies at Slack's one message a second: posting outlasts the lease more than once.
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(60):
        add_development(bot.sessions, source, n)
    other = replica(bot_settings, pacing)
    looks: list[list[BriefingOutcome]] = []

    def other_replica_looks() -> None:
        looks.append(resume_briefings_round(bot, lambda: other))

    started = clock.now
    outcome = run_briefing(
        bot, MeddlingPoster(replica(bot_settings, pacing), other_replica_looks), channel="C1"
    )

    assert outcome.status == "complete" and outcome.replies_posted == 60
    assert clock.now - started >= timedelta(seconds=60) > DEFAULT_LEASE  # 60 pauses of 1 s
    assert len(looks) == 61 and all(found == [] for found in looks)
    one_clean_thread(fake, 60)


def test_the_start_up_catch_up_also_finishes_a_cut_thread(
    bot: Deps, bot_settings: Settings, fake: FakeSlack, clock: Clock, pacing: FakeTime
) -> None:
    from bot.schedule import catch_up_briefings

    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(4):
        add_development(bot.sessions, source, n)
    with pytest.raises(Crash):
        run_briefing(bot, CrashingPoster(replica(bot_settings, pacing), 2), channel="C1")
    pacing.sleep(DEFAULT_LEASE.total_seconds() + 1)  # the restart took longer than the lease
    restarted = replica(bot_settings, pacing)

    outcomes = catch_up_briefings(bot, lambda: restarted)

    assert [(o.status, o.resumed) for o in outcomes] == [("complete", True)]
    one_clean_thread(fake, 4)
