"""National AI capacity and dependence on foreign suppliers are sovereignty even when the
text never uses the taxonomy's phrases ("sovereign AI", "compute capacity")."""

from __future__ import annotations

import pytest

from bot.analysis.classify import classify
from bot.analysis.taxonomy import Taxonomy, load_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Ministry tenders 20,000 GPUs for universities",
            "The ministry will buy 20,000 GPUs for a national research network, renting them to "
            "start-ups and labs at subsidised rates from next spring.",
        ),
        (
            "Government picks site for AI campus",
            "A publicly funded AI campus with three data centres will be built on a former "
            "airfield, officials said on Monday.",
        ),
        (
            "Regulator warns over cloud concentration in public services",
            "Most ministries run their AI workloads on foreign providers, and the regulator said "
            "the dependence on overseas cloud firms left services exposed.",
        ),
    ],
)
def test_national_capacity_or_foreign_dependence_is_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert "sovereignty" in result.topics, result.evidence["rules"]
    rules = result.evidence["rules"]
    assert any("national capacity" in r or "foreign dependence" in r for r in rules)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Retailer moves its payroll to the cloud",
            "The company said the move would cut costs; staff data stays in the same region.",
        ),
        (
            "Chipmaker reports record GPU sales",
            "Quarterly revenue rose 40 percent on demand from data centres, the company said.",
        ),
    ],
)
def test_capacity_without_a_public_owner_is_not_sovereignty(
    taxonomy: Taxonomy, title: str, text: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert "sovereignty" not in result.topics
