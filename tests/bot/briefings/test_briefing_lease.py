"""A briefing claim's lease: taken over by one resumer only, never renewed once lapsed, and
kept alive by the heartbeat while its holder waits on Slack. On SQLite and PostgreSQL; the
bot's clock is injected (the heartbeat's beats are awaited by condition, not by time).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from support.briefing_support import NOW, Clock

from bot.briefings import DEFAULT_LEASE
from bot.briefings.claims import ClaimKeeper, renew_claim, take_over
from bot.briefings.internals import CLAIMED, LeaseLost
from bot.deps import Deps
from store.db import SessionFactory, session_scope
from store.models import Briefing


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
