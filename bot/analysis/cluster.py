"""Near-duplicate detection: does a new item report the same event as a stored development?

Items from different outlets about one event are rarely copies: each outlet writes its own
text. So the comparison is on *what the text is about*, not on shingles of its wording:
- `words`: stems (six-letter prefixes) of the content words of the title and the lede, compared
  with a weighted Jaccard where rare words (by a small built-in list of common policy words
  that carry little) count more;
- `facts`: document numbers, model and product codes (H20, 3A090), money amounts and
  percentages; two items that both state facts of one kind and share none are different events;
- `modifiers`: an action on an earlier action (suspension, extension of a comment period,
  revocation, correction) is a different development from the action itself;
- tags: items must share a jurisdiction and a topic (a Chinese measure and the US measure it
  answers are two developments), and both be AI policy or both not;
- source: a development that already holds an item of the new item's source is joined only by
  a near-verbatim re-issue (`THRESHOLD_SAME_SOURCE`): one publisher's separate documents are
  separate events;
- date: candidates are within `WINDOW_DAYS`; further apart than `NEAR_DAYS` they need a
  higher similarity.
Thresholds were tuned on odd ids of the public eval set and checked on even ids (see README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from bot.analysis.caseless import FOLDS_TO_ASCII, CaselessPattern
from bot.analysis.word_frequency import zipf_frequency

WINDOW_DAYS = 45
NEAR_DAYS = 14
LEDE_WORDS = 90
THRESHOLD_NEAR = 0.15
THRESHOLD_FAR = 0.3
THRESHOLD_IRRELEVANT = 0.5
THRESHOLD_MIXED = 0.5  # one item AI policy, the other not (its topics missed)
NAME_UNIT = 0.1
NAME_CAP = 0.4
# Names count only when the words agree this much: random prose in an unfamiliar vocabulary
# (bench/ingest.py) shares a rare word or two with anything.
NAMES_NEED_WORDS = 0.1
FACT_BONUS = 0.15
# One source's distinct documents are distinct events (a rule and its technical amendment, two
# Entity List additions the same week); only a near-verbatim re-issue joins its own source.
THRESHOLD_SAME_SOURCE = 0.8

_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    said says say new year years week month months day days today friday monday tuesday wednesday
    thursday saturday sunday one two three first last may might must shall per via mr ms
    including include includes under while within without among across amid
    """.split()  # noqa: SIM905
)
# Common in every item of this domain: they say little about which event it is.
_COMMON = frozenset(
    """export exports exporte control contro rule rules govern offici depart minist compan
    firms firm techno indust ai artifi intell chip chips semico licens regula polici policy
    nation intern author secur announ publis measur requir includ
    """.split()  # noqa: SIM905
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d[\w.:-]*")
_DOC_NUMBER = CaselessPattern(
    r"\b(?:\d{4}-\d{4,6}|\d{2,3} FR \d{3,6}|No\.\s?\d{1,4}|Announcement\s+(?:No\.?\s*)?\d{1,4}|"
    r"EO\s?\d{5}|Executive Order\s+\d{5}|Regulation \(EU\) \d{4}/\d{1,4}|\d{4}/\d{1,4})\b"
)
_CODE = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Z0-9]{2,4}\d{1,4}[A-Z]?\b")
_MONEY = CaselessPattern(
    r"(?:[$€£¥]\s?\d[\d,.]*\s?(?:bn|billion|million|m|trillion|tn)?|\d[\d,.]*\s?(?:billion|million|trillion)\s(?:dollars|euros|pounds|yuan))"
)
_MODIFIERS = {
    "suspension": CaselessPattern(
        r"\b(?:suspen\w+|paus\w+|shelv\w+|put on hold|delay\w*|postpon\w+)\b"
    ),
    "extension": CaselessPattern(
        r"\b(?:extension of (?:the )?comment period|extends? (?:the )?comment period|comment period (?:is )?extended)\b"
    ),
    "revocation": CaselessPattern(r"\b(?:revo\w+|rescind\w*|rescission|withdraw\w*|repeal\w*)\b"),
    "correction": CaselessPattern(r"\b(?:correct(?:ion|ions|ing)|technical amendments?)\b"),
}


