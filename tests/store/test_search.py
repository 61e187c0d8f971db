"""The full-text index follows the developments table and ranks titles above body text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

import store.search
from store.db import SessionFactory, session_scope
from store.models import Development
from store.search import (
    FILTER_INDEX,
    count_developments,
    document_frequencies,
    fts5_query,
    published_between,
    rebuild_index,
    search_developments,
)


def _add(session: Session, title: str, summary: str = "", text: str = "", **kw: object) -> int:
    dev = Development(title=title, summary=summary, search_text=f"{title} {summary} {text}", **kw)
    session.add(dev)
    session.flush()
    assert dev.id is not None
    return dev.id


def test_search_finds_a_development_by_a_word_of_its_text(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        dev_id = _add(s, "Dutch licence order", text="lithography machines need a licence")
        _add(s, "Potato exports", text="farm tariffs")
    with session_scope(sessions) as s:
        hits = search_developments(s, terms=["lithography"])
    assert [h.development_id for h in hits] == [dev_id]


def test_stemming_matches_other_forms_of_a_word(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        dev_id = _add(s, "New export controls on semiconductors")
    with session_scope(sessions) as s:
        hits = search_developments(s, terms=["semiconductor", "control"])
    assert [h.development_id for h in hits] == [dev_id]


def test_a_title_match_outranks_a_body_match(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        body = _add(s, "Weekly roundup", text="gallium is mentioned once here among many words")
        title = _add(s, "Gallium export ban", summary="China bans gallium exports")
    with session_scope(sessions) as s:
        hits = search_developments(s, terms=["gallium"])
    assert [h.development_id for h in hits] == [title, body]
    assert hits[0].score > hits[1].score


def test_auto_falls_back_to_any_term_when_all_terms_find_too_little(
    sessions: SessionFactory,
) -> None:
    with session_scope(sessions) as s:
        a = _add(s, "Gallium export ban")
        b = _add(s, "Germanium licence rules")
    with session_scope(sessions) as s:
        strict = search_developments(s, terms=["gallium", "germanium"], match="all")
        loose = search_developments(s, terms=["gallium", "germanium"], match="auto")
    assert strict == []
    assert {h.development_id for h in loose} == {a, b}


def test_updates_and_deletes_keep_the_index_in_sync(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        dev_id = _add(s, "Old title about gallium")
    with session_scope(sessions) as s:
        dev = s.get(Development, dev_id)
        assert dev is not None
        dev.title = "New title about germanium"
        dev.search_text = dev.title
        s.add(dev)
    with session_scope(sessions) as s:
        assert search_developments(s, terms=["gallium"]) == []
        assert [h.development_id for h in search_developments(s, terms=["germanium"])] == [dev_id]
        dev = s.get(Development, dev_id)
        s.delete(dev)
    with session_scope(sessions) as s:
        assert search_developments(s, terms=["germanium"]) == []


def test_time_bounds_filter_on_published_date(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        old = _add(s, "Chip rule", published_at=datetime(2023, 1, 5, tzinfo=UTC))
        new = _add(s, "Chip rule update", published_at=datetime(2025, 1, 5, tzinfo=UTC))
    with session_scope(sessions) as s:
        hits = search_developments(
            s, terms=["chip"], published_from=datetime(2024, 1, 1, tzinfo=UTC)
        )
    assert [h.development_id for h in hits] == [new]
    assert old != new


def test_a_window_says_how_many_were_published_in_it_and_their_id_span(
    sessions: SessionFactory,
) -> None:
    jan, feb, mar = (datetime(2025, m, 5, tzinfo=UTC) for m in (1, 2, 3))
    with session_scope(sessions) as s:
        ids = [
            _add(s, title, published_at=when)
            for title, when in (("Chip rule", feb), ("Chip rule final", jan), ("Chip note", mar))
        ]
        _add(s, "Undated chip memo")
    with session_scope(sessions) as s:
        spring = published_between(s, datetime(2025, 2, 1, tzinfo=UTC), None)
        winter = published_between(s, None, datetime(2025, 2, 1, tzinfo=UTC))
        empty = published_between(s, datetime(2026, 1, 1, tzinfo=UTC), None)
        narrowed = search_developments(
            s, terms=["chip"], published_from=feb, ids_between=spring.ids_between
        )
    assert (spring.count, spring.ids_between) == (2, (ids[0], ids[2]))
    assert (winter.count, winter.ids_between) == (1, (ids[1], ids[1]))
    assert (empty.count, empty.ids_between) == (0, None)
    assert sorted(h.development_id for h in narrowed) == [ids[0], ids[2]]


def test_a_window_holding_more_than_the_cap_is_not_read_to_its_end_and_has_no_span(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.search, "SPAN_CAP", 2)
    days = [datetime(2025, 3, d, tzinfo=UTC) for d in (3, 4, 5)]
    with session_scope(sessions) as s:
        ids = [_add(s, f"Chip rule {n}", published_at=day) for n, day in enumerate(days)]
        _add(s, "Chip rule of old", published_at=datetime(2024, 3, 3, tzinfo=UTC))
    march, april = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)
    with session_scope(sessions) as s:
        full = published_between(s, march, april)
        short = published_between(s, march, datetime(2025, 3, 5, tzinfo=UTC))
        hits = search_developments(
            s,
            terms=["chip"],
            published_from=march,
            published_to=april,
            ids_between=full.ids_between,
        )
    assert (full.count, full.ids_between) == (3, None)  # SPAN_CAP + 1: more than the cap
    assert (short.count, short.ids_between) == (2, (ids[0], ids[1]))
    assert sorted(h.development_id for h in hits) == ids


def test_a_search_with_filters_reads_them_from_the_filter_index(
    sessions: SessionFactory, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the search names the index on SQLite (INDEXED BY)")
    with session_scope(sessions) as s:
        tagged = _add(
            s, "Gallium rule", jurisdictions=["CN"], published_at=datetime(2025, 3, 3, tzinfo=UTC)
        )
        _add(s, "Gallium note", jurisdictions=["US"], published_at=datetime(2025, 3, 4, tzinfo=UTC))
    statements: list[tuple[str, Any]] = []

    def seen(_conn: object, _cursor: object, sql: str, params: Any, *_: object) -> None:
        if "developments_fts" in sql:
            statements.append((sql, params))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(sessions) as s:
            hits = search_developments(
                s,
                terms=["gallium"],
                jurisdictions_any=["CN"],
                published_from=datetime(2025, 1, 1, tzinfo=UTC),
            )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [h.development_id for h in hits] == [tagged]
    ((sql, params),) = statements
    with engine.connect() as conn:
        plan = " ".join(
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        )
    assert f"COVERING INDEX {FILTER_INDEX}" in plan


def test_an_id_span_only_narrows_where_the_index_looks(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        first = _add(s, "Gallium export ban")
        second = _add(s, "Gallium licence rule")
        _add(s, "Gallium price report")
    with session_scope(sessions) as s:
        hits = search_developments(s, terms=["gallium"], ids_between=(first, second))
    assert sorted(h.development_id for h in hits) == [first, second]


def test_query_syntax_in_terms_is_not_interpreted(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        _add(s, "Chip rule")
    with session_scope(sessions) as s:
        for nasty in ['"', "chip OR", "NEAR(", "*", "chip AND (", "-", "title:chip", "'"]:
            search_developments(s, terms=[nasty, "rule"])  # must not raise
        assert search_developments(s, terms=["???"]) == []


def test_fts5_query_quotes_every_term() -> None:
    assert fts5_query(["chip", 'say "OR" now'], match="any") == '"chip" OR "say or now"'
    assert fts5_query(["a", "b"], match="all") == '"a" AND "b"'


def test_document_frequencies_count_developments_per_term(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        _add(s, "Gallium ban")
        _add(s, "Gallium and germanium")
    with session_scope(sessions) as s:
        counts = document_frequencies(s, terms=["gallium", "germanium", "brazil"])
        assert count_developments(s) == 2
    assert counts == {"gallium": 2, "germanium": 1, "brazil": 0}


def test_rebuild_index_keeps_results(sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        dev_id = _add(s, "Gallium ban")
    with session_scope(sessions) as s:
        rebuild_index(s)
    with session_scope(sessions) as s:
        assert [h.development_id for h in search_developments(s, terms=["gallium"])] == [dev_id]


def test_document_frequencies_of_a_large_postgres_store_use_its_statistics(
    sessions: SessionFactory, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_stats estimates exist on PostgreSQL only")
    from sqlalchemy import text

    from store.search import PG_STATS_MIN_DEVELOPMENTS, _pg_stats_cache

    rows = [
        {"title": f"Gallium rule {n}", "summary": "", "search_text": f"gallium germanium {n}"}
        for n in range(PG_STATS_MIN_DEVELOPMENTS)
    ]
    with session_scope(sessions) as s:
        s.connection().execute(
            text(
                "INSERT INTO developments (title, summary, search_text, jurisdictions, topics, "
                "importance, confidence, evidence, first_seen_at, updated_at, revision, "
                "announce, relevant) VALUES (:title, :summary, :search_text, '[]', '[]', "
                "'low', 0, '{}', now(), now(), 1, 'never', true)"
            ),
            rows,
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE developments_fts"))
    _pg_stats_cache.clear()
    with session_scope(sessions) as s:
        counts = document_frequencies(s, terms=["gallium", "brazil"])
    # The common word's estimate came from the statistics ANALYZE gathered.
    assert any("gallium" in freqs for _at, freqs in _pg_stats_cache.values())
    _pg_stats_cache.clear()
    assert counts["gallium"] >= 1900  # estimated from pg_stats, capped at DF_CAP
    assert counts["brazil"] == 0
