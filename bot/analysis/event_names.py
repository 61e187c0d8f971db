"""Distinctive names and dates: what identifies one event across press-release, law-firm and
newswire styles (Nexperia, H20, "AI Basic Act", "1 December"), for `bot.analysis.cluster`.

A name is a word rarer in English than `RARE_ZIPF` (wordfreq) that the domain's own vocabulary
(`common_names`: countries, agencies, laws, topic words of the taxonomy) does not hold, a
capitalised multi-word name, or a day-month date. How much one shared name says is
`name_weight`, divided in `cluster.NameCounts` by the candidate developments that hold it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from wordfreq import zipf_frequency

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|\d+[A-Za-z][A-Za-z0-9]*")
_DATE = re.compile(
    r"\b(?:(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*|"
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+(\d{1,2})(?!\d))\b"
)
_PHRASE = re.compile(r"(?<![A-Za-z])(?:[A-Z][A-Za-z0-9-]*[ ]){1,3}[A-Z][A-Za-z0-9-]*")
# A word rarer than this in English (Zipf scale: 3 is once per million words) names
# something particular: a company (Nexperia), a chip (H20), a material (gallium).
RARE_ZIPF = 3.0


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
    return float(zipf_frequency(word, "en"))


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
