"""Shared rare names tie two reports of one event only when their words agree too, and a name
many stored developments hold says little: a rare word or two that unrelated texts share by
chance must not merge them (in a busy store, or in prose of an unfamiliar vocabulary)."""

from __future__ import annotations

import random

import pytest

from bot.analysis import cluster

# Two unrelated stories of one season that happen to share a rare name (and a date).
_COINCIDENCES = [
    (
        (
            "Ministry opens consultation on audits of hiring algorithms",
            "The labour ministry asked employers and unions for views on independent audits of "
            "automated hiring tools; Zentaro, a recruitment platform, welcomed the plan. "
            "Responses are due 12 March.",
        ),
        (
            "Cloud outage prompts questions over data-centre resilience",
            "A four-hour outage at a regional cloud provider disrupted payments and hospital "
            "booking systems, and Zentaro said its own service was briefly unavailable on "
            "12 March.",
        ),
    ),
    (
        (
            "Parliament committee hears evidence on deepfake election adverts",
            "Members questioned broadcasters about labelling synthetic political adverts; a "
            "witness from Quillmark described watermarking trials in the Pellworth district.",
        ),
        (
            "Chipmaker Quillmark opens packaging plant near Pellworth",
            "The company began advanced packaging production at a new site, creating 600 jobs, "
            "after a grant from the regional development fund.",
        ),
    ),
]


@pytest.mark.parametrize(("first", "second"), _COINCIDENCES)
def test_a_shared_rare_name_without_agreeing_words_is_no_evidence(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    a, b = cluster.fingerprint(*first), cluster.fingerprint(*second)
    assert a.names & b.names  # they do share a rare name...
    assert cluster.similarity(a, b) < cluster.NAMES_NEED_WORDS
    assert cluster.names_score(a, b) == 0.0  # ...which says nothing on its own
    picked, _, why = cluster.best_match(
        b,
        jurisdictions=["UK"],
        topics=["regulation"],
        relevant=True,
        candidates=[cluster.Candidate(3, a, frozenset({"UK"}), frozenset({"regulation"}), True, 1)],
    )
    assert picked is None, why
    assert not cluster.may_join(b, a)


# One name held by several candidate developments of the window: each holds a share of it.
@pytest.mark.parametrize(
    ("name", "holders", "units"),
    [("nexperia", 1, 2.0), ("nexperia", 4, 0.5), ("date:mar-12", 1, 1.0), ("date:mar-12", 2, 0.5)],
)
def test_a_name_is_worth_its_weight_shared_among_the_developments_holding_it(
    name: str, holders: int, units: float
) -> None:
    counts = cluster.NameCounts({name: holders}, pool=10)
    assert counts.unit(name) == pytest.approx(units)


def test_names_are_counted_per_development_over_every_candidate() -> None:
    new = cluster.fingerprint("Voltrix plant order", "Voltrix must keep supplying from 3 November.")
    same_dev = cluster.fingerprint("Voltrix order", "The Voltrix order took effect on 3 November.")
    other = cluster.fingerprint("Voltrix earnings", "Voltrix reported higher sales.")
    unrelated = cluster.fingerprint("Bond yields rise", "Gilts fell on Tuesday.")
    counts = cluster.NameCounts.of(new, [(1, same_dev), (1, same_dev), (2, other), (3, unrelated)])
    assert counts.holders == {"voltrix": 2, "date:nov-3": 1}
    assert counts.pool == 3


def _random_prose(rng: random.Random, vocabulary: list[str], event: list[str]) -> tuple[str, str]:
    """A headline and body in an invented vocabulary, naming the event's words (as
    bench/ingest.py writes its corpus)."""
    body = " ".join(
        " ".join(rng.choices(vocabulary, k=8)) + f" {rng.choice(event)}." for _ in range(3)
    )
    return f"Ministry consults on {event[0]} {event[1]}", f"{' '.join(event)}. {body}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prose_in_an_unfamiliar_vocabulary_joins_only_its_own_event_or_none(seed: int) -> None:
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    vocabulary = ["".join(rng.choices(syllables, k=3)) for _ in range(3000)]
    events = [
        ["".join(rng.choices(syllables, k=3)).capitalize() for _ in range(4)] for _ in range(8)
    ]
    stored = [
        cluster.Candidate(
            i, cluster.fingerprint(*_random_prose(rng, vocabulary, event)),
            frozenset({"UK"}), frozenset({"regulation"}), True, 1,
        )
        for i, event in enumerate(events[:4])
    ]  # fmt: skip
    for i, event in enumerate(events):
        report = cluster.fingerprint(*_random_prose(rng, vocabulary, event))
        picked, _, why = cluster.best_match(
            report, jurisdictions=["UK"], topics=["regulation"], relevant=True, candidates=stored
        )
        assert picked == (i if i < len(stored) else None), why
