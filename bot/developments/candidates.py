"""Candidate selection: the stored items a new item may join, read once per ingest call.

Clustering (`bot.analysis.cluster`) compares a new item with the stored items nearest in date
(at most `CANDIDATES_PER_SIDE` before and after, within `cluster.WINDOW_DAYS`), whatever their
tags, then filtered on tags. This module owns how those rows are read cheaply: a pool loaded
with one query for all of a call's entries (`CandidatePool`), or three indexed queries per entry
in a crowded window (`QueriedCandidatePool`), reused across a poll's calls through the ingest
cache when the store has not changed under it (`CandidateSelector`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import compress
from operator import attrgetter, not_

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.analysis import cluster
from bot.developments.ingest_cache import IngestCache
from bot.developments.pool import CANDIDATES_PER_SIDE, CandidatePool, QueriedCandidatePool
from bot.developments.prepare import (
    FINGERPRINT_TEXT_CHARS,
)
from bot.developments.rows import IN_CHUNK, PoolRow, governments_met_by
from store.counters import bump_counter, read_counter
from store.models import Item

CANDIDATE_TEXT_CHARS = FINGERPRINT_TEXT_CHARS  # what a fingerprint reads of an item's text
# A call reads every clustered item, not just its date window, while they are at most this
# many times the window plus a small store's worth: see `load_pool`.
WHOLE_STORE_FACTOR = 4
WHOLE_STORE_MIN = 2_000

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

_source_of = attrgetter("source_id")
_development_of = attrgetter("development_id")
_governments_of = attrgetter("governments")


class CandidateSelector:
    """The candidates of one ingest call: which pool to read, and each new entry's candidates."""

    def __init__(self, session: Session, source_id: int, now: datetime, cache: IngestCache) -> None:
        self.session = session
        self.source_id = source_id
        self.now = now
        self.cache = cache
        self.pool: CandidatePool | None = None

    def load_pool(self, whens: Sequence[datetime]) -> None:
        """Read the candidates of every new entry of this call at once."""
        window = timedelta(days=cluster.WINDOW_DAYS)
        if not whens:
            self.pool = CandidatePool()
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
        if in_window > len(whens) * 3 * CANDIDATES_PER_SIDE:
            self.pool = QueriedCandidatePool(self.session)
            return
        self.pool = CandidatePool()
        clustered = self.count_clustered()
        # Every clustered item (a complete pool, which every later call of the poll starts
        # from) when that is not much more than the window; else the window only, so a few new
        # items in a store of years need not read and hold years of rows. A window grows to
        # take in the last call's, so the calls of one poll soon read nothing.
        whole = WHOLE_STORE_FACTOR * in_window + WHOLE_STORE_MIN
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

    def candidates(
        self,
        when: datetime,
        *,
        jurisdictions: Sequence[str],
        topics: Sequence[str],
        fingerprint: cluster.Fingerprint | None = None,
    ) -> tuple[list[cluster.Candidate], cluster.NameCounts | None]:
        """Stored items near `when` that could report the same event as a new item, and how
        many of their developments hold each of its names (None without `fingerprint`).

        The nearest items in the date window (at most `CANDIDATES_PER_SIDE` before and
        after) with their tags; titles and ledes only for those whose tags are compatible
        (`cluster.best_match` needs a shared government). The names are counted over all of
        these, then the rows that could never be picked (`cluster.joinable`) are left out.
        """
        if self.pool is None:
            self.load_pool([when])
        assert self.pool is not None
        near = self.pool.near(when, timedelta(days=cluster.WINDOW_DAYS))
        # Another government's measure is another event (`cluster.best_match`); rows with no
        # government tagged may still be the same one. This runs over hundreds of rows for
        # every new entry: one C-level set test per row.
        met_by = governments_met_by(frozenset(jurisdictions))
        if met_by is None:
            rows = list(near)
        else:
            rows = list(
                compress(near, map(not_, map(met_by.isdisjoint, map(_governments_of, near))))
            )
        self.fill_fingerprints(rows)
        rows = [row for row in rows if row.fingerprint is not None]
        counted = None
        if fingerprint is not None:
            fingerprints = [row.fingerprint for row in rows if row.fingerprint is not None]
            counted = cluster.NameCounts.of(
                fingerprint, zip(map(_development_of, rows), fingerprints, strict=True)
            )
            rows = list(compress(rows, cluster.joinable(fingerprint, fingerprints)))
        if not rows:
            return [], counted
        # Developments that already hold an item of this source: a source publishing a second
        # document is reporting a second event, unless it is a near-verbatim re-issue.
        own = {
            row.development_id
            for row in compress(near, map(self.source_id.__eq__, map(_source_of, near)))
        }
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
        ], counted

    def fill_fingerprints(self, rows: Sequence[PoolRow]) -> None:
        """Give each row its item's fingerprint: from the cache, else from the stored text.

        Kept on the row (rows are shared with the published pool, but a row's item id and
        content hash never change, and the fingerprint depends only on them).
        """
        missing: list[PoolRow] = []
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
        for start in range(0, len(ids), IN_CHUNK):
            text_query = sa_select(
                col(Item.id),
                col(Item.content_hash),
                col(Item.title),
                func.substr(col(Item.text), 1, CANDIDATE_TEXT_CHARS),
                col(Item.published_at),
            ).where(col(Item.id).in_(ids[start : start + IN_CHUNK]))
            for item_id, digest, title, text, published in self.session.execute(
                text_query
            ).tuples():
                fp = cluster.fingerprint(title, text or "", cluster.day_of(published))
                self.cache.fingerprints.put((item_id, digest), fp)
                if by_id[item_id].digest == digest:
                    by_id[item_id].fingerprint = fp
