"""Batched writes: INSERTs that give back the new ids in order, UPDATEs of rows by id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from store.bulk import insert_returning_ids, update_by_id
from store.db import SessionFactory
from store.models import Development

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _rows(*titles: str) -> list[dict[str, object]]:
    """Every column, as ingest writes them (Core applies no model defaults)."""
    blank = Development(title="", first_seen_at=NOW, updated_at=NOW).model_dump(exclude={"id"})
    return [{**blank, "title": t} for t in titles]


def test_inserted_rows_get_their_ids_in_the_order_given(sessions: SessionFactory) -> None:
    with sessions() as session:
        first = insert_returning_ids(session, Development, _rows("a", "b"))
        second = insert_returning_ids(session, Development, _rows("c"))
        session.commit()
        stored = dict(session.exec(select(Development.id, Development.title)).all())
    assert len(set(first + second)) == 3
    assert [stored[i] for i in first + second] == ["a", "b", "c"]


def test_each_row_is_updated_by_its_id_and_the_others_are_left_alone(
    sessions: SessionFactory,
) -> None:
    with sessions() as session:
        a, b, c = insert_returning_ids(session, Development, _rows("a", "b", "c"))
        update_by_id(
            session,
            Development,
            [{"id": c, "evidence": {"lead_item": 3}}, {"id": a, "evidence": {"lead_item": 1}}],
        )
        update_by_id(session, Development, [])
        session.commit()
        stored = {
            d.id: (d.title, d.evidence)
            for d in session.exec(select(Development).order_by(col(Development.id)))
        }
    assert stored == {
        a: ("a", {"lead_item": 1}),
        b: ("b", {}),
        c: ("c", {"lead_item": 3}),
    }
