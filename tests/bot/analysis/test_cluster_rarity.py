"""Words count by how rare they are among the candidate developments, the whole text is
compared (not only the lede), and an item whose topics were missed joins only on a shared
name, date or fact: the rules that let reports of one event written in different styles meet
while unrelated events of a busy season stay apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis import cluster
from bot.analysis.cluster import Candidate, NameCounts, best_match, fingerprint

# Stories of one busy season that all use the domain's everyday words (advanced computing,
# data centres, capacity, investment): none is the same event as another.
_SEASON = [
    (
        "Ministry approves subsidy for a northern data centre",
        "The industry ministry approved a subsidy for advanced computing capacity at a data "
        "centre near Sapporo, run by a railway company, as part of national investment in "
        "infrastructure; the grant covers cooling systems, grid connections and staff training "
        "on Hokkaido over three years.",
    ),
    (
        "Regional government backs Bavarian expansion",
        "Officials approved planning consent for a data centre expansion in Bavaria, adding "
        "advanced computing capacity for car makers and research institutes; environmental "
        "groups objected to water use and the district assembly will hold hearings in autumn.",
    ),
    (
        "Sovereign wealth investor commits to Gulf campus",
        "A state investor approved funding for a data centre campus in Ras Laffan with advanced "
        "computing capacity, calling the infrastructure investment strategic; gas turbines will "
        "supply power until a solar farm is connected, executives told shareholders.",
    ),
    (
        "Universities gain shared access to national supercomputer",
        "The research council approved a programme giving universities access to advanced "
        "computing capacity in a national data centre at Didcot, with investment over four "
        "years; climate modelling and protein design groups will be first in the queue.",
    ),
]


# A busy season: a dozen such stories within the window (each told of three places).
_BUSY_SEASON = [
    (f"{title} ({place})", f"{text} Reported from {place}.")
    for title, text in _SEASON
    for place in ("Leeds", "Lyon", "Osaka")
]


def _candidates(stories: list[tuple[str, str]], first_id: int) -> list[Candidate]:
    return [
        Candidate(first_id + n, fingerprint(*s), frozenset({"UK"}), frozenset({"sovereignty"}), True, 2)
        for n, s in enumerate(stories)
    ]  # fmt: skip


def _pick(new: cluster.Fingerprint, candidates: list[Candidate]) -> int | None:
    counts = NameCounts.of(new, ((c.development_id, c.fingerprint) for c in candidates))
    picked, _, _ = best_match(
        new,
        jurisdictions=["UK"],
        topics=["sovereignty"],
        relevant=True,
        candidates=candidates,
        names_counted=counts,
    )
    return picked


# (an event's first report, another outlet's report of it, an unrelated story that shares
# only the season's everyday words with the first)
_EVENTS = [
    (
        (
            "Department approves Fenwick Moor advanced computing centre",
            "The department approved construction of the Fenwick Moor advanced computing "
            "centre, a data centre with capacity for 20,000 accelerators, after a review by "
            "planning inspectors.",
        ),
        (
            "Green light for Fenwick Moor compute hub",
            "Ministers cleared the Fenwick Moor hub, which will house 20,000 accelerators, "
            "ending a two-year planning dispute with local councils.",
        ),
        (
            "Council approves investment in a data centre",
            "A city council approved investment in a data centre offering advanced computing "
            "capacity as part of its infrastructure plan; councillors said the site on a former "
            "airfield would bring 300 jobs, and residents asked for limits on night-time noise "
            "from backup generators.",
        ),
    ),
    (
        (
            "Treasury approves Brightwater sovereign model fund",
            "The Treasury approved the Brightwater fund, which will invest in national "
            "foundation models and advanced computing capacity at a data centre in Wales, with "
            "investment of 400 million pounds.",
        ),
        (
            "Brightwater fund to back home-grown language models",
            "A 400 million pound Brightwater fund will back home-grown language models, "
            "officials said, with the first grants due in the spring.",
        ),
        (
            "Operator approves data centre investment",
            "A telecoms operator approved investment in a data centre with advanced computing "
            "capacity to serve national infrastructure customers; the board also cut its "
            "dividend forecast and said fibre roll-out in rural areas would slow next year.",
        ),
    ),
]


@pytest.mark.parametrize(("first", "report", "unrelated"), _EVENTS)
def test_in_a_busy_season_everyday_words_tie_nothing_but_the_event_still_joins(
    first: tuple[str, str], report: tuple[str, str], unrelated: tuple[str, str]
) -> None:
    stored = _candidates([first], 1)
    alone = _pick(fingerprint(*unrelated), stored)
    busy = stored + _candidates(_BUSY_SEASON, 10)
    # The unrelated story shares enough everyday words with the event's first report to join
    # it when nothing else is near; among a season of stories holding the same words, not.
    assert alone == 1
    assert _pick(fingerprint(*unrelated), busy) is None
    # Another outlet's report of the event shares its rare words: it still joins.
    assert _pick(fingerprint(*report), busy) == 1


@pytest.mark.parametrize(("first", "report", "unrelated"), _EVENTS)
def test_a_shared_word_counts_less_the_more_candidate_developments_hold_it(
    first: tuple[str, str], report: tuple[str, str], unrelated: tuple[str, str]
) -> None:
    a, b = fingerprint(*first), fingerprint(*unrelated)
    season = [(10 + n, fingerprint(*s)) for n, s in enumerate(_BUSY_SEASON)]
    lone = NameCounts.of(b, [(1, a)])
    crowded = NameCounts.of(b, [(1, a), *season])
    for counts in (lone, crowded):
        counts.count_words(b.words)
    assert cluster.similarity(b, a, lone) == pytest.approx(cluster.similarity(b, a))
    assert cluster.similarity(b, a, crowded) < cluster.similarity(b, a) / 2
    held = crowded.word_holders
    assert held["comput"] == len(_BUSY_SEASON) + 1  # every story of the season holds it
    assert crowded.word_unit("comput") == pytest.approx(held["comput"] ** -cluster.WORD_RARITY)


def test_the_why_names_the_words_that_weighed_most_and_how_many_hold_the_common_ones() -> None:
    first, report, _ = _EVENTS[0]
    busy = _candidates([first], 1) + _candidates(_BUSY_SEASON, 10)
    new = fingerprint(*report)
    counts = NameCounts.of(new, ((c.development_id, c.fingerprint) for c in busy))
    picked, _, why = best_match(
        new, jurisdictions=["UK"], topics=["sovereignty"], relevant=True, candidates=busy,
        names_counted=counts,
    )  # fmt: skip
    assert picked == 1
    assert "names" in why and "fenwick" in why and "among 13 candidate developments" in why


# Reports whose ledes differ (a release's ceremony, a newswire's market angle) and whose
# specifics come later in the text.
_LATE_FACTS = [
    (
        (
            "Minister opens consultation on the future of public computing",
            "The minister today opened a consultation. "
            + "Stakeholders are invited to respond on priorities for public services. " * 9
            + "The proposal would create the Harrowgate Compute Reserve, holding 12,000 "
            "accelerators for universities, with applications assessed by the Harrowgate board.",
        ),
        (
            "Universities eye compute reserve as consultation opens",
            "Vice-chancellors welcomed the plan. "
            + "Researchers have long complained of queues for scarce processors at home. " * 9
            + "The Harrowgate Compute Reserve would hold 12,000 accelerators, and the "
            "Harrowgate board would assess applications from universities.",
        ),
    ),
    (
        (
            "Statement on the licensing of frontier model developers",
            "The authority has published its statement. "
            + "It sets out how developers should engage with the authority in future. " * 9
            + "Developers training models above the Kestrel threshold must register with the "
            "Kestrel registry within ninety days and file incident reports.",
        ),
        (
            "Model makers face registration deadline",
            "Large developers have three months to comply. "
            + "Lawyers said the timetable would be tight for smaller laboratories abroad. " * 9
            + "Models above the Kestrel threshold must be entered in the Kestrel registry "
            "within ninety days, with incident reports filed there.",
        ),
    ),
]


@pytest.mark.parametrize(("release", "report"), _LATE_FACTS)
def test_specifics_past_the_lede_tie_two_reports(
    release: tuple[str, str], report: tuple[str, str]
) -> None:
    a, b = fingerprint(*release), fingerprint(*report)
    assert {"harrow", "kestre"} & a.words & b.words  # words far past the first 90
    picked, _, why = best_match(
        b,
        jurisdictions=["UK"],
        topics=["regulation"],
        relevant=True,
        candidates=[Candidate(4, a, frozenset({"UK"}), frozenset({"regulation"}), True, 1)],
    )
    assert picked == 4, why


# (a policy item, a report of it whose topics were missed: an op-ed on it, a parliamentary
# record) and (a policy item, a negative using the domain's words).
_MISSED_TOPICS = [
    (
        (
            "Cabinet approves Sundara national compute mission",
            "The cabinet approved the Sundara mission with an outlay of 9,000 crore over five "
            "years to pool graphics processors for start-ups and universities in Chennai.",
        ),
        (
            "Sundara's processors will need people too",
            "Chennai's new mission will pool graphics processors for start-ups and universities. "
            "But the 9,000 crore outlay says little about who will train the engineers.",
        ),
    ),
    (
        (
            "Assembly passes Halvorsen algorithmic accountability bill",
            "The assembly passed the Halvorsen bill on 4 March, requiring audits of "
            "algorithmic systems used by public bodies.",
        ),
        (
            "Record of proceedings: third reading of the Halvorsen bill",
            "Third reading, 4 March: the Halvorsen bill on audits of algorithmic systems used "
            "by public bodies was agreed.",
        ),
    ),
]
_NEGATIVES = [
    (
        (
            "Commerce restricts exports of advanced chips to three countries",
            "The department added licence requirements for advanced chips and chipmaking "
            "equipment shipped to three countries.",
        ),
        (
            "Snack maker restricts exports of chips as potato harvest fails",
            "The company said exports of its chips to three countries would be cut after a "
            "poor harvest, and prices of advanced snack lines would rise.",
        ),
    ),
    (
        (
            "Government sets out sovereign compute strategy",
            "Ministers published a strategy for sovereign compute capacity, with investment in "
            "national data centres and model development.",
        ),
        (
            "Sovereign bond yields rise as government sets out borrowing strategy",
            "Yields on sovereign debt rose after ministers published a borrowing strategy with "
            "investment in national infrastructure.",
        ),
    ),
]


def _join_untagged(policy: tuple[str, str], other: tuple[str, str]) -> int | None:
    picked, _, _ = best_match(
        fingerprint(*other),
        jurisdictions=[],
        topics=[],
        relevant=False,
        candidates=[
            Candidate(6, fingerprint(*policy), frozenset({"IN"}), frozenset({"sovereignty"}), True, 9)
        ],
    )  # fmt: skip
    return picked


@pytest.mark.parametrize(("policy", "untagged"), _MISSED_TOPICS)
def test_a_report_whose_topics_were_missed_joins_on_a_shared_name(
    policy: tuple[str, str], untagged: tuple[str, str]
) -> None:
    assert fingerprint(*policy).names & fingerprint(*untagged).names
    assert _join_untagged(policy, untagged) == 6


@pytest.mark.parametrize(("policy", "negative"), _NEGATIVES)
def test_a_negative_using_the_domains_words_never_joins_on_words_alone(
    policy: tuple[str, str], negative: tuple[str, str]
) -> None:
    a, b = fingerprint(*policy), fingerprint(*negative)
    assert cluster.similarity(a, b) >= cluster.THRESHOLD_MIXED  # the words do agree...
    assert not (a.names & b.names) and not cluster.shared_facts(a, b)
    assert _join_untagged(policy, negative) is None  # ...which is not enough


_WORDS = st.frozensets(st.sampled_from(["alpha", "bravo", "charl", "delta", "echo", "foxtro"]))


@settings(max_examples=200, deadline=None)
@given(
    new=_WORDS,
    stored=st.lists(st.tuples(st.integers(0, 4), _WORDS), max_size=8),
    asked=st.lists(_WORDS, max_size=3),
)
def test_words_counted_on_demand_are_the_developments_holding_them(
    new: frozenset[str], stored: list[tuple[int, frozenset[str]]], asked: list[frozenset[str]]
) -> None:
    def fp(words: frozenset[str]) -> cluster.Fingerprint:
        empty: frozenset[str] = frozenset()
        return cluster.Fingerprint(words, empty, empty, empty, empty, empty)

    counts = NameCounts.of(fp(new), [(dev, fp(words)) for dev, words in stored])
    for words in asked:  # in several calls, as best_match may ask
        counts.count_words(words & new)
    for word in frozenset().union(*asked) & new:
        holding = {dev for dev, words in stored if word in words}
        assert counts.word_holders.get(word, 0) == len(holding)
        assert counts.word_unit(word) == pytest.approx(max(1, len(holding)) ** -cluster.WORD_RARITY)
