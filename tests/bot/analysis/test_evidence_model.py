"""The evidence model of issue 14: roles, the source's prior, INTL beside the actors,
relevance before topics, and clustering on distinctive names. Every rule has two examples
from different (invented) developments."""

from __future__ import annotations

import pytest

from bot.analysis import cluster
from bot.analysis.classify import classify
from bot.analysis.countries import country_terms
from bot.analysis.taxonomy import Taxonomy, load_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(None)


@pytest.mark.parametrize(
    ("title", "text", "hint"),
    [
        (
            "Ministry opens consultation on AI procurement guidance",
            "The ministry invited comments on draft guidance for buying AI systems in "
            "hospitals. Responses are due in six weeks.",
            "JP",
        ),
        (
            "Cabinet approves funding for public compute clusters",
            "The cabinet approved funding for GPU clusters that universities can rent for "
            "artificial intelligence research, officials said.",
            "IN",
        ),
    ],
)
def test_a_government_feed_keeps_its_own_jurisdiction(
    taxonomy: Taxonomy, title: str, text: str, hint: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy, hint_jurisdictions=[hint])
    assert hint in result.jurisdictions
    assert f"{hint}: the source's own jurisdiction (prior)" in result.evidence["rules"]


@pytest.mark.parametrize(
    ("title", "text", "hint", "actor"),
    [
        (
            "MIIT issues rules for AI chip procurement",
            "MIIT said the rules on chips for AI data centres apply from March; the Ministry of "
            "Industry and Information Technology will audit buyers.",
            "UK",
            "CN",
        ),
        (
            "METI adds AI accelerators to its export licence list",
            "METI said exporters of AI accelerators will need a licence from April under the "
            "Foreign Exchange and Foreign Trade Act.",
            "FR",
            "JP",
        ),
    ],
)
def test_a_source_prior_gives_way_only_to_another_government_acting_strongly(
    taxonomy: Taxonomy, title: str, text: str, hint: str, actor: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy, hint_jurisdictions=[hint])
    assert result.jurisdictions == [actor]


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "OECD members adopt revised AI principles as Japan pledges funding",
            "OECD ministers adopted revised principles on trustworthy AI. The Japanese "
            "government said METI would fund an OECD observatory on AI incidents.",
            ["INTL", "JP"],
        ),
        (
            "G20 statement on AI compute; India's MeitY announces shared GPU pool",
            "G20 digital ministers agreed a statement on access to AI compute. MeitY said India "
            "would open its GPU pool to G20 researchers.",
            ["IN", "INTL"],
        ),
    ],
)
def test_a_multilateral_subject_adds_intl_and_keeps_the_actor(
    taxonomy: Taxonomy, title: str, text: str, expected: list[str]
) -> None:
    assert sorted(classify(title, text, taxonomy=taxonomy).jurisdictions) == expected


