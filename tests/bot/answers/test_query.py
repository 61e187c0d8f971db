"""Query understanding: jurisdictions, topics, synonyms and time words of a question."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers.query import parse_question, parse_time
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
        ("this week", "2025-11-10", "2025-11-13", True),
        ("last week", "2025-11-03", "2025-11-10", True),
        ("this month", "2025-11-01", "2025-11-13", True),
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
