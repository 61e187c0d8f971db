"""Running tests at other moments than now: the moments, and the hook for a whole run.

`POLICYBOT_TEST_NOW=2027-06-07T00:30:00+12:00 TZ=Pacific/Auckland pytest` runs the whole suite
as if it were that moment (time-machine, with the clock ticking on), in the test process and in
every Python subprocess a test starts (through `sitecustomize` in support/timetravel/, put on
PYTHONPATH with `pythonpath`). A test taking the `moment` fixture runs once at each of MOMENTS.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

NOW_VARIABLE = "POLICYBOT_TEST_NOW"
OFFSET_VARIABLE = "TEST_CLOCK_OFFSET_SECONDS"
_SITECUSTOMIZE_DIR = Path(__file__).resolve().parent / "timetravel"

_AUCKLAND = ZoneInfo("Pacific/Auckland")
_LONDON = ZoneInfo("Europe/London")
_NEW_YORK = ZoneInfo("America/New_York")
_TOKYO = ZoneInfo("Asia/Tokyo")

# Each weekday at an awkward hour, in machine time zones where the local and the UTC date
# differ; a month end; New Year's Eve; both DST changes in London (the first one 30 s before
# clocks go forward, so a test crosses it). A zoned moment also sets the machine's TZ.
MOMENTS: dict[str, datetime] = {
    "mon-0030-auckland": datetime(2027, 6, 7, 0, 30, tzinfo=_AUCKLAND),
    "tue-0005-utc": datetime(2027, 6, 8, 0, 5, tzinfo=UTC),
    "wed-1200-london": datetime(2027, 6, 9, 12, 0, tzinfo=_LONDON),
    "thu-2350-new-york": datetime(2027, 6, 10, 23, 50, tzinfo=_NEW_YORK),
    "fri-0800-utc": datetime(2027, 6, 11, 8, 0, tzinfo=UTC),
    "sat-0600-tokyo": datetime(2027, 6, 12, 6, 0, tzinfo=_TOKYO),
    "sun-2330-utc": datetime(2027, 6, 13, 23, 30, tzinfo=UTC),
    "month-end-2330": datetime(2027, 4, 30, 23, 30, tzinfo=UTC),
    "new-years-eve-2330": datetime(2026, 12, 31, 23, 30, tzinfo=_LONDON),
    "dst-spring-london": datetime(2027, 3, 28, 0, 59, 30, tzinfo=_LONDON),
    "dst-autumn-london": datetime(2026, 10, 25, 1, 30, tzinfo=_LONDON),
}


def travel_to(moment: datetime) -> time_machine.travel:
    """Time travel to `moment`, ticking on; a ZoneInfo moment sets the machine's TZ too."""
    return time_machine.travel(moment, tick=True)


def start_whole_run_travel() -> None:
    """Honour POLICYBOT_TEST_NOW (ISO 8601 with an offset) for this process and its children."""
    wanted = os.environ.get(NOW_VARIABLE, "")
    if not wanted:
        return
    moment = datetime.fromisoformat(wanted)
    if moment.tzinfo is None:
        raise SystemExit(f"{NOW_VARIABLE} needs an offset, e.g. 2027-06-07T00:30:00+12:00")
    offset = moment.timestamp() - time.time()
    os.environ[OFFSET_VARIABLE] = repr(offset)
    # A timestamp, not the datetime: the machine's TZ stays what the run was given.
    time_machine.travel(moment.timestamp(), tick=True).start()


def real_time() -> float:
    """The machine's own clock, even inside a whole-run shift (`POLICYBOT_TEST_NOW`)."""
    return time.time() - float(os.environ.get(OFFSET_VARIABLE, "0"))


def shifted_env(offset: float, *paths: Path) -> dict[str, str]:
    """Environment for a subprocess whose clock runs `offset` seconds from the real one."""
    entries = [str(_SITECUSTOMIZE_DIR), *(str(p) for p in paths)]
    return {OFFSET_VARIABLE: repr(offset), "PYTHONPATH": os.pathsep.join(entries)}


def pythonpath(*paths: Path) -> str:
    """PYTHONPATH for a subprocess: `paths`, and the clock shift when the run is shifted."""
    entries = [str(p) for p in paths]
    if os.environ.get(OFFSET_VARIABLE):
        entries.insert(0, str(_SITECUSTOMIZE_DIR))
    return os.pathsep.join(entries)
