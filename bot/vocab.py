"""The fixed vocabulary of docs/reference.md: jurisdiction codes and names, topics, importance.

Every part of the bot that reads a jurisdiction or topic from a person (the sources file,
`/policy` arguments, questions) normalises it here, so "Britain", "GB" and "uk" all mean UK.
"""

from __future__ import annotations

import re

JURISDICTIONS: dict[str, str] = {
    "US": "United States",
    "UK": "United Kingdom",
    "EU": "European Union",
    "CN": "China",
    "NL": "Netherlands",
    "JP": "Japan",
    "KR": "South Korea",
    "TW": "Taiwan",
    "IN": "India",
    "AE": "United Arab Emirates",
    "FR": "France",
    "DE": "Germany",
    "CA": "Canada",
    "INTL": "International",
}

# Names people type for a jurisdiction (lowercase). Codes themselves are matched separately.
JURISDICTION_NAMES: dict[str, str] = {
    "usa": "US",
    "u.s.": "US",
    "u.s": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "american": "US",
    "britain": "UK",
    "great britain": "UK",
    "united kingdom": "UK",
    "gb": "UK",
    "british": "UK",
    "england": "UK",
    "european union": "EU",
    "europe": "EU",
    "european": "EU",
    "china": "CN",
    "prc": "CN",
    "chinese": "CN",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "dutch": "NL",
    "japan": "JP",
    "japanese": "JP",
    "south korea": "KR",
    "korea": "KR",
    "korean": "KR",
    "taiwan": "TW",
    "taiwanese": "TW",
    "india": "IN",
    "indian": "IN",
    "uae": "AE",
    "united arab emirates": "AE",
    "emirates": "AE",
    "emirati": "AE",
    "france": "FR",
    "french": "FR",
    "germany": "DE",
    "german": "DE",
    "canada": "CA",
    "canadian": "CA",
    "international": "INTL",
    "multilateral": "INTL",
    "global": "INTL",
}

TOPICS: tuple[str, ...] = ("export-controls", "sovereignty", "regulation", "data-protection")

TOPIC_NAMES: dict[str, str] = {
    "export-controls": "export-controls",
    "export-control": "export-controls",
    "export controls": "export-controls",
    "export control": "export-controls",
    "exports": "export-controls",
    "export": "export-controls",
    "sovereignty": "sovereignty",
    "sovereign": "sovereignty",
    "regulation": "regulation",
    "regulations": "regulation",
    "rules": "regulation",
    "data-protection": "data-protection",
    "data protection": "data-protection",
    "privacy": "data-protection",
}

IMPORTANCE: tuple[str, ...] = ("high", "medium", "low")
IMPORTANCE_RANK: dict[str, int] = {"high": 3, "medium": 2, "low": 1}

_CODE_RE = re.compile(r"^[A-Za-z]{2,4}$")


def normalize_jurisdiction(word: str) -> str | None:
    """The code for a jurisdiction code or name, or None. Case-insensitive."""
    cleaned = word.strip().strip(",.;:!?").strip()
    if not cleaned:
        return None
    upper = cleaned.upper()
    if upper in JURISDICTIONS and _CODE_RE.match(cleaned):
        return upper
    return JURISDICTION_NAMES.get(cleaned.lower())


def normalize_topic(word: str) -> str | None:
    """The topic for a topic word, or None. Case-insensitive."""
    return TOPIC_NAMES.get(word.strip().strip(",.;:!?").lower())


def normalize_importance(word: str) -> str | None:
    cleaned = word.strip().lower()
    return cleaned if cleaned in IMPORTANCE else None


def jurisdiction_label(code: str) -> str:
    return JURISDICTIONS.get(code, code)
