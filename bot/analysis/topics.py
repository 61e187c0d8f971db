"""Relevance, then topics: is an item AI or chip policy at all, and which topics its own text
covers (bot/analysis/README.md, "Relevance, then topics").

One model of evidence for every topic. A topic has an *object*, what it is about (the
taxonomy's `requires`: controlled items for export controls, AI itself for regulation, AI and
compute for sovereignty), and its terms:
- a specific phrase ("export controls", "AI Act", "sovereign compute": a weight of at least
  `thresholds.topic_strong_term`) counts when the item holds the topic's object anywhere;
- a generic word ("controls", "restrictions", "governance", "dependence") counts only when
  its own sentence holds what the topic's `sentence_needs` lists: for export controls an act
  of control on movement (export, ship, license, list), for regulation AI itself, for
  sovereignty AI or compute. So "access controls" in a privacy rule or "governance
  safeguards" in an investment deal are no evidence: a neighbour word is not the item's.
Beyond words, a sentence of the title or lede can state the topic in its own words
(`_statements`, each worth `STATEMENT_WEIGHT`):
- `regulation`: a legal instrument about AI itself ("an executive order on artificial
  intelligence", "a treaty on machine intelligence"; not "rules on AI chip exports");
- `sovereignty`: national capacity (compute, GPUs, cloud, a campus) with a public or national
  owner next to it, or bought or built by a government; a dependence on foreign suppliers; a
  strategic capability (production capacity, know-how) kept in or leaving a country; an AI
  or compute partnership agreed between governments.
What an item is about is in its title or lede: a topic with no evidence there needs
`thresholds.topic_body_only` further down (a firm "placed on a US trade blacklist last year"
is not an export-control item). A topic is kept when its score reaches `thresholds.topic` and
`thresholds.topic_ratio` of the strongest topic's; no topic means the item is not AI or chip
policy (`other`).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analysis.taxonomy import Match, Taxonomy

TOPIC_ORDER = ("export-controls", "sovereignty", "regulation", "data-protection")
STATEMENT_WEIGHT = 2.0  # a sentence stating a topic in its own words (x1.5 in the title)
STRONG_TOPIC = 7.0  # topic evidence this strong survives negative phrases
MAX_REPEATS = 3  # a term repeated more than this adds nothing
LEDE_CHARS = 600  # the lede: sentences starting in the text's first characters


@dataclass
class TopicDecision:
    topics: list[str]
    scores: dict[str, float]
    evidence: dict[str, list[dict[str, Any]]]
    negatives: list[str]
    rules: list[str]

    @property
    def strongest(self) -> float:
        return max(self.scores.values(), default=0.0)


@dataclass
class _Sentence:
    where: str
    text: str
    lede: bool
    contexts: set[str] = field(default_factory=set)
    governments: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)  # topics whose terms it holds


@dataclass
class _Part:
    """One body (title or text) cut into sentences, each with what the taxonomy found in it."""

    where: str
    body: str
    sentences: list[_Sentence]
    starts: list[int]

    @classmethod
    def of(cls, where: str, body: str) -> _Part:
        spans = _sentence_spans(body)
        sentences = [
            _Sentence(where, body[s:e], where == "title" or s < LEDE_CHARS) for s, e in spans
        ]
        return cls(where, body, sentences, [s for s, _ in spans])

    def sentence_of(self, match: Match) -> _Sentence:
        return self.sentences[max(0, bisect.bisect_right(self.starts, match.start) - 1)]


def decide_topics(
    parts: Sequence[tuple[str, str, Sequence[Match]]],
    *,
    taxonomy: Taxonomy,
    multilateral: bool,
    hint_topics: Iterable[str] = (),
) -> TopicDecision:
    """Topics of one item from its (where, body, taxonomy matches) parts: title, then text.

    `multilateral` says whether a multilateral body or summit is the item's subject (INTL):
    only then do summit words count for `regulation`.
    """
    strong = taxonomy.thresholds.get("topic_strong_term", 2.5)
    scores: dict[str, float] = defaultdict(float)
    evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    contexts: set[str] = set()
    negatives: list[str] = []
    rules: list[str] = []
    repeats: dict[tuple[str, str], int] = defaultdict(int)
    unsupported: dict[str, list[str]] = defaultdict(list)
    in_lede: set[str] = set()  # topics with evidence in the title or lede
    sentences: list[_Sentence] = []

    def add(topic: str, gained: float, term: str, where: str, *, lede: bool) -> None:
        scores[topic] += gained
        if lede:
            in_lede.add(topic)
        if len(evidence[topic]) < 12:
            evidence[topic].append({"term": term, "where": where})

    for where, body, matches in parts:
        part = _Part.of(where, body)
        sentences.extend(part.sentences)
        for match in matches:
            group = match.term.group
            if group == "context":
                contexts.add(match.term.label)
                if match.term.label != "ai" or not _HARDWARE_AFTER.match(body, match.end):
                    part.sentence_of(match).contexts.add(match.term.label)
            elif group == "jurisdiction":
                part.sentence_of(match).governments.add(match.term.label)
            elif group == "negative":
                negatives.append(match.matched)
        for match in matches:
            term = match.term
            if term.group != "topic":
                continue
            gained = term.weight * (1.5 if where == "title" else 1.0)
            if term.text.lower() in _MULTILATERAL_TOPIC_WORDS:
                # Summit words support `regulation` only when the summit is the subject: a
                # summit named in passing does not make an investment plan AI regulation.
                if multilateral:
                    add(term.label, gained, match.matched, "multilateral subject", lede=True)
                continue
            sentence = part.sentence_of(match)
            sentence.topics.add(term.label)
            if term.weight < strong:
                needs = taxonomy.topic_sentence_needs.get(term.label, ())
                if not set(needs) <= sentence.contexts:
                    unsupported[term.label].append(match.matched)
                    continue
            key = (term.label, term.text.lower())
            repeats[key] += 1
            if repeats[key] <= MAX_REPEATS:
                add(term.label, gained, match.matched, where, lede=sentence.lede)
    for topic, words in unsupported.items():
        wanted = " and ".join(taxonomy.topic_sentence_needs.get(topic, ()))
        rules.append(
            f"{topic}: {', '.join(sorted(set(words))[:5])} without {wanted} in the sentence"
        )

    for kind, found, where in _statements(sentences):
        topic, name, _ = _STATEMENTS[kind]
        gained = STATEMENT_WEIGHT * (1.5 if where == "title" else 1.0)
        add(topic, gained, f"{name}: {found}", where, lede=True)
        rules.append(f"{topic}: {name} ({found})")

    for topic in hint_topics:
        if topic in scores:
            add(topic, 1.0, "source hint", "source", lede=False)
    # Topics need their object in the item: export-control words about rice or firearms, or
    # rules about platforms, are not AI policy.
    for topic in list(scores):
        need = taxonomy.topic_requires.get(topic, "none")
        if need != "none" and need not in contexts:
            if scores[topic] > 0:
                rules.append(f"{topic}: no {need} context")
            scores[topic] = 0.0
    thresholds = taxonomy.thresholds
    body_only = thresholds.get("topic_body_only", 3.0)
    for topic, value in scores.items():
        # When the lede states no topic (a commentary's hook), the body decides.
        if (
            0 < value < body_only
            and topic not in in_lede
            and in_lede & {t for t, v in scores.items() if v > 0}
        ):
            rules.append(f"{topic}: {value:.2f} only below the lede (< {body_only:.2f})")
            scores[topic] = 0.0
    topics = _pick(
        scores, minimum=thresholds.get("topic", 2.0), ratio=thresholds.get("topic_ratio", 0.3)
    )
    strongest = max(scores.values(), default=0.0)
    vetoed = len(negatives) >= taxonomy.veto_count
    if topics and vetoed and strongest < STRONG_TOPIC:
        rules.append(f"negative vocabulary ({', '.join(sorted(set(negatives))[:5])})")
        topics = []
    elif not topics and not vetoed:
        # A government's strategy, plan or programme for AI is AI policy even when no topic
        # is stated: national AI capacity is what such plans are about.
        plan = next((p for s in sentences if s.lede and (p := _plan(s))), None)
        if plan:
            topics = ["sovereignty"]
            scores["sovereignty"] = max(scores.get("sovereignty", 0.0), STATEMENT_WEIGHT)
            evidence.setdefault("sovereignty", []).append(
                {"term": f"AI plan: {plan}", "where": "lede"}
            )
            rules.append(f"sovereignty: a government's plan for AI, no other topic ({plan})")
    topics.sort(key=TOPIC_ORDER.index)
    return TopicDecision(topics, dict(scores), dict(evidence), negatives, rules)


def _pick(scores: dict[str, float], *, minimum: float, ratio: float) -> list[str]:
    if not scores:
        return []
    top = max(scores.values())
    if top < minimum:
        return []
    return [k for k, v in scores.items() if v >= minimum and v >= ratio * top]


def _sentence_spans(body: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in _SENTENCE_BREAK.finditer(body):
        if cut.start() > start:
            spans.append((start, cut.start()))
        start = cut.end()
    if start < len(body) or not spans:
        spans.append((start, len(body)))
    return spans


def _statements(sentences: list[_Sentence]) -> list[tuple[str, str, str]]:
    """(kind, what was found, where) for each kind of statement, its first sentence only."""
    found: dict[str, tuple[str, str, str]] = {}
    for sentence in sentences:
        if not sentence.lede:
            continue
        for kind, (_, _, reads) in _STATEMENTS.items():
            if kind not in found:
                what = reads(sentence)
                if what:
                    found[kind] = (kind, what, sentence.where)
    return [found[k] for k in _STATEMENTS if k in found]


def _instrument(sentence: _Sentence) -> str | None:
    """An act, law, order or rules about AI itself, not about trade in it ("rules" on AI chip
    shipments are export controls) or about personal data (a data bill's rules on automated
    decision-making)."""
    if "ai" not in sentence.contexts or "control_acts" in sentence.contexts:
        return None
    if "data-protection" in sentence.topics:
        return None  # a data law's rules on automated decisions are data protection
    instrument = _INSTRUMENT.search(sentence.text)
    return f"{instrument.group(0)} on AI" if instrument else None


def _control(sentence: _Sentence) -> str | None:
    """A controlled thing moves (export, ship, sell) under a licence, a ban or a restriction."""
    if "controlled_items" not in sentence.contexts:
        return None
    movement = _MOVEMENT.search(sentence.text)
    restriction = _RESTRICTION.search(sentence.text) if movement else None
    return f"{restriction.group(0)} … {movement.group(0)}" if movement and restriction else None


def _capacity(sentence: _Sentence) -> str | None:
    """Capacity with a public or national owner next to it, or bought or built by a state."""
    owned = _OWNED_CAPACITY.search(sentence.text) or _CAPACITY_AT_HOME.search(sentence.text)
    if owned:
        return owned.group(0)
    if "control_acts" in sentence.contexts:
        return None  # a licence for a data centre operator is trade, not the state paying
    state = _STATE.search(sentence.text) or sentence.governments - {"INTL"}
    built = _CAPACITY.search(sentence.text) if state and _PAYS.search(sentence.text) else None
    return f"state pays: {built.group(0)}" if built else None


def _dependence(sentence: _Sentence) -> str | None:
    dependence = _DEPENDENCE.search(sentence.text)
    foreign = _FOREIGN.search(sentence.text) if dependence else None
    return f"{dependence.group(0)} … {foreign.group(0)}" if dependence and foreign else None


def _strategic(sentence: _Sentence) -> str | None:
    """A strategic capability kept in or leaving a country, or a state taking control of a
    firm (a stake, a golden power, a blocked takeover)."""
    text = sentence.text
    capability = _CAPABILITY.search(text)
    kept = _KEPT_OR_LOST.search(text) if capability else None
    if capability and kept:
        return f"{capability.group(0)} … {kept.group(0)}"
    control = _STATE_CONTROL.search(text)
    if control and _FIRM.search(text) and (_STATE.search(text) or sentence.governments):
        return control.group(0)
    return None


def _partnership(sentence: _Sentence) -> str | None:
    """An AI or compute partnership or deal agreed between two governments (not a trade deal
    on export controls)."""
    if "ai_context" not in sentence.contexts or "control_acts" in sentence.contexts:
        return None
    partnership = _PARTNERSHIP.search(sentence.text)
    between = len(sentence.governments - {"INTL"}) >= 2 or _BETWEEN.search(sentence.text)
    if partnership and between and _AGREED.search(sentence.text):
        return f"{partnership.group(0)} between governments"
    return None


def _plan(sentence: _Sentence) -> str | None:
    """A strategy, plan or programme for AI itself, by a government."""
    if "ai" not in sentence.contexts:
        return None
    plan = _PLAN.search(sentence.text)
    state = _STATE.search(sentence.text) or sentence.governments - {"INTL"}
    return plan.group(0) if plan and state else None


# kind of statement -> (topic, what the rule says, how a sentence states it)
_STATEMENTS: dict[str, tuple[str, str, Callable[[_Sentence], str | None]]] = {
    "instrument": ("regulation", "a legal instrument about AI", _instrument),
    "control": ("export-controls", "a controlled thing's movement under licence or ban", _control),
    "capacity": ("sovereignty", "national capacity", _capacity),
    "dependence": ("sovereignty", "foreign dependence", _dependence),
    "strategic": (
        "sovereignty",
        "a strategic capability or firm kept under national control",
        _strategic,
    ),
    "partnership": ("sovereignty", "an AI partnership between governments", _partnership),
}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
# "AI" qualifying hardware or trade ("AI chips", "AI exports") is not AI itself.
_HARDWARE_AFTER = re.compile(
    r"[\s-]*(?:chips?|accelerators?|processors?|semiconductors?|hardware|exports?|"
    r"data cent(?:re|er)s?|diffusion|model weights)\b",
    re.IGNORECASE,
)
_MULTILATERAL_TOPIC_WORDS = frozenset(
    {"summit", "ai summit", "ai safety summit", "ai action summit", "declaration"}
    | {"communique", "communiqué"}
)
# A legal instrument: with AI itself in its sentence it is AI regulation.
_INSTRUMENT = re.compile(
    r"\b(?<!export )(?<!trade )(?<!control )(?:act|law|statute|bill|legislation|decree|directive|"
    r"treaty|convention|rules|regulations?|provisions|(?:executive|presidential) order|"
    r"(?:an?|the|this|new) order(?! (?:for|of|from|book)\b)|"
    r"measures (?=on|for|requiring|governing))\b",
    re.IGNORECASE,
)
# National capacity: what is built, and who owns it (at most three words apart).
_INFRASTRUCTURE = (
    r"(?:compute|computing (?:power|capacity|infrastructure)|supercomput(?:er|ers|ing)|cloud|"
    r"data cent(?:re|er)s?|(?:AI |compute )?campus(?:es)?|(?:GPU |training |AI )?clusters)"
)
_CAPACITY_WORDS = (
    rf"(?:{_INFRASTRUCTURE}|GPUs?|graphics processors|processors|accelerators|fabs?|"
    r"foundr(?:y|ies)|(?:chip|semiconductor) (?:plants?|factories|fabs?)|chip production)"
)
_CAPACITY = re.compile(rf"\b{_CAPACITY_WORDS}\b", re.IGNORECASE)
_PUBLIC = (
    r"(?:national|nationwide|federal|sovereign|public(?:ly funded)?|state-(?:backed|owned|funded)|"
    r"government-(?:backed|funded|owned)|subsidi[sz]ed|(?:its|their|our) own)"
)
# A public owner qualifies any capacity; "domestic" only infrastructure ("domestic
# accelerators" are a market's products, not a nation's capacity).
_OWNED_CAPACITY = re.compile(
    rf"\b(?:{_PUBLIC}(?:[\s-]+[\w-]+){{0,3}}?[\s-]+{_CAPACITY_WORDS}|"
    rf"(?:domestic|home-grown|homegrown)(?:[\s-]+[\w-]+){{0,3}}?[\s-]+{_INFRASTRUCTURE})\b",
    re.IGNORECASE,
)
_CAPACITY_AT_HOME = re.compile(
    rf"\b{_CAPACITY_WORDS}(?:[\s-]+[\w-]+){{0,3}}?[\s-]+(?:at home|domestically|on (?:its|their|our|"
    r"(?:the )?(?:country's|nation's|bloc's)) (?:own )?soil)\b",
    re.IGNORECASE,
)
# A state (a government word, or an agency or government the taxonomy knows) paying for it:
# verbs only ("investment" in a list of a partnership's aims pays for nothing).
_PAYS = re.compile(
    r"\b(?:buy|buys|bought|procure[sd]?|tenders?|fund(?:s|ed)?|build|builds|finance[sd]?|"
    r"subsidi[sz](?:es|ed)|invest|invests|invested|earmarks?|spend|spends|allocate[sd]?|"
    r"commits?|award(?:s|ed)?|grants?|granted)\b",
    re.IGNORECASE,
)
_DEPENDENCE = re.compile(
    r"\b(?:dependen(?:ce|cy|cies|t)|relian(?:ce|t)|rel(?:y|ies|ying) on|depend(?:s|ing)? on|"
    r"rent(?:s|ing)?\b[^.;]*?\bfrom|exposure to|exposed to)",
    re.IGNORECASE,
)
# Foreign: said so, or a demonym before a supplier ("American hyperscalers", "Asian foundries").
_FOREIGN = re.compile(
    r"\b(?:(?i:foreign|overseas|abroad|(?:other|another) capitals?|outside (?:the|its|their) "
    r"(?:country|bloc))|(?:[A-Z][a-z]+(?:an|ese|ish|ch)|US|U\.S\.|non-European)"
    r"(?: and [A-Z][a-z]+)? "
    r"(?:firms|companies|providers|suppliers|vendors|hyperscalers|platforms|tech giants|"
    r"technology|tech|clouds?|software|foundries|chips|chipmakers|manufacturers|hardware))\b"
)
# A strategic capability kept in, or leaving, a country or region.
_CAPABILITY = re.compile(
    r"\b(?:production capa(?:city|bility)|manufacturing capa(?:city|bility)|know-how|"
    r"technical knowledge|technological knowledge|intellectual property|critical supply chain)\b",
    re.IGNORECASE,
)
_KEPT_OR_LOST = re.compile(
    r"\b(?:leave|leaving|moved away from|move(?:d)? abroad|relocat\w*|presence in|"
    r"economic security|(?:keep|keeps|kept|remain|remains|stay|stays)(?: [\w-]+){0,3} in)\b",
    re.IGNORECASE,
)
# A state taking control of a firm, or keeping it from foreign hands.
_STATE_CONTROL = re.compile(
    r"\b(?:golden (?:power|share)s?|(?:take|takes|took|taking|buy|buys|bought|acquire[sd]?) "
    r"(?:a |an )?(?:\d+(?:\.\d+)? ?(?:percent|per cent|%) |controlling |majority |minority )?"
    r"stake|nationali[sz](?:e|es|ed|ing|ation)|(?:take|takes|took|taking) control|"
    r"powers? to (?:block|overrule|reverse)|overrul(?:e|es|ed|ing) the management|"
    r"block(?:s|ed|ing)? (?:the |a |its )?(?:takeover|acquisition|purchase|sale of (?:a|an|the|its) "
    r"[\w\s-]{0,30}?(?:firm|company|maker|producer|manufacturer|start-up|startup|chipmaker|"
    r"supplier)))",
    re.IGNORECASE,
)
_FIRM = re.compile(
    r"\b(?:firm|company|maker|producer|manufacturer|start-up|startup|chipmaker|supplier|group|"
    r"foundry)s?\b",
    re.IGNORECASE,
)
_STATE = re.compile(r"\b(?:government|ministry|minister|state|cabinet)\b", re.IGNORECASE)
_PLAN = re.compile(
    r"\b(?:strateg(?:y|ies)|(?:action )?plans?|programmes?|programs?|missions?|initiatives?|"
    r"roadmaps?)\b",
    re.IGNORECASE,
)
_PARTNERSHIP = re.compile(
    r"\b(?:partnership|co-?operation|alliance|memorandum of understanding|MoU|"
    r"(?:framework |cooperation )?agreement|deal|pact|accord)\b",
    re.IGNORECASE,
)
# Export control in a sentence's own words: a thing moves (export, ship, sell) under a licence,
# a ban or a restriction.
_MOVEMENT = re.compile(
    r"\b(?:export\w*|re-?export\w*|ship(?:s|ped|ping|ments?)?|sell(?:s|ing)?|sold|sales?|"
    r"smuggl\w*|divert\w*|diversion)\b",
    re.IGNORECASE,
)
_RESTRICTION = re.compile(
    r"\b(?:licen[cs]\w*|permits?|permission|ban(?:s|ned)?|restrict\w*|curbs?|prohibit\w*|"
    r"authori[sz]\w*|approv\w*|embargo\w*|(?i:entity list)|blacklist\w*|controls?)\b",
    re.IGNORECASE,
)
_AGREED = re.compile(
    r"\b(?:agree[sd]?|sign(?:s|ed)?|launch(?:es|ed)?|announc(?:es|ed)|unveil(?:s|ed)?|"
    r"form(?:s|ed)?|forge[sd]?|struck|strikes?|conclude[sd]?|establish(?:es|ed)?|new)\b",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\b(?:the two governments|both governments|bilateral)\b", re.IGNORECASE)
