"""The candidate pool: stored items near a date, in (date, id) order, as clustering reads them.

`CandidatePool` holds the rows of one or more date windows, read with one query;
`QueriedCandidatePool` answers the same question with three indexed queries per entry. Both
return, for a date, the nearest `CANDIDATES_PER_SIDE` dated items before and after it within the
window, then undated items by when they were first seen.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort_right
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.developments.rows import (
    PoolRow,
    json_codes,
    stamp_and_id,
    stamp_of,
    utc_of,
)
from store.models import Item

CANDIDATES_PER_SIDE = 200


class CandidatePool:
    """The clustering candidates of one ingest call, in date order.

    Loaded with one query covering the date windows of all the call's new entries, instead of
    three queries per new entry; each item the call stores joins it, and an edited item is
    re-read, so every new entry sees the same candidates the per-entry queries returned: the
    nearest `CANDIDATES_PER_SIDE` dated items before and after it (and undated items by when
    they were first seen), whatever their tags, then filtered on tags.
    """

    def __init__(self) -> None:
        self.dated: list[PoolRow] = []  # by (published, id)
        self.undated: list[PoolRow] = []  # by (first seen, id)
        self.by_id: dict[int, PoolRow] = {}
        self.complete = False  # holds every item with a development, not only a window
        # Or every such item dated in this range (by published date, else first seen).
        self.coverage: tuple[datetime, datetime] | None = None

    def copy(self) -> CandidatePool:
        """An independent pool with the same rows (rows are never changed, only replaced)."""
        pool = CandidatePool()
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
        dated: list[PoolRow] = []
        undated: list[PoolRow] = []
        for item_id, dev_id, item_j, item_t, pub, first, digest, source_id in session.execute(
            query
        ):
            row = PoolRow(
                utc_of(pub if pub is not None else first),
                item_id,
                dev_id,
                json_codes(item_j),
                json_codes(item_t),
                digest,
                source_id,
            )
            (dated if pub is not None else undated).append(row)
            self.by_id[item_id] = row
        dated.sort(key=stamp_and_id)
        undated.sort(key=stamp_and_id)
        self.dated, self.undated = dated, undated

    def add(self, item: Item) -> None:
        assert item.id is not None and item.development_id is not None
        self.add_row(
            PoolRow(
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

    def add_row(self, row: PoolRow, *, dated: bool) -> None:
        self.discard(row.item_id)
        # Ids grow, so inserting after equal dates keeps the (date, id) order.
        insort_right(self.dated if dated else self.undated, row, key=stamp_of)
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
                for index in range(bisect_left(rows, row.stamp, key=stamp_of), len(rows)):
                    if rows[index] is row:
                        del rows[index]
                        return

    def near(self, when: datetime, window: timedelta) -> list[PoolRow]:
        """What the three date-window queries returned, in their order."""
        dated, undated, limit = self.dated, self.undated, CANDIDATES_PER_SIDE
        start = bisect_left(dated, when - window, key=stamp_of)
        split = bisect_right(dated, when, key=stamp_of)
        end = bisect_right(dated, when + window, key=stamp_of)
        before = dated[max(start, split - limit) : split][::-1]  # newest first
        after = dated[split : min(end, split + limit)]  # oldest first
        start = bisect_left(undated, when - window, key=stamp_of)
        end = bisect_right(undated, when + window, key=stamp_of)
        return before + after + undated[max(start, end - limit) : end][::-1]


class QueriedCandidatePool(CandidatePool):
    """The same candidates read with three indexed queries per new entry.

    For a call with few new entries in a crowded date window, where reading the whole window
    once would cost more than the nearest `CANDIDATES_PER_SIDE` per side for each entry. The
    call's own items are flushed, so the queries see them.
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def add(self, item: Item) -> None:
        pass

    def discard(self, item_id: int) -> None:
        pass

    def near(self, when: datetime, window: timedelta) -> list[PoolRow]:
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
            .limit(CANDIDATES_PER_SIDE),
            light(published)
            .where(has_dev, published > when, published <= when + window)
            .order_by(published, col(Item.id))
            .limit(CANDIDATES_PER_SIDE),
            light(seen)
            .where(has_dev, published.is_(None), seen >= when - window, seen <= when + window)
            .order_by(seen.desc(), col(Item.id).desc())
            .limit(CANDIDATES_PER_SIDE),
        ]
        return [
            PoolRow(
                utc_of(stamp), item_id, dev_id, json_codes(item_j), json_codes(item_t), digest, sid
            )
            for query in queries
            for item_id, dev_id, item_j, item_t, stamp, digest, sid in self.session.execute(query)
        ]
