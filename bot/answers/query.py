"""Query understanding: what a person's question asks for, in terms the store can search.

From "any new Dutch chip export rules this week?" it takes the jurisdictions (codes, names,
demonyms and seat-of-government names through `bot.vocab`: "Dutch" is NL, "Washington" is US),
the topics, a time window ("this week": the last 7 days in POLICYBOT_TIMEZONE), and the content
terms left over, each with its synonyms ("chip" also searches "semiconductor").

A jurisdiction right after "to", "into" or "against" is a target ("chips going to China"),
not the actor whose policy is asked about; the answer engine treats the two differently.
A place directly followed by "summit", "declaration" or the like names an event, not an actor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import vocab
from bot.answers.periods import TimeWindow, parse_due, parse_time
from bot.answers.vocabulary import question_vocabulary
from bot.answers.when import FRAME_WORDS, date_kinds

MAX_QUESTION_CHARS = 1000


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names people use for a government (capitals, seats, metonyms) and countries outside the
# tracked vocabulary (named as an actor, the answer must mention them): bot/answers/vocabulary.py.
PLACE_NAMES: dict[str, str] = question_vocabulary().place_names
OTHER_PLACES: dict[str, str] = {p: p for p in question_vocabulary().other_places}
REGIONS: dict[str, tuple[str, ...]] = question_vocabulary().regions
TOPIC_PHRASES: dict[str, str] = {**vocab.TOPIC_NAMES, **question_vocabulary().topic_phrases}

EVENT_WORDS = frozenset(
    {
        "summit",
        "summits",
        "declaration",
        "meeting",
        "talks",
        "process",
        "statement",
        "accord",
        "treaty",
        "convention",
    }
)
TARGET_PREPOSITIONS = frozenset({"to", "into", "against", "towards", "toward", "for"})
# "curbs on China": after a measure, "on" and "over" name its target too.
TARGET_MEASURES = question_vocabulary().target_measures
TARGET_VERBS = question_vocabulary().target_verbs
AGENCIES: dict[str, str] = question_vocabulary().agencies

# Words that carry no searchable meaning in a question to a policy bot.
STOPWORDS: frozenset[str] = (
    _wordset(
        """
    a about actually after against all already also am an and any anyone anything are
    as at be been before being but by can could current currently did do does doing done
    during each else even ever explain for from get give go going got had has have having
    here how i if in into is it its just know let like lot me more most much my new news no
    not now of on one or other our out over please policy policies put recent recently
    regarding remind say says said see should show so some someone something status still
    summarise summarize summary tell than that the their them then there these they thing
    things this those through to up update updates us use used very want was way we were
    what whats when where whether which while who why will with would yet you your
    happen happened happening latest anybody else there's what's where's who's how's
    really tracked track info information government governments country countries
    change changed changes changing
    compare compared comparison versus vs approach approaches differ difference differences
    """
    )
    | question_vocabulary().asking_words
)

# Synonym groups (and common names of acts): a term also searches the others in its group.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = question_vocabulary().synonym_groups
_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        _SYNONYMS[_word] = _group
# Phrases of several words in the synonym groups, matched in a question as one term.
PHRASES: dict[str, str] = {w: w for w in _SYNONYMS if " " in w}


@dataclass(frozen=True)
class Term:
    """A content word or phrase of the question with the alternatives searched with it."""

    text: str
    alternatives: tuple[str, ...]
    # Written as a name (capitalised mid-sentence, an acronym, or with digits): "Bletchley",
    # "VEU", "H200". A name nothing in the store mentions means the question is not answerable.
    key: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.text, *[a for a in self.alternatives if a != self.text])


DATE_KIND_LABELS = {"effective": "takes effect", "deadline": "due", "ends": "ends"}


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    terms: tuple[Term, ...]
    jurisdictions: tuple[str, ...]  # actors whose policy is asked about
    target_jurisdictions: tuple[str, ...]  # named after "to", "into", "against"
    other_places: tuple[str, ...]  # countries outside the vocabulary, named as actors
    topics: tuple[str, ...]
    window: TimeWindow | None
    notes: tuple[str, ...] = field(default=())
    # Jurisdictions a region word favours ("Asian governments"): they rank, never filter.
    favoured_jurisdictions: tuple[str, ...] = ()
    # Instruments named in full ("the Artificial Intelligence and Data Act"), as typed, then
    # the other names it goes by: an answer must name one of them.
    instruments: tuple[tuple[str, ...], ...] = ()
    # Kinds of timeline date asked about ("takes effect": effective) and the forward range
    # they must fall in ("next month"): bot/answers/when.py.
    date_kinds: tuple[str, ...] = ()
    due_window: TimeWindow | None = None
    # The words of each phrase that named a topic ("export controls", "chip curbs"): an
    # answer is tagged with the topic or uses all the words of one of them.
    topic_terms: tuple[tuple[str, ...], ...] = ()

    @property
    def all_jurisdictions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.jurisdictions, *self.target_jurisdictions)))

    def search_strings(self) -> list[str]:
        out: list[str] = []
        for term in self.terms:
            out.extend(term.forms)
        out.extend(self.other_places)
        out.extend(n for names in self.instruments for n in names)
        return list(dict.fromkeys(out))

    def describe(self) -> str:
        """One line saying what was searched."""
        parts = []
        words = [t.text for t in self.terms] + list(self.other_places)
        words += [f"“{names[0]}”" for names in self.instruments]
        parts.append("terms: " + (", ".join(words) if words else "(none)"))
        if self.jurisdictions:
            parts.append("jurisdictions: " + ", ".join(self.jurisdictions))
        if self.target_jurisdictions:
            parts.append("aimed at: " + ", ".join(self.target_jurisdictions))
        if self.favoured_jurisdictions:
            parts.append("favouring: " + ", ".join(self.favoured_jurisdictions))
        if self.topics:
            parts.append("topics: " + ", ".join(self.topics))
        # With kinds of date asked, the window holds what was published or a date set in it.
        when = "published or dated" if self.date_kinds and self.window else "published"
        parts.append(f"{when}: " + (self.window.describe() if self.window else "any time"))
        if self.date_kinds or self.due_window:
            kinds = ", ".join(DATE_KIND_LABELS.get(k, k) for k in self.date_kinds) or "any"
            when = f" in {self.due_window.describe()}" if self.due_window else ""
            parts.append(f"dates it sets: {kinds}{when}")
        return "; ".join(parts)


# --- words --------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-']*[A-Za-z0-9]|[A-Za-z0-9]")


def _words(text: str) -> list[str]:
    out = []
    text = text.replace("’", "'").replace("‘", "'")
    for w in _WORD_RE.findall(text):
        if w.lower().endswith("n't"):
            continue  # "isn't", "didn't": negation words carry nothing searchable
        w = re.sub(r"['’]s$", "", w)
        w = w.rstrip(".'")
        parts = w.split("-")
        if len(parts) > 1 and all(p[:1].isupper() and p.isalpha() for p in parts):
            out.extend(parts)  # names joined: "Merz-Macron", "US-UAE", "Franco-German"
        elif w:
            out.append(w)
    return out


def _match_phrase(words: list[str], i: int, names: dict[str, str]) -> tuple[str, int] | None:
    """The longest name (up to 4 words) starting at words[i], with how many words it spans."""
    for size in (4, 3, 2, 1):
        if i + size > len(words):
            continue
        phrase = " ".join(words[i : i + size]).lower()
        if phrase in names:
            return names[phrase], size
    return None


def _jurisdiction_at(words: list[str], i: int) -> tuple[str, int] | None:
    word = words[i]
    # A bare code counts only in capitals: "in", "us" and "ca" are ordinary words.
    if word.upper() in vocab.JURISDICTIONS and word.isupper() and len(word) >= 2:
        return word.upper(), 1
    if word in ("U.S", "U.S.", "U.K", "U.K."):
        return ("US" if word.startswith("U.S") else "UK"), 1
    found = _match_phrase(words, i, PLACE_NAMES)
    names_match = _match_phrase(words, i, vocab.JURISDICTION_NAMES)
    if names_match and (not found or names_match[1] >= found[1]):
        if names_match[0] == "UK" and words[i].lower() == "gb" and not word.isupper():
            return None
        return names_match
    return found


def jurisdictions_named(text: str) -> list[str]:
    """Every tracked jurisdiction a text names (code, name, demonym, capital or seat)."""
    words = _words(text)
    return [hit[0] for i in range(len(words)) if (hit := _jurisdiction_at(words, i))]


def jurisdiction_forms(codes: Sequence[str]) -> tuple[str, ...]:
    """The words a text may name these jurisdictions by (names, demonyms, capitals, seats,
    codes). The index ignores case, so "US" also finds "us"; "IN" ("in") would find anything."""
    wanted = set(codes)
    forms = [n for n, c in {**vocab.JURISDICTION_NAMES, **PLACE_NAMES}.items() if c in wanted]
    forms += [c.lower() for c in codes if c != "IN"]
    return tuple(dict.fromkeys(forms))


def _is_target(words: list[str], i: int) -> bool:
    """Whether the place at words[i] is named as a target: after "to", "into", "against"
    ("chips going to China"), after "on"/"over" following a measure ("curbs on China"), or
    as the object of a measure ("stop China getting chips")."""
    j = i - 1
    if j > 0 and words[j].lower() == "the":
        j -= 1
    if j < 0:
        return False
    prev = words[j].lower()
    if prev in TARGET_PREPOSITIONS or prev in TARGET_VERBS:
        return True
    if j > 0 and f"{words[j - 1]} {prev}".lower() in TARGET_VERBS:
        return True
    return prev in ("on", "over") and j > 0 and words[j - 1].lower() in TARGET_MEASURES


def _is_event_name(words: list[str], end: int) -> bool:
    """A place followed within two words by "summit", "declaration" and the like."""
    return any(w.lower() in EVENT_WORDS for w in words[end : end + 3])


def parse_question(text: str, *, now: datetime, tz: ZoneInfo) -> ParsedQuery:
    raw = text.strip()[:MAX_QUESTION_CHARS]
    due_window, raw_rest = parse_due(raw, now=now, tz=tz)
    kinds = date_kinds(raw)
    window, rest = parse_time(raw_rest, now=now, tz=tz, dates_ahead=bool(kinds))
    words = _words(rest)
    actors: list[str] = []
    targets: list[str] = []
    others: list[str] = []
    topics: list[str] = []
    content: list[tuple[str, bool]] = []
    favoured: list[str] = []
    topic_words: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        target = _is_target(words, i)
        agency = _match_phrase(words, i, AGENCIES)
        if agency is not None:
            # "MOFCOM", "the Commerce Department": the government acting, and a name to find.
            code, size = agency
            (targets if target else actors).append(code)
            content.append((" ".join(words[i : i + size]).lower(), True))
            i += size
            continue
        region = _match_phrase(words, i, {r: r for r in REGIONS})
        if region is not None:
            favoured.extend(REGIONS[region[0]])
            i += region[1]
            continue
        hit = _jurisdiction_at(words, i)
        if hit is not None:
            code, size = hit
            if _is_event_name(words, i + size):
                content.append((" ".join(words[i : i + size]).lower(), True))
            elif target:
                targets.append(code)
            else:
                actors.append(code)
            i += size
            continue
        lower = words[i].lower()
        place = _match_phrase(words, i, OTHER_PLACES)
        if place is not None:
            name, size = place
            if _is_event_name(words, i + size) or target:
                content.append((name, True))
            else:
                others.append(name)
            i += size
            continue
        topic_hit = _match_phrase(words, i, TOPIC_PHRASES)
        if topic_hit is not None:
            topic, size = topic_hit
            topics.append(topic)
            # The topic's words still search: "export controls" is in the text too.
            topic_words.append(tuple(w.lower() for w in words[i : i + size]))
            for w in words[i : i + size]:
                if w.lower() not in STOPWORDS:
                    content.append((w.lower(), False))
            i += size
            continue
        phrase = _match_phrase(words, i, PHRASES)
        if phrase is not None and phrase[1] > 1:
            # A phrase of the vocabulary ("cut off", "on hold") is one term with its synonyms.
            content.append((phrase[0], False))
            i += phrase[1]
            continue
        if lower not in STOPWORDS and not (lower.isdigit() and len(lower) == 4):
            content.append((lower, i > 0 and _looks_like_name(words[i])))
        i += 1
    instruments = named_instruments(rest)
    # An instrument's words are checked as its name, not one by one ("Basic" alone is not it).
    named = {w for names in instruments for w in names[0].split()}
    if kinds:
        named |= FRAME_WORDS  # "takes effect", "due": the dates answer them, not the words
    terms = tuple(t for t in _terms(content) if t.text not in named)
    return ParsedQuery(
        raw=raw,
        terms=terms,
        jurisdictions=tuple(dict.fromkeys(actors)),
        target_jurisdictions=tuple(c for c in dict.fromkeys(targets) if c not in actors),
        other_places=tuple(dict.fromkeys(others)),
        topics=tuple(dict.fromkeys(topics)),
        window=window,
        favoured_jurisdictions=tuple(dict.fromkeys(favoured)),
        instruments=instruments,
        date_kinds=kinds,
        due_window=due_window,
        topic_terms=tuple(
            dict.fromkeys(
                kept
                for phrase in topic_words
                if (kept := tuple(w for w in phrase if w in {t.text for t in terms}))
            )
        ),
    )


# A run of capitalised words ending in the kind of instrument it names: "Artificial
# Intelligence and Data Act", "AI Promotion Act". Small words may sit inside the name.
# Plans, strategies and declarations are quoted by their names too ("AI Action Plan"); rules
# and orders are not named the same way twice, so they stay words to find.
INSTRUMENT_WORDS = frozenset(
    {
        "act",
        "bill",
        "law",
        "directive",
        "convention",
        "treaty",
        "plan",
        "strategy",
        "declaration",
        "mission",
        "programme",
    }
)
_NAME_JOINERS = frozenset({"and", "of", "on", "for", "the", "in", "to"})


def named_instruments(text: str) -> tuple[tuple[str, ...], ...]:
    """Each instrument named with at least two capitalised words, with its other names."""
    words = _words(text)
    # A possessive names the owner, not the instrument: "Trump's AI Action Plan".
    owners = {w.lower() for w in re.findall(r"([A-Za-z0-9]+)['’]s\b", text)}
    found: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        if words[i].lower() not in INSTRUMENT_WORDS or not words[i][:1].isupper():
            i += 1
            continue
        start = i
        while start > 0 and (
            (words[start - 1].lower() not in owners and _looks_like_name(words[start - 1]))
            or (
                words[start - 1] in _NAME_JOINERS
                and start > 1
                and _looks_like_name(words[start - 2])
            )
        ):
            start -= 1
        name = [w for w in words[start : i + 1]]
        while name and name[0].lower() in _NAME_JOINERS:
            name = name[1:]
        # Leading jurisdiction names ("EU AI Act", "Korea's") are scope, not part of the name.
        while name and (lead := _jurisdiction_at(name, 0)) is not None:
            name = name[lead[1] :]
        if len(name) >= 2:
            phrase = " ".join(name).lower()
            others = [n for n in _SYNONYMS.get(phrase, ()) if n != phrase]
            found.append((phrase, *others))
        i += 1
    return tuple(dict.fromkeys(found))


def _looks_like_name(word: str) -> bool:
    return word[:1].isupper() or any(c.isdigit() for c in word)


def _terms(content: list[tuple[str, bool]]) -> tuple[Term, ...]:
    out: dict[str, Term] = {}
    for word, key in content:
        for piece in _split_hyphen(word):
            if not piece or piece in STOPWORDS or piece in out or len(piece) < 2:
                continue
            group = _SYNONYMS.get(piece, ()) or amount_forms(piece)
            alternatives = tuple(g for g in group if g != piece)
            out[piece] = Term(text=piece, alternatives=alternatives, key=key)
    return tuple(out.values())


_AMOUNT_RE = re.compile(r"(\d+(?:\.\d+)?)(k|m|mn|bn|b|tn)")
_AMOUNT_UNITS = {"k": "thousand", "m": "million", "mn": "million", "b": "billion"}
_AMOUNT_UNITS |= {"bn": "billion", "tn": "trillion"}


def amount_forms(word: str) -> tuple[str, ...]:
    """ "800m" is also written "800 million" (and "1.2bn" "1.2 billion")."""
    m = _AMOUNT_RE.fullmatch(word)
    if m is None:
        return ()
    return (word, f"{m.group(1)} {_AMOUNT_UNITS[m.group(2)]}")


def _split_hyphen(word: str) -> list[str]:
    if word in _SYNONYMS or amount_forms(word):
        return [word]
    if "-" in word and any(c.isdigit() for c in word) and re.fullmatch(r"[a-z0-9-]+", word):
        # A code such as "kestrel-12" or "2023-27588" stays whole: as a phrase it matches the
        # same adjacent tokens in FTS5, and PostgreSQL tokenises it the same way on both sides
        # (split apart, "-12" would be a signed number there and never match "12").
        return [word]
    return [p for p in re.split(r"[-.']", word) if p]
