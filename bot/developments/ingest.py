"""Store what a source returned: deduplicate, classify, cluster into developments.

`ingest_entries` is called once per fetched source with everything it returned. It flushes but
does not commit: the caller owns the transaction (one session per poll job).

Rules:
- An entry already stored (same source and GUID, the same canonical URL, or the same content
  hash from that source) is not stored again. If its title or text changed, the item is updated
  (`version` + 1), and its development's `revision` + 1 and `updated_at` = now; an edit is never a
  new development. An entry whose URL is already stored by *another* source is left alone.
- A watched page (`is_page`): the first fetch is a baseline: the item, version 1 and a
  development are stored, with `announce = "never"` (a page existing is not news). Each later
  change stores an `ItemVersion` with the sentences added and removed, and the development's
  summary says what was added and removed; the change makes the development announceable.
- A new item joins the development of a stored item that reports the same event
  (`bot.analysis.cluster`); otherwise it starts a new development. Candidates are the stored
  items nearest in date within `cluster.WINDOW_DAYS` of it (at most `_CANDIDATES_PER_SIDE`
  before and after), whatever their tags, then filtered on tags.
- Backfill: an item published more than `announce_max_age_days` before `now` is stored with
  `backfill = True`; a development whose items are all backfill is `announce = "never"` and
  becomes `"pending"` once one of its items is recent. A development with no AI-policy topic is
  `"never"`. A development already `"posted"` keeps that state.

Speed (a first poll stores thousands of items, one call per source):
- Work that depends only on an entry (content hash, classification, importance, fingerprint,
  one-item summary) arrives precomputed from worker processes (`bot.developments.prepare`) on large polls;
  it is used only when made for this source's settings, and computed here otherwise.
- A new entry's development is decided at once, in memory; its item waits (`pending`) and
  joins the candidates as a provisional row, so later entries of the call can join it. The
  call's new developments are then computed whole from their items in memory and written in
  one batched INSERT (their full-text rows made once), then the items in another; the stored
  developments they join are loaded in one query and refreshed together.
- Candidates are read once per call (`_Pool`: only the columns clustering needs) rather than
  three queries per new entry: every clustered item when the store is not much larger than the
  call's date window, else the window (kept with the range it covers, which later calls
  reuse or widen); a call with few entries in a crowded window queries per entry instead
  (`_QueriedPool`, which writes each item as it is decided).
- Caches (`bot.developments.ingest_cache`, one per poll, passed in by the caller) carry work from one call
  to the next, each used only when a cheap check says the store has not changed under it: the
  candidates (checked against a generation counter that every call storing items moves on,
  and the newest item id), a development's item rows (checked against its revision and update
  time), and fingerprints and importance ratings (keyed by item id and content hash). A
  rolled-back call leaves the store behind a cache, which is then not used. Ingest is the only
  writer of items, so these checks see every change.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right, insort_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import compress
from operator import and_, attrgetter, not_
from typing import Any

from sqlalchemy import Connection, Engine, String, Table, func, insert, type_coerce, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from bot.analysis import cluster
from bot.analysis.classify import Classification, classify
from bot.analysis.importance import ItemSignal, RatedItem, combine_importance, item_importance
from bot.analysis.llm import summarise_development
from bot.analysis.summarise import page_change, page_change_summary
from bot.analysis.taxonomy import Taxonomy, load_taxonomy
from bot.config import Settings
from bot.developments.ingest_cache import IngestCache
from bot.developments.prepare import (
    FINGERPRINT_TEXT_CHARS,
    EntryAnalysis,
    analysis_key,
    content_hash,
)
from bot.developments.timeline import record_timelines
from bot.sources.entries import RawEntry
from bot.vocab import TOPICS
from store.counters import bump_counter, read_counter
from store.models import Development, Item, ItemVersion, Source

SEARCH_TEXT_CAP = 20_000
_IN_CHUNK = 500
_CANDIDATE_TEXT_CHARS = FINGERPRINT_TEXT_CHARS  # what a fingerprint reads of an item's text
_CANDIDATES_PER_SIDE = 200
# A call reads every clustered item, not just its date window, while they are at most this
# many times the window plus a small store's worth: see `load_pool`.
_WHOLE_STORE_FACTOR = 4
_WHOLE_STORE_MIN = 2_000
_DETAIL_ITEMS = 20


@lru_cache(maxsize=4096)
def _parse_codes(raw: str) -> frozenset[str]:
    try:
        value = json.loads(raw)
    except ValueError:
        return frozenset()
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def _codes(value: object) -> frozenset[str]:
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


def _code_list(value: object) -> tuple[str, ...]:
    """A JSON list column read raw, in its order (see `_codes`)."""
    if isinstance(value, str):
        return _parse_code_list(value)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


# What an item's own importance depends on: its text (by id and content hash), its document
# type and whether its source is primary. A plain tuple: hashed for every item of a refresh.
_RatingKey = tuple[int, str, str | None, bool]


# Caches (`bot.developments.ingest_cache.IngestCache`, one per poll):
# - a development's item rows with the development's (revision, updated_at) they belong to.
#   Ingest bumps both whenever an item joins a development or changes, so a development read
#   with the same pair still has exactly those items: its next refresh re-reads only the items
#   this call added or edited, instead of every item of a large development for each item that
#   joins it. A rolled-back call leaves the stored pair behind the cached one, so its rows are
#   not used.
# - the clustering candidates left by the last call, with the items generation they mirror: a
#   counter in the `kv` table that every call storing items bumps in its own transaction
#   (ingest is the only writer of items). A rolled-back call leaves the stored generation
#   behind the published one, and another process's call moves it on, so an equal generation
#   means the same items: the next call then starts from these rows instead of reading the
#   whole window again. Two indexed reads (the newest item id too, which catches items deleted
#   behind ingest's back), where counting the items grew with the store.
# - fingerprints of stored items by (id, content hash), so that polling many sources does not
#   re-read and re-hash the same neighbours (a fingerprint depends only on the title and the
#   first characters of the text, which the content hash covers: never stale), and items' own
#   importance ratings, so that refreshing a large development does not re-run the importance
#   rules over every item's text each time one item joins.
_GENERATION_KEY = "ingest:items_generation"


def _engine_of(session: Session) -> Engine | None:
    bind = session.get_bind()
    if isinstance(bind, Engine):
        return bind
    return bind.engine if isinstance(bind, Connection) else None


@dataclass(frozen=True)
class IngestResult:
    new: int
    updated: int
    unchanged: int
    development_ids: list[int] = field(default_factory=list)  # created or changed


def _chunks_of(values: Sequence[int]) -> list[list[int]]:
    return [list(values[i : i + _IN_CHUNK]) for i in range(0, len(values), _IN_CHUNK)]


def _chunks(values: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(v for v in values if v))
    return [unique[i : i + _IN_CHUNK] for i in range(0, len(unique), _IN_CHUNK)]


def _utc(value: object) -> datetime:
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


@dataclass(eq=False, slots=True)
class _PoolRow:
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


def _stamp_of(row: _PoolRow) -> datetime:
    return row.stamp


_stamp_and_id = attrgetter("stamp", "item_id")
_DEFERRED_EVIDENCE: Any = Development.evidence  # SQLModel types these as plain values
_DEFERRED_SEARCH_TEXT: Any = Development.search_text
_source_of = attrgetter("source_id")
_topics_of = attrgetter("topics")
_jurisdictions_of = attrgetter("jurisdictions")


class _Pool:
    """The clustering candidates of one ingest call, in date order.

    Loaded with one query covering the date windows of all the call's new entries, instead of
    three queries per new entry; each item the call stores joins it, and an edited item is
    re-read, so every new entry sees the same candidates the per-entry queries returned: the
    nearest `_CANDIDATES_PER_SIDE` dated items before and after it (and undated items by when
    they were first seen), whatever their tags, then filtered on tags.
    """

    def __init__(self) -> None:
        self.dated: list[_PoolRow] = []  # by (published, id)
        self.undated: list[_PoolRow] = []  # by (first seen, id)
        self.by_id: dict[int, _PoolRow] = {}
        self.complete = False  # holds every item with a development, not only a window
        # Or every such item dated in this range (by published date, else first seen).
        self.coverage: tuple[datetime, datetime] | None = None

    def copy(self) -> _Pool:
        """An independent pool with the same rows (rows are never changed, only replaced)."""
        pool = _Pool()
        pool.dated, pool.undated, pool.by_id = list(self.dated), list(self.undated), {}
        pool.by_id.update(self.by_id)
        pool.complete, pool.coverage = self.complete, self.coverage
        return pool

    def covers(self, lo: datetime, hi: datetime) -> bool:
        """Whether this pool holds every clustered item dated from `lo` to `hi`."""
        if self.complete:
            return True
        return self.coverage is not None and self.coverage[0] <= lo and hi <= self.coverage[1]

    def load(
        self, session: Session, *, lo: datetime | None = None, hi: datetime | None = None
    ) -> None:
        """Read the items of the window from `lo` to `hi`, or every item without them."""
        published = col(Item.published_at)
        seen = col(Item.first_seen_at)
        query = sa_select(
            col(Item.id),
            col(Item.development_id),
            # Raw values: JSON text is parsed once per distinct value and dates without the
            # column type's per-row conversion; this query can return every stored item.
            type_coerce(col(Item.jurisdictions), String),
            type_coerce(col(Item.topics), String),
            type_coerce(published, String),
            type_coerce(seen, String),
            col(Item.content_hash),
            col(Item.source_id),
        ).where(col(Item.development_id).is_not(None))
        if lo is not None and hi is not None:
            query = query.where(
                ((published >= lo) & (published <= hi))
                | (published.is_(None) & (seen >= lo) & (seen <= hi))
            )
        self.complete = lo is None and hi is None
        self.coverage = (lo, hi) if lo is not None and hi is not None else None
        dated: list[_PoolRow] = []
        undated: list[_PoolRow] = []
        for item_id, dev_id, item_j, item_t, pub, first, digest, source_id in session.execute(
            query
        ):
            row = _PoolRow(
                _utc(pub if pub is not None else first),
                item_id,
                dev_id,
                _codes(item_j),
                _codes(item_t),
                digest,
                source_id,
            )
            (dated if pub is not None else undated).append(row)
            self.by_id[item_id] = row
        dated.sort(key=_stamp_and_id)
        undated.sort(key=_stamp_and_id)
        self.dated, self.undated = dated, undated

    def add(self, item: Item) -> None:
        assert item.id is not None and item.development_id is not None
        self.add_row(
            _PoolRow(
                item.published_at or item.first_seen_at,
                item.id,
                item.development_id,
                frozenset(item.jurisdictions),
                frozenset(item.topics),
                item.content_hash,
                item.source_id,
            ),
            dated=item.published_at is not None,
        )

    def add_row(self, row: _PoolRow, *, dated: bool) -> None:
        self.discard(row.item_id)
        # Ids grow, so inserting after equal dates keeps the (date, id) order.
        insort_right(self.dated if dated else self.undated, row, key=_stamp_of)
        self.by_id[row.item_id] = row

    def settle(self, provisional_id: int, item_id: int, development_id: int) -> None:
        """A pending row was written: give it its stored ids, keeping its place.

        Provisional ids are above every stored id and grow in the order items are written,
        as the stored ids do, so the (date, id) order is unchanged.
        """
        row = self.by_id.pop(provisional_id, None)
        if row is not None:
            row.item_id, row.development_id = item_id, development_id
            self.by_id[item_id] = row

    def discard(self, item_id: int) -> None:
        row = self.by_id.pop(item_id, None)
        if row is not None:
            for rows in (self.dated, self.undated):
                for index in range(bisect_left(rows, row.stamp, key=_stamp_of), len(rows)):
                    if rows[index] is row:
                        del rows[index]
                        return

    def near(self, when: datetime, window: timedelta) -> list[_PoolRow]:
        """What the three date-window queries returned, in their order."""
        dated, undated, limit = self.dated, self.undated, _CANDIDATES_PER_SIDE
        start = bisect_left(dated, when - window, key=_stamp_of)
        split = bisect_right(dated, when, key=_stamp_of)
        end = bisect_right(dated, when + window, key=_stamp_of)
        before = dated[max(start, split - limit) : split][::-1]  # newest first
        after = dated[split : min(end, split + limit)]  # oldest first
        start = bisect_left(undated, when - window, key=_stamp_of)
        end = bisect_right(undated, when + window, key=_stamp_of)
        return before + after + undated[max(start, end - limit) : end][::-1]


class _QueriedPool(_Pool):
    """The same candidates read with three indexed queries per new entry.

    For a call with few new entries in a crowded date window, where reading the whole window
    once would cost more than the nearest `_CANDIDATES_PER_SIDE` per side for each entry. The
    call's own items are flushed, so the queries see them.
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def add(self, item: Item) -> None:
        pass

    def discard(self, item_id: int) -> None:
        pass

    def near(self, when: datetime, window: timedelta) -> list[_PoolRow]:
        has_dev = col(Item.development_id).is_not(None)
        published = col(Item.published_at)
        seen = col(Item.first_seen_at)

        def light(stamp: Any) -> Any:
            return sa_select(
                col(Item.id),
                col(Item.development_id),
                type_coerce(col(Item.jurisdictions), String),
                type_coerce(col(Item.topics), String),
                type_coerce(stamp, String),
                col(Item.content_hash),
                col(Item.source_id),
            )

        queries = [
            light(published)
            .where(has_dev, published >= when - window, published <= when)
            .order_by(published.desc(), col(Item.id).desc())
            .limit(_CANDIDATES_PER_SIDE),
            light(published)
            .where(has_dev, published > when, published <= when + window)
            .order_by(published, col(Item.id))
            .limit(_CANDIDATES_PER_SIDE),
            light(seen)
            .where(has_dev, published.is_(None), seen >= when - window, seen <= when + window)
            .order_by(seen.desc(), col(Item.id).desc())
            .limit(_CANDIDATES_PER_SIDE),
        ]
        return [
            _PoolRow(_utc(stamp), item_id, dev_id, _codes(item_j), _codes(item_t), digest, sid)
            for query in queries
            for item_id, dev_id, item_j, item_t, stamp, digest, sid in self.session.execute(query)
        ]


