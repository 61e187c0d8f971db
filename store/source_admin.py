"""Sources managed from Slack: list, find and remove (adding is `bot.sources.sources_file.add_slack_source`).

Removing a source disables it rather than deleting the row: its items and developments stay
searchable and the fetch history stays readable. A source from the sources file is marked
`origin=REMOVED_FILE_SOURCE`, so the file's entry does not enable it again at the next sync.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from store.models import Source

# The origin of a file source an admin removed from Slack (`sync_sources` leaves it disabled).
REMOVED_FILE_SOURCE = "file-removed"


def list_sources(session: Session, *, include_disabled: bool = False) -> list[Source]:
    stmt = select(Source).order_by(col(Source.name))
    if not include_disabled:
        stmt = stmt.where(col(Source.enabled).is_(True))
    return list(session.exec(stmt).all())


def find_source(session: Session, *, name: str) -> Source | None:
    return session.exec(select(Source).where(col(Source.name) == name)).first()


def find_watched_url(session: Session, *, url: str) -> Source | None:
    """The enabled source fetching `url`, if any."""
    return session.exec(
        select(Source).where(col(Source.url) == url, col(Source.enabled).is_(True))
    ).first()


def remove_source(session: Session, *, name: str) -> Source | None:
    """Stop watching `name`; returns the source, or None when no watched source has it."""
    source = find_source(session, name=name)
    if source is None or not source.enabled:
        return None
    source.enabled = False
    source.next_due_at = None
    if source.origin == "file":
        source.origin = REMOVED_FILE_SOURCE
    session.add(source)
    session.flush()
    return source


def source_names(session: Session) -> list[str]:
    return list(session.exec(select(Source.name)).all())
