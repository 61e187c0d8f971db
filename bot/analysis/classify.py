"""Jurisdictions and topics of one text, with a confidence and the evidence.

One evidence model (each rule is a test in tests/bot/analysis/test_classify.py):
- Every vocabulary match is a signal of a jurisdiction, weighted by its kind (agencies > laws
  > places > names > demonyms, weights in the taxonomy file) and by its role in the sentence:
  an **actor** counts fully, a **target** ("exports to China", "moves the UAE into") counts
  `weights.target`, a **passing** mention ("Chinese chipmakers", "the Paris summit")
  `weights.passing`. A signal in the title counts `weights.title` times, one that opens a
  sentence (the likely subject) `weights.subject` times.
- The source's own jurisdictions (its configuration) are a strong prior: `weights.source_hint`
  is added and the code is kept.
- A jurisdiction is an actor when its score reaches `thresholds.jurisdiction` and
  `thresholds.jurisdiction_ratio` of the strongest actor's, so both parties of a bilateral
  deal are kept while countries named in passing are not.
- `INTL` (multilateral bodies, summits, declarations) is added when the multilateral subject
  scores `thresholds.multilateral` (in the title, or named repeatedly); it never removes an
  actor.
- Relevance, then topics, is `topics.decide_topics`: a topic needs evidence in the item's own
  text (see that module); no topic means the item is not AI or chip policy, and then a
  jurisdiction is kept only when its government acts (an agency or law, or the headline).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.analysis.taxonomy import Match, Taxonomy
from bot.analysis.topics import TOPIC_ORDER, decide_topics

_SENTENCE_START = re.compile(r"(?:^|[.!?;:]\s+|\n)\s*$")
_FILLER_WORDS = {
    "the",
    "a",
    "an",
    "on",
    "friday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "saturday",
    "sunday",
    "today",
    "now",
    "meanwhile",
    "and",
    "but",
    "in",
    "then",
}
# Compiled once: these run per jurisdiction signal.
_WHITESPACE = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"^['’]s\b")
_LOWER_WORDS = re.compile(r"[a-z][a-z-]*")
_LETTER_WORDS = re.compile(r"[A-Za-z]+")
# A place naming an event ("the Paris AI summit") is not that government acting.
_EVENT_NOUNS = (
    "summit",
    "declaration",
    "talks",
    "communique",
    "communiqué",
    "process",
    "text",
    "document",
    "statement",
    "charter",
    "pledge",
    "principles",
    "agenda",
)
_MAX_REPEATS = 3  # a term repeated more than this adds nothing


@dataclass(frozen=True)
class Classification:
    jurisdictions: list[str]
    topics: list[str]
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def relevant(self) -> bool:
        return bool(self.topics)


def _role(text: str, match: Match, taxonomy: Taxonomy) -> str:
    """actor | target | passing, from the words around a jurisdiction signal."""
    before = text[max(0, match.start - 30) : match.start].lower()
    before = _WHITESPACE.sub(" ", before)
    target_before = _target_before_pattern(taxonomy.target_before)
    if target_before is not None and target_before.search(before):
        return "target"
    after = text[match.end : match.end + 30]
    if after.lower().startswith(_lowered(taxonomy.target_after)):
        return "target"
    if _COMPARISON.search(_sentence_of(text, match)):
        return "passing"  # "Europe, by contrast, is debating its AI Act": a comparison
    if match.term.kind in ("demonyms", "places", "names"):
        if match.term.kind == "places" and _VENUE.search(before):
            return "passing"  # "the talks at Bletchley Park": a venue, not its government
        if _PARTICIPANTS.search(_sentence_of(text, match)):
            return "passing"  # "China and the US were among the signatories": participants
        if _POSSESSIVE.match(after) and not _is_subject(text, match):
            return "passing"  # "Beijing's supply": a possessive outside the subject
        tail = _POSSESSIVE.sub("", after).lower()
        words = _LOWER_WORDS.findall(tail)[:3]
        if any(" ".join(words[:n]) in taxonomy.company_nouns for n in (1, 2, 3)):
            return "passing"
        # "Dutch potato processors": a demonym qualifies a noun phrase ending in a company noun.
        if match.term.kind == "demonyms" and any(w in taxonomy.company_nouns for w in words[1:3]):
            return "passing"
        # "the Paris AI summit": a place naming an event is not its government acting.
        if any(w in _EVENT_NOUNS for w in words[:3]):
            return "passing"
    return "actor"


@lru_cache(maxsize=8)
def _lowered(words: tuple[str, ...]) -> tuple[str, ...]:
    """`words` lowercased, once per taxonomy: `startswith` takes them all in one call."""
    return tuple(w.lower() for w in words)


@lru_cache(maxsize=8)
def _target_before_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of `words` right before the signal (one search instead of one per word)."""
    if not words:
        return None
    body = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?:^|\W)(?:{body})\s+(?:the\s+)?$")


