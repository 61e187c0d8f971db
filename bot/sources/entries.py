"""What a fetched source hands to the store: one `RawEntry` per feed entry, document or page.

Fetching and parsing (`bot.sources.fetch`, `bot.sources.parse`) produce these; `bot.developments.ingest` stores them.
Text is already clean (HTML removed, encoding repaired); URLs are canonical; datetimes are
timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RawEntry:
    guid: str  # stable id at the source (feed guid, document number, page URL)
    url: str  # canonical URL
    title: str
    text: str
    published: datetime | None = None
    updated: datetime | None = None
    author: str | None = None
    doc_type: str | None = None  # e.g. "Rule", "Proposed Rule", "Notice", "press release"
    is_page: bool = False  # a watched page: a changed text is a new version of the same item
    extra: dict[str, str] = field(default_factory=dict)
    # A `bot.developments.prepare.EntryAnalysis` computed off the storing process, or None (see there).
    analysis: Any = field(default=None, compare=False, repr=False)
