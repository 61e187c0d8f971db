"""Store a development's timeline directly, as ingest would have extracted it."""

from __future__ import annotations

from datetime import date

from store.db import SessionFactory, session_scope
from store.models import DevelopmentDate


def add_timeline(
    sessions: SessionFactory, dev_id: int, *dates: tuple[str, date], sentence: str = ""
) -> None:
    """Give development `dev_id` the dates (kind, day), each to the day."""
    with session_scope(sessions) as session:
        for kind, day in dates:
            session.add(
                DevelopmentDate(development_id=dev_id, kind=kind, day=day, sentence=sentence)
            )
