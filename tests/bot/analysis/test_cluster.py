"""Near-duplicate rules: same event joins, related-but-different events stay apart."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis import cluster
from bot.analysis.cluster import Candidate, best_match, conflict, fingerprint, similarity

RULE = (
    "Commerce adds 40 Chinese chip firms to the Entity List",
    "The Bureau of Industry and Security added 40 Chinese semiconductor companies, including "
    "memory makers and tool suppliers, to the Entity List on Monday, citing support for military "
    "modernisation. Exporters need a licence for all items subject to the EAR.",
)
REPORT = (
    "US blacklists 40 Chinese chipmakers in new Entity List round",
    "Washington on Monday put 40 Chinese semiconductor firms, among them memory makers and "
    "equipment suppliers, on its Entity List, saying they supported military modernisation.",
)
SUSPENSION = (
    "Commerce suspends Entity List additions of 40 Chinese chip firms for a year",
    "The Bureau of Industry and Security suspended for one year the Entity List additions of 40 "
    "Chinese semiconductor companies, after trade talks.",
)
OTHER = (
    "Japan widens controls on chipmaking tools",
    "METI added 23 types of lithography and deposition equipment to its export licence list.",
)


def _cand(title_text: tuple[str, str], dev: int, days: float = 1.0) -> Candidate:
    return Candidate(
        development_id=dev,
        fingerprint=fingerprint(*title_text),
        jurisdictions=frozenset({"US"}),
        topics=frozenset({"export-controls"}),
        relevant=True,
        days_apart=days,
    )


def test_two_reports_of_one_event_are_similar() -> None:
    assert similarity(fingerprint(*RULE), fingerprint(*REPORT)) > similarity(
        fingerprint(*RULE), fingerprint(*OTHER)
    )


def test_a_report_joins_the_development_of_the_same_event() -> None:
    dev, score, why = best_match(
        fingerprint(*REPORT),
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_cand(RULE, 1), _cand(OTHER, 2)],
    )
    assert dev == 1
    assert score > 0 and "similarity" in why


def test_an_action_on_an_earlier_action_is_a_separate_development() -> None:
    assert conflict(fingerprint(*SUSPENSION), fingerprint(*RULE)) is not None
    dev, _, _ = best_match(
        fingerprint(*SUSPENSION),
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_cand(RULE, 1, days=30)],
    )
    assert dev is None


def test_different_document_numbers_mean_different_events() -> None:
    a = fingerprint("Rule on chips", "FR Doc. 2024-21093 adds controls on AI chips.")
    b = fingerprint("Rule on chips", "FR Doc. 2024-19633 adds controls on AI chips.")
    assert conflict(a, b) == "different document numbers"


def test_items_without_a_shared_jurisdiction_or_topic_never_join() -> None:
    dev, _, _ = best_match(
        fingerprint(*REPORT),
        jurisdictions=["CN"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_cand(RULE, 1)],
    )
    assert dev is None


def test_a_policy_item_never_joins_a_non_policy_one_on_words_alone() -> None:
    dev, _, _ = best_match(
        fingerprint(*REPORT),
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[Candidate(1, fingerprint(*RULE), frozenset({"US"}), frozenset(), False, 1.0)],
    )
    assert dev is None


LOOSE_REPORT = (
    "Washington widens chip blacklist to memory makers",
    "Officials blocked sales by suppliers to forty more companies in a new round, citing army "
    "modernisation, according to a notice seen by reporters.",
)


def test_far_apart_items_need_a_higher_similarity() -> None:
    report = fingerprint(*LOOSE_REPORT)
    score = similarity(report, fingerprint(*RULE))
    # Enough within two weeks, not enough six weeks apart.
    assert cluster.THRESHOLD_NEAR < score < cluster.THRESHOLD_FAR
    near, _, _ = best_match(
        report,
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_cand(RULE, 1, days=2)],
    )
    far, _, _ = best_match(
        report,
        jurisdictions=["US"],
        topics=["export-controls"],
        relevant=True,
        candidates=[_cand(RULE, 1, days=40)],
    )
    assert (near, far) == (1, None)


_PHRASES = st.sampled_from(
    [
        "Commerce adds entities",
        "chip export rule",
        "H20 sales",
        "3A090 licence",
        "$5 billion fund",
        "2025-01234 notice",
        "suspension of the rule",
        "sovereign compute plan",
        "data centre",
        "the",
    ]
)
_LEDES = st.lists(_PHRASES, min_size=1, max_size=6).map(" ".join)


@given(a=_LEDES, b=_LEDES, days=st.floats(min_value=-45, max_value=45), relevant=st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_pair_that_may_not_match_is_never_matched(
    a: str, b: str, days: float, relevant: bool
) -> None:
    new, stored = cluster.fingerprint(a, a), cluster.fingerprint(b, b)
    candidate = cluster.Candidate(
        development_id=1,
        fingerprint=stored,
        jurisdictions=frozenset({"US"}),
        topics=frozenset({"export-controls"} if relevant else set()),
        relevant=relevant,
        days_apart=days,
    )
    matched, _, _ = cluster.best_match(
        new,
        jurisdictions=["US"],
        topics=["export-controls"] if relevant else [],
        relevant=relevant,
        candidates=[candidate],
    )
    if not cluster.may_join(new, stored):
        assert matched is None


def _reference_fingerprint(title: str, text: str) -> cluster.Fingerprint:
    """`fingerprint` without its caches and pre-checks: every regex over every text."""
    lede = " ".join(text.split()[: cluster.LEDE_WORDS])
    kept = (
        cluster._stem(w)
        for w in cluster._WORD.findall(f"{title}. {lede}")
        if w.lower() not in cluster._STOP and len(w) > 2
    )
    full = f"{title}. {text}"
    return cluster.Fingerprint(
        words=frozenset(s for s in kept if s not in cluster._COMMON),
        docs=frozenset(cluster._norm_doc(m) for m in cluster._DOC_NUMBER.pattern.findall(full)),
        codes=frozenset(m.upper() for m in cluster._CODE.findall(full) if not m.isdigit()),
        money=frozenset(
            re.sub(r"[\s,]", "", m.lower()) for m in cluster._MONEY.pattern.findall(full)
        ),
        modifiers=frozenset(k for k, rx in cluster._MODIFIERS.items() if rx.pattern.search(title)),
        mentions=frozenset(k for k, rx in cluster._MODIFIERS.items() if rx.pattern.search(full)),
        names=cluster.distinctive(title, text),
    )


# Tokens at the edges of every pre-check: codes, document numbers, amounts, modifiers, and the
# non-ASCII letters that IGNORECASE matches to ASCII ones ("ſuspended" is a suspension).
_TRICKY_WORDS = (
    "H20 h20 3A090 A100 a1b2 AB12C 5G 1234 12345 2023-12345 2024/1689 88 FR 12345 No. 12 "
    "no.7 Announcement No. 3 EO 14110 Executive Order 14110 $5bn € 3,000 million £10m "
    "5 billion dollars 7 trillion yuan bıllion suspended SUSPENDED ſuspended paused delayed "
    "comment period is extended extends the comment period REVOKES rescinded withdrawn "
    "repeal corrections technical amendments licence centre's İ ı K ſ ß é ١٢٣٤٥ 2,5 the "
    "Entity List chips , . - ' ’ \n"
)
_TRICKY = st.sampled_from(_TRICKY_WORDS.split(" "))
_TEXTS = st.lists(_TRICKY, max_size=40).map(" ".join)


@given(title=_TEXTS, text=_TEXTS)
@settings(max_examples=2000, deadline=None)
def test_fingerprint_fast_paths_change_nothing(title: str, text: str) -> None:
    assert cluster.fingerprint(title, text) == _reference_fingerprint(title, text)


_FACT_WORDS = [
    "export", "chips", "entity", "list", "nvidia", "h20", "3A090", "2025-1234",
    "suspends", "comment", "period", "sovereign", "compute", "cloud", "$5bn",
]  # fmt: skip
_FACT_TEXTS = st.lists(st.sampled_from(_FACT_WORDS), min_size=1, max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_FACT_TEXTS, _FACT_TEXTS, st.floats(-40, 40), st.booleans(), st.booleans())
def test_may_join_never_rules_out_a_candidate_best_match_would_pick(
    a: str, b: str, days: float, same_source: bool, relevant: bool
) -> None:
    new, old = fingerprint(a, a), fingerprint(b, b)
    jurisdictions = frozenset({"US"})
    topics = frozenset({"export-controls"} if relevant else set())
    candidate = Candidate(1, old, jurisdictions, topics, relevant, days, same_source)
    picked, _, _ = best_match(
        new, jurisdictions=jurisdictions, topics=topics, relevant=relevant, candidates=[candidate]
    )
    if picked is not None:
        assert cluster.may_join(new, old)


@settings(max_examples=300, deadline=None)
@given(_FACT_TEXTS, st.lists(_FACT_TEXTS, max_size=6))
def test_joinable_is_may_join_for_each_stored_item(new: str, stored: list[str]) -> None:
    fingerprints = [fingerprint(text, text) for text in stored]
    mine = fingerprint(new, new)
    assert cluster.joinable(mine, fingerprints) == [
        cluster.may_join(mine, other) for other in fingerprints
    ]