@dataclass(frozen=True)
class Fingerprint:
    words: frozenset[str]
    docs: frozenset[str]
    codes: frozenset[str]
    money: frozenset[str]
    modifiers: frozenset[str]  # in the headline
    mentions: frozenset[str]  # anywhere in the text
    # Distinctive names (Nexperia, Rapidus, H20) and dates ("1 December"): what identifies
    # one event across press release, law-firm alert and newswire styles.
    names: frozenset[str] = frozenset()


def _stem(word: str) -> str:
    w = word.lower().strip("'’-").replace("licence", "license").replace("centre", "center")
    if w.endswith("'s") or w.endswith("’s"):
        w = w[:-2]
    return w[:6]


@lru_cache(maxsize=1 << 16)
def _content_stem(word: str) -> str:
    """The stem `words` keeps for `word`, or "" for a stop or common word.

    Cached: the vocabulary repeats from item to item, and this ran per word of every lede.
    """
    if word.lower() in _STOP or len(word) <= 2:
        return ""
    stem = _stem(word)
    return "" if stem in _COMMON else stem


# Without the few non-ASCII letters that re.IGNORECASE matches to ASCII ones (FOLDS_TO_ASCII),
# an ASCII needle is in `text.lower()` wherever a case-insensitive pattern holding it matches
# `text`, so a missing needle proves there is no match.
# Literal text that every match of the pattern contains (lower case), for the pre-checks.
_MODIFIER_NEEDLES = {
    "suspension": ("suspen", "paus", "shelv", "put on hold", "delay", "postpon"),
    "extension": ("comment period",),
    "revocation": ("revo", "resci", "withdraw", "repeal"),
    "correction": ("correct", "technical amendment"),
}
_DOC_NEEDLES = (" fr ", "no.", "announcement")
# The other _DOC_NUMBER forms hold four digits followed by "-", "/" or a fifth digit.
_DOC_DIGITS = re.compile(r"\d\d\d\d[-/\d]")  # faster than \d{4}
# A _CODE match is a token of [A-Z0-9] only, and a kept one holds a letter and a digit, so it
# has a letter next to a digit somewhere.
_CODE_HINT = re.compile(r"[0-9A-Z](?:(?<=[A-Z])[0-9]|(?<=[0-9])[A-Z])")  # quicker to scan


@lru_cache(maxsize=1 << 16)
def _token_stems(token: str) -> tuple[str, ...]:
    """The kept stems of one whitespace-free token of a lede, cached like `_content_stem`."""
    return tuple(s for s in map(_content_stem, _WORD.findall(token)) if s)


def fingerprint(title: str, text: str, published: date | None = None) -> Fingerprint:
    # The stems of the words of "{title}. {first LEDE_WORDS words of text}". No `_WORD` match
    # holds whitespace, so the title and each lede token can be matched on their own (and the
    # tokens cached); split with a limit gives the same first words without splitting it all.
    stems = set(map(_content_stem, _WORD.findall(f"{title}.")))
    stems.update(*map(_token_stems, text.split(None, LEDE_WORDS)[:LEDE_WORDS]))
    stems.discard("")
    words = frozenset(stems)
    full = f"{title}. {text}"
    # Cheap tests first: most items hold no document number, code, amount or modifier, and
    # each regex below scans the whole text. A test that passes only means the regex runs.
    lowered = full.lower()
    exact = full.isascii() or not FOLDS_TO_ASCII.search(full)
    if not exact or _DOC_DIGITS.search(full) or any(n in lowered for n in _DOC_NEEDLES):
        docs = frozenset(_norm_doc(m) for m in _DOC_NUMBER.findall(full, lowered))
    else:
        docs = frozenset()
    if _CODE_HINT.search(full):
        codes = frozenset(m.upper() for m in _CODE.findall(full) if not m.isdigit())
    else:
        codes = frozenset()
    if not exact or "illion" in lowered or any(c in full for c in "$€£¥"):
        money = frozenset(re.sub(r"[\s,]", "", m.lower()) for m in _MONEY.findall(full, lowered))
    else:
        money = frozenset()
    mentioned = [
        k
        for k, rx in _MODIFIERS.items()
        if (not exact or any(n in lowered for n in _MODIFIER_NEEDLES[k]))
        and rx.search(full, lowered) is not None
    ]
    mentions = frozenset(mentioned)
    # From the headline only: a body often quotes the earlier action's full title. A match in
    # the title is also one in `full` (the title opens it, followed by "."), so only the
    # modifiers mentioned there need a look.
    modifiers = frozenset(k for k in mentioned if _acts_in_headline(k, title))
    names = distinctive(title, text, published)
    return Fingerprint(words, docs, codes, money, modifiers, mentions, names)


