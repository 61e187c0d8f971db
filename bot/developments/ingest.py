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
  items nearest in date within `cluster.WINDOW_DAYS` of it (at most `CANDIDATES_PER_SIDE`
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
- Candidates are read once per call (`CandidatePool`: only the columns clustering needs) rather than
  three queries per new entry: every clustered item when the store is not much larger than the
  call's date window, else the window (kept with the range it covers, which later calls
  reuse or widen); a call with few entries in a crowded window queries per entry instead
  (`QueriedCandidatePool`, which writes each item as it is decided).
- Caches (`bot.developments.ingest_cache`, one per poll, passed in by the caller) carry work from one call
  to the next, each used only when a cheap check says the store has not changed under it: the
  candidates (checked against a generation counter that every call storing items moves on,
  and the newest item id), a development's item rows (checked against its revision and update
  time), and fingerprints and importance ratings (keyed by item id and content hash). A
  rolled-back call leaves the store behind a cache, which is then not used. Ingest is the only
  writer of items, so these checks see every change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from bot.analysis import cluster
from bot.analysis.classify import Classification, classify
from bot.analysis.importance import ItemSignal, RatedItem, combine_importance, item_importance
from bot.analysis.summarise import page_change
from bot.analysis.taxonomy import Taxonomy, load_taxonomy
from bot.config import Settings
from bot.developments.candidates import CandidateSelector
from bot.developments.ingest_cache import IngestCache
from bot.developments.pool import QueriedCandidatePool
from bot.developments.prepare import (
    FINGERPRINT_TEXT_CHARS,
    EntryAnalysis,
    analysis_key,
    content_hash,
)
from bot.developments.refresh import DETAIL_ITEMS, DevelopmentRefresher, development_evidence
from bot.developments.rows import (
    DEFERRED_EVIDENCE,
    DEFERRED_SEARCH_TEXT,
    PROVISIONAL_IDS,
    DevState,
    ItemLike,
    ItemRow,
    NewItem,
    PendingItem,
    PoolRow,
    chunks_of,
    unique_chunks,
)
from bot.developments.timeline import record_timelines, text_facts
from bot.sources.entries import RawEntry
from store.bulk import insert_returning_ids, update_by_id
from store.models import Development, Item, ItemVersion, Source


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
    # With an LLM configured: developments whose extractive summary it may rewrite, after the
    # caller commits (`bot.developments.summaries`); never inside the write transaction.
    summaries_to_rewrite: list[int] = field(default_factory=list)