@pytest.mark.parametrize(
    ("title", "text", "actor"),
    [
        (
            "Canada launches sovereign AI compute strategy",
            "Innovation, Science and Economic Development Canada launched a sovereign AI compute "
            "strategy. Ottawa will work with international partners and present it at a summit "
            "next month.",
            "CA",
        ),
        (
            "Berlin funds national AI supercomputing centre",
            "The German government will fund a national AI supercomputing centre, officials "
            "said before leaving for a summit with allies.",
            "DE",
        ),
    ],
)
def test_a_summit_in_passing_neither_adds_intl_nor_regulation(
    taxonomy: Taxonomy, title: str, text: str, actor: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.jurisdictions == [actor]
    assert "regulation" not in result.topics


@pytest.mark.parametrize(
    ("title", "text", "actor"),
    [
        (
            "Taipei lawmakers pass statute on machine intelligence in public services",
            "Taiwan's Legislative Yuan passed a statute setting duties for agencies that use "
            "machine intelligence to decide benefit claims.",
            "TW",
        ),
        (
            "President signs executive order on artificial intelligence in federal hiring",
            "The White House said the executive order on artificial intelligence tells "
            "agencies to publish how they screen job applicants.",
            "US",
        ),
    ],
)
def test_a_legal_instrument_about_ai_is_ai_regulation(
    taxonomy: Taxonomy, title: str, text: str, actor: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert result.topics == ["regulation"]
    assert actor in result.jurisdictions


@pytest.mark.parametrize(
    ("title", "text", "passing"),
    [
        (
            "Governments adopt AI safety pledge",
            "Ministers adopted a pledge on AI safety at Bletchley Park, where the first summit "
            "met. The OECD will track it.",
            "UK",
        ),
        (
            "Ministers agree AI testing network",
            "The OECD said ministers agreed an AI testing network. Japan and Canada were among "
            "the signatories.",
            "JP",
        ),
    ],
)
def test_a_venue_or_a_participant_is_a_passing_mention(
    taxonomy: Taxonomy, title: str, text: str, passing: str
) -> None:
    result = classify(title, text, taxonomy=taxonomy)
    assert passing not in result.jurisdictions
    roles = {s["role"] for s in result.evidence["jurisdictions"][passing]["signals"]}
    assert roles == {"passing"}


@pytest.mark.parametrize(
    ("code", "name", "demonym", "capital"),
    [("KR", "South Korea", "South Korean", "Seoul"), ("UK", "United Kingdom", "British", "London")],
)
def test_country_names_demonyms_and_capitals_come_from_country_data(
    code: str, name: str, demonym: str, capital: str
) -> None:
    terms = country_terms(code)
    assert name in terms["names"]
    assert demonym in terms["demonyms"]
    assert capital in terms["places"]


# Clustering: a press release and a newswire story of one event share few words but the
# event's rare names; two events of one season share only common words.
_PAIRS = [
    (
        (
            "Ministry orders Voltrix to keep its Eindhoven wafer line open",
            "The ministry ordered Voltrix Semiconductors to keep its Eindhoven wafer line open "
            "under the Goods Availability Act from 3 November.",
        ),
        (
            "Dutch state steps in at chipmaker Voltrix",
            "Officials invoked the Goods Availability Act on Voltrix, whose Eindhoven plant must "
            "keep supplying carmakers from 3 November, a filing shows.",
        ),
    ),
    (
        (
            "Cabinet approves Kestrel-9 GPU tender",
            "The cabinet approved the Kestrel-9 tender for shared GPUs, with bids due 14 May.",
        ),
        (
            "New Delhi picks bidders for shared compute",
            "Officials said the Kestrel-9 programme will rent GPUs to start-ups; bids close 14 "
            "May.",
        ),
    ),
]


@pytest.mark.parametrize(("first", "second"), _PAIRS)
def test_rare_names_and_dates_tie_two_styles_of_one_event(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    a, b = cluster.fingerprint(*first), cluster.fingerprint(*second)
    assert cluster.names_score(a, b) >= cluster.NAME_UNIT * 2
    picked, _, why = cluster.best_match(
        b,
        jurisdictions=["NL"],
        topics=["sovereignty"],
        relevant=True,
        candidates=[
            cluster.Candidate(7, a, frozenset({"NL"}), frozenset({"sovereignty"}), True, 1)
        ],
    )
    assert picked == 7, why


@pytest.mark.parametrize(("first", "second"), _PAIRS)
def test_a_name_many_developments_state_says_less(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    a, b = cluster.fingerprint(*first), cluster.fingerprint(*second)
    alone = cluster.names_score(a, b)
    crowded = cluster.names_score(a, b, cluster.NameCounts(dict.fromkeys(a.names & b.names, 5), 9))
    assert crowded < alone


def test_another_governments_measure_is_not_joined() -> None:
    first, second = _PAIRS[0]
    a, b = cluster.fingerprint(*first), cluster.fingerprint(*second)
    for other in ("CN", "US"):
        picked, _, _ = cluster.best_match(
            b,
            jurisdictions=[other],
            topics=["sovereignty"],
            relevant=True,
            candidates=[
                cluster.Candidate(7, a, frozenset({"NL"}), frozenset({"sovereignty"}), True, 1)
            ],
        )
        assert picked is None
