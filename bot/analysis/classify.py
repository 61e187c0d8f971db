"""Jurisdictions and topics of one text, with a confidence and the evidence.

Rules (each is a test in tests/bot/analysis/test_classify.py):
- Every vocabulary match is a signal with a weight by kind: agencies > laws > places > names
  > demonyms (weights in the taxonomy file).
- Actor vs target: a jurisdiction named after "to", "against", "exports to", "bound for"...
  or before "-bound" is a target and counts `weights.target` (0 by default); a demonym or place
  before a company noun ("Chinese chipmakers", "Korean firms") is named in passing and counts
  `weights.passing`. A signal in the title counts `weights.title` times, one that opens a
  sentence (the likely subject) `weights.subject` times.
- A jurisdiction is tagged when its score reaches `thresholds.jurisdiction` and at least
  `thresholds.jurisdiction_ratio` of the strongest one's, so several actors (a bilateral deal)
  are kept while countries named in passing are not. The source's own jurisdictions are a
  prior (`weights.source_hint`), not an override.
- Summits: an item tagged INTL also carries a government named as host ("UK-hosted").
- Topics: weighted terms; a topic needs its context (export controls only for chips, chip
  tools, computing, AI or critical minerals) and a score of `thresholds.topic`. Negative
  phrases ("potato chips", "sovereign bonds", "farm exports") hide the words they contain,
  and with `negatives.veto_count` of them and weak topic evidence the item is not AI policy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.analysis.taxonomy import Match, Taxonomy

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
_EVENT_WORDS = re.compile(r"[a-zé]+")
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
    if match.term.kind in ("demonyms", "places", "names"):
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


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start), text.rfind("? ", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    return (left + 1 if left >= 0 else 0), (
        min(right_candidates) if right_candidates else len(text)
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
    t_score: dict[str, float] = defaultdict(float)
    t_evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    contexts: set[str] = set()
    negatives: list[str] = []
    repeats: dict[tuple[str, str, str], int] = defaultdict(int)
    rules: list[str] = []
    institutional: set[str] = set()  # an agency, law or seat of government acting
    governing: set[str] = set()  # an agency or law acting (places can be markets: "London")
    subject: set[str] = set()  # opens a sentence of the title
    declined: set[str] = set()  # acting in a sentence that says it declined or refused

    for where, body in (("title", title), ("text", text)):
        place_factor = weights.get("title", 2.0) if where == "title" else 1.0
        for match in taxonomy.find(body):
            term = match.term
            if term.group == "negative":
                negatives.append(match.matched)
                continue
            if term.group == "context":
                contexts.add(term.label)
                continue
            key = (term.group, term.label, term.text.lower())
            repeats[key] += 1
            if repeats[key] > _MAX_REPEATS:
                continue
            if term.group == "topic":
                t_score[term.label] += term.weight * (1.5 if where == "title" else 1.0)
                if len(t_evidence[term.label]) < 12:
                    t_evidence[term.label].append({"term": match.matched, "where": where})
                continue
            role = _role(body, match, taxonomy)
            factor = place_factor
            if role == "target":
                factor *= weights.get("target", 0.0) if term.kind != "agencies" else 0.5
            elif role == "passing":
                factor *= weights.get("passing", 0.25)
            elif _is_subject(body, match):
                factor *= weights.get("subject", 1.5)
                if where == "title" and term.kind != "demonyms":
                    subject.add(term.label)
            if role == "actor":
                if term.kind in ("agencies", "laws", "places"):
                    institutional.add(term.label)
                if term.kind in ("agencies", "laws"):
                    governing.add(term.label)
                lo, hi = _sentence_bounds(body, match.start, match.end)
                sentence = body[lo:hi].lower()
                if any(w in sentence for w in taxonomy.decline_words):
                    declined.add(term.label)
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

    for code in hint_jurisdictions:
        j_score[code] += weights.get("source_hint", 2.0)
        j_evidence[code].append({"term": "source hint", "where": "source", "kind": "hint"})
    for topic in hint_topics:
        if topic in t_score:
            t_score[topic] += 1.0
            t_evidence[topic].append({"term": "source hint", "where": "source"})

    minimum = thresholds.get("jurisdiction", 3.0)
    jurisdictions = _pick(
        j_score, minimum=minimum, ratio=thresholds.get("jurisdiction_ratio", 0.34)
    )
    # Multilateral context is not in competition with the actors: INTL needs only the minimum.
    if "INTL" not in jurisdictions and j_score.get("INTL", 0.0) >= minimum:
        jurisdictions.append("INTL")
    # A meeting of two governments ("a truce agreed at their summit") is not multilateral
    # unless a multilateral body or instrument is named.
    if "INTL" in jurisdictions and _BILATERAL.search(f"{title}\n{text}"):
        specific = [
            s
            for s in j_evidence["INTL"]
            if s.get("kind") == "agencies" or s.get("term", "").lower() not in _GENERIC_INTL
        ]
        if not specific:
            jurisdictions.remove("INTL")
            rules.append("INTL: a bilateral meeting, not a multilateral one")
            jurisdictions = _pick(
                {k: v for k, v in j_score.items() if k != "INTL"},
                minimum=minimum,
                ratio=thresholds.get("jurisdiction_ratio", 0.34),
            )
    top = max(jurisdictions, key=lambda c: j_score[c], default=None)
    if "INTL" in jurisdictions:
        # A summit item carries INTL, the host (when it covers the hosting) and governments
        # whose own decision is the subject (declining the declaration); signatories named in
        # passing are not actors.
        # When the subject is a government's own decision (declining), the item covers that
        # decision, not the hosting.
        host = None if declined - {"INTL"} else _summit_host(title, text, taxonomy)
        kept = ["INTL"]
        for code in jurisdictions + ([host] if host else []):
            if code in kept:
                continue
            if code == host or code in declined:
                kept.append(code)
                rules.append(f"summit: {code} " + ("host" if code == host else "declined"))
            else:
                rules.append(f"summit: {code} named, not acting")
        jurisdictions = kept
    else:
        kept = []
        for code in jurisdictions:
            close = j_score[code] >= 0.6 * j_score[top] if top else False
            if code == top or code in institutional or code in subject or close:
                kept.append(code)
            else:
                rules.append(f"{code}: named only, no institution acting")
        jurisdictions = kept

    # Topics need their context: export-control words about rice or firearms are not AI policy.
    for topic in list(t_score):
        need = taxonomy.topic_requires.get(topic, "none")
        if need != "none" and need not in contexts:
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
        # Not AI policy: tag a jurisdiction only when its government acts (an OFAC designation,
        # a national export ban), not a market or a place named in a report.
        acting = [c for c in jurisdictions if c in governing or c in subject]
        # In the order found (a set's order varies between processes: the stored evidence
        # would not be byte-stable).
        rules.extend(
            f"{code}: not AI policy and no government acting"
            for code in jurisdictions
            if code not in acting
        )
        jurisdictions = acting
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
            t: {"score": round(t_score[t], 2), "terms": t_evidence[t]}
            for t in sorted(t_score, key=lambda t: -t_score[t])
            if t_score[t] > 0
        },
        "negatives": sorted(set(negatives)),
        "rules": rules,
    }
    return Classification(jurisdictions, topics, confidence, evidence)


def _pick(scores: dict[str, float], *, minimum: float, ratio: float) -> list[str]:
    if not scores:
        return []
    top = max(scores.values())
    if top < minimum:
        return []
    return [k for k, v in scores.items() if v >= minimum and v >= ratio * top]


_BILATERAL = re.compile(
    r"\b(?:bilateral|truce|between the two|two leaders|both leaders|leaders of the two)\b",
    re.IGNORECASE,
)
_GENERIC_INTL = frozenset(
    {
        "summit",
        "communique",
        "communiqué",
        "signatories",
        "global statement",
        "countries agreed",
        "countries signed",
        "nations agreed",
        "summit declaration",
    }
)
_HOST = re.compile(r"\b(?:co-)?host(?:ed|ing|s)?\b", re.IGNORECASE)
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


def _summit_host(title: str, text: str, taxonomy: Taxonomy) -> str | None:
    """The government hosting the summit an item covers, if the item says so.

    First a jurisdiction named next to "host(ed/ing)" ("the UK-hosted summit", "hosted by the
    United Kingdom"), else the seat of government naming the event ("Bletchley talks").
    """
    full = f"{title}\n{text}"
    for m in _HOST.finditer(full):
        lo = max(0, m.start() - 80)
        window = full[lo : m.end() + 40]
        mentions = [
            x
            for x in taxonomy.find(window, "jurisdiction")
            if x.term.group == "jurisdiction" and x.term.label != "INTL"
        ]
        if mentions:
            here = m.start() - lo
            nearest = min(mentions, key=lambda x: min(abs(x.start - here), abs(x.end - here)))
            return nearest.term.label
    for x in taxonomy.find(full, "jurisdiction"):
        if x.term.group != "jurisdiction" or x.term.kind != "places":
            continue
        following = _EVENT_WORDS.findall(full[x.end : x.end + 30].lower())[:2]
        if any(word in _EVENT_NOUNS for word in following):
            return x.term.label
    return None


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
