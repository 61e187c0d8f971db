"""Ingest keeps each development's timeline: the dates its items say it sets."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from bot.config import Settings
from bot.developments.ingest import ingest_entries
from bot.developments.timeline import timelines
from bot.sources.entries import RawEntry
from store.db import SessionFactory
from store.models import DevelopmentDate, Source

NOW = datetime(2025, 9, 30, 12, 0, tzinfo=UTC)


def _source(session: Session) -> Source:
    source = Source(name="bis", kind="feed", url="https://example.org/bis", primary=True)
    session.add(source)
    session.flush()
    return source


def _entry(guid: str, text: str) -> RawEntry:
    return RawEntry(
        guid=guid,
        url=f"https://example.org/{guid}",
        title="BIS interim final rule on advanced computing chips",
        text=text,
        published=NOW,
    )


def _kinds(session: Session) -> list[tuple[str, date]]:
    rows = session.exec(select(DevelopmentDate).order_by(DevelopmentDate.day)).all()  # type: ignore[arg-type]
    return [(r.kind, r.day) for r in rows]


def test_ingest_stores_the_dates_a_development_sets_with_their_sentences(
    sessions: SessionFactory, settings: Settings
) -> None:
    text = (
        "The Bureau of Industry and Security issued an interim final rule on export controls "
        "for advanced computing chips. The rule is effective October 15, 2025. "
        "Comments are due by November 14, 2025."
    )
    with sessions() as session:
        result = ingest_entries(
            session,
            source=_source(session),
            entries=[_entry("a", text)],
            now=NOW,
            settings=settings,
        )
        session.commit()
        assert _kinds(session) == [
            ("effective", date(2025, 10, 15)),
            ("deadline", date(2025, 11, 14)),
        ]
        dated = timelines(session, result.development_ids)[result.development_ids[0]]
        assert dated[0].sentence == "The rule is effective October 15, 2025."
        assert dated[0].item_id is not None


def test_an_edited_item_replaces_the_timeline_instead_of_adding_to_it(
    sessions: SessionFactory, settings: Settings
) -> None:
    first = (
        "The Bureau of Industry and Security issued an interim final rule on export controls "
        "for advanced computing chips. Comments are due by November 14, 2025."
    )
    edited = first.replace("November 14, 2025", "December 1, 2025")
    with sessions() as session:
        source = _source(session)
        ingest_entries(
            session, source=source, entries=[_entry("a", first)], now=NOW, settings=settings
        )
        session.commit()
        ingest_entries(
            session, source=source, entries=[_entry("a", edited)], now=NOW, settings=settings
        )
        session.commit()
        assert _kinds(session) == [("deadline", date(2025, 12, 1))]
