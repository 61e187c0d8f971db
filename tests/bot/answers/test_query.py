"""Query understanding: jurisdictions, topics, synonyms and time words of a question."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers.periods import parse_time
from bot.answers.query import parse_question
from bot.answers.stemming import stem

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2025, 11, 12, 9, 0, tzinfo=UTC)  # a Wednesday


def _parse(text: str, now: datetime = NOW, tz: ZoneInfo = UTC_ZONE):  # type: ignore[no-untyped-def]
    return parse_question(text, now=now, tz=tz)


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("any new Dutch chip rules?", "NL"),
        ("what has Britain done?", "UK"),
        ("United Kingdom AI rules", "UK"),
        ("what did the US do", "US"),
        ("what's Washington doing", "US"),
        ("when did The Hague's licence start", "NL"),
        ("Beijing mineral bans", "CN"),
        ("did the U.S. act", "US"),
    ],
)
def test_jurisdictions_come_from_codes_names_demonyms_and_capitals(
    question: str, code: str
) -> None:
    assert code in _parse(question).jurisdictions


def test_lowercase_words_that_look_like_codes_are_not_jurisdictions() -> None:
    parsed = _parse("what is in us rules ca va")
    assert parsed.jurisdictions == ()


def test_a_country_after_to_is_a_target_not_the_actor() -> None:
    parsed = _parse("anything on AI chips going to China?")
    assert parsed.jurisdictions == ()
    assert parsed.target_jurisdictions == ("CN",)


def test_a_place_naming_a_summit_is_a_search_term_not_an_actor() -> None:
    parsed = _parse("what came out of the Seoul AI summit?")
    assert parsed.jurisdictions == ()
    assert "seoul" in [t.text for t in parsed.terms]


def test_countries_outside_the_vocabulary_are_kept() -> None:
    assert _parse("what's in Brazil's AI bill?").other_places == ("brazil",)


def test_synonyms_are_searched_with_the_word() -> None:
    parsed = _parse("new chip rules")
    chip = next(t for t in parsed.terms if t.text == "chip")
    assert "semiconductor" in chip.forms
    ai = next(t for t in _parse("AI rules").terms if t.text == "ai")
    assert "artificial intelligence" in ai.forms


def test_topics_are_recognised() -> None:
    assert "export-controls" in _parse("anything on export controls?").topics
    assert "data-protection" in _parse("privacy rules in the EU").topics


def test_names_are_marked_as_key_terms_and_stopwords_dropped() -> None:
    parsed = _parse("what did countries actually sign up to at Bletchley?")
    texts = {t.text: t.key for t in parsed.terms}
    assert texts["bletchley"] is True
    assert "what" not in texts and "actually" not in texts


@pytest.mark.parametrize(
    ("text", "start", "end", "relative"),
    [
        ("today", "2025-11-12", "2025-11-13", True),
        ("yesterday", "2025-11-11", "2025-11-12", True),
        ("this week", "2025-11-06", "2025-11-13", True),
        ("last week", "2025-10-30", "2025-11-06", True),
        ("this month", "2025-11-01", "2025-11-13", True),
        ("this year", "2025-01-01", "2025-11-13", True),
        ("last month's news", "2025-10-01", "2025-11-01", True),
        ("last 30 days", "2025-10-14", "2025-11-13", True),
        ("since 1 March", "2025-03-01", "2025-11-13", True),
        ("since March 1, 2024", "2024-03-01", "2025-11-13", True),
        ("in January 2025", "2025-01-01", "2025-02-01", False),
        ("Oct 2023 rules", "2023-10-01", "2023-11-01", False),
        ("early November 2023", "2023-11-01", "2023-11-11", False),
        ("late July 2025", "2025-07-21", "2025-08-01", False),
        ("the first week of February 2025", "2025-02-01", "2025-02-08", False),
        ("spring 2025", "2025-03-01", "2025-06-01", False),
        ("in 2024", "2024-01-01", "2025-01-01", False),
    ],
)
def test_time_expressions(text: str, start: str, end: str, relative: bool) -> None:
    window, _rest = parse_time(text, now=NOW, tz=UTC_ZONE)
    assert window is not None
    assert window.start is not None and window.end is not None
    assert window.start.date().isoformat() == start
    assert window.end.date().isoformat() == end
    assert window.relative is relative


# "This week" means the last 7 days on every weekday (a Monday morning does not ask an empty
# window); "this month"/"this year" never cover fewer than those 7 days; today and yesterday
# are calendar days. Days are local to the configured zone. (Rule: see RECENT_DAYS in query.py.)
WEEK_OF_DAYS = [date(2027, 6, 7) + timedelta(days=n) for n in range(7)]  # Monday to Sunday


def _local_days(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The first and the last local day a phrase covers."""
    window, _ = parse_time(text, now=now, tz=tz)
    assert window is not None and window.start is not None and window.end is not None
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(seconds=1)).astimezone(tz).date()
    assert window.start.astimezone(tz).time() == window.end.astimezone(tz).time()
    return first, last


