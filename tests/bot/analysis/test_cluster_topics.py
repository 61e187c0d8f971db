"""Clustering: two items of one development share a topic (cluster.py's tags rule)."""

from __future__ import annotations

import pytest

from bot.analysis.cluster import Candidate, best_match, fingerprint

# Pairs of one government's separate measures, written alike: (new item, stored item, topics).
_SEPARATE = [
    (
        (
            "Dutch ministry takes control of Nijmegen chipmaker",
            "The Dutch economy ministry said on Sunday it had taken control of a Nijmegen "
            "chipmaker's decisions for a year to keep chip production in the Netherlands.",
        ),
        (
            "Dutch ministry widens licence duty for chipmaking tools",
            "The Dutch trade ministry said on Sunday that exports of more chipmaking tools "
            "made in the Netherlands will need a licence from next month.",
        ),
        (["sovereignty"], ["export-controls"]),
    ),
    (
        (
            "Seoul passes national AI law with duties for providers",
            "Korea's national assembly passed an AI law on Thursday that sets duties for "
            "providers of high-impact AI systems in Korea.",
        ),
        (
            "Seoul funds national AI compute centre for providers",
            "Korea's science ministry said on Thursday it will fund a national AI compute "
            "centre in Korea for providers of AI systems.",
        ),
        (["regulation"], ["sovereignty"]),
    ),
]


def _candidate(text: tuple[str, str], topics: list[str]) -> Candidate:
    return Candidate(
        development_id=7,
        fingerprint=fingerprint(*text),
        jurisdictions=frozenset({"NL", "KR"}),
        topics=frozenset(topics),
        relevant=True,
        days_apart=1.0,
    )


@pytest.mark.parametrize(("new", "stored", "topics"), _SEPARATE)
def test_items_without_a_shared_topic_are_two_developments(
    new: tuple[str, str], stored: tuple[str, str], topics: tuple[list[str], list[str]]
) -> None:
    mine, theirs = topics
    candidates = [_candidate(stored, theirs)]
    found, _, why = best_match(
        fingerprint(*new),
        jurisdictions=["NL", "KR"],
        topics=mine,
        relevant=True,
        candidates=candidates,
    )
    assert found is None, why
    # The same pair with a topic in common joins: the words alone would tie them.
    joined, _, _ = best_match(
        fingerprint(*new),
        jurisdictions=["NL", "KR"],
        topics=mine + theirs,
        relevant=True,
        candidates=candidates,
    )
    assert joined == 7
