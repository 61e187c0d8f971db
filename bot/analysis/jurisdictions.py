"""Which governments an item is about: one evidence model (see README "Classification").

Each vocabulary match of a jurisdiction is a signal. Its score is its kind's weight (an agency
or law identifies a government better than a name, a name better than a demonym) times where
it stands (the title counts `weights.title` times, the opening of a sentence `weights.subject`
times) times its **role** in the sentence: an actor counts fully, a target ("exports to
China") `weights.target`, a passing mention ("Chinese chipmakers", "US tariffs") `weights.passing`.

- A term several governments share ("Secretary of State", "Ministry of Economic Affairs",
  "Strasbourg": the European Parliament's and the Council of Europe's seat) names none on its
  own: it goes to the candidate the rest of the item (the source's prior included) already
  supports, and to none when nothing does.
- The source's configured jurisdictions are a strong prior (`weights.source_hint`); they give
  way only when the text never names them while another government's agency or law acts with
  `thresholds.override_hint`.
- Every other government is an actor when its score reaches `thresholds.jurisdiction` and
  either `thresholds.jurisdiction_ratio` of the strongest government's *text* evidence or it
  acts in the headline (a headline actor is what the item is about).
- `INTL` is added when multilateral bodies, treaties and summits score
  `thresholds.multilateral`; it never removes an actor.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.analysis.taxonomy import Match, Taxonomy

_MAX_REPEATS = 3  # a term repeated more than this adds nothing
_FILLER_WORDS = frozenset(
    {
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
        "both",
    }
)
# Compiled once: these run per jurisdiction signal.
_WHITESPACE = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"^['’]s\b")
_LOWER_WORDS = re.compile(r"[a-z][a-z-]*")
_LETTER_WORDS = re.compile(r"[A-Za-z]+")
# A place naming an event ("the Paris AI summit") is not that government acting.
_EVENT_NOUNS = frozenset(
    {
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
    }
)
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
_INSTITUTIONS = ("agencies", "laws")
# The other party of an agreement ("signs a framework with the UAE") acts with the first.
_PARTNER = re.compile(
    r"\b(?:partnership|agreement|deal|accord|pact|memorandum|mou|treaty|arrangement|"
    r"framework)s?(?: [a-z-]+){0,2} with(?: the)? $"
)
# The parties a joint text or an agreement between them names ("joint statement of the US and
# the Republic of Korea", "an agreement between France and the UAE").
_JOINT = re.compile(
    r"\b(?:joint (?:statement|declaration|communiqu[eé]|press release|fact sheet) (?:of|by|from)|"
    r"(?:partnership|agreement|deal|accord|pact|memorandum|framework|arrangement)s? between) "
    r"(?:the )?(?:[\w.'-]+ ){0,4}?(?:and (?:the )?)?$"
)
_PROPER_NAME = re.compile(r"(?: [A-Z][A-Za-z-]*){1,4}")
_NAME_BEFORE = re.compile(r"(?<![\w'’.-])[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,2}$")
_JOINED = re.compile(r"(?:,|,? and|,? or) (?:the )?$")
_NEXT_LOWER_WORD = re.compile(r"[\s-]+[a-z]")  # "Japanese toolmakers", "Chinese-made"
_PHRASE_END = re.compile(r"[,.;:()\"]")
_INDEFINITE = re.compile(r"(?:^|\W)an? $")


@dataclass(frozen=True)
class Found:
    """One jurisdiction match, where it was seen (`title` or `text`) and the body it is in."""

    where: str
    body: str
    match: Match


@dataclass
class Jurisdictions:
    """The decision and its evidence."""

    codes: list[str]  # acting governments, strongest first, then INTL when the subject
    scores: dict[str, float]
    signals: dict[str, list[dict[str, Any]]]
    rules: list[str] = field(default_factory=list)
    multilateral: bool = False
    governing: set[str] = field(default_factory=set)  # acting through an institution or title


def decide(found: Sequence[Found], taxonomy: Taxonomy, hints: Iterable[str]) -> Jurisdictions:
    """The governments the matches say the item is about (see the module docstring)."""
    weights = taxonomy.weights
    thresholds = taxonomy.thresholds
    scores: dict[str, float] = defaultdict(float)
    signals: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rules: list[str] = []
    repeats: dict[tuple[str, str], int] = defaultdict(int)
    shared: list[list[Found]] = []
    # Where each signal starts, by where it ends: "exports to China and Russia" gives Russia
    # the role of China, the first of the list.
    starts: dict[str, dict[int, int]] = {}
    for f in found:
        starts.setdefault(f.where, {})[f.match.end] = f.match.start
    for group in _by_span(found):
        if len({f.match.term.label for f in group}) > 1:
            shared.append(group)  # decided once the rest of the item is scored
            continue
        _score(group[0], taxonomy, scores, signals, repeats, starts)

    hinted = [c for c in dict.fromkeys(hints) if c != "INTL"]
    prior = weights.get("source_hint", 4.0)
    for code in hinted:
        scores[code] += prior
        signals[code].append(
            {"term": "source", "where": "source", "kind": "hint", "role": "prior", "score": prior}
        )
    _resolve_shared(shared, taxonomy, scores, signals, repeats, starts, rules)
    hinted = _overridden(hinted, scores, signals, prior, thresholds, rules)
    codes = _actors(scores, signals, hinted, thresholds, rules)
    governing = {
        c
        for c, found_signals in signals.items()
        for s in found_signals
        if s["role"] in ("actor", "partner", "prior")
        and (s["kind"] in (*_INSTITUTIONS, "hint") or s["where"] == "title")
    }
    intl = scores.get("INTL", 0.0)
    multilateral = intl >= thresholds.get("multilateral", 5.0)
    if multilateral:
        rules.append(f"INTL: multilateral subject ({intl:.2f})")
    elif intl > 0:
        rules.append(f"INTL: multilateral words in passing ({intl:.2f}), not the subject")
    codes.sort(key=lambda c: -scores[c])
    if multilateral:
        codes.append("INTL")
    return Jurisdictions(codes, dict(scores), dict(signals), rules, multilateral, governing)


def _by_span(found: Sequence[Found]) -> list[list[Found]]:
    """The matches grouped by where they stand: one group per span, several terms when several
    jurisdictions list the same words."""
    groups: dict[tuple[str, int, int], list[Found]] = {}
    for f in found:
        groups.setdefault((f.where, f.match.start, f.match.end), []).append(f)
    return list(groups.values())


def _score(
    f: Found,
    taxonomy: Taxonomy,
    scores: dict[str, float],
    signals: dict[str, list[dict[str, Any]]],
    repeats: dict[tuple[str, str], int],
    starts: dict[str, dict[int, int]],
    shared: Sequence[str] = (),
) -> None:
    term = f.match.term
    key = (term.label, term.text.lower())
    repeats[key] += 1
    if repeats[key] > _MAX_REPEATS:
        return
    weights = taxonomy.weights
    role = _role(
        f.body, f.match, taxonomy, in_title=f.where == "title", starts=starts.get(f.where, {})
    )
    factor = weights.get("title", 2.0) if f.where == "title" else 1.0
    if role == "target":
        factor *= weights.get("target", 0.0) if term.kind != "agencies" else 0.5
    elif role == "passing":
        factor *= weights.get("passing", 0.25)
    subject = role in ("actor", "partner") and _is_subject(f.body, f.match)
    if subject:
        factor *= weights.get("subject", 1.5)
    gained = term.weight * factor
    scores[term.label] += gained
    if len(signals[term.label]) < 10:
        signal: dict[str, Any] = {
            "term": f.match.matched,
            "where": f.where,
            "kind": term.kind,
            "role": role,
            "score": round(gained, 2),
        }
        if subject:
            signal["subject"] = True
        if shared:
            signal["shared"] = list(shared)
        signals[term.label].append(signal)


def _resolve_shared(
    shared: list[list[Found]],
    taxonomy: Taxonomy,
    scores: dict[str, float],
    signals: dict[str, list[dict[str, Any]]],
    repeats: dict[tuple[str, str], int],
    starts: dict[str, dict[int, int]],
    rules: list[str],
) -> None:
    """A term several jurisdictions list goes to the one the rest of the item supports (its
    score before any shared term is counted); to none when no candidate has support or two
    have the same."""
    support = dict(scores)
    for group in shared:
        candidates = sorted({f.match.term.label for f in group})
        ranked = sorted(candidates, key=lambda c: -support.get(c, 0.0))
        best = support.get(ranked[0], 0.0)
        matched = group[0].match.matched
        if best <= 0 or support.get(ranked[1], 0.0) == best:
            rules.append(f"{matched!r}: shared by {', '.join(candidates)}; no context decides")
            continue
        chosen = next(f for f in group if f.match.term.label == ranked[0])
        _score(chosen, taxonomy, scores, signals, repeats, starts, shared=candidates)


def _overridden(
    hinted: list[str],
    scores: dict[str, float],
    signals: dict[str, list[dict[str, Any]]],
    prior: float,
    thresholds: dict[str, float],
    rules: list[str],
) -> list[str]:
    """The source's own jurisdictions, less those that give way to strong contrary evidence:
    another government's institution acting strongly while the text never names the source's."""
    institutions = {
        c: sum(x["score"] for x in s if x["role"] == "actor" and x["kind"] in _INSTITUTIONS)
        for c, s in signals.items()
        if c != "INTL"
    }
    kept = list(hinted)
    for code in hinted:
        own = scores[code] - prior
        rival = max((v for c, v in institutions.items() if c != code), default=0.0)
        if own <= 0 and rival >= thresholds.get("override_hint", 6.0):
            kept.remove(code)
            scores[code] = 0.0
            rules.append(
                f"{code}: the source's prior overridden (another government acts, {rival:.2f})"
            )
    return kept


def _actors(
    scores: dict[str, float],
    signals: dict[str, list[dict[str, Any]]],
    hinted: list[str],
    thresholds: dict[str, float],
    rules: list[str],
) -> list[str]:
    """The acting governments: the source's own (a prior), and every other whose score is at
    least the minimum and either a share of the strongest government's (or of a multilateral
    subject's, at `multilateral_share` of its score), the subject of the
    headline (a partner the headline names acting beside a source's own government) or the
    other party of an agreement."""
    governments = {c: v for c, v in scores.items() if c != "INTL"}
    kept = list(hinted)
    for code in hinted:
        rules.append(f"{code}: the source's own jurisdiction (prior)")
    # A multilateral subject is part of what the item is about: a government it names once
    # ("the United States did not attend") is measured against it too.
    share = thresholds.get("multilateral_share", 0.5)
    top = max([*governments.values(), share * scores.get("INTL", 0.0)], default=0.0)
    minimum = thresholds.get("jurisdiction", 2.0)
    ratio = thresholds.get("jurisdiction_ratio", 0.34)
    for code, value in governments.items():
        if code in kept:
            continue
        own = signals.get(code, [])
        headline = any(s["where"] == "title" and s.get("subject") for s in own)
        partner = any(s["role"] == "partner" for s in own)
        if value >= minimum and (value >= ratio * top or headline or partner):
            kept.append(code)
        elif value > 0:
            rules.append(f"{code}: {value:.2f} is below {max(minimum, ratio * top):.2f}")
    return kept


def _role(
    text: str,
    match: Match,
    taxonomy: Taxonomy,
    *,
    in_title: bool = False,
    starts: Mapping[int, int] | None = None,
) -> str:
    """actor | partner | target | passing, from the words around a jurisdiction signal. A
    signal listed after others ("to China, Russia and Iran") is read from where the list
    starts (`starts`: each signal's start by its end)."""
    start = _list_start(text, match.start, starts or {})
    before = _WHITESPACE.sub(" ", text[max(0, start - 30) : start].lower())
    after = text[match.end : match.end + 30]
    named = match.term.kind in ("demonyms", "places", "names")
    wide = text[max(0, start - 60) : start].lower()
    joint = ("joint" in wide or "between" in wide) and _JOINT.search(_WHITESPACE.sub(" ", wide))
    if joint or (" with" in before and _PARTNER.search(before)):
        # "a partnership with Canada", "joint statement of the US and Korea": the other party
        # of a deal, unless a firm of that country is ("a deal with French start-up Mistral").
        if named and _describes_a_thing(text, match, before, after, taxonomy, in_title=in_title):
            return "passing"
        return "partner"
    target_before = _target_before_pattern(taxonomy.target_before)
    if target_before is not None and target_before.search(before):
        return "target"
    if after.lower().startswith(_lowered(taxonomy.target_after)):
        return "target"
    if _COMPARISON.search(_sentence_of(text, match)):
        return "passing"  # "Europe, by contrast, is debating its AI Act": a comparison
    if named:
        if match.term.kind == "places" and _VENUE.search(before):
            return "passing"  # "the talks at Bletchley Park": a venue, not its government
        if _PARTICIPANTS.search(_sentence_of(text, match)):
            return "passing"  # "China and the US were among the signatories": participants
        if _describes_a_thing(text, match, before, after, taxonomy, in_title=in_title):
            return "passing"
    return "actor"


def _list_start(text: str, at: int, starts: Mapping[int, int]) -> int:
    """Where the list a signal at `at` ends ("China, Russia and the UAE") starts: the first of
    the signals joined to it by commas, "and" or "or" (over other capitalised names between
    them, countries the taxonomy does not track)."""
    first = cursor = at
    for _ in range(8):
        joined = _JOINED.search(text, max(0, cursor - 12), cursor)
        if joined is None:
            break
        end = joined.start()
        if end in starts:
            first = cursor = starts[end]
            continue
        name = _NAME_BEFORE.search(text, max(0, end - 40), end)
        if name is None:
            break
        cursor = name.start()
    return first


def _describes_a_thing(
    text: str, match: Match, before: str, after: str, taxonomy: Taxonomy, *, in_title: bool
) -> bool:
    """The name qualifies a noun phrase that is not its government or its measure: a firm, a
    thing, an event ("Japanese toolmakers", "Beijing's supply", "the Paris summit")."""
    possessive = _POSSESSIVE.match(after) is not None
    # "Tokyo Electron", "the Washington Post", "China Mobile": a name that opens a longer proper
    # name is a firm or a paper, unless that name is a government body's ("US President",
    # "Korea Fair Trade Commission"). Headlines are often in title case: only text is read so.
    proper = None if in_title or possessive else _PROPER_NAME.match(after)
    if proper and not any(w.lower() in taxonomy.government_nouns for w in proper.group(0).split()):
        return True
    tail = _POSSESSIVE.sub("", after).lower()
    words = _LOWER_WORDS.findall(tail)[:3]
    phrase = _LOWER_WORDS.findall(_PHRASE_END.split(tail, maxsplit=1)[0])[:3]
    governing = any(w in taxonomy.government_nouns for w in phrase)
    # A demonym is an adjective, and a name after "a" qualifies a noun ("a US-made chip"): the
    # government acts only when the noun is the government or its measure ("Chinese
    # authorities", "a Dutch ban"), not a thing or a firm ("Japanese toolmakers").
    qualifies = _NEXT_LOWER_WORD.match(tail) is not None and (
        match.term.kind == "demonyms" or _INDEFINITE.search(before) is not None
    )
    if governing:
        return False  # "Chinese AI rules take effect", "Canada's minister": the government
    if qualifies:
        return True
    # "Beijing's supply": a possessive outside the subject ("Canada's minister" acts).
    if possessive and not _is_subject(text, match):
        return True
    if any(" ".join(words[:n]) in taxonomy.company_nouns for n in (1, 2, 3)):
        return True
    # "Dutch potato processors", "China chip plants": a name qualifies a noun phrase ending in
    # a company noun.
    if any(w in taxonomy.company_nouns for w in words[1:3]):
        return True
    # "the Paris AI summit": a place naming an event is not its government acting.
    return any(w in _EVENT_NOUNS for w in words[:3])


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
    return all(w.lower() in _FILLER_WORDS or w[:1].isupper() for w in words)
