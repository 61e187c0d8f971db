"""Ingest keeps each development's timeline: the dates its items say it sets."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from bot.config import Settings
from bot.developments.ingest import ingest_entries
from bot.developments.timeline import MAX_SHOWN_DATES, timeline_labels, timeline_lines, timelines
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


def test_messages_show_the_dates_that_matter_by_date_at_most_a_few(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session)
        session.commit()
        ids = []
        for title, text in (
            (
                "EU AI Act timeline",
                "The AI Act was adopted on 21 May 2024 and published on 12 July 2024. Rules for "
                "general-purpose AI apply from 2 August 2025; most obligations take effect on "
                "2 August 2026. Embedded systems have until 2 August 2027.",
            ),
            (
                "BIS rule on chips",
                "Comments are due by November 14, 2025. The rule is effective October 15, 2025.",
            ),
            ("Minister's speech", "The minister spoke about AI safety on 3 March 2025."),
        ):
            result = ingest_entries(
                session,
                source=source,
                entries=[
                    RawEntry(
                        guid=title,
                        url=f"https://example.org/{len(ids)}",
                        title=title,
                        text=text,
                        published=NOW,
                    )
                ],
                now=NOW,
                settings=settings,
            )
            session.commit()
            ids.append(result.development_ids[0])
        labels = timeline_labels(session, ids)
    act, rule, speech = ids
    assert labels[act] == (
        "adopted 21 May 2024",
        "takes effect 2 August 2025",
        "takes effect 2 August 2026",
    )  # publication is left out (the message shows it); three at most
    assert len(labels[act]) == MAX_SHOWN_DATES
    assert labels[rule] == ("takes effect 15 October 2025", "due 14 November 2025")
    assert speech not in labels


def test_dates_a_question_matched_come_first() -> None:
    early = DevelopmentDate(development_id=1, kind="effective", day=date(2025, 2, 2), sentence="")
    late = DevelopmentDate(development_id=1, kind="deadline", day=date(2026, 8, 2), sentence="")
    assert timeline_lines([early, late]) == ["takes effect 2 February 2025", "due 2 August 2026"]
    assert timeline_lines([early, late], first=[late])[0] == "due 2 August 2026"
