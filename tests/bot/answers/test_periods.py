"""Time expressions (bot/answers/periods.py): seasons without a year, and the loose reading
of "last week" and "last month" that close matches may come from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.answers.periods import TimeWindow, parse_time
from bot.answers.query import parse_question

UTC_ZONE = ZoneInfo("UTC")


def _window(text: str, now: datetime) -> TimeWindow:
    window, _rest = parse_time(text, now=now, tz=UTC_ZONE)
    assert window is not None, text
    return window


def _days(start: datetime | None, end: datetime | None) -> tuple[date, date]:
    assert start is not None and end is not None
    return start.date(), (end - timedelta(seconds=1)).date()


@pytest.mark.parametrize(
    ("text", "asked", "first", "last", "relative"),
    [
        ("anything since the summer?", "2025-10-20", "2025-06-01", "2025-10-20", True),
        ("what changed since spring", "2026-04-02", "2026-03-01", "2026-04-02", True),
        # Before this year's summer began, "since the summer" is last year's.
        ("since the summer", "2026-05-10", "2025-06-01", "2026-05-10", True),
        ("what happened over the summer?", "2025-10-20", "2025-06-01", "2025-08-31", False),
        ("rules adopted last winter", "2025-10-20", "2024-12-01", "2025-02-28", False),
        # "last summer" while it is summer: the one before.
        ("news from last summer", "2025-07-15", "2024-06-01", "2024-08-31", False),
        ("this autumn's guidance", "2025-10-20", "2025-09-01", "2025-11-30", False),
        ("in winter 2025", "2025-10-20", "2024-12-01", "2025-02-28", False),
    ],
)
def test_seasons_without_a_year_are_the_most_recent_one(
    text: str, asked: str, first: str, last: str, relative: bool
) -> None:
    now = datetime.fromisoformat(asked).replace(hour=9, tzinfo=UTC)
    window = _window(text, now)
    assert _days(window.start, window.end) == (date.fromisoformat(first), date.fromisoformat(last))
    assert window.relative is relative


@pytest.mark.parametrize("offset", range(7))
def test_last_week_may_also_mean_the_calendar_week_before_this_one(offset: int) -> None:
    day = date(2025, 11, 24) + timedelta(days=offset)  # Monday 24 November, then each day
    window = _window(
        "what changed last week?", datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    )
    # The days every weekday agrees on are unchanged...
    assert _days(window.start, window.end) == (day - timedelta(13), day - timedelta(7))
    # ...and close matches may come from up to the end of the calendar week before this one.
    assert _days(window.outer_start, window.outer_end) == (
        day - timedelta(13),
        max(date(2025, 11, 23), day - timedelta(7)),
    )
    assert "close matches" in window.describe()


def test_last_month_may_also_mean_the_past_month() -> None:
    window = _window("what did Brussels do last month?", datetime(2025, 11, 5, 9, tzinfo=UTC))
    assert _days(window.start, window.end) == (date(2025, 10, 1), date(2025, 10, 31))
    assert _days(window.outer_start, window.outer_end) == (date(2025, 10, 1), date(2025, 11, 5))
    this_week = _window("anything this week?", datetime(2025, 11, 5, 9, tzinfo=UTC))
    assert this_week.loose_start is None and "close matches" not in this_week.describe()


@pytest.mark.parametrize(
    ("text", "last"),
    [
        ("what takes effect this year?", "2026-12-31"),
        ("anything due this month?", "2026-06-30"),
        ("what kicks in this week?", "2026-06-14"),  # Wednesday 10 June: to Sunday
    ],
)
def test_dates_set_this_week_month_or_year_include_what_is_still_to_come(
    text: str, last: str
) -> None:
    now = datetime(2026, 6, 10, 9, tzinfo=UTC)
    window, _rest = parse_time(text, now=now, tz=UTC_ZONE, dates_ahead=True)
    assert window is not None
    assert _days(window.start, window.end)[1] == date.fromisoformat(last)
    # Asked about what was published, the same words end today.
    published, _rest = parse_time(text, now=now, tz=UTC_ZONE)
    assert published is not None and _days(published.start, published.end)[1] == now.date()


def test_the_searched_line_says_a_window_holds_dates_set_when_dates_are_asked() -> None:
    now = datetime(2026, 6, 10, 9, tzinfo=UTC)
    dated = parse_question("what takes effect this year?", now=now, tz=UTC_ZONE).describe()
    assert "published or dated: this year (2026-01-01 to 2026-12-31)" in dated
    plain = parse_question("what changed on AI chips this year?", now=now, tz=UTC_ZONE)
    assert "published: this year (2026-01-01 to 2026-06-10)" in plain.describe()