class _Ingest:
    def __init__(
        self,
        session: Session,
        source: Source,
        now: datetime,
        settings: Settings,
        cache: IngestCache,
    ) -> None:
        if source.id is None:
            raise ValueError("the source must be stored (flushed) before ingesting its entries")
        self.session = session
        self.source = source
        self.source_id: int = source.id
        self.now = now
        self.settings = settings
        self.taxonomy: Taxonomy = load_taxonomy(settings.taxonomy_path)
        self.max_age = timedelta(days=settings.announce_max_age_days)
        self.touched: dict[int, Development] = {}
        self.page_changes: dict[int, tuple[str, str]] = {}
        self.pool: _Pool | None = None
        self.developments: dict[int, Development] = {}
        self.stored_state: dict[int, _DevState] = {}  # as read, before this call changed it
        self.changed_items: dict[int, set[int]] = {}  # development id -> items added or edited
        # New entries decided but not yet written, and the developments they start (by
        # provisional key, < 0): see `add` and `flush_pending`.
        self.pending: list[_Pending] = []
        self.new_groups: dict[int, list[_NewItem]] = {}
        self.created: list[int] = []  # developments written complete by `flush_pending`
        self.joins: dict[int, int] = {}  # stored development id -> pending items joining it
        self.analysis_key = analysis_key(
            settings.taxonomy_path, source.jurisdictions, source.topics, source.primary
        )
        self.summaries: dict[int, str] = {}  # item id -> its one-item summary, made off-process
        self.cache = cache

    # --- lookups -------------------------------------------------------------------------
    def existing(
        self, entries: Sequence[RawEntry], hashes: Sequence[str]
    ) -> tuple[dict[str, Item], dict[str, Item], dict[str, Item]]:
        by_guid: dict[str, Item] = {}
        by_url: dict[str, Item] = {}
        by_hash: dict[str, Item] = {}
        for chunk in _chunks([e.guid for e in entries]):
            stmt = select(Item).where(Item.source_id == self.source_id, col(Item.guid).in_(chunk))
            by_guid.update({i.guid: i for i in self.session.exec(stmt)})
        for chunk in _chunks([e.url for e in entries]):
            stmt = select(Item).where(col(Item.url).in_(chunk)).order_by(col(Item.id))
            for item in self.session.exec(stmt):
                # Prefer this source's own item when several sources share the URL.
                if item.url not in by_url or item.source_id == self.source_id:
                    by_url[item.url] = item
        for chunk in _chunks(hashes):
            stmt = select(Item).where(
                Item.source_id == self.source_id, col(Item.content_hash).in_(chunk)
            )
            by_hash.update({i.content_hash: i for i in self.session.exec(stmt)})
        return by_guid, by_url, by_hash

    def classify(self, title: str, text: str) -> Classification:
        return classify(
            title,
            text,
            taxonomy=self.taxonomy,
            hint_jurisdictions=self.source.jurisdictions,
            hint_topics=self.source.topics,
        )

    def prepared(self, entry: RawEntry) -> EntryAnalysis | None:
        """The entry's analysis from a worker (`bot.developments.prepare`), if made for this source as is."""
        analysis = entry.analysis
        if isinstance(analysis, EntryAnalysis) and analysis.key == self.analysis_key:
            return analysis
        return None

    def verdict(self, entry: RawEntry) -> Classification:
        analysis = self.prepared(entry)
        return analysis.verdict if analysis else self.classify(entry.title, entry.text)

    def item_evidence(self, verdict: Classification, entry: RawEntry) -> dict[str, Any]:
        """The classifier's evidence plus the item's own importance and why."""
        analysis = self.prepared(entry)
        level, why = (
            analysis.importance
            if analysis
            else item_importance(
                ItemSignal(
                    title=entry.title,
                    text=entry.text,
                    doc_type=entry.doc_type,
                    primary=self.source.primary,
                    source_id=self.source_id,
                    relevant=verdict.relevant,
                )
            )
        )
        if not verdict.relevant:
            level, why = "low", "not AI policy"
        return {**verdict.evidence, "importance": {"level": level, "why": why}}

    def remember_rating(self, item: _ItemLike, entry: RawEntry) -> None:
        """Keep the item's own importance (just rated for its evidence) for the refresh."""
        if item.id is None or (entry.doc_type or None) != item.doc_type:
            return  # a doc type cut to the column's length is rated again from the row
        key = (item.id, item.content_hash, item.doc_type, self.source.primary)
        analysis = self.prepared(entry)
        if analysis is not None:
            self.cache.ratings.put(key, analysis.importance)
            return
        signal = ItemSignal(item.title, entry.text, item.doc_type, self.source.primary, 0)
        self.cache.ratings.put(key, item_importance(signal))

    def is_backfill(self, published: datetime | None) -> bool:
        return published is not None and published < self.now - self.max_age

    # --- new items -----------------------------------------------------------------------
    def build_item(self, entry: RawEntry, digest: str, verdict: Classification) -> _NewItem:
        published = entry.published or entry.updated
        return _NewItem(
            source_id=self.source_id,
            guid=entry.guid[:1000],
            url=entry.url,
            title=entry.title,
            text=entry.text,
            author=(entry.author or None) and entry.author[:300] if entry.author else None,
            doc_type=(entry.doc_type or None) and entry.doc_type[:64] if entry.doc_type else None,
            published_at=published,
            first_seen_at=self.now,
            updated_at=self.now,
            content_hash=digest,
            jurisdictions=verdict.jurisdictions,
            topics=verdict.topics,
            confidence=verdict.confidence,
            evidence=self.item_evidence(verdict, entry),
            backfill=self.is_backfill(published),
        )

    def add(self, entry: RawEntry, digest: str) -> _ItemLike:
        """Store a new entry: decide its development now, write it with the call's others.

        The item waits in `pending` (its candidate row in the pool, so later entries of this
        call can join it) until `flush_pending` writes the call's new developments, complete,
        and its new items, each in one batched INSERT.
        """
        verdict = self.verdict(entry)
        item = self.build_item(entry, digest, verdict)
        if entry.is_page:
            self.flush_pending()
            return self.add_page(item.to_item(), entry, digest)
        analysis = self.prepared(entry)
        fp = (
            analysis.fingerprint
            if analysis
            else cluster.fingerprint(entry.title, entry.text[:_CANDIDATE_TEXT_CHARS])
        )
        development_id, score, why = cluster.best_match(
            fp,
            jurisdictions=verdict.jurisdictions,
            topics=verdict.topics,
            relevant=verdict.relevant,
            candidates=self.candidates(
                item.published_at or self.now,
                jurisdictions=verdict.jurisdictions,
                topics=verdict.topics,
                fingerprint=fp,
            ),
        )
        joined: tuple[float, str] | None = (round(score, 3), why)
        key: int
        if development_id is not None and development_id < 0:
            key = development_id  # a development this call is creating
            self.new_groups[key].append(item)
        elif development_id is not None:
            key = development_id  # a stored development: loaded with the others when written
            self.joins[key] = self.joins.get(key, 0) + 1
        else:
            key, joined = -(len(self.new_groups) + 1), None
            self.new_groups[key] = [item]
        provisional_id = _PROVISIONAL_IDS + len(self.pending)
        self.pending.append(_Pending(item, entry, fp, key, provisional_id, joined))
        if self.pool is not None and not isinstance(self.pool, _QueriedPool):
            row = _PoolRow(
                item.published_at or item.first_seen_at,
                provisional_id,
                key,
                frozenset(item.jurisdictions),
                frozenset(item.topics),
                digest,
                self.source_id,
                fp,
            )
            self.pool.add_row(row, dated=item.published_at is not None)
        else:
            self.flush_pending()  # the queried pool reads candidates from the database
        return item

    def flush_pending(self) -> None:
        """Write the pending entries: new developments complete, then items, in batches.

        A development this call creates holds only this call's items, all in memory, so its
        columns are computed before it is written (its full-text index row is made once); only
        its evidence, which names item ids, is written after the items.
        """
        if not self.pending:
            return
        self.join_stored(self.pending)
        pending, self.pending = self.pending, []
        groups, self.new_groups = self.new_groups, {}
        by_key = {p.provisional_id: p for p in pending}
        primary = {self.source_id: self.source.primary}
        computed: dict[int, tuple[dict[str, Any], list[_Row], list[_NewItem], list[RatedItem]]] = {}
        for key, items in groups.items():
            # One source's items: in order of date, then of writing (as ids will be).
            order = {id(p.item): p.provisional_id for p in pending if p.key == key}
            rows = [self.new_row(item, order[id(item)]) for item in items]
            rows.sort(key=lambda r: (r.stamp, r.id))
            ordered = [by_key[r.id].item for r in rows[:_DETAIL_ITEMS]]
            ratings = [self.new_rating(by_key[r.id]) for r in rows]
            analysis = self.prepared(by_key[rows[0].id].entry)
            fields = self.fields(
                rows,
                ordered,
                primary,
                ratings,
                page_change=None,
                pages=False,
                announce="",
                made_summary=analysis.summary if analysis else None,
                evidence=False,
            )
            computed[key] = (fields, rows, ordered, ratings)
        development_ids = self.insert_returning_ids(
            Development,
            [
                {
                    **{k: v for k, v in fields.items() if k != "evidence"},
                    "evidence": {},
                    "first_seen_at": self.now,
                    "updated_at": self.now,
                    # Each item after the first joined it: one revision each, as a stored one.
                    "revision": len(groups[key]),
                }
                for key, (fields, _, _, _) in computed.items()
            ],
        )
        real = dict(zip(computed, development_ids, strict=True))
        for p in pending:
            p.item.development_id = real[p.key] if p.key < 0 else p.key
            if p.joined is not None:
                score, why = p.joined
                p.item.evidence = {
                    **p.item.evidence,
                    "clustering": {"joined": p.item.development_id, "why": why, "score": score},
                }
        item_ids = self.insert_returning_ids(Item, [p.item.columns() for p in pending])
        for p, item_id in zip(pending, item_ids, strict=True):
            item = p.item
            item.id = item_id
            assert item.development_id is not None
            self.cache.fingerprints.put((item_id, item.content_hash), p.fingerprint)
            self.changed_items.setdefault(item.development_id, set()).add(item_id)
            self.remember_rating(item, p.entry)
            analysis = self.prepared(p.entry)
            if analysis is not None:
                self.summaries[item_id] = analysis.summary
            if self.pool is not None:
                self.pool.settle(p.provisional_id, item_id, item.development_id)
        evidence: list[dict[str, Any]] = []
        for key, (_, rows, ordered, ratings) in computed.items():
            for row in rows:
                row.id = by_key[row.id].item.id or 0
            _, rules = combine_importance(ratings)
            evidence.append(
                {
                    "id": real[key],
                    "evidence": _development_evidence(ordered, primary, rules, False),
                }
            )
            self.remember_rows(real[key], (len(groups[key]), self.now), rows)
            self.created.append(real[key])
        if evidence:
            self.session.execute(update(Development), evidence)

    def join_stored(self, pending: Sequence[_Pending]) -> None:
        """Load the stored developments that pending items join (one query) and bump them."""
        joins, self.joins = self.joins, {}
        wanted = [key for key in joins if key not in self.developments]
        for chunk in _chunks_of(wanted):
            query = (
                select(Development)
                .where(col(Development.id).in_(chunk))
                .options(defer(_DEFERRED_EVIDENCE), defer(_DEFERRED_SEARCH_TEXT))
            )
            for loaded in self.session.exec(query):
                assert loaded.id is not None
                self.developments[loaded.id] = loaded
                self.stored_state[loaded.id] = (loaded.revision, loaded.updated_at)
        for key, count in joins.items():
            joined = self.developments.get(key)
            if joined is not None:
                # One revision per item that joined it, as when each was written alone.
                joined.revision += count
                joined.updated_at = self.now
                self.touched[key] = joined
                continue
            for p in pending:  # gone from the store: each item starts its own development
                if p.key == key:
                    p.key, p.joined = -(len(self.new_groups) + 1), None
                    self.new_groups[p.key] = [p.item]

    def new_row(self, item: _NewItem, row_id: int) -> _Row:
        return _Row(
            row_id,
            item.source_id,
            item.published_at,
            item.first_seen_at,
            list(item.jurisdictions),
            list(item.topics),
            item.doc_type,
            item.backfill,
            item.version,
            item.confidence,
            item.content_hash,
        )

    def new_rating(self, pending: _Pending) -> RatedItem:
        """The item's own importance as a development combines it (see `ratings`)."""
        item, analysis = pending.item, self.prepared(pending.entry)
        if analysis is not None and (pending.entry.doc_type or None) == item.doc_type:
            level, why = analysis.importance
        else:
            signal = ItemSignal(item.title, item.text, item.doc_type, self.source.primary, 0)
            level, why = item_importance(signal)
        return RatedItem(level, why, source_id=item.source_id, relevant=bool(item.topics))

    def insert_returning_ids(
        self, model: type[Item] | type[Development], rows: list[dict[str, Any]]
    ) -> list[int]:
        """INSERT the rows in one batch; their new ids in the same order."""
        if not rows:
            return []
        # Core, not the ORM's bulk path: the same SQL, without per-row mapping work.
        table = sa_inspect(model).local_table  # type: ignore[union-attr]
        assert isinstance(table, Table)
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            # SQLite cannot return ids in parameter order from one multi-row INSERT, so
            # SQLAlchemy would send one INSERT per row. Every transaction here holds the write
            # lock from its start (BEGIN IMMEDIATE, `store.db`), so the ids SQLite would give
            # (one past the largest) are ours to write: one executemany.
            newest = connection.execute(sa_select(func.max(table.c.id))).scalar_one_or_none()
            first = int(newest or 0) + 1
            ids = list(range(first, first + len(rows)))
            connection.execute(
                insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
            )
            return ids
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in connection.execute(statement, rows).scalars()]

    def remember_rows(self, development_id: int, state: _DevState, rows: list[_Row]) -> None:
        """Cache a development's item rows for a later call's refresh (`development_rows`)."""
        self.cache.development_rows.put(development_id, (state, rows))

    def add_page(self, item: Item, entry: RawEntry, digest: str) -> Item:
        """A watched page's first fetch: its own development and version 1."""
        baseline = self.new_development(item)
        self.session.add(item)
        item.development_id = baseline.id
        self.session.flush()
        assert item.id is not None
        if self.pool is not None:
            self.pool.add(item)  # a candidate for later calls, as the stored row is
        self.session.add(
            ItemVersion(
                item_id=item.id,
                version=1,
                content_hash=digest,
                text=entry.text,
                fetched_at=self.now,
            )
        )
        return item

    def new_development(self, item: Item) -> Development:
        development = Development(
            title=item.title,
            published_at=item.published_at,
            first_seen_at=self.now,
            updated_at=self.now,
        )
        self.session.add(development)
        self.session.flush()
        assert development.id is not None
        self.touched[development.id] = development
        self.developments[development.id] = development
        return development

    def load_pool(self, whens: Sequence[datetime]) -> None:
        """Read the candidates of every new entry of this call at once."""
        window = timedelta(days=cluster.WINDOW_DAYS)
        if not whens:
            self.pool = _Pool()
            return
        lo, hi = min(whens) - window, max(whens) + window
        # The last call's candidates, if they still mirror the store.
        last = self.cache.pool
        reusable = last[1] if last is not None and last[0] == self.items_state() else None
        if reusable is not None and reusable.covers(lo, hi):
            self.pool = reusable.copy()  # nothing to read
            return
        published, seen = col(Item.published_at), col(Item.first_seen_at)
        in_window = self.session.execute(
            sa_select(func.count()).where(
                col(Item.development_id).is_not(None),
                ((published >= lo) & (published <= hi))
                | (published.is_(None) & (seen >= lo) & (seen <= hi)),
            )
        ).scalar_one()
        # Reading the window once beats three limited queries per entry unless the window
        # holds many more items than those queries would return.
        if in_window > len(whens) * 3 * _CANDIDATES_PER_SIDE:
            self.pool = _QueriedPool(self.session)
            return
        self.pool = _Pool()
        clustered = self.count_clustered()
        # Every clustered item (a complete pool, which every later call of the poll starts
        # from) when that is not much more than the window; else the window only, so a few new
        # items in a store of years need not read and hold years of rows. A window grows to
        # take in the last call's, so the calls of one poll soon read nothing.
        whole = _WHOLE_STORE_FACTOR * in_window + _WHOLE_STORE_MIN
        if clustered <= min(self.cache.pool_max_items, whole):
            self.pool.load(self.session)
            return
        if reusable is not None and reusable.coverage is not None:
            lo, hi = min(lo, reusable.coverage[0]), max(hi, reusable.coverage[1])
        self.pool.load(self.session, lo=lo, hi=hi)

    def items_state(self) -> tuple[int, int]:
        """(items generation, newest item id): what a published pool is checked against."""
        newest = self.session.execute(sa_select(func.max(col(Item.id)))).scalar_one_or_none()
        return read_counter(self.session, _GENERATION_KEY), int(newest or 0)

    def count_clustered(self) -> int:
        return int(
            self.session.execute(
                sa_select(func.count()).where(col(Item.development_id).is_not(None))
            ).scalar_one()
        )

    def publish_pool(self, *, wrote: bool) -> None:
        """Leave this call's candidates (every clustered item, or those of a date range) to
        the next call.

        A call that wrote items moves the items generation on (see the caches above), whether
        or not its pool can be published, so no process's older pool is taken for the new store.
        """
        if not wrote:
            return
        bump_counter(self.session, _GENERATION_KEY, now=self.now)
        if self.pool is not None and (self.pool.complete or self.pool.coverage is not None):
            self.cache.pool = (self.items_state(), self.pool)

    def development(self, development_id: int) -> Development | None:
        development = self.developments.get(development_id)
        if development is None:
            # Its evidence and search text are recomputed by `refresh`, never read: not loaded
            # (they are the largest columns, the evidence a JSON document to decode).
            development = self.session.get(
                Development,
                development_id,
                options=[defer(_DEFERRED_EVIDENCE), defer(_DEFERRED_SEARCH_TEXT)],
            )
            if development is not None:
                self.developments[development_id] = development
                self.stored_state[development_id] = (
                    development.revision,
                    development.updated_at,
                )
        return development

    def candidates(
        self,
        when: datetime,
        *,
        jurisdictions: Sequence[str],
        topics: Sequence[str],
        fingerprint: cluster.Fingerprint | None = None,
    ) -> list[cluster.Candidate]:
        """Stored items near `when` that could report the same event as a new item.

        The nearest items in the date window (at most `_CANDIDATES_PER_SIDE` before and
        after) with their tags; titles and ledes only for those whose tags are compatible
        (`cluster.best_match` needs a shared jurisdiction and topic for AI-policy items, and no
        topic on both sides otherwise).
        """
        if self.pool is None:
            self.load_pool([when])
        assert self.pool is not None
        jset, tset = frozenset(jurisdictions), frozenset(topics)
        near = self.pool.near(when, timedelta(days=cluster.WINDOW_DAYS))
        # Developments that already hold an item of this source: a source publishing a second
        # document is reporting a second event, unless it is a near-verbatim re-issue.
        # This runs over hundreds of rows for every new entry: the filters are C-level maps.
        own = {
            row.development_id
            for row in compress(near, map(self.source_id.__eq__, map(_source_of, near)))
        }
        if tset:
            shares_topic = map(not_, map(tset.isdisjoint, map(_topics_of, near)))
            shares_place = map(not_, map(jset.isdisjoint, map(_jurisdictions_of, near)))
            rows = list(compress(near, map(and_, shares_topic, shares_place)))
        else:
            rows = list(compress(near, map(not_, map(_topics_of, near))))
        self.fill_fingerprints(rows)
        rows = [row for row in rows if row.fingerprint is not None]
        if fingerprint is not None:
            fingerprints = [row.fingerprint for row in rows if row.fingerprint is not None]
            rows = list(compress(rows, cluster.joinable(fingerprint, fingerprints)))
        return [
            cluster.Candidate(
                development_id=row.development_id,
                fingerprint=row.fingerprint,
                jurisdictions=row.jurisdictions,
                topics=row.topics,
                relevant=bool(row.topics),
                days_apart=(row.stamp - when).total_seconds() / 86400,
                same_source=row.development_id in own,
            )
            for row in rows
            if row.fingerprint is not None
        ]

    def fill_fingerprints(self, rows: Sequence[_PoolRow]) -> None:
        """Give each row its item's fingerprint: from the cache, else from the stored text.

        Kept on the row (rows are shared with the published pool, but a row's item id and
        content hash never change, and the fingerprint depends only on them).
        """
        missing: list[_PoolRow] = []
        for row in rows:
            if row.fingerprint is None:
                fp = self.cache.fingerprints.get((row.item_id, row.digest))
                if fp is None:
                    missing.append(row)
                else:
                    row.fingerprint = fp
        if not missing:
            return
        by_id = {row.item_id: row for row in missing}
        ids = list(by_id)
        for start in range(0, len(ids), _IN_CHUNK):
            text_query = sa_select(
                col(Item.id),
                col(Item.content_hash),
                col(Item.title),
                func.substr(col(Item.text), 1, _CANDIDATE_TEXT_CHARS),
            ).where(col(Item.id).in_(ids[start : start + _IN_CHUNK]))
            for item_id, digest, title, text in self.session.execute(text_query).tuples():
                fp = cluster.fingerprint(title, text or "")
                self.cache.fingerprints.put((item_id, digest), fp)
                if by_id[item_id].digest == digest:
                    by_id[item_id].fingerprint = fp

    # --- changed items -------------------------------------------------------------------
    def update(self, item: Item, entry: RawEntry, digest: str) -> None:
        self.flush_pending()  # the item may be one this call has not written yet
        old_text = item.text
        verdict = self.verdict(entry)
        if item.id is not None:
            self.summaries.pop(item.id, None)  # its text changes
        item.title = entry.title
        item.text = entry.text
        item.url = entry.url or item.url
        item.content_hash = digest
        item.version += 1
        item.updated_at = self.now
        if entry.doc_type:
            item.doc_type = entry.doc_type[:64]
        if entry.published and not entry.is_page:
            item.published_at = entry.published
            item.backfill = self.is_backfill(entry.published)
        if entry.is_page:
            # A page changing now is recent, whatever its first fetch was.
            item.backfill = False
        item.jurisdictions = verdict.jurisdictions
        item.topics = verdict.topics
        item.confidence = verdict.confidence
        item.evidence = self.item_evidence(verdict, entry)
        self.session.add(item)
        if entry.is_page:
            added, removed = page_change(old_text, entry.text)
            assert item.id is not None
            self.session.add(
                ItemVersion(
                    item_id=item.id,
                    version=item.version,
                    content_hash=digest,
                    text=entry.text,
                    added=added,
                    removed=removed,
                    fetched_at=self.now,
                )
            )
            if item.development_id is not None:
                self.page_changes[item.development_id] = (added, removed)
        development = self.development(item.development_id) if item.development_id else None
        if development is None:
            development = self.new_development(item)
            item.development_id = development.id
        else:
            development.revision += 1
            development.updated_at = self.now
            assert development.id is not None
            self.touched[development.id] = development
        self.session.flush()
        if item.development_id is not None and item.id is not None:
            self.changed_items.setdefault(item.development_id, set()).add(item.id)
        if self.pool is not None and item.id is not None:
            # Later entries of this call see the item as edited, as a fresh query would.
            self.pool.discard(item.id)
            if item.development_id is not None:
                self.pool.add(item)

    # --- developments --------------------------------------------------------------------
    def ratings(self, rows: Sequence[_Row], primary: dict[int, bool]) -> list[RatedItem]:
        """Each item's own importance, from the cache when its text was rated before."""
        pending = [
            r for r in rows if r.rated is None or r.rated[0] != primary.get(r.source_id, False)
        ]
        keys: list[_RatingKey] = [
            (r.id, r.digest, r.doc_type, primary.get(r.source_id, False)) for r in pending
        ]
        ratings = self.cache.ratings
        missing = [k[0] for k in keys if k not in ratings]
        for start in range(0, len(missing), _IN_CHUNK):
            chunk = missing[start : start + _IN_CHUNK]
            head_query = sa_select(
                col(Item.id),
                col(Item.title),
                func.substr(col(Item.text), 1, _CANDIDATE_TEXT_CHARS),
            ).where(col(Item.id).in_(chunk))
            heads = {i: (t, h) for i, t, h in self.session.execute(head_query).tuples()}
            for key in keys:
                if key[0] in heads:
                    title, head = heads[key[0]]
                    signal = ItemSignal(title, head or "", key[2], key[3], 0)
                    ratings.put(key, item_importance(signal))
        for row, key in zip(pending, keys, strict=True):
            level, why = ratings.get(key) or ("low", "item not found")
            rated = RatedItem(level, why, source_id=row.source_id, relevant=bool(row.topics))
            # Kept on the row (cached with the development's rows) for the next refresh.
            row.rated = (key[3], rated)
        return [r.rated[1] for r in rows if r.rated is not None]

    def item_rows(self, *where: Any) -> dict[int, list[_Row]]:
        """The columns of items that a refresh needs for every item, read raw, by development."""
        by_development: dict[int, list[_Row]] = {}
        for (
            development_id,
            item_id,
            source_id,
            published,
            seen,
            item_j,
            item_t,
            doc_type,
            backfill,
            version,
            confidence,
            digest,
        ) in self.session.execute(
            sa_select(
                col(Item.development_id),
                col(Item.id),
                col(Item.source_id),
                # Raw values (see `_Pool.load`): a large development has many items.
                type_coerce(col(Item.published_at), String),
                type_coerce(col(Item.first_seen_at), String),
                type_coerce(col(Item.jurisdictions), String),
                type_coerce(col(Item.topics), String),
                col(Item.doc_type),
                col(Item.backfill),
                col(Item.version),
                col(Item.confidence),
                col(Item.content_hash),
            ).where(*where)
        ).tuples():
            by_development.setdefault(development_id, []).append(
                _Row(
                    item_id,
                    source_id,
                    _utc(published) if published is not None else None,
                    _utc(seen),
                    list(_code_list(item_j)),
                    list(_code_list(item_t)),
                    doc_type,
                    bool(backfill),
                    version,
                    confidence,
                    digest,
                )
            )
        return by_development

    def development_rows(self, development_ids: Sequence[int]) -> dict[int, list[_Row]]:
        """Every item row of each development: cached rows plus this call's items, or all
        read; one query per kind for all of them."""
        cache = self.cache.development_rows
        rows: dict[int, list[_Row]] = {}
        changed_ids: list[int] = []
        unknown: list[int] = []
        for development_id in development_ids:
            cached = cache.get(development_id)
            changed = self.changed_items.get(development_id, set())
            stored = self.stored_state.get(development_id)
            if cached is not None and stored is not None and cached[0] == stored:
                rows[development_id] = [r for r in cached[1] if r.id not in changed]
                changed_ids += changed
            else:
                rows[development_id] = []
                unknown.append(development_id)
        for chunk in _chunks_of(sorted(changed_ids)):
            for development_id, read in self.item_rows(col(Item.id).in_(chunk)).items():
                if development_id in rows and development_id not in unknown:
                    rows[development_id] += read
        for chunk in _chunks_of(unknown):
            for development_id, read in self.item_rows(col(Item.development_id).in_(chunk)).items():
                rows[development_id] = read
        for development_id, read in rows.items():
            development = self.developments.get(development_id)
            if development is not None:
                state = (development.revision, development.updated_at)
                self.remember_rows(development_id, state, read)
        return {development_id: list(read) for development_id, read in rows.items()}

    def refresh(self, developments: Sequence[Development]) -> None:
        """Recompute stored developments' tags, title, importance, summary, announce state.

        Reads every item's tags and head (cheap columns), and full rows only for the first
        `_DETAIL_ITEMS` items in order (primary sources first), which is all the summary,
        evidence and search text use, so a development with many reports stays cheap. Each
        kind of read is one query for all the developments a call touched.
        """
        ids = [d.id for d in developments if d.id is not None]
        rows_of = self.development_rows(ids)
        source_ids = {r.source_id for rows in rows_of.values() for r in rows}
        sources = {self.source_id: (self.source.primary, self.source.kind)}
        others = sorted(source_ids - {self.source_id})
        for chunk in _chunks_of(others):
            sources.update(
                {
                    sid: (is_primary, kind)
                    for sid, is_primary, kind in self.session.execute(
                        sa_select(col(Source.id), col(Source.primary), col(Source.kind)).where(
                            col(Source.id).in_(chunk)
                        )
                    ).tuples()
                }
            )
        primary = {sid: flags[0] for sid, flags in sources.items()}
        detail_ids: dict[int, list[int]] = {}
        for development_id, rows in rows_of.items():
            rows.sort(key=lambda r: (not primary.get(r.source_id, False), r.stamp, r.id))
            detail_ids[development_id] = [r.id for r in rows[:_DETAIL_ITEMS]]
        by_id: dict[int | None, Item] = {}
        for chunk in _chunks_of(sorted({i for ids in detail_ids.values() for i in ids})):
            by_id.update(
                {i.id: i for i in self.session.exec(select(Item).where(col(Item.id).in_(chunk)))}
            )
        for development in developments:
            rows = rows_of.get(development.id or 0) or []
            if not rows or development.id is None:
                continue
            ordered = [by_id[i] for i in detail_ids[development.id] if i in by_id]
            pages = any(sources.get(r.source_id, (False, ""))[1] == "page" for r in rows)
            fields = self.fields(
                rows,
                ordered,
                primary,
                self.ratings(rows, primary),
                page_change=self.page_changes.get(development.id),
                pages=pages,
                announce=development.announce,
                summary_now=development.summary,
                made_summary=self.summaries.get(rows[0].id),
            )
            for name, value in fields.items():
                if value is not _KEEP:
                    setattr(development, name, value)
            self.session.add(development)

    def fields(
        self,
        rows: Sequence[_Row],
        ordered: Sequence[_ItemLike],
        primary: dict[int, bool],
        ratings: Sequence[RatedItem],
        *,
        page_change: tuple[str, str] | None,
        pages: bool,
        announce: str,
        summary_now: str = "",
        made_summary: str | None = None,
        evidence: bool = True,
    ) -> dict[str, Any]:
        """A development's computed columns from its item rows in order (primary first) and
        the full items among the first `_DETAIL_ITEMS`; `_KEEP` where the stored value stays.
        """
        jurisdictions: list[str] = []
        topics: list[str] = []
        for row in rows:
            jurisdictions += [c for c in row.jurisdictions or [] if c not in jurisdictions]
            topics += [t for t in row.topics or [] if t not in topics]
        topics.sort(key=lambda t: TOPICS.index(t) if t in TOPICS else len(TOPICS))
        relevant = bool(topics)
        title = ordered[0].title
        dated = [r.published_at for r in rows if r.published_at is not None]
        importance, rules = combine_importance(ratings)
        is_page_baseline = pages and len(rows) == 1 and rows[0].version == 1
        summary: Any = _KEEP  # a page edited without a change recorded in this run keeps its last
        if page_change is not None:
            summary = page_change_summary(*page_change)
        elif not pages or is_page_baseline:
            made = made_summary if len(rows) == 1 else None
            if made is not None and not self.settings.llm_enabled:
                summary = made  # `_summary` of this one item, made by a worker
            else:
                summary = _summary(self.settings, ordered, self.session, self.now)
        fields: dict[str, Any] = {
            "jurisdictions": jurisdictions,
            "topics": topics,
            "relevant": relevant,
            "title": title,
            "published_at": min(dated) if dated else None,
            "confidence": max(r.confidence for r in rows),
            "importance": importance,
            "summary": summary,
            # Evidence names item ids: a caller whose items are not written yet makes it later.
            "evidence": (
                _development_evidence(ordered, primary, rules, is_page_baseline)
                if evidence
                else _KEEP
            ),
            "announce": _KEEP,
        }
        if announce != "posted":
            # Not AI policy, a page's first fetch, or only old items: stored, never announced.
            silent = not relevant or is_page_baseline or all(r.backfill for r in rows)
            fields["announce"] = "never" if silent else "pending"
        fields["search_text"] = _search_text(
            title, summary_now if summary is _KEEP else summary, ordered
        )
        return fields