# "seek delay to", "call for a pause on": asking for an action on an earlier one is not it.
_REQUESTED = re.compile(
    r"\b(?:seeks?|seeking|calls? for|calling for|urges?|urging|push(?:es)? for|ask(?:s)? for|"
    r"press(?:es)? for|wants?|demands?|lobby(?:ing)? for)\s+(?:an? |the )?$",
    re.IGNORECASE,
)


def _acts_in_headline(kind: str, title: str) -> bool:
    """The headline reports the modifier's action itself, not a request for it."""
    return any(
        not _REQUESTED.search(title[: m.start()]) for m in _MODIFIERS[kind].pattern.finditer(title)
    )


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|\d+[A-Za-z][A-Za-z0-9]*")
_DATE = re.compile(
    r"\b(?:(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*|"
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+(\d{1,2})(?!\d))\b"
)
_PHRASE = re.compile(r"(?<![A-Za-z])(?:[A-Z][A-Za-z0-9-]*[ ]){1,3}[A-Z][A-Za-z0-9-]*")
# A word rarer than this in English (Zipf scale: 3 is once per million words) names
# something particular: a company (Nexperia), a chip (H20), a material (gallium).
RARE_ZIPF = 3.0


def day_of(moment: datetime | None) -> date | None:
    """The UTC day of a publication time, for `fingerprint`."""
    return None if moment is None else moment.date()


def distinctive(title: str, text: str, published: date | None = None) -> frozenset[str]:
    """Rare words and day-month dates of the title and lede: what identifies one event across
    press-release, law-firm and newswire styles. Rarity is English word frequency (wordfreq);
    the domain's own common names (countries, agencies, laws: `common_names`) are left out.
    With the item's `published` day, "on Thursday" is the date it names (the last Thursday on
    or before that day), so a newswire's weekday meets a release's "22 January"."""
    common = common_names()
    body = f"{title}. {text[:_NAMES_TEXT_CHARS]}"
    found = {
        low
        for low in {w.lower() for w in _TOKEN.findall(body)}
        if len(low) >= 3 and low not in common and _zipf(low) < RARE_ZIPF
    }
    # A name of several capitalised words ("AI Basic Act", "Goods Availability Act") is
    # particular even when each of its words is common.
    for m in _PHRASE.finditer(body):
        words = m.group(0).split()
        if len(words) >= 2 and any(w.lower() not in common for w in words):
            found.add(" ".join(w.lower() for w in words))
    for m in _DATE.finditer(body):
        day = m.group(1) or m.group(4)
        month = (m.group(2) or m.group(3)).lower()
        found.add(f"date:{month}-{int(day)}")
    if published is not None:
        for m in _WEEKDAY.finditer(body):
            back = (published.weekday() - _WEEKDAYS.index(m.group(1).lower())) % 7
            day_named = published - timedelta(days=back)
            found.add(f"date:{_MONTHS[day_named.month - 1]}-{day_named.day}")
    return frozenset(found)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# "on Thursday", "last Tuesday": a day of the week the report dates its event by.
