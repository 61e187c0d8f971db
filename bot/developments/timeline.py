"""A development's timeline: the dates its items say it sets, kept in `development_dates`.

Ingest calls `record_timelines` for the developments a call touched, after their columns are
computed; the extraction itself is `bot.analysis.dates` (pure). A development's dates are
replaced whole each time, so an edited item never leaves a stale date behind.

`timeline_lines` is how every message shows a timeline ("takes effect 2 August 2026"): answers,
briefing replies and alerts alike; `timeline_labels` reads it for many developments at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import bindparam, delete
from sqlmodel import Session, col, select

from bot.analysis.dates import DatedFact, extract_dates
from store.models import DevelopmentDate, Item


class FactCache(Protocol):
    """Where an item's facts are kept by (item id, content hash): `IngestCache.dates`."""

    def get(self, key: tuple[int, str]) -> tuple[DatedFact, ...] | None: ...

    def put(self, key: tuple[int, str], value: tuple[DatedFact, ...]) -> None: ...


# The items read per development, oldest first: later reports rarely add dates of their own.
MAX_ITEMS = 20
_CHUNK = 500


def item_facts(item: Item, known: FactCache | None = None) -> tuple[DatedFact, ...]:
    """An item's dated facts, from `known` when its text (id and content hash) was read before."""
    key = (item.id or 0, item.content_hash)
    cached = known.get(key) if known is not None and item.id is not None else None
    if cached is not None:
        return cached
    published = item.published_at.date() if item.published_at else None
    facts = tuple(extract_dates(f"{item.title}.\n{item.text}", published=published))
    if known is not None and item.id is not None:
        known.put(key, facts)
    return facts


def development_facts(
    items: Sequence[Item], known: FactCache | None = None
) -> list[tuple[DatedFact, int | None]]:
    """The dated facts of a development's items, each (kind, day) once, with its item id."""
    seen: dict[tuple[str, object], tuple[DatedFact, int | None]] = {}
    for item in items:
        for fact in item_facts(item, known):
            seen.setdefault((fact.kind, fact.day), (fact, item.id))
    return list(seen.values())


def record_timelines(
    session: Session, development_ids: Sequence[int], known: FactCache | None = None
) -> None:
    """Replace the stored timeline of each development from its items (flushes, no commit).

    `known` (the poll's `IngestCache.dates`) keeps each item's facts, so a development that
    many items join in one poll has each item's text read for dates once, not once per join.
    """
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
            for fact, item_id in development_facts(group, known):
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


# Built once: answers read a few timelines per question.
_TIMELINES = (
    select(DevelopmentDate)
    .where(col(DevelopmentDate.development_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(DevelopmentDate.day), col(DevelopmentDate.id))
)


def timelines(session: Session, development_ids: Sequence[int]) -> dict[int, list[DevelopmentDate]]:
    """The stored timeline of each development, by date."""
    out: dict[int, list[DevelopmentDate]] = {}
    ids = sorted(set(development_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(_TIMELINES, params={"ids": ids[start : start + _CHUNK]}).all()
        for row in rows:
            out.setdefault(row.development_id, []).append(row)
    return out


# Timeline dates worth a line of their own (publication is already shown beside the title).
SHOWN_DATE_KINDS = ("effective", "deadline", "ends", "adopted")
MAX_SHOWN_DATES = 3


def timeline_lines(
    dates: Sequence[DevelopmentDate], *, first: Sequence[DevelopmentDate] = ()
) -> list[str]:
    """ "takes effect 2 August 2026" for the dates a question matched (`first`), then the
    others by date, at most MAX_SHOWN_DATES."""
    rest = sorted((d for d in dates if d.kind in SHOWN_DATE_KINDS), key=lambda d: d.day)
    ordered = list({id(d): d for d in (*first, *rest)}.values())[:MAX_SHOWN_DATES]
    return [DatedFact(d.kind, d.day, d.precision, d.sentence).describe() for d in ordered]


def timeline_labels(session: Session, development_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The timeline lines of each development that has any, as briefings and alerts show them."""
    out: dict[int, tuple[str, ...]] = {}
    for dev_id, dates in timelines(session, development_ids).items():
        lines = timeline_lines(dates)
        if lines:
            out[dev_id] = tuple(lines)
    return out
