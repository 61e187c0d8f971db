"""A development's links: one query, one documented order, used by every message that cites.

The order (`LINK_ORDER`): primary (official) sources first, then by when the item was first
seen, then by item id; a URL reached twice is listed once. So a briefing reply, an alert, an
answer and the export all cite the same first link: the earliest official document, else the
earliest report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from store.models import Item, Source

LINK_ORDER = "primary sources first, then first seen, then item id"
_CHUNK = 500


@dataclass(frozen=True)
class DevelopmentLink:
    """One item of a development, as a citation."""

    development_id: int
    item_id: int
    url: str
    title: str
    source: str  # the source's name
    primary: bool
    first_seen_at: datetime
    updated_at: datetime


# Built once: an answer cites a few developments, and building the statement each time cost
# more than running it.
_LINKS = (
    select(
        col(Item.development_id),
        col(Item.id),
        col(Item.url),
        col(Item.title),
        col(Item.first_seen_at),
        col(Item.updated_at),
        col(Source.name),
        col(Source.primary),
    )
    .join(Source, col(Source.id) == col(Item.source_id))
    .where(col(Item.development_id).in_(bindparam("ids", expanding=True)))
    .order_by(
        col(Item.development_id),
        col(Source.primary).desc(),
        col(Item.first_seen_at),
        col(Item.id),
    )
)


def development_links(
    session: Session, development_ids: Sequence[int]
) -> dict[int, list[DevelopmentLink]]:
    """Each development's links in `LINK_ORDER` (developments without items are absent)."""
    ids = sorted({int(i) for i in development_ids})
    out: dict[int, list[DevelopmentLink]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.connection().execute(_LINKS, {"ids": ids[start : start + _CHUNK]}).all()
        seen: set[tuple[int, str]] = set()
        for dev_id, item_id, url, title, first_seen, updated, name, primary in rows:
            if dev_id is None or item_id is None or not url or (dev_id, url) in seen:
                continue
            seen.add((dev_id, url))
            out.setdefault(int(dev_id), []).append(
                DevelopmentLink(
                    development_id=int(dev_id),
                    item_id=int(item_id),
                    url=str(url),
                    title=str(title),
                    source=str(name),
                    primary=bool(primary),
                    first_seen_at=first_seen,
                    updated_at=updated,
                )
            )
    return out


def first_links(session: Session, development_ids: Sequence[int]) -> dict[int, str]:
    """The URL each development is cited by: its first link in `LINK_ORDER`."""
    return {
        dev_id: links[0].url
        for dev_id, links in development_links(session, development_ids).items()
    }
