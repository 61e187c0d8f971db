"""Jurisdictions and topics of one text, with a confidence and the evidence.

One evidence model (each rule is a test in tests/bot/analysis/test_classify.py):
- Jurisdictions: every vocabulary match is a signal of a government, weighted by its kind,
  where it stands and its role (actor, target, passing); the source's own jurisdictions are a
  strong prior; `INTL` is added for a multilateral subject (`jurisdictions.py`).
- Relevance, then topics, is `topics.decide_topics`: a topic needs evidence in the item's own
  text (see that module); no topic means the item is not AI or chip policy, and then a
  jurisdiction is kept only when its government acts (an agency or law, or the headline).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analysis.jurisdictions import Found, decide
from bot.analysis.taxonomy import Match, Taxonomy
from bot.analysis.topics import TOPIC_ORDER, decide_topics


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
    found: list[Found] = []  # jurisdiction matches, scored by `jurisdictions.decide`
    topic_parts: list[tuple[str, str, list[Match]]] = []  # topics are decided in `topics`
    rules: list[str] = []

    for where, body in (("title", title), ("text", text)):
        matches = taxonomy.find(body)
        topic_parts.append((where, body, matches))
        for match in matches:
            if match.term.group == "jurisdiction":
                found.append(Found(where, body, match))

    decided = decide(found, taxonomy, hint_jurisdictions)
    j_score, j_evidence, governing = decided.scores, decided.signals, decided.governing
    jurisdictions = decided.codes
    rules.extend(decided.rules)

    topic_decision = decide_topics(
        topic_parts, taxonomy=taxonomy, multilateral=decided.multilateral, hint_topics=hint_topics
    )
    topics = topic_decision.topics
    rules.extend(topic_decision.rules)
    strongest = topic_decision.strongest
    t_score = topic_decision.scores
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
            t: {"score": round(t_score[t], 2), "terms": topic_decision.evidence.get(t, [])}
            for t in sorted(t_score, key=lambda t: -t_score[t])
            if t_score[t] > 0
        },
        "negatives": sorted(set(topic_decision.negatives)),
        "rules": rules,
    }
    return Classification(jurisdictions, topics, confidence, evidence)


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
    topics.sort(key=TOPIC_ORDER.index)
    return jurisdictions, topics
