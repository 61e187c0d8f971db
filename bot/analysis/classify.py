"""Jurisdictions and topics of one text, with a confidence and the evidence.

One evidence model (each rule is a test in tests/bot/analysis/test_classify.py):
- Jurisdictions: every vocabulary match is a signal of a government, weighted by its kind,
  where it stands and its role (actor, target, passing); the source's own jurisdictions are a
  strong prior; `INTL` is added for a multilateral subject (`jurisdictions.py`).
- Relevance first: an item is AI or chip policy when it has the context (AI, chips, compute,
  critical minerals). Topics then need evidence in the item's own text: weighted terms, a
  legal instrument about AI (an act, law, bill or order on AI is `regulation`), and summit
  words only when the summit is the subject. Negative phrases ("potato chips", "sovereign
  bonds") hide the words they contain, and `negatives.veto_count` of them veto weak topics.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analysis.jurisdictions import Found, decide
from bot.analysis.taxonomy import Taxonomy

_MAX_REPEATS = 3  # a term repeated more than this adds nothing
_STRONG_TOPIC = 7.0  # topic evidence this strong survives negative phrases
_TOPIC_ORDER = ("export-controls", "sovereignty", "regulation", "data-protection")


@dataclass(frozen=True)
class Classification:
    jurisdictions: list[str]
    topics: list[str]
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def relevant(self) -> bool:
        return bool(self.topics)


def classify(
    title: str,
    text: str,
    *,
    taxonomy: Taxonomy,
    hint_jurisdictions: Iterable[str] = (),
    hint_topics: Iterable[str] = (),
) -> Classification:
    thresholds = taxonomy.thresholds
    found: list[Found] = []  # jurisdiction matches, scored by `jurisdictions.decide`
    t_score: dict[str, float] = defaultdict(float)
    t_evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    contexts: set[str] = set()
    negatives: list[str] = []
    repeats: dict[tuple[str, str, str], int] = defaultdict(int)
    rules: list[str] = []
    multilateral_terms: list[tuple[str, float, str]] = []  # summit words as topic evidence

    for where, body in (("title", title), ("text", text)):
        for match in taxonomy.find(body):
            term = match.term
            if term.group == "negative":
                negatives.append(match.matched)
                continue
            if term.group == "context":
                contexts.add(term.label)
                continue
            if term.group == "jurisdiction":
                found.append(Found(where, body, match))
                continue
            key = (term.group, term.label, term.text.lower())
            repeats[key] += 1
            if repeats[key] > _MAX_REPEATS:
                continue
            if term.group == "topic":
                gained = term.weight * (1.5 if where == "title" else 1.0)
                if term.text.lower() in _MULTILATERAL_TOPIC_WORDS:
                    multilateral_terms.append((term.label, gained, match.matched))
                    continue
                t_score[term.label] += gained
                if len(t_evidence[term.label]) < 12:
                    t_evidence[term.label].append({"term": match.matched, "where": where})
                continue
    for topic in hint_topics:
        if topic in t_score:
            t_score[topic] += 1.0
            t_evidence[topic].append({"term": "source hint", "where": "source"})

    decided = decide(found, taxonomy, hint_jurisdictions)
    j_score, j_evidence, governing = decided.scores, decided.signals, decided.governing
    jurisdictions = decided.codes
    rules.extend(decided.rules)
    if decided.multilateral:
        for topic, gained, matched in multilateral_terms:
            t_score[topic] += gained
            t_evidence[topic].append({"term": matched, "where": "multilateral subject"})

    _instrument_evidence(title, text, contexts, t_score, t_evidence, rules)
    _capacity_evidence(title, text, t_score, t_evidence, rules)
    # Topics need their context: export-control words about rice or firearms are not AI policy.
    for topic in list(t_score):
        need = taxonomy.topic_requires.get(topic, "none")
        if need != "none" and need not in contexts:
            if t_score[topic] > 0:
                rules.append(f"{topic}: no {need} context")
            t_score[topic] = 0.0
    topics = _pick(
        t_score, minimum=thresholds.get("topic", 2.0), ratio=thresholds.get("topic_ratio", 0.3)
    )
    strongest = max(t_score.values(), default=0.0)
    if topics and len(negatives) >= taxonomy.veto_count and strongest < _STRONG_TOPIC:
        rules.append(f"negative vocabulary ({', '.join(sorted(set(negatives))[:5])})")
        topics = []
    topics.sort(key=_TOPIC_ORDER.index)
    if not topics:
        # Not AI policy: a jurisdiction needs its government acting (an agency or law, or
        # named in the headline), not a market or a city named in a report.
        for code in jurisdictions:
            if code not in governing:
                rules.append(f"{code}: not AI policy and no government acting")
        jurisdictions = [c for c in jurisdictions if c in governing]
    jurisdictions.sort(key=lambda c: -j_score.get(c, 0.0))

    top_j = max((j_score[c] for c in jurisdictions), default=0.0)
    conf_t = strongest / (strongest + 4.0) if topics else 0.5
    conf_j = top_j / (top_j + 4.0) if jurisdictions else 0.5
    confidence = round(min(conf_t, conf_j) if topics else conf_j * 0.5 + 0.25, 3)
    evidence: dict[str, Any] = {
        "jurisdictions": {
            c: {"score": round(j_score[c], 2), "signals": j_evidence[c]}
            # Zero scores stay: they explain why a country named as a target is not tagged.
            for c in sorted(j_score, key=lambda c: -j_score[c])
        },
        "topics": {
            t: {"score": round(t_score[t], 2), "terms": t_evidence[t]}
            for t in sorted(t_score, key=lambda t: -t_score[t])
            if t_score[t] > 0
        },
        "negatives": sorted(set(negatives)),
        "rules": rules,
    }
    return Classification(jurisdictions, topics, confidence, evidence)


def _instrument_evidence(
    title: str,
    text: str,
    contexts: set[str],
    t_score: dict[str, float],
    t_evidence: dict[str, list[dict[str, Any]]],
    rules: list[str],
) -> None:
    """An act, law, bill, order or statute about AI is AI regulation even without the
    taxonomy's phrases: the instrument and AI in one sentence of the title or lede."""
    if "ai" not in contexts:
        return
    for where, body in (("title", title), ("text", text[:_LEDE_CHARS])):
        for sentence in _SENTENCE_SPLIT.split(body):
            instrument = _INSTRUMENT.search(sentence)
            if instrument and _AI_WORDS.search(sentence):
                gained = _INSTRUMENT_WEIGHT * (1.5 if where == "title" else 1.0)
                t_score["regulation"] += gained
                t_evidence["regulation"].append(
                    {"term": f"{instrument.group(0)} on AI", "where": where}
                )
                rules.append(f"regulation: a legal instrument about AI ({instrument.group(0)})")
                return