_WEEKDAY = re.compile(
    r"\b(?:[Oo]n|[Ll]ast|[Tt]his)\s+(" + "|".join(w.title() for w in _WEEKDAYS) + r")\b"
)


@lru_cache(maxsize=1 << 16)
def _zipf(word: str) -> float:
    return zipf_frequency(word)  # wordfreq's English figure, from a compact table


def name_weight(name: str) -> float:
    """How much a shared name says: a word English never uses (a company, a code) 2, a rare
    one 1, a date 1."""
    if name.startswith("date:") or " " in name:
        return 1.0
    return 2.0 if _zipf(name) < 1.0 else 1.0


_NAMES_TEXT_CHARS = 1500
# Capitalised words every item of this domain may hold: they say nothing about which event.
_GENERIC_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "ai",
    "department",
    "ministry",
    "minister",
    "government",
    "bureau",
    "office",
    "agency",
    "commission",
    "council",
    "committee",
    "parliament",
    "house",
    "senate",
    "act",
    "law",
    "rule",
    "rules",
    "regulation",
    "regulations",
    "order",
    "executive",
    "president",
    "prime",
    "secretary",
    "state",
    "states",
    "federal",
    "national",
    "international",
    "republic",
    "kingdom",
    "union",
    "european",
    "chinese",
    "american",
    "global",
    "world",
    "north",
    "south",
    "east",
    "west",
    "industry",
    "security",
    "commerce",
    "trade",
    "foreign",
    "affairs",
    "economic",
    "economy",
    "digital",
    "technology",
    "science",
    "data",
    "export",
    "exports",
    "control",
    "controls",
    "list",
    "entity",
    "register",
    "official",
    "journal",
    "press",
    "release",
    "statement",
    "framework",
    "strategy",
    "plan",
    "programme",
    "program",
    "mission",
    "initiative",
    "summit",
    "declaration",
    "agreement",
    "partnership",
    "cooperation",
    "artificial",
    "intelligence",
    "chips",
    "chip",
    "semiconductor",
    "semiconductors",
    "company",
    "companies",
    "group",
    "inc",
    "ltd",
    "corp",
    "co",
    "billion",
    "million",
    "percent",
    "per",
    "cent",
    "mr",
    "ms",
    "dr",
]


@lru_cache(maxsize=1)
def common_names() -> frozenset[str]:
    """Lowercased words that name no particular event: `_GENERIC_NAMES` and every word of
    the bundled taxonomy (countries, capitals, agencies, laws, topic and context terms)."""
    from bot.analysis.taxonomy import load_taxonomy

    words = set(_GENERIC_NAMES)
    for term in load_taxonomy().terms:
        if term.group != "negative":
            words.update(w.lower() for w in re.findall(r"[A-Za-z0-9]+", term.text))
    return frozenset(words)


def _norm_doc(raw: str) -> str:
    return re.sub(r"\s+", "", raw.lower()).replace("announcement", "no.").replace("no.no.", "no.")


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    if not a.words or not b.words:
        return 0.0
    shared = len(a.words & b.words)
    size_a, size_b = len(a.words), len(b.words)
    union = size_a + size_b - shared  # |A ∪ B| without building it: this runs per candidate
    # Overlap relative to the shorter lede: an op-ed's long lede should not dilute a match.
    return shared / min(size_a, size_b) * 0.5 + shared / union * 0.5


def conflict(a: Fingerprint, b: Fingerprint) -> str | None:
    """Why two items cannot be the same event, or None."""
    if a.docs and b.docs and not (a.docs & b.docs):
        return "different document numbers"
    if a.codes and b.codes and not (a.codes & b.codes):
        return "different product codes"
    # A headline about a suspension (extension, revocation...) is another event than one whose
    # text never mentions it: the action on an earlier action is its own development.
    missing = (a.modifiers - b.mentions) | (b.modifiers - a.mentions)
    if missing:
        return "one acts on an earlier action (" + ", ".join(sorted(missing)) + ")"
    return None


