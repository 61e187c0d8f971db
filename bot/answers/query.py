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

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import vocab
from bot.answers.vocabulary import question_vocabulary
from bot.answers.when import FRAME_WORDS, coming_month, date_kinds, future_window

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

# Words that carry no searchable meaning in a question to a policy bot.
STOPWORDS: frozenset[str] = _wordset(
    """
    a about actually after again against all already also am an and any anyone anything are
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

# Synonym groups (and common names of acts): a term also searches the others in its group.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = question_vocabulary().synonym_groups
_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        _SYNONYMS[_word] = _group

_MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    _MONTHS[calendar.month_name[_i].lower()] = _i
    _MONTHS[calendar.month_abbr[_i].lower()] = _i
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fourteen": 14,
    "thirty": 30,
    "ninety": 90,
}
# Relative phrases name whole days in POLICYBOT_TIMEZONE ending with today: "today" and
# "yesterday" are calendar days; "this week" is the last RECENT_DAYS days and "last week" the
# RECENT_DAYS before them; "this month" and "this year" run from the 1st and 1 January but
# never cover fewer than the last RECENT_DAYS days; "last month" and "last year" are calendar
# ones. So the same question finds the same developments on every weekday.
RECENT_DAYS = 7
_ORDINAL_WEEKS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11)}


@dataclass(frozen=True)
class TimeWindow:
    """Published between `start` (inclusive) and `end` (exclusive), both aware UTC.

    `relative` windows ("this week", "yesterday") ask what is new and filter strictly;
    calendar windows ("in January 2025") may also qualify a noun ("the Oct 2023 rules"), so
    the answer engine prefers matches inside them without excluding the rest.
    """

    start: datetime | None
    end: datetime | None
    label: str
    relative: bool
    zone: ZoneInfo | None = None  # POLICYBOT_TIMEZONE, for showing the local dates

    def describe(self) -> str:
        """The label with its local dates, e.g. "this week (2025-11-10 to 2025-11-12)"."""
        if self.start is None or self.end is None:
            return self.label
        zone = self.zone or UTC
        first = self.start.astimezone(zone).date().isoformat()
        last = (self.end - timedelta(seconds=1)).astimezone(zone).date().isoformat()
        return f"{self.label} ({first})" if first == last else f"{self.label} ({first} to {last})"


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
        if self.all_jurisdictions:
            parts.append("jurisdictions: " + ", ".join(self.all_jurisdictions))
        if self.topics:
            parts.append("topics: " + ", ".join(self.topics))
        parts.append("published: " + (self.window.describe() if self.window else "any time"))
        if self.date_kinds or self.due_window:
            kinds = ", ".join(DATE_KIND_LABELS.get(k, k) for k in self.date_kinds) or "any"
            when = f" in {self.due_window.describe()}" if self.due_window else ""
            parts.append(f"dates it sets: {kinds}{when}")
        return "; ".join(parts)


# --- time expressions -------------------------------------------------------------------------


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, end


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _year_for(month: int, today: date) -> int:
    """The most recent year in which `month` has started (for "in March" with no year)."""
    return today.year if month <= today.month else today.year - 1


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


@dataclass(frozen=True)
class _TimeMatch:
    span: tuple[int, int]
    start: date | None
    end: date | None  # exclusive
    label: str
    relative: bool


def _find_time(text: str, today: date) -> _TimeMatch | None:
    t = text
    year_re = r"(?P<year>(?:19|20)\d{2})"
    month_re = rf"(?P<month>{_MONTH_RE})\.?"

    def month_num(m: re.Match[str]) -> int:
        return _MONTHS[m.group("month").lower().rstrip(".")]

    simple: list[tuple[str, int, int, str]] = [
        (r"\btoday(?:'s)?\b", 0, 1, "today"),
        (r"\byesterday(?:'s)?\b", -1, 0, "yesterday"),
    ]
    for pattern, lo, hi, label in simple:
        m = re.search(pattern, t, re.I)
        if m:
            return _TimeMatch(m.span(), today + timedelta(lo), today + timedelta(hi), label, True)

    # "This week" is the last 7 days whatever the weekday, so a Monday morning does not ask
    # an empty window; "last week" is the 7 days before those (see RECENT_DAYS).
    recent = today - timedelta(RECENT_DAYS - 1)
    m = re.search(r"\b(?:the\s+)?(?:this|current)\s+week(?:'s)?\b", t, re.I)
    if m:
        return _TimeMatch(m.span(), recent, today + timedelta(1), "this week", True)
    m = re.search(r"\b(?:the\s+)?(?:last|previous|past)\s+week(?:'s)?\b", t, re.I)
    if m:
        if "past" in m.group(0).lower():
            return _TimeMatch(m.span(), recent, today + timedelta(1), "past 7 days", True)
        return _TimeMatch(m.span(), recent - timedelta(RECENT_DAYS), recent, "last week", True)
    m = re.search(r"\b(?:this|current)\s+month(?:'s)?\b", t, re.I)
    if m:
        start = min(today.replace(day=1), recent)
        return _TimeMatch(m.span(), start, today + timedelta(1), "this month", True)
    m = re.search(r"\b(?:last|previous|past)\s+month(?:'s)?\b", t, re.I)
    if m:
        first = today.replace(day=1)
        start = _add_months(first, -1)
        return _TimeMatch(m.span(), start, first, start.strftime("%B %Y"), True)
    m = re.search(r"\b(?:this|current)\s+year(?:'s)?\b", t, re.I)
    if m:
        start = min(date(today.year, 1, 1), recent)
        return _TimeMatch(m.span(), start, today + timedelta(1), "this year", True)
    m = re.search(r"\b(?:last|previous)\s+year(?:'s)?\b", t, re.I)
    if m:
        y = today.year - 1
        return _TimeMatch(m.span(), date(y, 1, 1), date(y + 1, 1, 1), str(y), True)
    m = re.search(
        r"\b(?:in\s+the\s+|over\s+the\s+|the\s+)?(?:last|past|previous)\s+"
        r"(?P<n>\d{1,3}|[a-z]+)\s+(?P<unit>days?|weeks?|months?)\b",
        t,
        re.I,
    )
    if m and _number(m.group("n").lower()) is not None:
        n = _number(m.group("n").lower()) or 0
        unit = m.group("unit").lower().rstrip("s")
        if unit == "day":
            start = today - timedelta(days=n - 1)
        elif unit == "week":
            start = today - timedelta(days=7 * n - 1)
        else:
            start = _add_months(today, -n) + timedelta(1)
        return _TimeMatch(m.span(), start, today + timedelta(1), f"last {n} {unit}s", True)

    # since 1 March [2025] / since March 1[, 2025] / since March [2025] / since 2025-03-01
    m = re.search(
        rf"\bsince\s+(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+{month_re}|"
        rf"(?P<month2>{_MONTH_RE})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b|"
        rf"(?P<month3>{_MONTH_RE})\b)(?:,?\s+{year_re})?",
        t,
        re.I,
    )
    if m:
        name = (m.group("month") or m.group("month2") or m.group("month3")).lower().rstrip(".")
        month = _MONTHS[name]
        day_s = m.group("d1") or m.group("d2") or "1"
        year = int(m.group("year")) if m.group("year") else None
        if year is None:
            year = today.year
            if date(year, month, 1) > today:
                year -= 1
        try:
            start = date(year, month, int(day_s))
        except ValueError:
            start = date(year, month, 1)
        return _TimeMatch(m.span(), start, today + timedelta(1), f"since {start:%d %B %Y}", True)
    m = re.search(r"\bsince\s+(?P<iso>\d{4}-\d{2}-\d{2})\b", t, re.I)
    if m:
        since: date | None
        try:
            since = date.fromisoformat(m.group("iso"))
        except ValueError:
            since = None
        if since is not None:
            return _TimeMatch(
                m.span(), since, today + timedelta(1), f"since {since:%d %B %Y}", True
            )
    m = re.search(rf"\bsince\s+{year_re}\b", t, re.I)
    if m:
        start = date(int(m.group("year")), 1, 1)
        return _TimeMatch(m.span(), start, today + timedelta(1), f"since {start.year}", True)

    # the first/second/last week of March 2025
    m = re.search(
        rf"\b(?:in\s+|during\s+)?(?:the\s+)?(?P<ord>first|second|third|fourth|last)\s+week\s+of\s+"
        rf"{month_re}(?:\s+{year_re})?",
        t,
        re.I,
    )
    if m:
        month = month_num(m)
        year = int(m.group("year")) if m.group("year") else _year_for(month, today)
        first, nxt = _month_bounds(year, month)
        index = _ORDINAL_WEEKS[m.group("ord").lower()]
        start = nxt - timedelta(7) if index < 0 else first + timedelta(7 * index)
        end = min(start + timedelta(7), nxt)
        label = f"{m.group('ord').lower()} week of {first:%B %Y}"
        return _TimeMatch(m.span(), start, end, label, False)
    # early / mid / late March 2025
    m = re.search(
        rf"\b(?:in\s+)?(?P<part>early|mid|middle\s+of|late|end\s+of|start\s+of)[\s-]+"
        rf"{month_re}(?:\s+{year_re})?",
        t,
        re.I,
    )
    if m:
        month = month_num(m)
        year = int(m.group("year")) if m.group("year") else _year_for(month, today)
        first, nxt = _month_bounds(year, month)
        part = m.group("part").lower()
        if part in ("early", "start of"):
            start, end = first, first + timedelta(10)
        elif part in ("late", "end of"):
            start, end = first + timedelta(20), nxt
        else:
            start, end = first + timedelta(9), first + timedelta(21)
        return _TimeMatch(m.span(), start, end, f"{part} {first:%B %Y}", False)
    # in March 2025 / March 2025 / Oct. 2023
    m = re.search(rf"\b(?:in\s+|during\s+)?{month_re}\s+(?:of\s+)?{year_re}\b", t, re.I)
    if m:
        first, nxt = _month_bounds(int(m.group("year")), month_num(m))
        return _TimeMatch(m.span(), first, nxt, f"{first:%B %Y}", False)
    # spring 2025
    m = re.search(
        r"\b(?:in\s+)?(?:the\s+)?(?P<season>spring|summer|autumn|fall)\s+(?:of\s+)?" + year_re,
        t,
        re.I,
    )
    if m:
        lo, hi = _SEASONS[m.group("season").lower()]
        year = int(m.group("year"))
        start = date(year, lo, 1)
        end = _month_bounds(year, hi)[1]
        return _TimeMatch(m.span(), start, end, f"{m.group('season').lower()} {year}", False)
    # Q1 2025
    m = re.search(r"\b(?:in\s+)?q(?P<q>[1-4])\s+" + year_re, t, re.I)
    if m:
        q = int(m.group("q"))
        year = int(m.group("year"))
        start = date(year, 3 * q - 2, 1)
        end = _month_bounds(year, 3 * q)[1]
        return _TimeMatch(m.span(), start, end, f"Q{q} {year}", False)
    # in March (no year): the most recent March
    m = re.search(rf"\b(?:in|during)\s+(?P<month>{_MONTH_RE})\b(?!\s+\d)", t, re.I)
    if m and m.group("month").lower() not in ("may", "mar"):
        month = month_num(m)
        first, nxt = _month_bounds(_year_for(month, today), month)
        return _TimeMatch(m.span(), first, nxt, f"{first:%B %Y}", False)
    # in 2024
    m = re.search(r"\b(?:in|during)\s+" + year_re + r"\b", t, re.I)
    if m:
        year = int(m.group("year"))
        return _TimeMatch(m.span(), date(year, 1, 1), date(year + 1, 1, 1), str(year), False)
    return None


def parse_time(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[TimeWindow | None, str]:
    """The time window a text names (relative to `now` in `tz`) and the text without it."""
    today = now.astimezone(tz).date()
    found = _find_time(text, today)
    if found is None:
        return None, text
    start = _local_midnight(found.start, tz) if found.start else None
    end = _local_midnight(found.end, tz) if found.end else None
    rest = text[: found.span[0]] + " " + text[found.span[1] :]
    window = TimeWindow(start=start, end=end, label=found.label, relative=found.relative, zone=tz)
    return window, rest


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
        if w:
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


def _is_event_name(words: list[str], end: int) -> bool:
    """A place followed within two words by "summit", "declaration" and the like."""
    return any(w.lower() in EVENT_WORDS for w in words[end : end + 3])


def parse_due(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[TimeWindow | None, str]:
    """A forward range ("next month") the question's dates must fall in, and the text
    without it (see bot/answers/when.py)."""
    today = now.astimezone(tz).date()
    found = future_window(text, today)
    if found is None and date_kinds(text):
        found = coming_month(text, today)
    if found is None:
        return None, text
    window = TimeWindow(
        start=_local_midnight(found.start, tz),
        end=_local_midnight(found.end, tz),
        label=found.label,
        relative=True,
        zone=tz,
    )
    return window, text[: found.span[0]] + " " + text[found.span[1] :]


def parse_question(text: str, *, now: datetime, tz: ZoneInfo) -> ParsedQuery:
    raw = text.strip()[:MAX_QUESTION_CHARS]
    due_window, raw_rest = parse_due(raw, now=now, tz=tz)
    kinds = date_kinds(raw)
    window, rest = parse_time(raw_rest, now=now, tz=tz)
    words = _words(rest)
    actors: list[str] = []
    targets: list[str] = []
    others: list[str] = []
    topics: list[str] = []
    content: list[tuple[str, bool]] = []
    favoured: list[str] = []
    i = 0
    while i < len(words):
        prev = words[i - 1].lower() if i > 0 else ""
        if prev == "the" and i > 1:
            prev = words[i - 2].lower()
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
            elif prev in TARGET_PREPOSITIONS:
                targets.append(code)
            else:
                actors.append(code)
            i += size
            continue
        lower = words[i].lower()
        place = _match_phrase(words, i, OTHER_PLACES)
        if place is not None:
            name, size = place
            if _is_event_name(words, i + size) or prev in TARGET_PREPOSITIONS:
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
            for w in words[i : i + size]:
                if w.lower() not in STOPWORDS:
                    content.append((w.lower(), False))
            i += size
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
    )


# A run of capitalised words ending in the kind of instrument it names: "Artificial
# Intelligence and Data Act", "AI Promotion Act". Small words may sit inside the name.
INSTRUMENT_WORDS = frozenset({"act", "bill", "law", "directive", "convention", "treaty"})
_NAME_JOINERS = frozenset({"and", "of", "on", "for", "the", "in", "to"})


def named_instruments(text: str) -> tuple[tuple[str, ...], ...]:
    """Each instrument named with at least two capitalised words, with its other names."""
    words = _words(text)
    found: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        if words[i].lower() not in INSTRUMENT_WORDS or not words[i][:1].isupper():
            i += 1
            continue
        start = i
        while start > 0 and (
            _looks_like_name(words[start - 1])
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
