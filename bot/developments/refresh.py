"""A development's derived fields, recomputed from its items when they change.

Tags are the union of its items' tags; the title, summary, evidence and search text come from
its first items in order (primary sources first, then by date); importance combines each
item's own rating; `announce` says whether a briefing or alert may announce it. `DevelopmentRefresher`
reads what that needs (item rows cached per development for the poll) and writes the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, func, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.analysis.importance import ItemSignal, RatedItem, combine_importance, item_importance
from bot.analysis.summarise import page_change_summary, summarise_items
from bot.config import Settings
from bot.developments.ingest_cache import IngestCache
from bot.developments.prepare import FINGERPRINT_TEXT_CHARS
from bot.developments.rows import (
    IN_CHUNK,
    DevState,
    ItemLike,
    ItemRow,
    RatingKey,
    chunks_of,
    json_code_list,
    utc_of,
)
from bot.vocab import TOPICS
from store.models import Development, Item, Source

SEARCH_TEXT_CAP = 20_000
DETAIL_ITEMS = 20


class DevelopmentRefresher:
    """Recomputes developments' columns for one ingest call; shares the call's bookkeeping."""

    def __init__(
        self,
        session: Session,
        source: Source,
        now: datetime,
        settings: Settings,
        cache: IngestCache,
        *,
        developments: dict[int, Development],
        stored_state: dict[int, DevState],
        changed_items: dict[int, set[int]],
        page_changes: dict[int, tuple[str, str]],
        summaries: dict[int, str],
        llm_wanted: set[int],
    ) -> None:
        self.session = session
        self.source = source
        assert source.id is not None
        self.source_id: int = source.id
        self.now = now
        self.settings = settings
        self.cache = cache
        self.developments = developments  # loaded this call, by id
        self.stored_state = stored_state  # (revision, updated_at) as read, before this call
        self.changed_items = changed_items  # development id -> items added or edited
        self.page_changes = page_changes  # development id -> (added, removed) of a page
        self.summaries = summaries  # item id -> its one-item summary, made off-process
        # Developments whose new extractive summary an LLM may rewrite after the commit.
        self.llm_wanted = llm_wanted

    def remember_rows(self, development_id: int, state: DevState, rows: list[ItemRow]) -> None:
        """Cache a development's item rows for a later call's refresh (`development_rows`)."""
        self.cache.development_rows.put(development_id, (state, rows))

    # --- developments --------------------------------------------------------------------
    def ratings(self, rows: Sequence[ItemRow], primary: dict[int, bool]) -> list[RatedItem]:
        """Each item's own importance, from the cache when its text was rated before."""
        pending = [
            r for r in rows if r.rated is None or r.rated[0] != primary.get(r.source_id, False)
        ]
        keys: list[RatingKey] = [
            (r.id, r.digest, r.doc_type, primary.get(r.source_id, False)) for r in pending
        ]
        ratings = self.cache.ratings
        missing = [k[0] for k in keys if k not in ratings]
        for start in range(0, len(missing), IN_CHUNK):
            chunk = missing[start : start + IN_CHUNK]
            head_query = sa_select(
                col(Item.id),
                col(Item.title),
                func.substr(col(Item.text), 1, FINGERPRINT_TEXT_CHARS),
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

    def item_rows(self, *where: Any) -> dict[int, list[ItemRow]]:
        """The columns of items that a refresh needs for every item, read raw, by development."""
        by_development: dict[int, list[ItemRow]] = {}
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
                # Raw values (see `CandidatePool.load`): a large development has many items.
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
                ItemRow(
                    item_id,
                    source_id,
                    utc_of(published) if published is not None else None,
                    utc_of(seen),
                    list(json_code_list(item_j)),
                    list(json_code_list(item_t)),
                    doc_type,
                    bool(backfill),
                    version,
                    confidence,
                    digest,
                )
            )
        return by_development

    def development_rows(self, development_ids: Sequence[int]) -> dict[int, list[ItemRow]]:
        """Every item row of each development: cached rows plus this call's items, or all
        read; one query per kind for all of them."""
        cache = self.cache.development_rows
        rows: dict[int, list[ItemRow]] = {}
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
        for chunk in chunks_of(sorted(changed_ids)):
            for development_id, read in self.item_rows(col(Item.id).in_(chunk)).items():
                if development_id in rows and development_id not in unknown:
                    rows[development_id] += read
        for chunk in chunks_of(unknown):
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
        `DETAIL_ITEMS` items in order (primary sources first), which is all the summary,
        evidence and search text use, so a development with many reports stays cheap. Each
        kind of read is one query for all the developments a call touched.
        """
        ids = [d.id for d in developments if d.id is not None]
        rows_of = self.development_rows(ids)
        source_ids = {r.source_id for rows in rows_of.values() for r in rows}
        sources = {self.source_id: (self.source.primary, self.source.kind)}
        others = sorted(source_ids - {self.source_id})
        for chunk in chunks_of(others):
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
            detail_ids[development_id] = [r.id for r in rows[:DETAIL_ITEMS]]
        by_id: dict[int | None, Item] = {}
        for chunk in chunks_of(sorted({i for ids in detail_ids.values() for i in ids})):
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
            summarised = fields["summary"] is not KEEP and development.id not in self.page_changes
            if self.settings.llm_enabled and summarised:
                self.llm_wanted.add(development.id)
            for name, value in fields.items():
                if value is not KEEP:
                    setattr(development, name, value)
            self.session.add(development)

    def fields(
        self,
        rows: Sequence[ItemRow],
        ordered: Sequence[ItemLike],
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
        the full items among the first `DETAIL_ITEMS`; `KEEP` where the stored value stays.
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
        summary: Any = KEEP  # a page edited without a change recorded in this run keeps its last
        if page_change is not None:
            summary = page_change_summary(*page_change)
        elif not pages or is_page_baseline:
            made = made_summary if len(rows) == 1 else None  # this one item's, made by a worker
            summary = made if made is not None else summarise_items(_texts(ordered))
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
                development_evidence(ordered, primary, rules, is_page_baseline)
                if evidence
                else KEEP
            ),
            "announce": KEEP,
        }
        if announce != "posted":
            # Not AI policy, a page's first fetch, or only old items: stored, never announced.
            silent = not relevant or is_page_baseline or all(r.backfill for r in rows)
            fields["announce"] = "never" if silent else "pending"
        fields["search_text"] = search_text(
            title, summary_now if summary is KEEP else summary, ordered
        )
        return fields


class Keep:
    """Marks a computed column that keeps its stored value."""


KEEP: Any = Keep()


def _texts(ordered: Sequence[ItemLike]) -> list[tuple[str, str]]:
    return [(i.title, i.text) for i in ordered]


def development_evidence(
    ordered: Sequence[ItemLike], primary: dict[int, bool], rules: list[str], baseline: bool
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


def search_text(title: str, summary: str, ordered: Sequence[ItemLike]) -> str:
    parts = [title, summary]
    parts += [i.title for i in ordered]
    parts += [i.text for i in ordered]
    return "\n".join(p for p in parts if p)[:SEARCH_TEXT_CAP]
