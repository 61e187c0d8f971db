"""Sources managed from Slack: list, add and remove (keyword-only queries).

Removing a source disables it rather than deleting the row: its items and developments stay
searchable and the fetch history stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from store.models import Source


class SourceExistsError(ValueError):
    """A source with this name or URL is already watched."""


def list_sources(session: Session, *, include_disabled: bool = False) -> list[Source]:
    stmt = select(Source).order_by(col(Source.name))
    if not include_disabled:
        stmt = stmt.where(col(Source.enabled).is_(True))
    return list(session.exec(stmt).all())


def find_source(session: Session, *, name: str) -> Source | None:
    return session.exec(select(Source).where(col(Source.name) == name)).first()


def add_source(
    session: Session,
    *,
    name: str,
    kind: str,
    url: str,
    jurisdictions: Sequence[str] = (),
    primary: bool = False,
    added_by: str | None = None,
    now: datetime,
) -> Source:
    """Watch a new source (origin "slack"), due at once. A removed one with the name returns."""
    same_url = session.exec(
        select(Source).where(col(Source.url) == url, col(Source.enabled).is_(True))
    ).first()
    if same_url is not None:
        raise SourceExistsError(f"{url} is already watched as {same_url.name}")
    existing = find_source(session, name=name)
    if existing is not None:
        if existing.enabled:
            raise SourceExistsError(f"a source named {name} already exists")
        source = existing
        source.enabled = True
    else:
        source = Source(name=name, kind=kind, url=url)
    source.kind = kind
    source.url = url
    source.jurisdictions = list(jurisdictions)
    source.primary = primary
    source.origin = "slack"
    source.added_by = added_by
    source.next_due_at = now
    source.consecutive_failures = 0
    session.add(source)
    session.flush()
    return source


def remove_source(session: Session, *, name: str) -> Source | None:
    """Stop watching `name`; returns the source, or None when no watched source has it."""
    source = find_source(session, name=name)
    if source is None or not source.enabled:
        return None
    source.enabled = False
    source.next_due_at = None
    session.add(source)
    session.flush()
    return source


def source_names(session: Session) -> list[str]:
    return list(session.exec(select(Source.name)).all())
