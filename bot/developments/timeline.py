"""A development's timeline: the dates its items say it sets, kept in `development_dates`.

Ingest calls `record_timelines` for the developments a call touched, after their columns are
computed; the extraction itself is `bot.analysis.dates` (pure). A development's dates are
replaced whole each time, so an edited item never leaves a stale date behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.analysis.dates import DatedFact, extract_dates
from store.models import DevelopmentDate, Item

# The items read per development, oldest first: later reports rarely add dates of their own.
MAX_ITEMS = 20
_CHUNK = 500


def development_facts(items: Sequence[Item]) -> list[tuple[DatedFact, int | None]]:
    """The dated facts of a development's items, each (kind, day) once, with its item id."""
    seen: dict[tuple[str, object], tuple[DatedFact, int | None]] = {}
    for item in items:
        published = item.published_at.date() if item.published_at else None
        for fact in extract_dates(f"{item.title}.\n{item.text}", published=published):
            seen.setdefault((fact.kind, fact.day), (fact, item.id))
    return list(seen.values())


def record_timelines(session: Session, development_ids: Sequence[int]) -> None:
    """Replace the stored timeline of each development from its items (flushes, no commit)."""
    ids = sorted(set(development_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        items = session.exec(
            select(Item)
            .where(col(Item.development_id).in_(chunk))
            .order_by(col(Item.published_at), col(Item.id))
        ).all()
        by_dev: dict[int, list[Item]] = {}
        for item in items:
            if item.development_id is not None:
                group = by_dev.setdefault(item.development_id, [])
                if len(group) < MAX_ITEMS:
                    group.append(item)
        session.execute(
            delete(DevelopmentDate).where(col(DevelopmentDate.development_id).in_(chunk))
        )
        for dev_id, group in by_dev.items():
            for fact, item_id in development_facts(group):
                session.add(
                    DevelopmentDate(
                        development_id=dev_id,
                        kind=fact.kind,
                        day=fact.day,
                        precision=fact.precision,
                        sentence=fact.sentence,
                        item_id=item_id,
                    )
                )
    session.flush()


def timelines(session: Session, development_ids: Sequence[int]) -> dict[int, list[DevelopmentDate]]:
    """The stored timeline of each development, by date."""
    out: dict[int, list[DevelopmentDate]] = {}
    ids = sorted(set(development_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(
            select(DevelopmentDate)
            .where(col(DevelopmentDate.development_id).in_(ids[start : start + _CHUNK]))
            .order_by(col(DevelopmentDate.day), col(DevelopmentDate.id))
        ).all()
        for row in rows:
            out.setdefault(row.development_id, []).append(row)
    return out