class IngestRun:
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
        self.developments: dict[int, Development] = {}
        self.stored_state: dict[int, DevState] = {}  # as read, before this call changed it
        self.changed_items: dict[int, set[int]] = {}  # development id -> items added or edited
        # New entries decided but not yet written, and the developments they start (by
        # provisional key, < 0): see `add` and `flush_pending`.
        self.pending: list[PendingItem] = []
        self.new_groups: dict[int, list[NewItem]] = {}
        self.created: list[int] = []  # developments written complete by `flush_pending`
        self.joins: dict[int, int] = {}  # stored development id -> pending items joining it
        self.analysis_key = analysis_key(
            settings.taxonomy_path, source.jurisdictions, source.topics, source.primary
        )
        self.summaries: dict[int, str] = {}  # item id -> its one-item summary, made off-process
        self.cache = cache
        self.llm_wanted: set[int] = set()  # see `IngestResult.summaries_to_rewrite`
        self.selector = CandidateSelector(session, self.source_id, now, cache)
        self.refresher = DevelopmentRefresher(
            session,
            source,
            now,
            settings,
            cache,
            developments=self.developments,
            stored_state=self.stored_state,
            changed_items=self.changed_items,
            page_changes=self.page_changes,
            summaries=self.summaries,
            llm_wanted=self.llm_wanted,
        )

    # --- lookups -------------------------------------------------------------------------
    def existing(
        self, entries: Sequence[RawEntry], hashes: Sequence[str]
    ) -> tuple[dict[str, Item], dict[str, Item], dict[str, Item]]:
        by_guid: dict[str, Item] = {}
        by_url: dict[str, Item] = {}
        by_hash: dict[str, Item] = {}
        for chunk in unique_chunks([e.guid for e in entries]):
            stmt = select(Item).where(Item.source_id == self.source_id, col(Item.guid).in_(chunk))
            by_guid.update({i.guid: i for i in self.session.exec(stmt)})
        for chunk in unique_chunks([e.url for e in entries]):
            stmt = select(Item).where(col(Item.url).in_(chunk)).order_by(col(Item.id))
            for item in self.session.exec(stmt):
                # Prefer this source's own item when several sources share the URL.
                if item.url not in by_url or item.source_id == self.source_id:
                    by_url[item.url] = item
        for chunk in unique_chunks(hashes):
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

    def remember_rating(self, item: ItemLike, entry: RawEntry) -> None:
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
    def build_item(self, entry: RawEntry, digest: str, verdict: Classification) -> NewItem:
        published = entry.published or entry.updated
        return NewItem(
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

    def add(self, entry: RawEntry, digest: str) -> ItemLike:
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
            else cluster.fingerprint(
                entry.title, entry.text[:FINGERPRINT_TEXT_CHARS], cluster.day_of(entry.published)
            )
        )
        candidates, names_counted = self.selector.candidates(
            item.published_at or self.now,
            jurisdictions=verdict.jurisdictions,
            topics=verdict.topics,
            fingerprint=fp,
        )
        development_id, score, why = cluster.best_match(
            fp,
            jurisdictions=verdict.jurisdictions,
            topics=verdict.topics,
            relevant=verdict.relevant,
            candidates=candidates,
            names_counted=names_counted,
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
        provisional_id = PROVISIONAL_IDS + len(self.pending)
        self.pending.append(PendingItem(item, entry, fp, key, provisional_id, joined))
        if self.selector.pool is not None and not isinstance(
            self.selector.pool, QueriedCandidatePool
        ):
            row = PoolRow(
                item.published_at or item.first_seen_at,
                provisional_id,
                key,
                frozenset(item.jurisdictions),
                frozenset(item.topics),
                digest,
                self.source_id,
                fp,
            )
            self.selector.pool.add_row(row, dated=item.published_at is not None)
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
        computed: dict[
            int, tuple[dict[str, Any], list[ItemRow], list[NewItem], list[RatedItem]]
        ] = {}
        for key, items in groups.items():
            # One source's items: in order of date, then of writing (as ids will be).
            order = {id(p.item): p.provisional_id for p in pending if p.key == key}
            rows = [self.new_row(item, order[id(item)]) for item in items]
            rows.sort(key=lambda r: (r.stamp, r.id))
            ordered = [by_key[r.id].item for r in rows[:DETAIL_ITEMS]]
            ratings = [self.new_rating(by_key[r.id]) for r in rows]
            analysis = self.prepared(by_key[rows[0].id].entry)
            fields = self.refresher.fields(
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
        development_ids = insert_returning_ids(
            self.session,
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
        if self.settings.llm_enabled:
            self.llm_wanted.update(real.values())
        for p in pending:
            p.item.development_id = real[p.key] if p.key < 0 else p.key
            if p.joined is not None:
                score, why = p.joined
                p.item.evidence = {
                    **p.item.evidence,
                    "clustering": {"joined": p.item.development_id, "why": why, "score": score},
                }
        item_ids = insert_returning_ids(self.session, Item, [p.item.columns() for p in pending])
        for p, item_id in zip(pending, item_ids, strict=True):
            item = p.item
            item.id = item_id
            assert item.development_id is not None
            self.cache.fingerprints.put((item_id, item.content_hash), p.fingerprint)
            # Its dates, from the text in hand: the timeline need not read it back.
            self.cache.dates.put(
                (item_id, item.content_hash),
                text_facts(item.title, item.text, item.published_at),
            )
            self.changed_items.setdefault(item.development_id, set()).add(item_id)
            self.remember_rating(item, p.entry)
            analysis = self.prepared(p.entry)
            if analysis is not None:
                self.summaries[item_id] = analysis.summary
            if self.selector.pool is not None:
                self.selector.pool.settle(p.provisional_id, item_id, item.development_id)
        evidence: list[dict[str, Any]] = []
        for key, (_, rows, ordered, ratings) in computed.items():
            for row in rows:
                row.id = by_key[row.id].item.id or 0
            _, rules = combine_importance(ratings)
            evidence.append(
                {
                    "id": real[key],
                    "evidence": development_evidence(ordered, primary, rules, False),
                }
            )
            self.refresher.remember_rows(real[key], (len(groups[key]), self.now), rows)
            self.created.append(real[key])
        # Its developments are not in the session (written with Core): no object to refresh.
        update_by_id(self.session, Development, evidence)

    def join_stored(self, pending: Sequence[PendingItem]) -> None:
        """Load the stored developments that pending items join (one query) and bump them."""
        joins, self.joins = self.joins, {}
        wanted = [key for key in joins if key not in self.developments]
        for chunk in chunks_of(wanted):
            query = (
                select(Development)
                .where(col(Development.id).in_(chunk))
                .options(defer(DEFERRED_EVIDENCE), defer(DEFERRED_SEARCH_TEXT))
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

    def new_row(self, item: NewItem, row_id: int) -> ItemRow:
        return ItemRow(
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

    def new_rating(self, pending: PendingItem) -> RatedItem:
        """The item's own importance as a development combines it (see `ratings`)."""
        item, analysis = pending.item, self.prepared(pending.entry)
        if analysis is not None and (pending.entry.doc_type or None) == item.doc_type:
            level, why = analysis.importance
        else:
            signal = ItemSignal(item.title, item.text, item.doc_type, self.source.primary, 0)
            level, why = item_importance(signal)
        return RatedItem(level, why, source_id=item.source_id, relevant=bool(item.topics))

    def add_page(self, item: Item, entry: RawEntry, digest: str) -> Item:
        """A watched page's first fetch: its own development and version 1."""
        baseline = self.new_development(item)
        self.session.add(item)
        item.development_id = baseline.id
        self.session.flush()
        assert item.id is not None
        if self.selector.pool is not None:
            self.selector.pool.add(item)  # a candidate for later calls, as the stored row is
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

    def development(self, development_id: int) -> Development | None:
        development = self.developments.get(development_id)
        if development is None:
            # Its evidence and search text are recomputed by `refresh`, never read: not loaded
            # (they are the largest columns, the evidence a JSON document to decode).
            development = self.session.get(
                Development,
                development_id,
                options=[defer(DEFERRED_EVIDENCE), defer(DEFERRED_SEARCH_TEXT)],
            )
            if development is not None:
                self.developments[development_id] = development
                self.stored_state[development_id] = (
                    development.revision,
                    development.updated_at,
                )
        return development

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
        if self.selector.pool is not None and item.id is not None:
            # Later entries of this call see the item as edited, as a fresh query would.
            self.selector.pool.discard(item.id)
            if item.development_id is not None:
                self.selector.pool.add(item)


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
        return _ingest(session, IngestRun(session, source, now, settings, claimed), entries, now)


def _ingest(
    session: Session, run: IngestRun, entries: Sequence[RawEntry], now: datetime
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
    run.selector.load_pool(
        [
            e.published or e.updated or now
            for e, digest in zip(batch, digests, strict=True)
            if not e.is_page
            and not (by_guid.get(e.guid) or by_url.get(e.url) or by_hash.get(digest))
        ]
    )
    new = updated = unchanged = 0
    by_guid_any: dict[str, ItemLike] = dict(by_guid)
    by_url_any: dict[str, ItemLike] = dict(by_url)
    by_hash_any: dict[str, ItemLike] = dict(by_hash)
    for entry, digest in zip(batch, digests, strict=True):
        found = by_guid_any.get(entry.guid) or by_url_any.get(entry.url) or by_hash_any.get(digest)
        if found is not None:
            if found.content_hash == digest or found.source_id != run.source_id:
                unchanged += 1
                continue
            if isinstance(found, NewItem):
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
    run.refresher.refresh(list(run.touched.values()))
    session.flush()
    run.selector.publish_pool(wrote=bool(new or updated))
    ids = sorted({d.id for d in run.touched.values() if d.id is not None} | set(run.created))
    # The dates these developments set (bot/developments/timeline.py), kept apart from the
    # columns computed above.
    record_timelines(session, ids, run.cache.dates)
    return IngestResult(
        new=new,
        updated=updated,
        unchanged=unchanged,
        development_ids=ids,
        summaries_to_rewrite=sorted(run.llm_wanted),
    )
