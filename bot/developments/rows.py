"""The rows ingest works with: raw store columns decoded, and items before they are written.

Reading raw columns (JSON text on SQLite, lists with psycopg; ISO text or aware datetimes) and
parsing each distinct value once keeps a poll over thousands of items cheap; these helpers are
shared by candidate selection (`candidates`), the development refresh (`refresh`) and the
ingest rules (`ingest`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from bot.analysis import cluster
from bot.analysis.importance import RatedItem
from bot.sources.entries import RawEntry
from store.models import Development, Item

IN_CHUNK = 500


@lru_cache(maxsize=4096)
def _parse_codes(raw: str) -> frozenset[str]:
    try:
        value = json.loads(raw)
    except ValueError:
        return frozenset()
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def json_codes(value: object) -> frozenset[str]:
    """A JSON list column read raw: text on SQLite, already a list with psycopg."""
    if isinstance(value, str):
        return _parse_codes(value)
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value)
    return frozenset()


@lru_cache(maxsize=4096)
def _parse_code_list(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def json_code_list(value: object) -> tuple[str, ...]:
    """A JSON list column read raw, in its order (see `json_codes`)."""
    if isinstance(value, str):
        return _parse_code_list(value)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


# What an item's own importance depends on: its text (by id and content hash), its document
# type and whether its source is primary. A plain tuple: hashed for every item of a refresh.
RatingKey = tuple[int, str, str | None, bool]


def chunks_of(values: Sequence[int]) -> list[list[int]]:
    return [list(values[i : i + IN_CHUNK]) for i in range(0, len(values), IN_CHUNK)]


def unique_chunks(values: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(v for v in values if v))
    return [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]


def utc_of(value: object) -> datetime:
    """A date column read raw: ISO text on SQLite (naive UTC), an aware datetime with psycopg."""
    if isinstance(value, str):
        return _parse_utc(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise TypeError(f"not a date: {value!r}")


@lru_cache(maxsize=65_536)
def _parse_utc(raw: str) -> datetime:
    # Stored dates repeat (every item of a poll has the same first-seen time): parse each once.
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


NO_GOVERNMENT = frozenset({"INTL"})  # tags that name no government
# Stands for "no government named" in `PoolRow.governments`: a row naming none may report any
# government's measure, so every new item's test set holds it too (`governments_met_by`).
UNTAGGED = "*"


@lru_cache(maxsize=1024)
def governments_of(jurisdictions: frozenset[str]) -> frozenset[str]:
    """The governments an item names, or {UNTAGGED} when it names none."""
    return (jurisdictions - NO_GOVERNMENT) or frozenset({UNTAGGED})


@lru_cache(maxsize=1024)
def governments_met_by(jurisdictions: frozenset[str]) -> frozenset[str] | None:
    """What a candidate row's `governments` must meet to be compared with a new item tagged
    `jurisdictions`: one of its governments, or UNTAGGED (a row naming no government). None
    when the new item names no government: every row is compared."""
    governments = jurisdictions - NO_GOVERNMENT
    return governments | {UNTAGGED} if governments else None


@dataclass(eq=False, slots=True)
class PoolRow:
    """One stored item that a new item of this call may join (via its development)."""

    stamp: datetime  # published, or first seen when the item has no date
    item_id: int
    development_id: int
    jurisdictions: frozenset[str]
    topics: frozenset[str]
    digest: str
    source_id: int
    # The item's clustering fingerprint once computed (it depends on the item id and content
    # hash only, which never change for a row); a pending item's row has it from the start.
    fingerprint: cluster.Fingerprint | None = None
    governments: frozenset[str] = field(init=False)  # `governments_of(jurisdictions)`

    def __post_init__(self) -> None:
        self.governments = governments_of(self.jurisdictions)


def stamp_of(row: PoolRow) -> datetime:
    return row.stamp


stamp_and_id = attrgetter("stamp", "item_id")
DEFERRED_EVIDENCE: Any = Development.evidence  # SQLModel types these as plain values
DEFERRED_SEARCH_TEXT: Any = Development.search_text

DevState = tuple[int, datetime]  # a development's (revision, updated_at)

# Ids of pending items in the candidate pool: above any stored id (see `CandidatePool.settle`).
PROVISIONAL_IDS = 1 << 62


@dataclass(eq=False, slots=True)
class NewItem:
    """A new item's columns, before it is written (an ORM `Item` costs ~0.2 ms to build)."""

    source_id: int
    guid: str
    url: str
    title: str
    text: str
    author: str | None
    doc_type: str | None
    published_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    content_hash: str
    jurisdictions: list[str]
    topics: list[str]
    confidence: float
    evidence: dict[str, Any]
    backfill: bool
    version: int = 1
    id: int | None = None
    development_id: int | None = None

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _NEW_ITEM_COLUMNS}

    def to_item(self) -> Item:
        return Item(**self.columns())


_NEW_ITEM_COLUMNS = [f for f in NewItem.__dataclass_fields__ if f != "id"]
ItemLike = Item | NewItem


@dataclass(eq=False)
class PendingItem:
    """A new entry whose development is decided, not yet written."""

    item: NewItem
    entry: RawEntry
    fingerprint: cluster.Fingerprint
    key: int  # a stored development's id, or a provisional key (< 0) of `new_groups`
    provisional_id: int  # its row's id in the candidate pool until written
    joined: tuple[float, str] | None  # (score, why) when it joined another item's development


@dataclass
class ItemRow:
    """The columns of an item that a development's refresh needs for every item."""

    id: int
    source_id: int
    published_at: datetime | None
    first_seen_at: datetime
    jurisdictions: list[str]
    topics: list[str]
    doc_type: str | None
    backfill: bool
    version: int
    confidence: float
    digest: str
    rated: tuple[bool, RatedItem] | None = None  # (primary, rating), once rated

    @property
    def stamp(self) -> datetime:
        return self.published_at or self.first_seen_at
