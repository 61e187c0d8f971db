"""The per-call clustering candidates: the nearest items in date, in the order of the queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.developments.pool import (
    CANDIDATES_PER_SIDE,
    CandidatePool,
    QueriedCandidatePool,
)
from bot.developments.rows import PoolRow
from store.db import SessionFactory
from store.models import Development, Item, Source

WHEN = datetime(2025, 9, 30, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=45)


def _row(item_id: int, stamp: datetime) -> PoolRow:
    return PoolRow(stamp, item_id, item_id, frozenset({"US"}), frozenset({"sovereignty"}), "h", 1)


def _pool(dated: list[PoolRow], undated: list[PoolRow] | None = None) -> CandidatePool:
    undated = undated or []
    pool = CandidatePool()
    pool.dated = sorted(dated, key=lambda r: (r.stamp, r.item_id))
    pool.undated = sorted(undated, key=lambda r: (r.stamp, r.item_id))
    pool.by_id = {r.item_id: r for r in [*dated, *undated]}
    return pool


def test_candidates_are_the_nearest_per_side_newest_first_before_and_oldest_first_after() -> None:
    rows = [_row(i, WHEN + timedelta(hours=i)) for i in range(-300, 301)]
    near = _pool(rows).near(WHEN, WINDOW)
    ids = [r.item_id for r in near]
    before = list(range(0, -CANDIDATES_PER_SIDE, -1))
    after = list(range(1, CANDIDATES_PER_SIDE + 1))
    assert ids == before + after


def test_items_outside_the_window_are_not_candidates() -> None:
    rows = [_row(1, WHEN - WINDOW - timedelta(seconds=1)), _row(2, WHEN - WINDOW), _row(3, WHEN)]
    rows += [_row(4, WHEN + WINDOW), _row(5, WHEN + WINDOW + timedelta(seconds=1))]
    assert [r.item_id for r in _pool(rows).near(WHEN, WINDOW)] == [3, 2, 4]


def test_undated_items_come_last_by_when_they_were_first_seen_newest_first() -> None:
    undated = [_row(10 + i, WHEN + timedelta(days=i)) for i in (-50, -3, 0, 3, 50)]
    near = _pool([_row(1, WHEN)], undated).near(WHEN, WINDOW)
    assert [r.item_id for r in near] == [1, 13, 10, 7]


def test_an_added_item_joins_in_date_order_and_a_discarded_one_leaves() -> None:
    pool = _pool([_row(1, WHEN - timedelta(days=2)), _row(2, WHEN + timedelta(days=2))])
    item = Item(
        id=3,
        source_id=1,
        development_id=7,
        guid="g",
        url="https://example.org/3",
        title="t",
        text="x",
        published_at=WHEN - timedelta(days=1),
        first_seen_at=WHEN,
        updated_at=WHEN,
        content_hash="h3",
        jurisdictions=["US"],
        topics=["sovereignty"],
    )
    pool.add(item)
    near = pool.near(WHEN, WINDOW)
    assert [r.item_id for r in near] == [3, 1, 2]
    assert (near[0].development_id, near[0].digest) == (7, "h3")
    pool.discard(3)
    pool.discard(99)  # unknown: nothing happens
    assert [r.item_id for r in pool.near(WHEN, WINDOW)] == [1, 2]


def test_reading_the_window_once_finds_what_the_per_entry_queries_find(
    sessions: SessionFactory,
) -> None:
    with sessions() as session:
        source = Source(name="s", kind="feed", url="https://example.org/feed")
        development = Development(title="d", first_seen_at=WHEN, updated_at=WHEN)
        session.add_all([source, development])
        session.flush()
        assert source.id is not None and development.id is not None
        for i in range(-260, 261, 2):  # dated, more than the per-side limit on each side
            stamp = WHEN + timedelta(hours=i * 3)
            session.add(_item(source.id, development.id, f"d{i}", published=stamp, seen=WHEN))
        for i in range(-60, 61, 3):  # undated: by when they were first seen
            stamp = WHEN + timedelta(days=i)
            session.add(_item(source.id, development.id, f"u{i}", published=None, seen=stamp))
        session.add(_item(source.id, None, "no development", published=WHEN, seen=WHEN))
        session.flush()
        loaded = CandidatePool()
        loaded.load(session, lo=WHEN - 2 * WINDOW, hi=WHEN + 2 * WINDOW)
        queried = QueriedCandidatePool(session)
        sizes = []
        for when in (WHEN, WHEN + timedelta(days=20), WHEN - timedelta(days=44, hours=5)):
            expected = [(r.item_id, r.stamp, r.digest) for r in queried.near(when, WINDOW)]
            assert [(r.item_id, r.stamp, r.digest) for r in loaded.near(when, WINDOW)] == expected
            sizes.append(len(expected))
        assert max(sizes) > CANDIDATES_PER_SIDE  # the limits were reached


def _item(
    source_id: int,
    development_id: int | None,
    guid: str,
    *,
    published: datetime | None,
    seen: datetime,
) -> Item:
    return Item(
        source_id=source_id,
        development_id=development_id,
        guid=guid,
        url=f"https://example.org/{guid}",
        title=guid,
        text=guid,
        published_at=published,
        first_seen_at=seen,
        updated_at=seen,
        content_hash=f"h-{guid}",
        jurisdictions=["US"],
        topics=["sovereignty"],
    )