def shared_facts(a: Fingerprint, b: Fingerprint) -> bool:
    return bool((a.docs & b.docs) or (a.codes & b.codes) or (a.money & b.money))


# The lowest score `best_match` accepts, whatever the dates, tags and sources.
LOWEST_THRESHOLD = min(
    THRESHOLD_NEAR, THRESHOLD_FAR, THRESHOLD_IRRELEVANT, THRESHOLD_MIXED, THRESHOLD_SAME_SOURCE
)


def may_join(a: Fingerprint, b: Fingerprint) -> bool:
    """False when `best_match` could not pick one for the other, whatever the tags and dates.

    Without a shared fact, the score is the similarity plus, when it reaches
    `NAMES_NEED_WORDS`, at most two `NAME_UNIT`s per shared name (`names_score`), and must
    reach the lowest threshold: a cheap bound that spares scoring candidates that could never
    be picked.
    """
    return joinable(a, [b]) == [True]


def joinable(new: Fingerprint, others: Sequence[Fingerprint]) -> list[bool]:
    """`may_join(new, other)` for each of `others`, in one pass.

    A new item is compared with hundreds of stored ones: this loop keeps the new item's parts
    in locals and computes the similarity inline (the same arithmetic as `similarity`).
    """
    words = new.words
    size_a = len(words)
    docs, codes, money, names = new.docs, new.codes, new.money, new.names
    threshold = LOWEST_THRESHOLD
    out: list[bool] = []
    for other in others:
        if (
            (docs and other.docs and not docs.isdisjoint(other.docs))
            or (codes and other.codes and not codes.isdisjoint(other.codes))
            or (money and other.money and not money.isdisjoint(other.money))
        ):
            out.append(True)
            continue
        other_words = other.words
        if not size_a or not other_words:
            out.append(False)
            continue
        shared = len(words & other_words)
        if not shared:
            out.append(False)
            continue
        size_b = len(other_words)
        score = shared / min(size_a, size_b) * 0.5 + shared / (size_a + size_b - shared) * 0.5
        if score >= threshold:
            out.append(True)
        elif score < NAMES_NEED_WORDS or names.isdisjoint(other.names):
            out.append(False)
        else:  # each shared name adds at most two units (`name_weight`)
            out.append(score + min(NAME_CAP, 2 * NAME_UNIT * len(names & other.names)) >= threshold)
    return out


@dataclass(frozen=True)
class NameCounts:
    """How many candidate developments hold each name of a new item, of `pool` in all: the
    document frequency that says how much a shared name identifies.

    Counted over the candidates (the stored items near in date with compatible tags) before
    any is ruled out, so a word that many stored stories hold is known as such.
    """

    holders: dict[str, int]
    pool: int

    @classmethod
    def of(cls, new: Fingerprint, candidates: Iterable[tuple[int, Fingerprint]]) -> NameCounts:
        """Count, over (development id, fingerprint) pairs, the developments holding each of
        `new`'s names."""
        names = new.names
        seen: set[tuple[str, int]] = set()
        developments: set[int] = set()
        holders: dict[str, int] = {}
        for development_id, fp in candidates:
            developments.add(development_id)
            if names.isdisjoint(fp.names):
                continue
            for name in names & fp.names:
                if (name, development_id) not in seen:
                    seen.add((name, development_id))
                    holders[name] = holders.get(name, 0) + 1
        return cls(holders, len(developments))

    def unit(self, name: str) -> float:
        """What one shared name is worth, in `NAME_UNIT`s: its `name_weight` divided by the
        candidate developments holding it (a name every story of the season holds identifies
        none)."""
        return name_weight(name) / max(1, self.holders.get(name, 1))


