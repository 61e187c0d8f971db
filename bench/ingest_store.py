"""How fast does `ingest_entries` take 50 new entries into a store of N items?

    .venv/bin/python bench/ingest_store.py [--items 10000] [--batch 50] [--days 90]
                                           [--database-url URL]

Fills a temporary SQLite store (or the database given) with N items in N/3 developments spread
over `--days` days, written directly (the fill is not what is measured), then times three
batches of `--batch` new entries through the real `ingest_entries` (dedup lookups,
classification, candidate query, clustering, development refresh), each in its own
transaction, with one cache as a poll has. Then, traced apart (tracing slows Python), one more
batch with a fresh cache, as a poll's first call: its peak memory and what its cache keeps.
The naive baseline, in the same run, does what a straightforward implementation would: for
every new entry, read every stored item and compare it with the entry (5 entries timed,
scaled up). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bot.analysis import cluster  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.developments.ingest import content_hash, ingest_entries  # noqa: E402
from bot.developments.ingest_cache import IngestCache  # noqa: E402
from bot.sources.entries import RawEntry  # noqa: E402
from store.db import make_engine, migrate, session_factory  # noqa: E402
from store.models import Development, Item, Source  # noqa: E402

BASE = datetime(2026, 1, 1, tzinfo=UTC)
ACTORS = [
    ("The Bureau of Industry and Security", "US"),
    ("MOFCOM", "CN"),
    ("The European Commission", "EU"),
    ("DSIT", "UK"),
    ("METI", "JP"),
    ("The Hague", "NL"),
]
OBJECTS = ["advanced AI chips", "chipmaking tools", "gallium", "model weights", "HBM", "scanners"]
VERBS = ["imposed licence requirements on exports of", "added export controls on"]


def _text(rnd: random.Random, i: int) -> tuple[str, str, str]:
    actor, code = rnd.choice(ACTORS)
    obj, verb = rnd.choice(OBJECTS), rnd.choice(VERBS)
    title = f"{actor} {verb} {obj} (notice {i})"
    text = (
        f"{actor} on Monday {verb} {obj}, covering {rnd.randint(2, 900)} items in notice {i}. "
        "Officials said the measure followed a review. Industry groups were studying it. " * 3
    )
    return title, text, code


def fill(database_url: str, n: int, days: int = 90) -> tuple[Any, int]:
    rnd = random.Random(1)
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        sources = [Source(name=f"bench-{k}", kind="feed", url=f"https://e/{k}") for k in range(201)]
        session.add_all(sources)
        session.flush()
        developments: list[Development] = []
        for i in range(n):
            title, text, code = _text(rnd, i)
            published = BASE + timedelta(minutes=rnd.randint(0, days * 24 * 60))
            if i % 3 == 0:
                development = Development(
                    title=title,
                    jurisdictions=[code],
                    topics=["export-controls"],
                    published_at=published,
                    first_seen_at=published,
                    updated_at=published,
                )
                session.add(development)
                session.flush()
                developments.append(development)
            session.add(
                Item(
                    source_id=sources[i % 200].id or 0,
                    development_id=developments[-1].id,
                    guid=f"g{i}",
                    url=f"https://example.org/{i}",
                    title=title,
                    text=text,
                    published_at=published,
                    first_seen_at=published,
                    updated_at=published,
                    content_hash=content_hash(title, text),
                    jurisdictions=[code],
                    topics=["export-controls"],
                )
            )
            if i % 1000 == 999:
                session.flush()
        session.commit()
        last_source = sources[200].id or 0
    return engine, last_source


def batch(rnd: random.Random, start: int, size: int) -> list[RawEntry]:
    out = []
    for i in range(start, start + size):
        title, text, _ = _text(rnd, i)
        published = BASE + timedelta(days=45, minutes=rnd.randint(0, 3 * 24 * 60))
        out.append(
            RawEntry(
                guid=f"n{i}",
                url=f"https://example.org/n{i}",
                title=title,
                text=text,
                published=published,
            )
        )
    return out


def naive(engine: Any, entries: list[RawEntry]) -> None:
    """Baseline: every new entry is compared with every stored item, read in full."""
    sessions = session_factory(engine)
    with sessions() as session:
        for entry in entries:
            new = cluster.fingerprint(entry.title, entry.text)
            for item in session.exec(select(Item)):
                cluster.similarity(new, cluster.fingerprint(item.title, item.text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--days", type=int, default=90, help="the days the stored items span")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        engine, source_id = fill(url, args.items, args.days)
        fill_seconds = time.perf_counter() - started
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        sessions = session_factory(engine)
        rnd = random.Random(2)
        cache = IngestCache()  # carried from call to call, as a poll does
        timings = []
        for rep in range(3):
            entries = batch(rnd, 100_000 + rep * args.batch, args.batch)
            with sessions() as session:
                source = session.get(Source, source_id)
                assert source is not None
                t0 = time.perf_counter()
                ingest_entries(
                    session,
                    source=source,
                    entries=entries,
                    now=BASE + timedelta(days=46),
                    settings=settings,
                    cache=cache,
                )
                session.commit()
                timings.append(time.perf_counter() - t0)
        # Memory, apart (tracing slows Python down): one more batch with a fresh cache, as the
        # first call of a poll; the peak during it, and what its cache keeps for the next call.
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        fresh = IngestCache()
        with sessions() as session:
            source = session.get(Source, source_id)
            assert source is not None
            ingest_entries(
                session,
                source=source,
                entries=batch(rnd, 150_000, args.batch),
                now=BASE + timedelta(days=46),
                settings=settings,
                cache=fresh,
            )
            session.commit()
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak_mb, kept_mb = (peak - before) / 1e6, (kept - before) / 1e6
        # The baseline is slow: time 5 entries and scale to the batch.
        entries = batch(rnd, 200_000, 5)
        t0 = time.perf_counter()
        naive(engine, entries)
        naive_seconds = (time.perf_counter() - t0) / len(entries) * args.batch
        engine.dispose()
    best = min(timings)
    print(
        f"store: {args.items} items (filled in {fill_seconds:.1f} s); batch: {args.batch} new entries"
    )
    print(f"{'method':<28}{'seconds':>10}{'ms/entry':>10}")
    print(f"{'ingest_entries (best of 3)':<28}{best:>10.3f}{best / args.batch * 1000:>10.1f}")
    print(
        f"{'naive (5 timed, scaled)':<28}{naive_seconds:>10.3f}{naive_seconds / args.batch * 1000:>10.1f}"
    )
    print(f"speed-up: {naive_seconds / best:.1f}x")
    print(
        f"memory of a poll's first call: peak {peak_mb:.1f} MB, kept in its cache {kept_mb:.1f} MB"
    )
    print(
        json.dumps(
            {
                "store_items": args.items,
                "batch": args.batch,
                "ingest_seconds": [round(t, 3) for t in timings],
                "ingest_ms_per_entry": round(best / args.batch * 1000, 2),
                "naive_seconds": round(naive_seconds, 3),
                "speedup": round(naive_seconds / best, 1),
                "days": args.days,
                "first_call_peak_mb": round(peak_mb, 1),
                "first_call_kept_mb": round(kept_mb, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
