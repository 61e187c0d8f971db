"""Importance: `high`, `medium` or `low`, by rules a reader can check.

Per item, from its document type (the source's `doc_type`, then cues in the title and text):
- binding, with effect: final rule, interim final rule, law or act adopted/published, executive
  order, a ban, licence requirement or suspension in force (`high`);
- proposals, consultations, guidance, statements, declarations, frameworks, comment-period
  extensions, notices (`medium`);
- commentary, opinion, analysis (`low`).
Primary vs secondary: a primary source (the government itself) is taken at its word; a secondary
source (news, law firm) reporting a binding action keeps `high`, but without a binding cue it
is at most `medium`, and opinion is always `low`.
Per development: the highest of its items; corroboration by two or more distinct sources lifts
`low` to `medium` (several outlets reporting an event make it news). A development with no
AI-policy topic is always `low`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.analysis.caseless import CaselessPattern
from bot.vocab import IMPORTANCE_RANK

_COMMENTARY_TYPES = {
    "opinion",
    "op-ed",
    "oped",
    "commentary",
    "analysis",
    "blog",
    "editorial",
    "column",
}
_BINDING_TYPES = {
    "rule",
    "final rule",
    "interim final rule",
    "presidential document",
    "executive order",
    "law",
    "act",
    "regulation",
    "order",
    "decision",
    "announcement",
}
_MEDIUM_TYPES = {
    "proposed rule",
    "notice",
    "consultation",
    "guidance",
    "statement",
    "speech",
    "press release",
    "fact sheet",
    "framework",
    "declaration",
    "report",
    "transcript",
    "parliament",
    "debate",
}
_BINDING = CaselessPattern(
    r"\b(?:interim final rule|final rule|executive order|signed into law|became law|becomes law|"
    r"enters? into force|entered into force|in force|takes? effect|took effect|effective (?:immediately|"
    r"from|on|today)|with immediate effect|now appl(?:y|ies)|now enforceable|published in the "
    r"official journal|official journal|ban(?:s|ned)? (?:on )?(?:the )?export|bans?|prohibit(?:s|ed)|"
    r"licen[cs]e requirement|requires? a licen[cs]e|must (?:apply|obtain|seek)|added to the entity list|"
    r"revok\w+|revocation|suspend\w*|suspension|announcement no\.?|ministerial regulation|"
    r"decree|order renewing|amend(?:s|ed|ing) the|finali[sz](?:es|ed|ing)|IFR|"
    r"(?:issued|published|unveiled|imposed|adopted) (?:a |an |the )?(?:sweeping |new |broad )?"
    r"(?:rules?|regulation|measures|controls|restrictions|limits|licen[cs]e requirements?)|"
    r"(?:under|in) (?:a |the )?new (?:\w+ ){0,2}rules?|adds? \w+(?: \w+){0,4} to (?:its|the) "
    r"(?:\w+ ){0,3}list|now (?:needs?|requires?)|will (?:need|require) (?:a |an )?"
    r"(?:government |export )?licen[cs]e|licen[cs]e (?:duty|obligation)|demands? (?:a )?licen[cs]e|"
    r"effective (?:from |on )?\d|from \d{1,2} (?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december)|will review applications)\b"
)
# A proposal in the headline wins over binding words in its text ("the proposed rule would
# take effect...").
_PROPOSAL = CaselessPattern(
    r"\b(?:proposed rule|proposes|proposal|draft|consultation|call for evidence|comment period|request for "
    r"comments?|white paper)\b"
)
_MEDIUM = CaselessPattern(
    r"\b(?:proposed rule|proposal|proposes|draft|consultation|call for evidence|request for "
    r"comments?|comment period|guidance|guidelines|statement|declaration|communiqu[eé]|framework|"
    r"white paper|strategy|action plan|plan to|will consider|roadmap|memorandum|agree(?:s|d)? to|"
    r"summit|non-binding|voluntary)\b"
)


@dataclass(frozen=True)
class ItemSignal:
    """What importance needs to know about one item of a development."""

    title: str
    text: str
    doc_type: str | None
    primary: bool
    source_id: int
    relevant: bool = True


def item_importance(signal: ItemSignal) -> tuple[str, str]:
    """(importance, the rule that decided it) for one item."""
    return _item_importance(signal.title, signal.text[:1500], signal.doc_type, signal.primary)


@lru_cache(maxsize=8192)
def _item_importance(
    title: str, text: str, doc_type_raw: str | None, primary: bool
) -> tuple[str, str]:
    # Cached: a development's refresh re-rates every item, and items rarely change.
    signal = ItemSignal(title, text, doc_type_raw, primary, 0)
    doc_type = (signal.doc_type or "").strip().lower().replace("_", " ")
    if doc_type in _COMMENTARY_TYPES:
        return "low", f"commentary ({doc_type})"
    head = f"{signal.title}\n{signal.text[:1500]}"
    if doc_type in _BINDING_TYPES:
        return "high", f"binding document type ({doc_type})"
    proposal = _PROPOSAL.search(signal.title)
    if proposal is not None:
        return "medium", f"proposal ({proposal.lower()})"
    lowered = head.lower()
    binding = _BINDING.search(head, lowered)
    if doc_type in _MEDIUM_TYPES and binding is None:
        return "medium", f"document type ({doc_type})"
    if binding is not None:
        return "high", f"binding action ({binding.lower()})"
    medium = _MEDIUM.search(head, lowered)
    if medium is not None:
        return "medium", f"non-binding ({medium.lower()})"
    if signal.primary:
        return "medium", "primary source, no binding cue"
    return "low", "secondary source, no binding cue"


def development_importance(items: Sequence[ItemSignal]) -> tuple[str, list[str]]:
    """(importance, rules applied) for a development from all its items."""
    return combine_importance(
        [RatedItem(*item_importance(i), source_id=i.source_id, relevant=i.relevant) for i in items]
    )


@dataclass(frozen=True)
class RatedItem:
    """One item's own importance (`item_importance`), as a development combines it."""

    level: str
    why: str
    source_id: int
    relevant: bool


def combine_importance(items: Sequence[RatedItem]) -> tuple[str, list[str]]:
    """`development_importance` from ratings already made (ingest keeps them per item)."""
    if not items or not any(i.relevant for i in items):
        return "low", ["not AI policy"]
    best = "low"
    rules: list[str] = []
    for item in items:
        rules.append(f"{item.level}: {item.why}")
        if IMPORTANCE_RANK[item.level] > IMPORTANCE_RANK[best]:
            best = item.level
    sources = {i.source_id for i in items}
    if best == "low" and len(sources) >= 2:
        best = "medium"
        rules.append(f"corroborated by {len(sources)} sources")
    return best, rules