@dataclass(frozen=True)
class Candidate:
    """One stored item that a new item may join (via its development)."""

    development_id: int
    fingerprint: Fingerprint
    jurisdictions: frozenset[str]
    topics: frozenset[str]
    relevant: bool
    days_apart: float
    # The development already holds an item of the new item's own source.
    same_source: bool = False


def names_score(
    a: Fingerprint, b: Fingerprint, counts: NameCounts | None = None, *, words: float | None = None
) -> float:
    """What the names and dates both items state add to their similarity: each shared one
    by `NameCounts.unit` (its `name_weight`, less when many candidate developments state it),
    `NAME_UNIT` per unit, at most `NAME_CAP`; nothing unless their words agree too
    (`words`, their `similarity`, reaches `NAMES_NEED_WORDS`): a rare word or two that two
    unrelated texts share by chance is no evidence on its own."""
    shared = a.names & b.names
    if not shared:
        return 0.0
    if (similarity(a, b) if words is None else words) < NAMES_NEED_WORDS:
        return 0.0
    counts = counts or NameCounts({}, 1)
    return min(NAME_CAP, NAME_UNIT * sum(counts.unit(n) for n in shared))


def _same_named_thing(a: Fingerprint, b: Fingerprint, names: float) -> bool:
    """Both name one document or product (a shared number or code) and share a rare name
    or date besides it (one product's two different duties share only its code)."""
    codes = {c.lower() for c in a.codes & b.codes}
    return bool((a.docs & b.docs) or codes) and names > 0 and bool((a.names & b.names) - codes)


def best_match(
    new: Fingerprint,
    *,
    jurisdictions: Iterable[str],
    topics: Iterable[str],
    relevant: bool,
    candidates: Iterable[Candidate],
    names_counted: NameCounts | None = None,
) -> tuple[int | None, float, str]:
    """(development id or None, score, why) for the development the new item belongs to.

    `names_counted`: the new item's names counted over every candidate before any was ruled
    out (`NameCounts.of`); without it, over `candidates`."""
    jset = frozenset(jurisdictions) - {"INTL"}
    pool = list(candidates)
    if names_counted is None:
        names_counted = NameCounts.of(new, ((c.development_id, c.fingerprint) for c in pool))
    best: tuple[int | None, float, str] = (None, 0.0, "no candidate")
    for cand in pool:
        other = cand.jurisdictions - {"INTL"}
        if jset and other and not (jset & other):
            continue  # two governments' measures (one answering the other) are two events
        if conflict(new, cand.fingerprint):
            continue
        words = similarity(new, cand.fingerprint)
        names = names_score(new, cand.fingerprint, names_counted, words=words)
        score = words + names
        if shared_facts(new, cand.fingerprint):
            score += FACT_BONUS
        if cand.same_source and not _same_named_thing(new, cand.fingerprint, names):
            threshold = THRESHOLD_SAME_SOURCE
        elif cand.same_source:
            # An update of the source's earlier item on the same document or product (a law
            # firm's revised alert) joins it like another outlet's report, further apart.
            threshold = THRESHOLD_FAR
        elif relevant and cand.relevant:
            threshold = THRESHOLD_NEAR if abs(cand.days_apart) <= NEAR_DAYS else THRESHOLD_FAR
        elif relevant != cand.relevant:
            # One side's topics were missed: only names and facts can tie them.
            threshold = THRESHOLD_MIXED if names >= NAME_CAP / 2 else 2.0
        else:
            threshold = THRESHOLD_IRRELEVANT
        if score < threshold:
            continue
        if score > best[1]:
            best = (
                cand.development_id,
                score,
                f"similarity {score:.2f} >= {threshold} (words {words:.2f}"
                f": {', '.join(sorted(new.words & cand.fingerprint.words)[:8])}; names"
                f" {names:.2f}: {', '.join(sorted(new.names & cand.fingerprint.names)[:6])}"
                f" among {names_counted.pool} candidate developments)",
            )
    return best