def _sentence_of(text: str, match: Match) -> str:
    left = max(text.rfind(". ", 0, match.start), text.rfind("\n", 0, match.start))
    right = text.find(". ", match.end)
    return text[left + 1 : right if right >= 0 else len(text)]


_VENUE = re.compile(r"\bat(?: the)? $")
# A sentence listing who took part names participants, not the government acting.
_PARTICIPANTS = re.compile(
    r"\b(?:among the (?:signatories|participants)|signatories include|attending governments)\b",
    re.IGNORECASE,
)


# A sentence comparing with another government's regime names it in passing: "the second
# jurisdiction after the European Union", "unlike the GDPR", "Europe, by contrast, ...".
_COMPARISON = re.compile(
    r"\b(?:by contrast|in contrast|unlike|compared (?:with|to)|in comparison|similar to|"
    r"modell?ed on|(?:second|third|first) (?:\w+ )?(?:after|behind|following))\b",
    re.IGNORECASE,
)


def _is_subject(text: str, match: Match) -> bool:
    """The signal opens its sentence, possibly after other names ("The US and the UAE")."""
    prefix = text[: match.start]
    cut = max(
        prefix.rfind(". "),
        prefix.rfind("\n"),
        prefix.rfind("? "),
        prefix.rfind("! "),
        prefix.rfind(": "),
    )
    lead = prefix[cut + 1 :] if cut >= 0 else prefix
    words = _LETTER_WORDS.findall(lead)
    if len(words) > 6:
        return False
    return all(w.lower() in _FILLER_WORDS or w.lower() == "both" or w[:1].isupper() for w in words)