class _Keep:
    """Marks a computed column that keeps its stored value."""


_KEEP: Any = _Keep()


_DevState = tuple[int, datetime]  # a development's (revision, updated_at)

# Ids of pending items in the candidate pool: above any stored id (see `_Pool.settle`).
_PROVISIONAL_IDS = 1 << 62


@dataclass(eq=False, slots=True)
class _NewItem:
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


_NEW_ITEM_COLUMNS = [f for f in _NewItem.__dataclass_fields__ if f != "id"]
_ItemLike = Item | _NewItem


@dataclass(eq=False)
class _Pending:
    """A new entry whose development is decided, not yet written."""

    item: _NewItem
    entry: RawEntry
    fingerprint: cluster.Fingerprint
    key: int  # a stored development's id, or a provisional key (< 0) of `new_groups`
    provisional_id: int  # its row's id in the candidate pool until written
    joined: tuple[float, str] | None  # (score, why) when it joined another item's development


@dataclass
class _Row:
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


def _stamp(item: Item) -> datetime:
    return item.published_at or item.first_seen_at


def _summary(
    settings: Settings, ordered: Sequence[_ItemLike], session: Session, now: datetime
) -> str:
    return summarise_development(
        [(i.title, i.text) for i in ordered], settings=settings, session=session, now=now
    )


