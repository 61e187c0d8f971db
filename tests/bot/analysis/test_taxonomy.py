"""The taxonomy file: bundled default, operator override, errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.analysis.classify import classify
from bot.analysis.taxonomy import TaxonomyError, load_taxonomy
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


def test_a_broken_taxonomy_names_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[jurisdictions.US]\nagencies = 'BIS'\n[topics.x]\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.toml.*jurisdictions\.US\.agencies"):
        load_taxonomy(path)
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.toml")
