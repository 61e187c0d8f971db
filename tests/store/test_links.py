"""A development's links: one order for every message that cites it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.answers.engine import cite_developments
from bot.briefings.plan import briefing_entries
from store.db import SessionFactory
from store.links import development_links, first_links
from store.models import Development, Item, Source

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _source(session: Session, name: str, *, primary: bool) -> int:
    source = Source(name=name, kind="feed", url=f"https://{name}.example/feed", primary=primary)
    session.add(source)
    session.flush()
    assert source.id is not None
    return source.id


def _item(session: Session, dev: int, source: int, url: str, seen: datetime) -> None:
    session.add(
        Item(
            source_id=source,
            guid=url,
            url=url,
            title=url.rsplit("/", 1)[-1],
            text="",
            first_seen_at=seen,
            updated_at=seen,
            content_hash=url,
            development_id=dev,
        )
    )


def _store(sessions: SessionFactory) -> tuple[int, int]:
    with sessions() as session:
        wire = _source(session, "wire", primary=False)
        agency = _source(session, "agency", primary=True)
        ministry = _source(session, "ministry", primary=True)
        chips = Development(title="Chip rule", first_seen_at=T0, updated_at=T0)
        act = Development(title="AI act", first_seen_at=T0, updated_at=T0)
        session.add_all([chips, act])
        session.flush()
        assert chips.id is not None and act.id is not None
        # The newswire saw it first, the agency's own notice came later: the notice leads.
        _item(session, chips.id, wire, "https://wire.example/story", T0)
        _item(session, chips.id, agency, "https://agency.example/notice", T0 + timedelta(hours=5))
        _item(session, chips.id, ministry, "https://ministry.example/rule", T0 + timedelta(hours=9))
        # Only secondary coverage: the earliest report leads; a URL seen twice is listed once.
        _item(session, act.id, wire, "https://wire.example/act-2", T0 + timedelta(days=1))
        _item(session, act.id, wire, "https://wire.example/act-1", T0)
        session.commit()
        return chips.id, act.id


def test_links_put_official_sources_first_then_the_earliest(sessions: SessionFactory) -> None:
    chips, act = _store(sessions)
    with sessions() as session:
        links = development_links(session, [chips, act, 999])
    assert [link.url for link in links[chips]] == [
        "https://agency.example/notice",
        "https://ministry.example/rule",
        "https://wire.example/story",
    ]
    assert [link.primary for link in links[chips]] == [True, True, False]
    assert [link.url for link in links[act]] == [
        "https://wire.example/act-1",
        "https://wire.example/act-2",
    ]
    assert 999 not in links


def test_alerts_answers_and_briefings_cite_the_same_first_link(sessions: SessionFactory) -> None:
    chips, act = _store(sessions)
    with sessions() as session:
        devs = [session.get(Development, chips), session.get(Development, act)]
        assert all(d is not None for d in devs)
        known = [d for d in devs if d is not None]
        alert = first_links(session, [chips, act])
        answer = {c.id: c.url for c in cite_developments(session, known)}
        brief = {e.development_id: e.links[0].url for e in briefing_entries(session, known)}
    assert alert == answer == brief
    assert alert == {chips: "https://agency.example/notice", act: "https://wire.example/act-1"}
