"""IngestCache: what one ingest call leaves to the next (a poll owns one)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.developments.ingest import ingest_entries
from bot.developments.ingest_cache import Bounded, IngestCache
from bot.sources.entries import RawEntry
from store.db import make_engine, migrate, session_factory
from store.models import Source

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _store_one(session: Session, cache: IngestCache, settings: Settings, guid: str) -> None:
    source = Source(name=f"src-{guid}", kind="feed", url=f"https://example.org/{guid}")
    session.add(source)
    session.flush()
    entry = RawEntry(
        guid=guid,
        url=f"https://example.org/{guid}/1",
        title=f"Commerce adds {guid} to the Entity List over advanced AI chips",
        text="The Bureau of Industry and Security added entities to the Entity List.",
        published=NOW,
    )
    ingest_entries(session, source=source, entries=[entry], now=NOW, settings=settings, cache=cache)
    session.commit()


def test_bounded_forgets_what_was_stored_longest_ago() -> None:
    bounded: Bounded[str, int] = Bounded(2)
    bounded.put("a", 1)
    bounded.put("b", 2)
    bounded.put("a", 3)  # stored again: now the newest
    bounded.put("c", 4)
    assert "b" not in bounded
    assert (bounded.get("a"), bounded.get("c"), len(bounded)) == (3, 4, 2)


def test_a_call_leaves_its_candidates_and_fingerprints_in_the_cache_it_was_given(
    sessions: Callable[[], Session], settings: Settings
) -> None:
    cache = IngestCache()
    with sessions() as session:
        _store_one(session, cache, settings, "a")
    assert cache.pool is not None and len(cache.fingerprints) == 1 and len(cache.ratings) == 1


def test_a_cache_used_on_another_store_starts_empty(tmp_path: Path, settings: Settings) -> None:
    cache = IngestCache()
    engines = [make_engine(f"sqlite:///{tmp_path / name}.db") for name in ("one", "two")]
    try:
        for engine in engines:
            migrate(engine)
        with session_factory(engines[0])() as session:
            _store_one(session, cache, settings, "a")
        first_pool = cache.pool
        assert first_pool is not None
        with session_factory(engines[1])() as session:
            _store_one(session, cache, settings, "b")
        # Store one's candidates and fingerprints are gone: item ids of one store mean other
        # items in the other.
        assert cache.pool is not None and cache.pool is not first_pool
        assert len(cache.pool[1].by_id) == 1 and len(cache.fingerprints) == 1
    finally:
        for engine in engines:
            engine.dispose()


def test_a_busy_cache_gives_another_call_an_empty_private_one(settings: Settings) -> None:
    cache = IngestCache(developments=7)
    engine = make_engine("sqlite://")
    try:
        with cache.claim(engine) as first:
            assert first is cache
            seen: list[IngestCache] = []
            # Another thread's poll, while this one is storing: it must not wait (this thread
            # may hold the database's write lock) nor share the cache's unlocked structures.
            other = threading.Thread(target=lambda: seen.append(_claim(cache, engine)))
            other.start()
            other.join(timeout=5)
            assert seen and seen[0] is not cache
            assert seen[0].development_rows.limit == 7
        assert _claim(cache, engine) is cache  # free again
    finally:
        engine.dispose()


def _claim(cache: IngestCache, engine: object) -> IngestCache:
    with cache.claim(engine) as claimed:  # type: ignore[arg-type]
        return claimed
