"""A briefing claim's lease: taken over by one resumer only, never renewed once lapsed, and
kept alive by the heartbeat while its holder waits on Slack. On SQLite and PostgreSQL; the
bot's clock is injected (the heartbeat's beats are awaited by condition, not by time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from support.briefing_support import (
    NOW,
    Clock,
    Crash,
    CrashingPoster,
    FakeTime,
    add_development,
    add_source,
    briefings,
)
from support.fakeslack import FakeSlack

import bot.briefings.posting as posting
from bot.briefings import DEFAULT_LEASE, resume_stalled_briefings, run_briefing
from bot.briefings.claims import ClaimKeeper, renew_claim, take_over
from bot.briefings.internals import CLAIMED, LeaseLost
from bot.config import Settings
from bot.deps import Deps
from bot.slack.client import PostResult, SlackPoster, make_web_client
from store.db import SessionFactory, session_scope
from store.models import Briefing


def replica(settings: Settings, pacing: FakeTime) -> SlackPoster:
    client = make_web_client(settings, backoff_factor=0.01)
    return SlackPoster(client, clock=pacing.clock, sleep=pacing.sleep)


class SlowThreadReader(SlackPoster):
    """Posts through `inner`; `while_reading` runs as it reads a thread's history."""

    def __init__(self, inner: SlackPoster, while_reading: Callable[[], None]) -> None:
        super().__init__(inner.client, clock=inner._clock, sleep=inner._sleep)
        self.while_reading = while_reading
        self.posted = 0

    def thread_messages(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        self.while_reading()
        return super().thread_messages(channel, thread_ts)

    def post_message(self, *args: Any, **kwargs: Any) -> PostResult:
        self.posted += 1
        return super().post_message(*args, **kwargs)


def claimed_briefing(sessions: SessionFactory, *, owner: str) -> int:
    """C1's briefing, claimed by `owner` at NOW under the default lease."""
    with session_scope(sessions) as session:
        row = Briefing(
            channel="C1",
            period=NOW.date().isoformat(),
            status=CLAIMED,
            claimed_by=owner,
            lease_until=NOW + DEFAULT_LEASE,
            created_at=NOW,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def holder(sessions: SessionFactory, briefing_id: int) -> tuple[str | None, object]:
    with session_scope(sessions) as session:
        row = session.get(Briefing, briefing_id)
        assert row is not None
        return row.claimed_by, row.lease_until


def test_of_two_resumers_who_saw_one_lapsed_claim_only_the_first_takes_it(bot: Deps) -> None:
    briefing_id = claimed_briefing(bot.sessions, owner="dead")
    later = NOW + DEFAULT_LEASE + timedelta(seconds=1)
    # Both resumers read the lapsed claim before either takes it over.
    with session_scope(bot.sessions) as session:
        seen_by_b = session.get(Briefing, briefing_id)
        assert seen_by_b is not None
        session.expunge(seen_by_b)
    with session_scope(bot.sessions) as session:
        seen_by_a = session.get(Briefing, briefing_id)
        assert seen_by_a is not None
        assert take_over(session, seen_by_a, owner="A", now=later, lease=DEFAULT_LEASE)
    with session_scope(bot.sessions) as session:
        assert not take_over(session, seen_by_b, owner="B", now=later, lease=DEFAULT_LEASE)
    assert holder(bot.sessions, briefing_id)[0] == "A"


def test_a_holder_whose_lease_lapsed_cannot_renew_it(bot: Deps) -> None:
    briefing_id = claimed_briefing(bot.sessions, owner="A")
    with session_scope(bot.sessions) as session:
        renew_claim(
            session,
            briefing_id=briefing_id,
            owner="A",
            now=NOW + DEFAULT_LEASE / 2,
            lease=DEFAULT_LEASE,
        )
    lapsed = NOW + DEFAULT_LEASE / 2 + DEFAULT_LEASE
    # Nobody has taken it over yet, but a resumer may be about to: the late holder stops.
    with pytest.raises(LeaseLost), session_scope(bot.sessions) as session:
        renew_claim(session, briefing_id=briefing_id, owner="A", now=lapsed, lease=DEFAULT_LEASE)
    assert holder(bot.sessions, briefing_id) == ("A", NOW + DEFAULT_LEASE / 2 + DEFAULT_LEASE)


def test_the_heartbeat_beats_several_times_per_lease(bot: Deps) -> None:
    keeper = ClaimKeeper(bot, briefing_id=1, owner="A", lease=DEFAULT_LEASE)
    assert 0 < keeper.every * 2 < DEFAULT_LEASE.total_seconds()


def test_the_heartbeat_keeps_a_waiting_holders_lease_alive(bot: Deps, clock: Clock) -> None:
    # The holder waits on Slack (a long Retry-After) for three leases; nothing is recorded
    # meanwhile, so only the heartbeat keeps the claim.
    briefing_id = claimed_briefing(bot.sessions, owner="A")
    clock.now = NOW
    waited = threading.Event()
    with ClaimKeeper(
        bot, briefing_id=briefing_id, owner="A", lease=DEFAULT_LEASE, every=0.005
    ) as keeper:
        for _ in range(27):
            clock.now += DEFAULT_LEASE / 9
            for _ in range(2000):
                lease_until = holder(bot.sessions, briefing_id)[1]
                if lease_until == clock.now + DEFAULT_LEASE or keeper.lost:
                    break
                waited.wait(0.005)
            assert not keeper.lost
            assert holder(bot.sessions, briefing_id)[1] == clock.now + DEFAULT_LEASE
        keeper.check()


def test_a_resumer_whose_claim_is_lost_while_it_reads_the_thread_posts_nothing(
    bot: Deps,
    bot_settings: Settings,
    fake: FakeSlack,
    clock: Clock,
    pacing: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # B resumes a cut thread; while it reads the thread's history (slow), its lease lapses
    # and C takes the claim over. B's heartbeat notices: B must post no reply at all.
    keepers: list[ClaimKeeper] = []

    class NoticingKeeper(ClaimKeeper):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "every": 0.005})
            keepers.append(self)

    monkeypatch.setattr(posting, "ClaimKeeper", NoticingKeeper)
    pacing.couple(clock)
    source = add_source(bot.sessions)
    for n in range(3):
        add_development(bot.sessions, source, n)
    with pytest.raises(Crash):
        run_briefing(bot, CrashingPoster(replica(bot_settings, pacing), 2), channel="C1")
    before = len(fake.messages())
    pacing.sleep(DEFAULT_LEASE.total_seconds() + 1)
    [cut] = briefings(bot.sessions)
    assert cut.id is not None

    def slow_read_then_taken_over() -> None:
        pacing.sleep(DEFAULT_LEASE.total_seconds() + 1)
        with session_scope(bot.sessions) as session:
            row = session.get(Briefing, cut.id)
            assert row is not None
            assert take_over(session, row, owner="C", now=clock.now, lease=DEFAULT_LEASE)
        noticed = threading.Event()
        for _ in range(2000):
            if keepers[-1].lost:
                return
            noticed.wait(0.005)
        raise AssertionError("B's heartbeat did not notice the lost claim")

    b = SlowThreadReader(replica(bot_settings, pacing), slow_read_then_taken_over)
    outcomes = resume_stalled_briefings(bot, b)

    assert [(o.status, o.resumed) for o in outcomes] == [("in_progress", True)]
    assert b.posted == 0 and len(fake.messages()) == before
    assert holder(bot.sessions, cut.id)[0] == "C"
