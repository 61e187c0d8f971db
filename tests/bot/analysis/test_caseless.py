"""CaselessPattern: the same matches as re.IGNORECASE, faster on ASCII text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.caseless import FOLDS_TO_ASCII, CaselessPattern


def test_the_folds_to_ascii_list_is_complete() -> None:
    # CaselessPattern is exact only if these are all the non-ASCII characters that
    # re.IGNORECASE matches to an ASCII one.
    ascii_char = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    folding = {chr(c) for c in range(0x80, 0x110000) if ascii_char.fullmatch(chr(c))}
    assert folding == {"\u0130", "\u0131", "\u017f", "\u212a"}
    assert all(FOLDS_TO_ASCII.fullmatch(c) for c in folding)


_PATTERNS = [
    r"\b(?:final rule|IFR|licen[cs]e requirement|ban(?:s|ned)?|effective (?:from )?\d)\b",
    r"\b(?:suspen\w+|put on hold|No\.\s?\d{1,4}|[A-Z]{2}\d)\b",
    r"(?:[$€£¥]\s?\d[\d,.]*\s?(?:bn|billion|m)?)",
]
_VOCABULARY = (
    "Final Rule final RULE IFR ifr License licence requirement BANS banned Effective from 5 "
    "SUSPENDED put on HOLD no. 12 No.7 AB1 ab1 $5bn € 3 BILLION x _ ' - İ ı ſ K é"
)
_WORDS = st.sampled_from(_VOCABULARY.split())
_TEXTS = st.lists(st.tuples(_WORDS, st.sampled_from(["", " ", "-", ", ", "\n"])), max_size=20).map(
    lambda parts: "".join(w + glue for w, glue in parts)
)


@given(text=_TEXTS)
@settings(max_examples=500, deadline=None)
def test_caseless_patterns_find_what_ignorecase_finds(text: str) -> None:
    for source in _PATTERNS:
        caseless = CaselessPattern(source)
        reference = re.compile(source, re.IGNORECASE)
        assert caseless.findall(text) == reference.findall(text)
        first = reference.search(text)
        assert caseless.search(text) == (first.group(0) if first else None)
        assert caseless.search(text, text.lower()) == (first.group(0) if first else None)


@pytest.mark.parametrize("source", [r"\D+", r"\bx\B", "\u017fuspend", "(a)b"])
def test_patterns_that_do_not_survive_lowercasing_are_refused(source: str) -> None:
    if source == "(a)b":
        with pytest.raises(ValueError):
            CaselessPattern(source).findall("ab")
    else:
        with pytest.raises(ValueError):
            CaselessPattern(source)