def classify(
    title: str,
    text: str,
    *,
    taxonomy: Taxonomy,
    hint_jurisdictions: Iterable[str] = (),
    hint_topics: Iterable[str] = (),
) -> Classification:
    weights = taxonomy.weights
    thresholds = taxonomy.thresholds
    j_score: dict[str, float] = defaultdict(float)
    j_evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    repeats: dict[tuple[str, str, str], int] = defaultdict(int)
    rules: list[str] = []
    topic_parts: list[tuple[str, str, list[Match]]] = []  # topics are decided in `topics`

    for where, body in (("title", title), ("text", text)):
        place_factor = weights.get("title", 2.0) if where == "title" else 1.0
        found = taxonomy.find(body)
        topic_parts.append((where, body, found))
        for match in found:
            term = match.term
            if term.group != "jurisdiction":
                continue
            key = (term.group, term.label, term.text.lower())
            repeats[key] += 1
            if repeats[key] > _MAX_REPEATS:
                continue
            role = _role(body, match, taxonomy)
            factor = place_factor
            if role == "target":
                factor *= weights.get("target", 0.0) if term.kind != "agencies" else 0.5
            elif role == "passing":
                factor *= weights.get("passing", 0.25)
            elif _is_subject(body, match):
                factor *= weights.get("subject", 1.5)
            gained = term.weight * factor
            j_score[term.label] += gained
            if len(j_evidence[term.label]) < 10:
                j_evidence[term.label].append(
                    {
                        "term": match.matched,
                        "where": where,
                        "kind": term.kind,
                        "role": role,
                        "score": round(gained, 2),
                    }
                )

    hinted = [c for c in dict.fromkeys(hint_jurisdictions) if c != "INTL"]
    for code in hinted:
        gained = weights.get("source_hint", 4.0)
        j_score[code] += gained
        j_evidence[code].append(
            {"term": "source", "where": "source", "kind": "hint", "role": "prior", "score": gained}
        )

    # A source's own jurisdiction gives way only to strong contrary evidence: another
    # government's institution acting strongly while the text never names the source's own.
    strongest_other = {
        c: sum(
            x["score"]
            for x in signals
            if x["role"] == "actor" and x["kind"] in ("agencies", "laws")
        )
        for c, signals in j_evidence.items()
        if c != "INTL"
    }
    for code in list(hinted):
        own = j_score[code] - weights.get("source_hint", 4.0)
        rival = max((v for c, v in strongest_other.items() if c != code), default=0.0)
        if own <= 0 and rival >= thresholds.get("override_hint", 6.0):
            hinted.remove(code)
            j_score[code] = 0.0
            rules.append(
                f"{code}: the source's prior overridden (another government acts, {rival:.2f})"
            )
    jurisdictions = _actors(j_score, hinted, thresholds, rules)
    governing = {
        c
        for c, signals in j_evidence.items()
        for s in signals
        if s["role"] in ("actor", "prior")
        and (s["kind"] in ("agencies", "laws", "hint") or s["where"] == "title")
    }
    intl = j_score.get("INTL", 0.0)
    multilateral = intl >= thresholds.get("multilateral", 6.0)
    if multilateral:
        jurisdictions.append("INTL")
        rules.append(f"INTL: multilateral subject ({intl:.2f})")
    elif intl > 0:
        rules.append(f"INTL: multilateral words in passing ({intl:.2f}), not the subject")

    decided = decide_topics(
        topic_parts, taxonomy=taxonomy, multilateral=multilateral, hint_topics=hint_topics
    )
    topics = decided.topics
    rules.extend(decided.rules)
    strongest = decided.strongest
    t_score = decided.scores
    if not topics:
        # Not AI policy: a jurisdiction needs its government acting (an agency or law, or
        # named in the headline), not a market or a city named in a report.
        for code in jurisdictions:
            if code not in governing:
                rules.append(f"{code}: not AI policy and no government acting")
        jurisdictions = [c for c in jurisdictions if c in governing]
    jurisdictions.sort(key=lambda c: -j_score[c])

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
            t: {"score": round(t_score[t], 2), "terms": decided.evidence.get(t, [])}
            for t in sorted(t_score, key=lambda t: -t_score[t])
            if t_score[t] > 0
        },
        "negatives": sorted(set(decided.negatives)),
        "rules": rules,
    }
    return Classification(jurisdictions, topics, confidence, evidence)


def _actors(
    scores: dict[str, float], hinted: list[str], thresholds: dict[str, float], rules: list[str]
) -> list[str]:
    """The acting governments: the source's own (a prior), and every other whose score is at
    least the minimum and a share of the strongest actor's."""
    governments = {c: v for c, v in scores.items() if c != "INTL"}
    kept = list(hinted)
    for code in hinted:
        rules.append(f"{code}: the source's own jurisdiction (prior)")
    top = max(governments.values(), default=0.0)
    minimum = thresholds.get("jurisdiction", 2.0)
    ratio = thresholds.get("jurisdiction_ratio", 0.34)
    for code, value in governments.items():
        if code in kept:
            continue
        if value >= minimum and value >= ratio * top:
            kept.append(code)
        elif value > 0:
            rules.append(f"{code}: {value:.2f} is below {max(minimum, ratio * top):.2f}")
    return kept


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
