"""Candidate selection: which stored rows near a new item's date it is compared with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.analysis import cluster
from bot.developments.candidates import CandidateSelector
from bot.developments.ingest_cache import IngestCache
from bot.developments.pool import CandidatePool
from bot.developments.rows import PoolRow
from store.db import SessionFactory

WHEN = datetime(2025, 9, 30, 12, 0, tzinfo=UTC)
FP = cluster.fingerprint("Commerce tightens chip export rules", "The rule covers chips.")


def _row(item_id: int, jurisdictions: set[str], source_id: int = 2) -> PoolRow:
    row = PoolRow(
        WHEN + timedelta(hours=item_id),
        item_id,
        100 + item_id,
        frozenset(jurisdictions),
        frozenset({"export-controls"}),
        f"h{item_id}",
        source_id,
    )
    row.fingerprint = FP
    return row


def _candidates(
    sessions: SessionFactory, rows: list[PoolRow], jurisdictions: list[str]
) -> list[cluster.Candidate]:
    """The candidates of a new item of source 1 among `rows` (fingerprints known)."""
    pool = CandidatePool()
    pool.dated = sorted(rows, key=lambda r: (r.stamp, r.item_id))
    pool.by_id = {r.item_id: r for r in rows}
    with sessions() as session:
        selector = CandidateSelector(session, 1, WHEN, IngestCache())
        selector.pool = pool
        return selector.candidates(WHEN, jurisdictions=jurisdictions, topics=[])[0]


ROWS = [
    ({"US"}, 1),
    ({"UK"}, 2),
    ({"US", "EU"}, 3),
    (set(), 4),
    ({"INTL"}, 5),
    ({"CN", "INTL"}, 6),
]


def _compared(sessions: SessionFactory, jurisdictions: list[str]) -> list[int]:
    found = _candidates(sessions, [_row(i, j) for j, i in ROWS], jurisdictions)
    return sorted(c.development_id - 100 for c in found)


def test_a_new_item_is_compared_with_rows_sharing_a_government_or_naming_none(
    sessions: SessionFactory,
) -> None:
    assert _compared(sessions, ["US"]) == [1, 3, 4, 5]
    assert _compared(sessions, ["UK", "INTL"]) == [2, 4, 5]
    assert _compared(sessions, ["CN", "EU"]) == [3, 4, 5, 6]


def test_a_new_item_naming_no_government_is_compared_with_every_row(
    sessions: SessionFactory,
) -> None:
    assert _compared(sessions, []) == [1, 2, 3, 4, 5, 6]
    assert _compared(sessions, ["INTL"]) == [1, 2, 3, 4, 5, 6]


def test_a_candidate_whose_development_holds_an_item_of_the_same_source_says_so(
    sessions: SessionFactory,
) -> None:
    rows = [_row(1, {"US"}, source_id=1), _row(2, {"US"}, source_id=2)]
    found = _candidates(sessions, rows, ["US"])
    assert {c.development_id: c.same_source for c in found} == {101: True, 102: False}