def _capacity_evidence(
    title: str,
    text: str,
    t_score: dict[str, float],
    t_evidence: dict[str, list[dict[str, Any]]],
    rules: list[str],
) -> None:
    """National AI capacity or a dependence on foreign suppliers is sovereignty even without
    the taxonomy's phrases: in one sentence of the title or lede, a capacity word (compute,
    GPUs, cloud, a data centre, a campus) with a public or national owner, or a dependence
    with "foreign"."""
    for where, body in (("title", title), ("text", text[:_LEDE_CHARS])):
        for sentence in _SENTENCE_SPLIT.split(body):
            capacity = _CAPACITY.search(sentence)
            owner = _PUBLIC_OWNER.search(sentence) if capacity else None
            dependence = _DEPENDENCE.search(sentence)
            foreign = _FOREIGN.search(sentence) if dependence else None
            if (capacity and owner) or (dependence and foreign):
                found = (
                    f"{owner.group(0)} {capacity.group(0)}"
                    if capacity and owner
                    else f"{dependence.group(0) if dependence else ''} on foreign"
                )
                gained = _INSTRUMENT_WEIGHT * (1.5 if where == "title" else 1.0)
                t_score["sovereignty"] += gained
                t_evidence["sovereignty"].append({"term": found, "where": where})
                rules.append(f"sovereignty: national capacity or foreign dependence ({found})")
                return


_LEDE_CHARS = 600
# National AI capacity: what is built, and who owns it, in one sentence.
_CAPACITY = re.compile(
    r"\b(?:compute|computing (?:power|capacity|infrastructure)|GPUs?|graphics processors|"
    r"supercomput(?:er|ers|ing)|cloud|data cent(?:re|er)s?|(?:AI )?campus(?:es)?)\b",
    re.IGNORECASE,
)
_PUBLIC_OWNER = re.compile(
    r"\b(?:national|nationwide|sovereign|public(?:ly funded)?|state-(?:backed|owned|funded)|"
    r"government-(?:backed|funded|owned)|domestic|home-grown|homegrown)\b",
    re.IGNORECASE,
)
_DEPENDENCE = re.compile(
    r"\b(?:dependen(?:ce|cy|cies|t)|relian(?:ce|t)|rel(?:y|ies|ying) on|exposure)\b",
    re.IGNORECASE,
)
_FOREIGN = re.compile(
    r"\b(?:foreign|overseas|outside (?:the|its|their) (?:country|bloc))\b", re.IGNORECASE
)
_INSTRUMENT_WEIGHT = 2.0
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_INSTRUMENT = re.compile(
    r"\b(?:act|law|statute|bill|executive order|decree|legislation|framework act)\b",
    re.IGNORECASE,
)
_AI_WORDS = re.compile(
    r"\b(?:AI|A\.I\.|artificial intelligence|machine intelligence|machine learning|"
    r"algorithm(?:s|ic)?|generative)\b"
)
# Summit words support `regulation` only when the summit is the item's subject (INTL tagged):
# a summit named in passing does not make an investment plan AI regulation.
_MULTILATERAL_TOPIC_WORDS = frozenset(
    {
        "summit",
        "ai summit",
        "ai safety summit",
        "ai action summit",
        "declaration",
        "communique",
        "communiqué",
    }
)


def _pick(scores: dict[str, float], *, minimum: float, ratio: float) -> list[str]:
    if not scores:
        return []
    top = max(scores.values())
    if top < minimum:
        return []
    return [k for k, v in scores.items() if v >= minimum and v >= ratio * top]


def merge_classifications(parts: Sequence[Classification]) -> tuple[list[str], list[str]]:
    """Development tags from its items' tags: the union, strongest items first."""
    jurisdictions: list[str] = []
    topics: list[str] = []
    for part in parts:
        for code in part.jurisdictions:
            if code not in jurisdictions:
                jurisdictions.append(code)
        for topic in part.topics:
            if topic not in topics:
                topics.append(topic)
    topics.sort(key=_TOPIC_ORDER.index)
    return jurisdictions, topics
