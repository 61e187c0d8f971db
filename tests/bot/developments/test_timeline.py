"""Ingest keeps each development's timeline: the dates its items say it sets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.analysis import dates
from bot.config import Settings
from bot.developments import timeline
from bot.developments.ingest import ingest_entries
from bot.developments.ingest_cache import IngestCache
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


def test_a_polls_cache_reads_each_items_text_for_dates_once(
    sessions: SessionFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A development that items keep joining has its timeline rebuilt from every item each
    time; with the poll's cache, an item already read is not read again."""
    read: list[str] = []

    def counting(text: str, **kwargs: object) -> list[dates.DatedFact]:
        read.append(text.split(".\n", 1)[0])
        return dates.extract_dates(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(timeline, "extract_dates", counting)
    reports = [
        "The Bureau of Industry and Security issued an interim final rule on export controls "
        "for advanced computing chips. The rule is effective October 15, 2025.",
        "Law firm alert: the interim final rule on advanced computing chips from the Bureau of "
        "Industry and Security is effective October 15, 2025; comments are due November 14, 2025.",
        "Newswire: BIS interim final rule on advanced computing chips effective October 15, 2025.",
    ]
    cache = IngestCache()
    with sessions() as session:
        source = _source(session)
        for n, text in enumerate(reports):
            entry = RawEntry(
                guid=f"r{n}",
                url=f"https://example.org/r{n}",
                title=f"Report {n}: BIS interim final rule on advanced computing chips",
                text=text,
                published=NOW,
            )
            ingest_entries(
                session, source=source, entries=[entry], now=NOW, settings=settings, cache=cache
            )
        session.commit()
        with_cache = _kinds(session)
    assert sorted(read) == sorted(
        f"Report {n}: BIS interim final rule on advanced computing chips" for n in range(3)
    )
    assert ("effective", date(2025, 10, 15)) in with_cache
