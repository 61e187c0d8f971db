"""A development's timeline: the dates its items say it sets, kept in `development_dates`.

Ingest calls `record_timelines` for the developments a call touched, after their columns are
computed; the extraction itself is `bot.analysis.dates` (pure). A development's dates are
replaced whole each time, so an edited item never leaves a stale date behind.

`timeline_lines` is how every message shows a timeline ("takes effect 2 August 2026"): answers,
briefing replies and alerts alike; `timeline_labels` reads it for many developments at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import bindparam, delete, insert
from sqlalchemy import select as sa_select
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


def text_facts(title: str, text: str, published: datetime | None) -> tuple[DatedFact, ...]:
    """The dated facts of an item's title and text ("on Thursday" read from its UTC day)."""
    day = published.astimezone(UTC).date() if published else None
    return tuple(extract_dates(f"{title}.\n{text}", published=day))


def record_timelines(
    session: Session, development_ids: Sequence[int], known: FactCache | None = None
) -> None:
    """Replace the stored timeline of each development from its items (writes, no commit).

    `known` (the poll's `IngestCache.dates`) keeps each item's facts, so a development that
    many items join in one poll has each item's text read for dates once, not once per join
    (ingest puts a new item's facts there as it writes it, from the text in hand). Each
    development's first `MAX_ITEMS` are found from cheap columns; only the texts of those
    whose facts `known` lacks are read.
    """
    ids = sorted(set(development_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        firsts: dict[int, list[tuple[int, str]]] = {}
        for dev_id, item_id, digest in session.execute(
            sa_select(col(Item.development_id), col(Item.id), col(Item.content_hash))
            .where(col(Item.development_id).in_(chunk))
            .order_by(col(Item.published_at), col(Item.id))
        ).tuples():
            group = firsts.setdefault(dev_id, [])
            if len(group) < MAX_ITEMS:
                group.append((item_id, digest))
        facts: dict[int, tuple[DatedFact, ...]] = {}
        unread: list[int] = []
        for group in firsts.values():
            for item_id, digest in group:
                cached = known.get((item_id, digest)) if known is not None else None
                if cached is None:
                    unread.append(item_id)
                else:
                    facts[item_id] = cached
        for part in range(0, len(unread), _CHUNK):
            texts = sa_select(
                col(Item.id),
                col(Item.content_hash),
                col(Item.title),
                col(Item.text),
                col(Item.published_at),
            ).where(col(Item.id).in_(unread[part : part + _CHUNK]))
            for item_id, digest, title, text, published in session.execute(texts).tuples():
                facts[item_id] = text_facts(title, text, published)
                if known is not None:
                    known.put((item_id, digest), facts[item_id])
        session.execute(
            delete(DevelopmentDate).where(col(DevelopmentDate.development_id).in_(chunk))
        )
        rows = [
            {
                "development_id": dev_id,
                "kind": fact.kind,
                "day": fact.day,
                "precision": fact.precision,
                "sentence": fact.sentence,
                "item_id": item_id,
            }
            for dev_id, group in firsts.items()
            for fact, item_id in _first_of_each((item_id, facts[item_id]) for item_id, _ in group)
        ]
        if rows:
            session.execute(insert(DevelopmentDate), rows)


def _first_of_each(
    items: Iterable[tuple[int, tuple[DatedFact, ...]]],
) -> list[tuple[DatedFact, int]]:
    """Each (kind, day) once, with the first item stating it."""
    seen: dict[tuple[str, object], tuple[DatedFact, int]] = {}
    for item_id, facts in items:
        for fact in facts:
            seen.setdefault((fact.kind, fact.day), (fact, item_id))
    return list(seen.values())


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
