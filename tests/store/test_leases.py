"""Leases: one holder at a time, taken over only after expiry, safe across real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.moments import pythonpath

from store.db import SessionFactory, session_scope
from store.leases import acquire_lease, lease_holder, leased, release_lease, try_lease

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


def test_a_free_lease_is_taken(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    with session_scope(sessions) as session:
        assert lease_holder(session, name="poll", now=NOW) == "a"


def test_a_held_lease_is_refused_to_another_holder(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    assert not try_lease(sessions, name="poll", holder="b", ttl=TTL, now=NOW + TTL / 2)
    with session_scope(sessions) as session:
        assert lease_holder(session, name="poll", now=NOW) == "a"


def test_an_expired_lease_is_taken_over(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    assert try_lease(sessions, name="poll", holder="b", ttl=TTL, now=NOW + TTL)
    with session_scope(sessions) as session:
        assert lease_holder(session, name="poll", now=NOW + TTL) == "b"


def test_the_holder_renews_its_lease(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW + TTL / 2)
    # Renewed: still held after the first term would have ended.
    assert not try_lease(sessions, name="poll", holder="b", ttl=TTL, now=NOW + TTL)


def test_leases_are_independent_by_name(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    assert try_lease(sessions, name="alerts", holder="b", ttl=TTL, now=NOW)


def test_release_frees_the_lease_only_for_its_holder(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    with session_scope(sessions) as session:
        assert not release_lease(session, name="poll", holder="b")
    assert not try_lease(sessions, name="poll", holder="b", ttl=TTL, now=NOW)
    with session_scope(sessions) as session:
        assert release_lease(session, name="poll", holder="a")
    assert try_lease(sessions, name="poll", holder="b", ttl=TTL, now=NOW)


def test_leased_skips_the_body_when_another_holds_it(sessions: SessionFactory) -> None:
    assert try_lease(sessions, name="poll", holder="a", ttl=TTL, now=NOW)
    with leased(sessions, name="poll", holder="b", ttl=TTL, clock=lambda: NOW) as got:
        assert got is False
    with leased(sessions, name="brief", holder="b", ttl=TTL, clock=lambda: NOW) as got:
        assert got is True
    # Released on exit.
    with session_scope(sessions) as session:
        assert lease_holder(session, name="brief", now=NOW) is None


def test_acquire_refuses_a_naive_time(sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        try:
            acquire_lease(session, name="x", holder="a", ttl=TTL, now=datetime(2026, 1, 1))
        except ValueError:
            return
    raise AssertionError("a naive datetime was accepted")


_RACER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import UTC, datetime, timedelta
    from store.db import make_engine, session_factory
    from store.leases import try_lease

    url, holder, start_at, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    sessions = session_factory(make_engine(url))
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    while time.time() < start_at:
        time.sleep(0.001)
    won = [i for i in range(rounds)
           if try_lease(sessions, name=f"race-{i}", holder=holder,
                        ttl=timedelta(minutes=5), now=now)]
    print(json.dumps(won))
    """
)


def test_two_processes_racing_for_the_same_leases_never_both_win(
    database_url: str, sessions: SessionFactory
) -> None:
    rounds = 40
    start_at = time.time() + 2.0
    env = {**os.environ, "PYTHONPATH": pythonpath(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, database_url, holder, str(start_at), str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for holder in ("replica-1", "replica-2")
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
        results.append(set(json.loads(out.strip().splitlines()[-1])))
    first, second = results
    assert not first & second, "a lease was held by two processes at once"
    assert first | second == set(range(rounds)), "a lease was won by nobody"
    with session_scope(sessions) as session:
        holders = {lease_holder(session, name=f"race-{i}", now=NOW) for i in range(rounds)}
    assert holders <= {"replica-1", "replica-2"}