def _development_evidence(
    ordered: Sequence[_ItemLike], primary: dict[int, bool], rules: list[str], baseline: bool
) -> dict[str, Any]:
    lead = ordered[0]
    evidence: dict[str, Any] = {
        "items": [
            {
                "id": i.id,
                "jurisdictions": i.jurisdictions,
                "topics": i.topics,
                "primary": primary.get(i.source_id, False),
                "backfill": i.backfill,
                **({"clustering": i.evidence["clustering"]} if "clustering" in i.evidence else {}),
            }
            for i in ordered[:20]
        ],
        "lead_item": lead.id,
        "jurisdictions": lead.evidence.get("jurisdictions", {}),
        "topics": lead.evidence.get("topics", {}),
        "importance": rules[:20],
    }
    if baseline:
        evidence["announce"] = "page baseline: not news"
    return evidence


def _search_text(title: str, summary: str, ordered: Sequence[_ItemLike]) -> str:
    parts = [title, summary]
    parts += [i.title for i in ordered]
    parts += [i.text for i in ordered]
    return "\n".join(p for p in parts if p)[:SEARCH_TEXT_CAP]


def ingest_entries(
    session: Session,
    *,
    source: Source,
    entries: Sequence[RawEntry],
    now: datetime,
    settings: Settings,
    cache: IngestCache | None = None,
) -> IngestResult:
    """Store `entries` of `source` (dedup, update, classify, cluster). Flushes, never commits.

    `cache` carries work to the next call on the same store (a poll passes one); without
    one, the call starts from the store alone (same result, more reading).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    # Queries here never need the session's unwritten changes: items are written as they are
    # decided (batched, or flushed by `update` and `add_page`), and developments are read
    # through the identity map. Without autoflush, each query no longer writes the developments
    # touched so far one UPDATE at a time; the flush at the end writes them together.
    with (cache or IngestCache()).claim(_engine_of(session)) as claimed, session.no_autoflush:
        return _ingest(session, _Ingest(session, source, now, settings, claimed), entries, now)


def _ingest(
    session: Session, run: _Ingest, entries: Sequence[RawEntry], now: datetime
) -> IngestResult:
    # The same GUID twice in one response: the last one wins.
    latest: dict[str, RawEntry] = {}
    for entry in entries:
        latest[entry.guid] = entry
    batch = list(latest.values())
    digests = [
        analysis.digest if (analysis := run.prepared(e)) else content_hash(e.title, e.text)
        for e in batch
    ]
    by_guid, by_url, by_hash = run.existing(batch, digests)
    run.load_pool(
        [
            e.published or e.updated or now
            for e, digest in zip(batch, digests, strict=True)
            if not e.is_page
            and not (by_guid.get(e.guid) or by_url.get(e.url) or by_hash.get(digest))
        ]
    )
    new = updated = unchanged = 0
    by_guid_any: dict[str, _ItemLike] = dict(by_guid)
    by_url_any: dict[str, _ItemLike] = dict(by_url)
    by_hash_any: dict[str, _ItemLike] = dict(by_hash)
    for entry, digest in zip(batch, digests, strict=True):
        found = by_guid_any.get(entry.guid) or by_url_any.get(entry.url) or by_hash_any.get(digest)
        if found is not None:
            if found.content_hash == digest or found.source_id != run.source_id:
                unchanged += 1
                continue
            if isinstance(found, _NewItem):
                # An entry of this call edited by a later one: write it, then edit the row.
                run.flush_pending()
                stored = session.get(Item, found.id)
                assert stored is not None
                found = stored
            run.update(found, entry, digest)
            updated += 1
        else:
            item = run.add(entry, digest)
            new += 1
            by_guid_any[item.guid] = item
            by_url_any[item.url] = item
            by_hash_any[digest] = item
    run.flush_pending()
    run.refresh(list(run.touched.values()))
    session.flush()
    run.publish_pool(wrote=bool(new or updated))
    ids = sorted({d.id for d in run.touched.values() if d.id is not None} | set(run.created))
    # The dates these developments set (bot/developments/timeline.py), kept apart from the
    # columns computed above.
    record_timelines(session, ids)
    return IngestResult(new=new, updated=updated, unchanged=unchanged, development_ids=ids)
