"""What ingest carries from one call to the next: one cache per poll, not module globals.

`bot.developments.ingest` uses each part only when a cheap check says the store has not changed under it
(see its docstring): the clustering candidates of the last call (checked against the items
generation and the newest item id), developments' item rows (checked against the
development's revision and update time), and fingerprints and importance ratings (keyed by
item id and content hash, so never stale). A poll owns one, so its memory (tens of MB after
a first poll of 10,000 items: fingerprints mostly) is freed when the poll ends, and polls in
other threads never share one; the next poll reads its candidates afresh, once. A cache
belongs to one database: used with another, it starts empty. One ingest call uses it at a
time; a call that finds it in use (a cache shared by mistake between threads) works with an
empty private one, which costs time, never correctness, and cannot deadlock against the
database's own write lock.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.analysis.cluster import Fingerprint
    from bot.analysis.dates import DatedFact
    from bot.developments.pool import CandidatePool
    from bot.developments.rows import DevState, ItemRow, RatingKey

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

FINGERPRINTS = 50_000
RATINGS = 50_000
DATES = 50_000
DEVELOPMENTS = 4096
# Above this many clustered items, a call reads only its own date window and leaves no pool.
POOL_MAX_ITEMS = 200_000


class Bounded(Generic[K, V]):
    """A mapping that forgets the entries stored longest ago beyond `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.limit:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


class IngestCache:
    def __init__(
        self,
        *,
        fingerprints: int = FINGERPRINTS,
        ratings: int = RATINGS,
        developments: int = DEVELOPMENTS,
        pool_max_items: int = POOL_MAX_ITEMS,
    ) -> None:
        self.fingerprints: Bounded[tuple[int, str], Fingerprint] = Bounded(fingerprints)
        self.ratings: Bounded[RatingKey, tuple[str, str]] = Bounded(ratings)
        # An item's dated facts by (id, content hash): a timeline is rebuilt from its
        # development's items whenever one joins, without extracting the others again.
        self.dates: Bounded[tuple[int, str], tuple[DatedFact, ...]] = Bounded(DATES)
        self.development_rows: Bounded[int, tuple[DevState, list[ItemRow]]] = Bounded(developments)
        # The last call's candidates with the (items generation, newest item id) they mirror.
        self.pool: tuple[tuple[int, int], CandidatePool] | None = None
        self.pool_max_items = pool_max_items
        self._engine: weakref.ref[Engine] | None = None
        self._lock = threading.Lock()

    def empty_copy(self) -> IngestCache:
        return IngestCache(
            fingerprints=self.fingerprints.limit,
            ratings=self.ratings.limit,
            developments=self.development_rows.limit,
            pool_max_items=self.pool_max_items,
        )

    def clear(self) -> None:
        self.fingerprints.clear()
        self.ratings.clear()
        self.dates.clear()
        self.development_rows.clear()
        self.pool = None

    @contextmanager
    def claim(self, engine: Engine | None) -> Iterator[IngestCache]:
        """This cache for one ingest call on `engine`, or an empty private one if it is busy.

        Never waits: a thread holding the database's write lock may be the one waiting here.
        """
        if engine is None or not self._lock.acquire(blocking=False):
            yield self.empty_copy()
            return
        try:
            bound = self._engine() if self._engine is not None else None
            if bound is not engine:
                self.clear()
                self._engine = weakref.ref(engine)
            yield self
        finally:
            self._lock.release()
