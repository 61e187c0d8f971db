"""ingest_entries: dedup, edits, clustering, backfill, pages, announce states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlmodel import Session, select
from support.evidence_support import without_ids

from bot.config import Settings
from bot.developments import candidates
from bot.developments.ingest import ingest_entries
from bot.developments.ingest_cache import IngestCache
from bot.developments.pool import CandidatePool
from bot.sources.entries import RawEntry
from store.db import SessionFactory
from store.models import Development, Item, ItemVersion, Source

NOW = datetime(2025, 9, 30, 12, 0, tzinfo=UTC)

BIS_TITLE = "Commerce adds 30 Chinese entities to the Entity List over advanced chip diversion"
BIS_TEXT = (
    "The Bureau of Industry and Security (BIS) today added 30 entities in China to the Entity "
    "List for diverting advanced AI chips and semiconductor manufacturing equipment. The rule "
    "takes effect immediately and requires a licence for all items subject to the Export "
    "Administration Regulations. Commerce Secretary said the action protects national security."
)
NEWS_TITLE = "US blacklists 30 Chinese firms accused of diverting AI chips"
NEWS_TEXT = (
    "Washington on Tuesday added 30 Chinese companies to its Entity List, saying they helped "
    "divert advanced AI chips and chipmaking tools, in the latest round of US export controls. "
    "Exporters now need a licence to ship them any item subject to the Export Administration "
    "Regulations, the Commerce Department said."
)
CHIPS_TITLE = "Snack maker lets shoppers vote on its next potato chips flavour"
CHIPS_TEXT = (
    "A snack maker said shoppers can vote on the next potato chips flavour, with exports of the "
    "crisps to Europe expected to rise. The sovereign bond market was calm."
)


def _source(session: Session, name: str, *, primary: bool = True, kind: str = "feed") -> Source:
    source = Source(name=name, kind=kind, url=f"https://example.org/{name}", primary=primary)
    session.add(source)
    session.flush()
    return source


def _entry(guid: str, title: str, text: str, *, days_ago: float = 0, **kw: object) -> RawEntry:
    return RawEntry(
        guid=guid,
        url=f"https://example.org/{guid}",
        title=title,
        text=text,
        published=NOW - timedelta(days=days_ago),
        **kw,  # type: ignore[arg-type]
    )


def test_new_entries_are_stored_with_tags_and_a_development(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session, "bis")
        result = ingest_entries(
            session,
            source=source,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT)],
            now=NOW,
            settings=settings,
        )
        session.commit()
        assert (result.new, result.updated, result.unchanged) == (1, 0, 0)
        item = session.exec(select(Item)).one()
        development = session.get(Development, result.development_ids[0])
        assert development is not None
        assert item.development_id == development.id
        assert development.jurisdictions == ["US"]
        assert development.topics == ["export-controls"]
        assert development.announce == "pending"
        assert development.importance == "high"
        assert development.summary and development.summary in BIS_TEXT
        assert "Entity List" in development.search_text
        assert development.evidence["jurisdictions"]["US"]["signals"]
        assert item.evidence["importance"]["level"] == "high"


def test_same_entry_again_is_not_stored_twice(sessions: SessionFactory, settings: Settings) -> None:
    with sessions() as session:
        source = _source(session, "bis")
        entry = _entry("a", BIS_TITLE, BIS_TEXT)
        ingest_entries(session, source=source, entries=[entry], now=NOW, settings=settings)
        again = ingest_entries(session, source=source, entries=[entry], now=NOW, settings=settings)
        assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
        assert again.development_ids == []
        assert len(session.exec(select(Item)).all()) == 1


def test_same_url_or_same_content_under_a_new_guid_is_not_stored_again(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session, "bis")
        first = _entry("a", BIS_TITLE, BIS_TEXT)
        ingest_entries(session, source=source, entries=[first], now=NOW, settings=settings)
        same_url = RawEntry(guid="b", url=first.url, title=BIS_TITLE, text=BIS_TEXT)
        same_hash = RawEntry(
            guid="c", url="https://example.org/other", title=BIS_TITLE, text=BIS_TEXT
        )
        result = ingest_entries(
            session, source=source, entries=[same_url, same_hash], now=NOW, settings=settings
        )
        assert result.new == 0
        assert len(session.exec(select(Item)).all()) == 1


def test_an_edited_entry_updates_the_item_and_bumps_its_development(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session, "bis")
        ingest_entries(
            session,
            source=source,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT)],
            now=NOW,
            settings=settings,
        )
        later = NOW + timedelta(hours=3)
        edited = _entry("a", BIS_TITLE + " (corrected)", BIS_TEXT + " A correction was added.")
        result = ingest_entries(
            session, source=source, entries=[edited], now=later, settings=settings
        )
        assert (result.new, result.updated) == (0, 1)
        item = session.exec(select(Item)).one()
        assert item.version == 2 and item.title.endswith("(corrected)")
        developments = session.exec(select(Development)).all()
        assert len(developments) == 1
        assert developments[0].revision == 2
        assert developments[0].updated_at == later
        assert result.development_ids == [developments[0].id]


def test_an_entry_edited_later_in_the_same_response_updates_the_new_item(
    sessions: SessionFactory, settings: Settings
) -> None:
    # Two GUIDs for one URL in one response: the second is an edit of the first, which is
    # still waiting to be written when the second is read.
    first = _entry("a", BIS_TITLE, BIS_TEXT)
    second = RawEntry(
        guid="a-v2",
        url=first.url,
        title=BIS_TITLE + " (corrected)",
        text=BIS_TEXT + " A correction was added.",
        published=NOW,
    )
    with sessions() as session:
        source = _source(session, "bis")
        other = _entry("b", CHIPS_TITLE, CHIPS_TEXT)
        result = ingest_entries(
            session, source=source, entries=[first, other, second], now=NOW, settings=settings
        )
        session.commit()
        assert (result.new, result.updated) == (2, 1)
        item = session.exec(select(Item).where(Item.guid == "a")).one()
        assert item.version == 2 and item.title.endswith("(corrected)")
        development = session.get(Development, item.development_id)
        assert development is not None
        assert development.revision == 2 and development.title.endswith("(corrected)")
        assert len(session.exec(select(Development)).all()) == 2
        assert set(result.development_ids) == {i.development_id for i in session.exec(select(Item))}


def test_two_sources_reporting_one_event_share_a_development(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        gov = _source(session, "bis")
        news = _source(session, "wire", primary=False)
        ingest_entries(
            session,
            source=news,
            entries=[_entry("n", NEWS_TITLE, NEWS_TEXT)],
            now=NOW,
            settings=settings,
        )
        ingest_entries(
            session,
            source=gov,
            entries=[_entry("g", BIS_TITLE, BIS_TEXT, days_ago=1)],
            now=NOW,
            settings=settings,
        )
        developments = session.exec(select(Development)).all()
        assert len(developments) == 1
        # The primary source's headline names the development, whoever came first.
        assert developments[0].title == BIS_TITLE
        assert developments[0].revision == 2


def test_unrelated_items_stay_apart(sessions: SessionFactory, settings: Settings) -> None:
    with sessions() as session:
        source = _source(session, "wire")
        ingest_entries(
            session,
            source=source,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT), _entry("b", CHIPS_TITLE, CHIPS_TEXT)],
            now=NOW,
            settings=settings,
        )
        assert len(session.exec(select(Development)).all()) == 2


def test_an_item_that_only_borrows_the_words_is_never_announced(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session, "wire")
        result = ingest_entries(
            session,
            source=source,
            entries=[_entry("b", CHIPS_TITLE, CHIPS_TEXT)],
            now=NOW,
            settings=settings,
        )
        development = session.get(Development, result.development_ids[0])
        assert development is not None
        assert development.relevant is False
        assert development.topics == []
        assert development.announce == "never"
        assert development.importance == "low"


def test_old_items_are_backfill_until_a_recent_item_joins(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        gov = _source(session, "bis")
        news = _source(session, "wire", primary=False)
        old = _entry("g", BIS_TITLE, BIS_TEXT, days_ago=settings.announce_max_age_days + 3)
        first = ingest_entries(session, source=gov, entries=[old], now=NOW, settings=settings)
        item = session.exec(select(Item)).one()
        assert item.backfill is True
        development = session.get(Development, first.development_ids[0])
        assert development is not None and development.announce == "never"
        recent = _entry("n", NEWS_TITLE, NEWS_TEXT, days_ago=0)
        later = NOW + timedelta(days=1)
        ingest_entries(session, source=news, entries=[recent], now=later, settings=settings)
        session.refresh(development)
        assert development.announce == "pending"


def test_a_posted_development_keeps_its_state(sessions: SessionFactory, settings: Settings) -> None:
    with sessions() as session:
        source = _source(session, "bis")
        result = ingest_entries(
            session,
            source=source,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT)],
            now=NOW,
            settings=settings,
        )
        development = session.get(Development, result.development_ids[0])
        assert development is not None
        development.announce = "posted"
        session.add(development)
        edited = _entry("a", BIS_TITLE, BIS_TEXT + " Officials added detail.")
        ingest_entries(session, source=source, entries=[edited], now=NOW, settings=settings)
        session.refresh(development)
        assert development.announce == "posted"
        assert development.revision == 2


PAGE_V1 = (
    "The Export Control Joint Unit publishes notices to exporters on this page.\n\n"
    "Licences for advanced semiconductor equipment are assessed case by case."
)
PAGE_V2 = (
    "The Export Control Joint Unit publishes notices to exporters on this page.\n\n"
    "From 1 April a licence is required for quantum computers and advanced AI chips."
)


def test_a_page_baseline_is_stored_but_not_news_and_a_change_is(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session, "ecju-page", kind="page")
        page = RawEntry(
            guid="https://example.org/ecju",
            url="https://example.org/ecju",
            title="Export controls: notices",
            text=PAGE_V1,
            is_page=True,
        )
        first = ingest_entries(session, source=source, entries=[page], now=NOW, settings=settings)
        development = session.get(Development, first.development_ids[0])
        assert development is not None
        assert development.announce == "never"
        assert development.revision == 1
        changed = RawEntry(
            guid=page.guid, url=page.url, title=page.title, text=PAGE_V2, is_page=True
        )
        later = NOW + timedelta(days=1)
        second = ingest_entries(
            session, source=source, entries=[changed], now=later, settings=settings
        )
        assert (second.new, second.updated) == (0, 1)
        assert second.development_ids == [development.id]
        session.refresh(development)
        assert development.revision == 2
        assert development.announce == "pending"
        assert "quantum computers" in development.summary
        assert "case by case" in development.summary
        assert development.summary.startswith("Added:")
        versions = session.exec(select(ItemVersion).order_by(ItemVersion.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert "quantum computers" in versions[1].added
        assert "case by case" in versions[1].removed


def test_naive_now_is_refused(sessions: SessionFactory, settings: Settings) -> None:
    import pytest

    with sessions() as session:
        source = _source(session, "bis")
        with pytest.raises(ValueError):
            ingest_entries(
                session, source=source, entries=[], now=datetime(2025, 1, 1), settings=settings
            )


def _development_fields(session: Session, development_id: int) -> tuple[object, ...]:
    development = session.get(Development, development_id)
    assert development is not None
    return (
        development.title,
        development.jurisdictions,
        development.topics,
        development.importance,
        development.summary,
        without_ids(development.evidence),
        development.search_text,
        development.announce,
    )


def _three_polls(
    sessions: SessionFactory, settings: Settings, cache: IngestCache
) -> tuple[object, ...]:
    """A development that gains an item in each of three committed calls."""
    with sessions() as session:
        sources = [_source(session, name, primary=name == "bis") for name in ("bis", "a", "b")]
        session.commit()
        texts = [(BIS_TITLE, BIS_TEXT), (NEWS_TITLE, NEWS_TEXT), (NEWS_TITLE + " again", NEWS_TEXT)]
        ids: list[int] = []
        for hour, (source, (title, text)) in enumerate(zip(sources, texts, strict=True)):
            result = ingest_entries(
                session,
                source=source,
                entries=[_entry(f"e{hour}", title, text)],
                now=NOW + timedelta(hours=hour),
                settings=settings,
                cache=cache,
            )
            session.commit()
            ids += result.development_ids
        assert len(set(ids)) == 1, "every item joined the first one's development"
        return _development_fields(session, ids[0])


def test_a_refresh_from_remembered_rows_equals_a_refresh_that_reads_every_item(
    sessions: SessionFactory, settings: Settings
) -> None:
    cache = IngestCache()
    remembered = _three_polls(sessions, settings, cache)
    assert len(cache.development_rows) == 1 and cache.pool is not None
    with sessions() as session:
        session.execute(delete(Item))
        session.execute(delete(Development))
        session.execute(delete(Source))
        session.commit()
    # Every refresh reads all items; candidates come from date windows, never the whole store.
    forgetful = IngestCache(developments=0, pool_max_items=-1)
    assert _three_polls(sessions, settings, forgetful) == remembered
    assert len(forgetful.development_rows) == 0
    assert forgetful.pool is not None and not forgetful.pool[1].complete


def test_a_call_reads_candidates_again_after_a_rolled_back_call(
    sessions: SessionFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    original = CandidatePool.load

    def counting_load(self: CandidatePool, session: Session, **window: datetime | None) -> None:
        loads.append(1)
        original(self, session, **window)

    monkeypatch.setattr(CandidatePool, "load", counting_load)
    cache = IngestCache()

    def call(session: Session, source: Source, guid: str, title: str, text: str) -> None:
        ingest_entries(
            session,
            source=source,
            entries=[_entry(guid, title, text)],
            now=NOW,
            settings=settings,
            cache=cache,
        )

    with sessions() as session:
        bis, news = _source(session, "bis"), _source(session, "news", primary=False)
        call(session, bis, "a", BIS_TITLE, BIS_TEXT)
        session.commit()
        call(session, news, "n", NEWS_TITLE, NEWS_TEXT)  # the first call's rows, unchanged
        session.commit()
        assert len(loads) == 1
        call(session, news, "c", CHIPS_TITLE, CHIPS_TEXT)
        session.rollback()
        call(session, news, "c2", CHIPS_TITLE + " today", CHIPS_TEXT)  # read again
        assert len(loads) == 2


def test_a_rolled_back_call_leaves_no_item_in_a_later_refresh(
    sessions: SessionFactory, settings: Settings
) -> None:
    cache = IngestCache()
    with sessions() as session:
        bis, news = _source(session, "bis"), _source(session, "news", primary=False)
        first = ingest_entries(
            session,
            source=bis,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT)],
            now=NOW,
            settings=settings,
            cache=cache,
        )
        session.commit()
        joined = ingest_entries(
            session,
            source=news,
            entries=[_entry("n", NEWS_TITLE, NEWS_TEXT)],
            now=NOW + timedelta(hours=1),
            settings=settings,
            cache=cache,
        )
        assert joined.development_ids == first.development_ids
        session.rollback()
        edited = ingest_entries(
            session,
            source=bis,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT + " Updated.")],
            now=NOW + timedelta(hours=2),
            settings=settings,
            cache=cache,
        )
        session.commit()
        assert edited.development_ids == first.development_ids
        development = session.get(Development, first.development_ids[0])
        assert development is not None
        assert [i["primary"] for i in development.evidence["items"]] == [True]
        assert len(development.evidence["importance"]) == 1  # one rating per item


AMENDMENT_TITLE = "Revisions to License Exception ACA for advanced computing items"
AMENDMENT_TEXT = (
    "The Bureau of Industry and Security (BIS) is amending the Export Administration Regulations "
    "to revise License Exception Advanced Computing Authorized for advanced AI chips exported to "
    "China. The rule takes effect immediately and narrows which semiconductor items may ship "
    "without a licence."
)


def test_two_documents_of_one_source_are_two_developments(
    sessions: SessionFactory, settings: Settings
) -> None:
    # One publisher's second Entity List rule in a week is a second event, however alike.
    with sessions() as session:
        source = _source(session, "bis")
        result = ingest_entries(
            session,
            source=source,
            entries=[
                _entry("rule-1", BIS_TITLE, BIS_TEXT, days_ago=2),
                _entry("rule-2", AMENDMENT_TITLE, AMENDMENT_TEXT),
            ],
            now=NOW,
            settings=settings,
        )
        session.commit()
        assert result.new == 2
        assert len(session.exec(select(Development)).all()) == 2


def test_another_source_reporting_the_same_rule_still_joins_it(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        bis = _source(session, "bis")
        news = _source(session, "news", primary=False)
        ingest_entries(
            session,
            source=bis,
            entries=[_entry("rule-1", BIS_TITLE, BIS_TEXT)],
            now=NOW,
            settings=settings,
        )
        ingest_entries(
            session,
            source=news,
            entries=[_entry("story-1", NEWS_TITLE, NEWS_TEXT)],
            now=NOW,
            settings=settings,
        )
        session.commit()
        assert len(session.exec(select(Development)).all()) == 1


def test_a_verbatim_reissue_under_a_new_guid_joins_its_own_development(
    sessions: SessionFactory, settings: Settings
) -> None:
    with sessions() as session:
        source = _source(session, "bis")
        ingest_entries(
            session,
            source=source,
            entries=[_entry("a", BIS_TITLE, BIS_TEXT)],
            now=NOW,
            settings=settings,
        )
        ingest_entries(
            session,
            source=source,
            entries=[
                _entry("a-reissued", "UPDATE: " + BIS_TITLE, BIS_TEXT + " Updated to add a link.")
            ],
            now=NOW,
            settings=settings,
        )
        session.commit()
        assert len(session.exec(select(Development)).all()) == 1


def _long_store(sessions: SessionFactory, settings: Settings) -> list[tuple[str, str, int]]:
    """Items of one source a week apart over three years, each its own development (their
    words are their own): (title, text, days ago)."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]

    def word(n: int) -> str:
        return "".join(syllables[(n // 70**k) % 70] for k in range(3)).capitalize()

    stored = []
    with sessions() as session:
        source = _source(session, "archive")
        for week in range(0, 156, 4):
            entries = []
            for k in range(4):
                i = week + k
                names = " ".join(word(7 * i + j) for j in range(6))
                title = f"Commerce export controls on {names}"
                text = f"The Bureau of Industry and Security restricts exports of {names}."
                stored.append((title, text, i * 7))
                entries.append(_entry(f"a{i}", title, text, days_ago=i * 7))
            ingest_entries(session, source=source, entries=entries, now=NOW, settings=settings)
            session.commit()
    return stored


def _reports(
    sessions: SessionFactory,
    settings: Settings,
    stored: list[tuple[str, str, int]],
    cache: IngestCache,
) -> list[list[int]]:
    """Three calls of another source re-reporting stored items (recent, recent, old)."""
    out = []
    with sessions() as session:
        news = _source(session, "wire", primary=False)
        for batch in ([0, 2], [1], [100, 120]):
            entries = [
                _entry(f"w{i}", stored[i][0], stored[i][1] + " Reuters.", days_ago=stored[i][2])
                for i in batch
            ]
            result = ingest_entries(
                session, source=news, entries=entries, now=NOW, settings=settings, cache=cache
            )
            session.commit()
            out.append(result.development_ids)
    return out


def _partition(sessions: SessionFactory) -> set[frozenset[str]]:
    """Which items share a development, by GUID (development ids differ between stores)."""
    groups: dict[int | None, set[str]] = {}
    with sessions() as session:
        for item in session.exec(select(Item)):
            groups.setdefault(item.development_id, set()).add(item.guid)
    return {frozenset(g) for g in groups.values()}


def test_candidates_from_date_windows_match_candidates_from_the_whole_store(
    sessions: SessionFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(candidates, "WHOLE_STORE_MIN", 0)  # a small store counts as large here
    stored = _long_store(sessions, settings)
    loads: list[tuple[datetime | None, datetime | None]] = []
    original = CandidatePool.load

    def recording_load(self: CandidatePool, session: Session, **window: datetime | None) -> None:
        loads.append((window.get("lo"), window.get("hi")))
        original(self, session, **window)

    monkeypatch.setattr(CandidatePool, "load", recording_load)
    windowed = _reports(sessions, settings, stored, IngestCache())
    # Three years of items and 90-day windows: each read is a window; the second call, inside
    # the first one's, reads nothing; the third, outside it, reads one taking in both.
    assert len(loads) == 2
    (lo1, hi1), (lo2, hi2) = loads
    assert lo1 is not None and lo2 is not None and lo2 < lo1 and hi2 == hi1
    assert all(
        len(ids) == len(batch)
        for ids, batch in zip(windowed, ([0, 2], [1], [100, 120]), strict=True)
    )
    by_windows = _partition(sessions)
    # Every report joined its item, and nothing else was joined.
    assert sorted(map(len, by_windows), reverse=True)[:6] == [2, 2, 2, 2, 2, 1]

    # The same calls on the same store, reading the whole store, decide the same.
    with sessions() as session:
        session.execute(delete(Item))
        session.execute(delete(Development))
        session.execute(delete(Source))
        session.commit()
    stored_again = _long_store(sessions, settings)
    monkeypatch.setattr(candidates, "WHOLE_STORE_FACTOR", 10**9)
    loads.clear()
    _reports(sessions, settings, stored_again, IngestCache())
    assert loads == [(None, None)]
    assert _partition(sessions) == by_windows
