"""Developments written straight into a store, and questions asked of it, for the answer
engine's tests (tests/bot/answers/)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from bot.answers.engine import Answer, answer_question
from bot.config import Settings
from store.db import SessionFactory, session_scope
from store.models import Development, DevelopmentDate


def add_development(
    session: Session,
    title: str,
    text: str,
    jurisdictions: list[str],
    topics: list[str],
    published: datetime,
    *,
    deep: str = "",
    summary_chars: int | None = None,
    dates: Sequence[tuple[str, date]] = (),
) -> int:
    """A development whose summary is `text` (its first `summary_chars`), searched by its
    title, text and `deep` (words only further in its items), setting `dates` (kind, day)."""
    dev = Development(
        title=title,
        summary=text[:summary_chars] if summary_chars else text,
        jurisdictions=jurisdictions,
        topics=topics,
        importance="high",
        published_at=published,
        search_text=f"{title} {text} {deep}",
    )
    session.add(dev)
    session.flush()
    assert dev.id is not None
    for kind, day in dates:
        session.add(DevelopmentDate(development_id=dev.id, kind=kind, day=day, sentence=text))
    return dev.id


def ask(sessions: SessionFactory, settings: Settings, question: str, now: datetime) -> Answer:
    with session_scope(sessions) as s:
        return answer_question(s, question=question, now=now, settings=settings)


def first_id(answer: Answer) -> int | None:
    return answer.developments[0].id if answer.developments else None
