"""Extractive summaries: length, verbatim sentences, no boilerplate, determinism, page changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.summarise import (
    MAX_CHARS,
    extractive_summary,
    page_change,
    page_change_summary,
    split_sentences,
    summarise_items,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analysis"

PRESS_RELEASE = """FOR IMMEDIATE RELEASE

LONDON, 3 May 2025 - The Department for Science, Innovation and Technology today published a consultation on a licensing regime for frontier AI models. Developers of the most capable models would have to notify the AI Security Institute before release. The consultation closes on 30 June 2025.

Ministers said the proposals would keep the UK open to investment. This website uses cookies to improve your experience. Media enquiries: press@example.gov.uk, tel. 020 7946 0000."""


def _texts() -> list[str]:
    lines = (FIXTURES / "hard_cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()] + [PRESS_RELEASE]


def _sentences_of(summary: str, source: str) -> list[str]:
    return split_sentences(summary)


@pytest.mark.parametrize("text", _texts())
def test_summary_is_short_and_every_sentence_comes_from_the_text(text: str) -> None:
    summary = extractive_summary(text, title="A title")
    assert 0 < len(summary) <= MAX_CHARS
    sentences = _sentences_of(summary, text)
    assert 1 <= len(sentences) <= 3
    for sentence in sentences:
        assert sentence in text


def test_summary_skips_datelines_release_lines_cookies_and_contacts() -> None:
    summary = extractive_summary(PRESS_RELEASE)
    assert summary.startswith("The Department for Science, Innovation and Technology today")
    for boilerplate in ("IMMEDIATE", "LONDON, 3 May", "cookies", "press@", "Media enquiries"):
        assert boilerplate not in summary


def test_summary_prefers_who_did_what_when_over_a_vague_opening() -> None:
    text = (
        "It has been a busy year.\n\n"
        "The Commerce Department on Monday issued a rule adding 12 chip firms to the Entity List. "
        "The rule takes effect immediately."
    )
    summary = extractive_summary(text)
    assert summary.startswith("The Commerce Department on Monday issued a rule")
    assert "busy year" not in summary


def test_summary_is_deterministic() -> None:
    assert extractive_summary(PRESS_RELEASE) == extractive_summary(PRESS_RELEASE)


def test_a_text_without_usable_sentences_falls_back_to_the_title() -> None:
    assert extractive_summary("Contact: press office.", title="Rule published") == "Rule published"


def test_a_development_is_summarised_from_its_primary_item_first() -> None:
    primary = ("Official title", "The ministry today published the final rule on AI chips exports.")
    report = ("News title", "Reporters said the ministry had acted after months of talks.")
    assert summarise_items([primary, report]).startswith("The ministry today published")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(whitelist_categories=("L", "Zs")), min_size=5, max_size=90),
        min_size=1,
        max_size=12,
    )
)
def test_any_text_gives_a_bounded_verbatim_summary(parts: list[str]) -> None:
    text = ". ".join(parts) + "."
    summary = extractive_summary(text, title="Fallback title")
    assert len(summary) <= MAX_CHARS
    if summary != "Fallback title" and not summary.endswith("…"):
        for sentence in split_sentences(summary):
            assert sentence in text


def test_page_change_lists_added_and_removed_sentences() -> None:
    old = "Licences are assessed case by case. Guidance is updated monthly."
    new = "Licences are required for AI chips. Guidance is updated monthly."
    added, removed = page_change(old, new)
    assert added == "Licences are required for AI chips."
    assert removed == "Licences are assessed case by case."
    summary = page_change_summary(added, removed)
    assert summary.startswith("Added: “Licences are required for AI chips.”")
    assert "Removed: “Licences are assessed case by case.”" in summary
    assert len(summary) <= MAX_CHARS


def test_a_formatting_only_page_change_says_so() -> None:
    assert "formatting" in page_change_summary("", "")


_PIECES = [
    "For immediate release", "MEDIA CONTACT", "Tel.", "phone:", "cookies", "Privacy Policy",
    "Copyright 2024", "© 2025", "Sign up for", "READ MORE", "ENDS", "- ends -",
    "This article is for", "@dsit", "https://x.test", "Today", "On Monday", "MAY", "effective",
    "from 3", "this week", "immediately", "ſubscribe to", "K", "İstanbul", "2025", "the",
    "minister", "announced", "rules", "chips", "-", " ", "\n",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=12).map(" ".join))
def test_the_cheap_pre_checks_agree_with_the_patterns(sentence: str) -> None:
    from bot.analysis import summarise

    assert summarise._is_boilerplate_text(sentence) == bool(summarise._BOILERPLATE.search(sentence))
    assert summarise._says_when(sentence) == bool(summarise._WHEN.search(sentence))


def test_a_sentence_reporting_an_action_ranks_higher_whatever_its_letter_case() -> None:
    """The action words are looked for cheaply before their pattern runs: the look must
    ignore letter case as the pattern does."""
    for action in ("THE MINISTRY ANNOUNCED NEW", "The Ministry Finalises new"):
        text = f"Officials met in the capital. {action} licensing rules for advanced chip exports."
        assert extractive_summary(text).startswith(action)
    quiet = "Officials met in the capital. The ministry of trade and its new licensing office."
    assert extractive_summary(quiet).startswith("Officials met")
