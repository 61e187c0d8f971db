"""The hooks that run tests at other moments: a subprocess shares the tests' shifted clock."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from support.moments import MOMENTS, OFFSET_VARIABLE, pythonpath


def test_a_subprocess_started_with_the_offset_sees_the_shifted_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = datetime(2031, 2, 28, 12, 0, tzinfo=UTC)
    # The subprocess's own clock is real: take away the shift this run may already have.
    real_now = datetime.now(UTC).timestamp() - float(os.environ.get(OFFSET_VARIABLE, "0"))
    monkeypatch.setenv(OFFSET_VARIABLE, repr(target.timestamp() - real_now))
    done = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.date.today())"],
        env={"PYTHONPATH": pythonpath(), OFFSET_VARIABLE: os.environ[OFFSET_VARIABLE]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "2031-02-28"


def test_without_the_offset_subprocesses_keep_their_own_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OFFSET_VARIABLE, raising=False)
    assert pythonpath() == ""


def test_the_moments_cover_each_weekday_and_the_awkward_days() -> None:
    local = [m.date() for m in MOMENTS.values()]
    assert {d.weekday() for d in local} == set(range(7))
    assert date(2026, 12, 31) in local
    auckland = MOMENTS["mon-0030-auckland"]
    assert auckland.weekday() == 0 and auckland.astimezone(UTC).weekday() == 6


def test_the_moment_fixture_moves_the_clock_and_the_machine_zone(moment: datetime) -> None:
    now = datetime.now().astimezone()
    assert abs((now - moment).total_seconds()) < 60
    assert now.utcoffset() == moment.utcoffset()
