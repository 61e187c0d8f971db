"""The taxonomy file: bundled default, operator override, errors that name the file."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.classify import classify
from bot.analysis.taxonomy import TaxonomyError, _case_sensitive, _trie_pattern, load_taxonomy
from bot.vocab import JURISDICTIONS, TOPICS


def test_bundled_taxonomy_covers_every_contract_jurisdiction_and_topic() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.jurisdiction_codes) == set(JURISDICTIONS)
    assert set(taxonomy.topic_requires) == set(TOPICS)


def test_acronyms_and_names_match_with_their_case_only() -> None:
    taxonomy = load_taxonomy()
    found = {m.matched for m in taxonomy.find("Tell us about the entity list", "jurisdiction")}
    assert found == set()
    found = {m.matched for m in taxonomy.find("The US Entity List", "jurisdiction")}
    assert found == {"US", "Entity List"}


def test_negative_phrases_hide_the_words_they_contain() -> None:
    taxonomy = load_taxonomy()
    contexts = [
        m for m in taxonomy.find("new potato chips", "context") if m.term.group == "context"
    ]
    assert contexts == []


def test_an_operator_taxonomy_replaces_the_bundled_one(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text(
        """
[weights]
agencies = 3.0
[thresholds]
jurisdiction = 2.0
topic = 1.0
[jurisdictions.JP]
agencies = ["Ministry of Silly Walks"]
[topics.regulation]
requires = "none"
terms = [["walking rules", 2.0]]
""",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    result = classify("Ministry of Silly Walks sets walking rules", "", taxonomy=taxonomy)
    assert result.jurisdictions == ["JP"]
    assert result.topics == ["regulation"]


def test_a_topics_sentence_needs_gate_its_generic_words(tmp_path: Path) -> None:
    """An operator's `sentence_needs`: a term below `topic_strong_term` counts only in a
    sentence holding those contexts; a heavier one counts anywhere."""
    path = tmp_path / "taxonomy.toml"
    path.write_text(
        """
[thresholds]
topic = 1.0
topic_strong_term = 2.5
[jurisdictions.JP]
agencies = ["METI"]
[topics.regulation]
requires = "none"
sentence_needs = ["robots"]
terms = [["walking rules", 1.0], ["Robot Walking Act", 3.0]]
[contexts]
robots = ["robot", "robots"]
""",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy.topic_sentence_needs["regulation"] == ("robots",)
    gated = classify("Walking rules change", "Robots may run.", taxonomy=taxonomy)
    assert gated.topics == []
    assert classify("Walking rules for robots change", "", taxonomy=taxonomy).topics == [
        "regulation"
    ]
    assert classify("Robot Walking Act passed", "", taxonomy=taxonomy).topics == ["regulation"]
    broken = tmp_path / "broken.toml"
    broken.write_text(
        path.read_text(encoding="utf-8").replace('["robots"]', '"robots"'), encoding="utf-8"
    )
    with pytest.raises(TaxonomyError, match=r"topics\.regulation\.sentence_needs"):
        load_taxonomy(broken)


def test_a_broken_taxonomy_names_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[jurisdictions.US]\nagencies = 'BIS'\n[topics.x]\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.toml.*jurisdictions\.US\.agencies"):
        load_taxonomy(path)
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.toml")


def _flat_alternation(words: list[str], *, flags: int) -> re.Pattern[str]:
    """The reference the trie must equal: every term, longest first, as whole words."""
    body = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)


_TERMS = ["AI", "AI Act", "AI Act omnibus", "EU", "E.U.", "U.S.", "chips", "chip", "Élysée", "ß"]
_GLUE = st.sampled_from(["", " ", "-", ". ", "\n", "x", "'s ", "é", "1", "_"])
_TEXTS = st.lists(
    st.tuples(st.sampled_from(_TERMS), st.sampled_from(["keep", "lower", "upper"]), _GLUE),
    max_size=12,
).map(
    lambda parts: "".join(
        (t.lower() if case == "lower" else t.upper() if case == "upper" else t) + glue
        for t, case, glue in parts
    )
)


@given(text=_TEXTS)
@settings(max_examples=300, deadline=None)
def test_trie_patterns_find_what_a_flat_alternation_finds(text: str) -> None:
    sensitive = _trie_pattern(_TERMS, ignore_case=False)
    ignoring = _trie_pattern(_TERMS, ignore_case=True)
    lower_only = _trie_pattern([t.lower() for t in _TERMS], ignore_case=False)
    assert sensitive is not None and ignoring is not None and lower_only is not None

    def spans(pattern: re.Pattern[str], subject: str) -> list[tuple[int, int]]:
        return [m.span() for m in pattern.finditer(subject)]

    assert spans(sensitive, text) == spans(_flat_alternation(_TERMS, flags=0), text)
    flat_ignoring = spans(_flat_alternation(_TERMS, flags=re.IGNORECASE), text)
    assert spans(ignoring, text) == flat_ignoring
    if text.isascii():
        assert spans(lower_only, text.lower()) == flat_ignoring


def test_bundled_taxonomy_matches_the_same_terms_as_flat_alternations() -> None:
    taxonomy = load_taxonomy()
    text = (
        "WASHINGTON - The U.S. Commerce Department's BIS added firms to the Entity List; "
        "the EU AI Act and the UK's AI Security Institute. Beijing's MOFCOM answered; "
        "potato chips and sovereign bonds. Élysée said the ai act applies."
    )
    for layer in ("jurisdiction", "topic", "context"):
        words = {
            t.text for t in taxonomy.terms if t.group in (layer, "negative")
        }  # the layer's terms and the negative phrases
        sensitive = [w for w in words if _case_sensitive(w)]
        insensitive = [w for w in words if not _case_sensitive(w)]
        expected = sorted(
            {m.span() for m in _flat_alternation(sensitive, flags=0).finditer(text)}
            | {m.span() for m in _flat_alternation(insensitive, flags=re.I).finditer(text)}
        )
        found = sorted({(m.start, m.end) for m in taxonomy.find(text, layer)})
        # find() also resolves overlaps between the two patterns: it may only drop spans.
        assert set(found) <= set(expected)
        assert found, layer


def _bundled_ascii_terms() -> list[str]:
    return sorted({t.text for t in load_taxonomy().terms if t.text.isascii()})


_ASCII_GLUE = st.sampled_from([" ", ", ", ". ", "-", "_", "'s ", "1", "x", "\n", "", "(", "/"])
_ASCII_TEXTS = st.lists(
    st.tuples(
        st.sampled_from(_bundled_ascii_terms()),
        st.sampled_from(["keep", "lower", "upper", "title", "cut"]),
        _ASCII_GLUE,
    ),
    max_size=15,
).map(
    lambda parts: "".join(
        {
            "keep": t,
            "lower": t.lower(),
            "upper": t.upper(),
            "title": t.title(),
            "cut": t[: len(t) // 2],
        }[case]
        + glue
        for t, case, glue in parts
    )
)


@given(text=_ASCII_TEXTS)
@settings(max_examples=500, deadline=None)
def test_word_index_finds_what_the_patterns_find(text: str) -> None:
    # find() skips the regexes for ASCII text and looks terms up by their first word; the
    # patterns are the reference.
    taxonomy = load_taxonomy()
    reference = copy.copy(taxonomy)
    reference._by_first_word = None
    reference._entries = {}
    for group in (None, "jurisdiction", "topic", "context"):
        assert taxonomy.find(text, group) == reference.find(text, group)