@pytest.mark.parametrize("day", WEEK_OF_DAYS, ids=lambda d: d.strftime("%a"))
@pytest.mark.parametrize("hour", [0, 9, 23])
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/New_York"])
def test_each_phrase_covers_the_same_days_on_every_weekday(day: date, hour: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    now = datetime(day.year, day.month, day.day, hour, 30, tzinfo=tz)
    back = lambda n: day - timedelta(days=n)  # noqa: E731
    assert _local_days("today", now, tz) == (day, day)
    assert _local_days("yesterday's news", now, tz) == (back(1), back(1))
    assert _local_days("what changed this week", now, tz) == (back(6), day)
    assert _local_days("the past week", now, tz) == (back(6), day)
    assert _local_days("last week", now, tz) == (back(13), back(7))
    assert _local_days("previous week", now, tz) == (back(13), back(7))
    # June 2027: the month began at least 7 days ago from the 7th on.
    assert _local_days("this month", now, tz) == (min(day.replace(day=1), back(6)), day)
    assert _local_days("last month", now, tz) == (date(2027, 5, 1), date(2027, 5, 31))
    assert _local_days("this year", now, tz) == (date(2027, 1, 1), day)
    assert _local_days("last year", now, tz) == (date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("today", "this_month", "this_year"),
    [
        # The 1st to the 6th reach back into the previous month, 1-6 January into last year.
        (date(2027, 6, 1), date(2027, 5, 26), date(2027, 1, 1)),
        (date(2027, 6, 6), date(2027, 5, 31), date(2027, 1, 1)),
        (date(2027, 6, 7), date(2027, 6, 1), date(2027, 1, 1)),
        (date(2027, 1, 1), date(2026, 12, 26), date(2026, 12, 26)),
        (date(2027, 1, 8), date(2027, 1, 1), date(2027, 1, 1)),
        (date(2027, 4, 30), date(2027, 4, 1), date(2027, 1, 1)),
    ],
)
def test_this_month_and_this_year_cover_at_least_the_last_7_days(
    today: date, this_month: date, this_year: date
) -> None:
    now = datetime(today.year, today.month, today.day, 0, 30, tzinfo=UTC)
    assert _local_days("this month", now, UTC_ZONE) == (this_month, today)
    assert _local_days("this year", now, UTC_ZONE) == (this_year, today)


def test_new_years_eve_late_evening_is_still_the_old_year() -> None:
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert _local_days("this year", now, UTC_ZONE) == (date(2026, 1, 1), date(2026, 12, 31))
    assert _local_days("today", now, UTC_ZONE) == (date(2026, 12, 31), date(2026, 12, 31))
    # Already 1 January in Auckland: its "this year" reaches back 7 days into 2026.
    auckland = ZoneInfo("Pacific/Auckland")
    assert _local_days("this year", now, auckland) == (date(2026, 12, 26), date(2027, 1, 1))


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (datetime(2027, 3, 28, 0, 59, 30, tzinfo=UTC), 167),  # London clocks go forward at 01:00
        (datetime(2027, 3, 28, 1, 0, 30, tzinfo=UTC), 167),
        (datetime(2026, 10, 25, 0, 59, 30, tzinfo=UTC), 169),  # and back at 01:00 UTC
        (datetime(2026, 10, 25, 1, 0, 30, tzinfo=UTC), 169),
    ],
)
def test_a_week_across_a_dst_change_runs_from_local_midnight_to_local_midnight(
    now: datetime, hours: int
) -> None:
    london = ZoneInfo("Europe/London")
    window, _ = parse_time("this week", now=now, tz=london)
    assert window is not None and window.start is not None and window.end is not None
    assert window.start.astimezone(london).hour == window.end.astimezone(london).hour == 0
    assert (window.end - window.start) == timedelta(hours=hours)
    assert window.start <= now < window.end


def test_relative_days_follow_the_configured_time_zone() -> None:
    # 23:30 UTC on the 12th is already the 13th in Tokyo.
    now = datetime(2025, 11, 12, 23, 30, tzinfo=UTC)
    window, _ = parse_time("today", now=now, tz=ZoneInfo("Asia/Tokyo"))
    assert window is not None and window.start is not None
    assert window.start == datetime(2025, 11, 12, 15, 0, tzinfo=UTC)


def test_time_words_are_not_search_terms() -> None:
    parsed = _parse("what changed in US chip export rules in January 2025?")
    words = {t.text for t in parsed.terms}
    assert "january" not in words and "2025" not in words
    assert parsed.window is not None and parsed.window.label == "January 2025"


def test_text_without_time_words_has_no_window() -> None:
    assert _parse("what is the AI diffusion rule?").window is None


def test_stem_matches_forms_of_a_word() -> None:
    assert stem("restrictions") == stem("restrict")
    assert stem("minerals") == stem("mineral")
    assert stem("germanium") != stem("germany")


def test_the_searched_line_shows_the_local_dates_of_a_window() -> None:
    now = datetime(2025, 11, 12, 23, 30, tzinfo=UTC)  # already the 13th in Tokyo
    parsed = parse_question("export controls today", now=now, tz=ZoneInfo("Asia/Tokyo"))
    assert "published: today (2025-11-13)" in parsed.describe()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_question_makes_the_parser_raise(text: str) -> None:
    parsed = parse_question(text, now=NOW, tz=UTC_ZONE)
    assert parsed.describe()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "since",
                "last",
                "in",
                "the",
                "first",
                "week",
                "of",
                "February",
                "31",
                "30",
                "2025",
                "0",
                "999",
                "days",
                "months",
                "Feb.",
                "early",
                "late",
                "spring",
                "Q4",
                "yesterday",
                "this",
                "month's",
                "-",
                "2024-02-30",
                "March",
                "1st",
                "may",
            ]
        ),
        max_size=8,
    )
)
def test_no_time_words_make_the_parser_raise(words: list[str]) -> None:
    window, _rest = parse_time(" ".join(words), now=NOW, tz=UTC_ZONE)
    if window is not None and window.start is not None and window.end is not None:
        assert window.start <= window.end


def test_a_code_with_digits_stays_one_term() -> None:
    parsed = _parse("what is Project Kestrel-12?")
    assert "kestrel-12" in [t.text for t in parsed.terms]
    assert "chip" in [t.text for t in _parse("chip-making rules").terms]
