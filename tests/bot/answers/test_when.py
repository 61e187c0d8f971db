"""Questions about the dates a development sets: which kind, and which forward range."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.answers.query import parse_question
from bot.answers.when import date_kinds, future_window

TODAY = date(2025, 12, 15)


def test_the_kind_of_date_asked_about() -> None:
    assert date_kinds("what takes effect next month?") == ("effective",)
    assert date_kinds("did the Korean AI rules kick in this week?") == ("effective",)
    assert date_kinds("when do the GPAI rules apply?") == ("effective",)
    assert date_kinds("what was the comment deadline?") == ("deadline",)
    assert date_kinds("what's due in January?") == ("deadline",)
    assert date_kinds("when does the suspension expire?") == ("ends",)
    assert date_kinds("what did BIS publish?") == ()


def test_forward_ranges_relative_to_today() -> None:
    month = future_window("what takes effect next month?", TODAY)
    assert month is not None and (month.start, month.end) == (date(2026, 1, 1), date(2026, 2, 1))
    quarter = future_window("which duties start next quarter?", TODAY)
    assert quarter is not None and (quarter.start, quarter.end) == (
        date(2026, 1, 1),
        date(2026, 4, 1),
    )
    coming = future_window("what's due in the next 30 days?", TODAY)
    assert coming is not None and (coming.start, coming.end) == (TODAY, date(2026, 1, 15))
    assert future_window("what happened last month?", TODAY) is None


def test_in_a_month_of_a_question_about_dates_set_is_the_coming_one() -> None:
    now = datetime(2026, 6, 15, tzinfo=UTC)
    parsed = parse_question("what takes effect in August?", now=now, tz=ZoneInfo("UTC"))
    assert parsed.due_window is not None and parsed.due_window.start is not None
    assert parsed.due_window.start.date() == date(2026, 8, 1)
    assert parsed.window is None
    # Past tense and no question about dates set: the publication window, as before.
    parsed = parse_question("what did BIS publish in March?", now=now, tz=ZoneInfo("UTC"))
    assert parsed.due_window is None and parsed.window is not None


def test_the_frame_words_are_not_searched_and_the_searched_line_says_what_dates() -> None:
    now = datetime(2025, 12, 15, tzinfo=UTC)
    parsed = parse_question(
        "is Seoul's AI law still on track to start next month?", now=now, tz=ZoneInfo("UTC")
    )
    assert "start" not in [t.text for t in parsed.terms]
    assert "dates it sets: takes effect in January 2026" in parsed.describe()


def test_coming_up_and_soon_are_the_next_ninety_days() -> None:
    for text in ("what's coming up for the chip rules?", "anything due soon?", "what is next?"):
        soon = future_window(text, TODAY)
        assert soon is not None and (soon.start, soon.end) == (TODAY, date(2026, 3, 15)), text
    assert future_window("what came soonest after the summit?", TODAY) is None
