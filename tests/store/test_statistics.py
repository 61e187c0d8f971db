"""PlannerStatistics: PostgreSQL's statistics follow a bulk load; other backends untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from store.models import Source
from store.statistics import PlannerStatistics, analyze, row_estimate


def _add_items(engine: Engine, count: int) -> None:
    with engine.begin() as conn:
        start = conn.execute(text("SELECT count(*) FROM items")).scalar_one()
        source_id = conn.execute(text("SELECT id FROM sources WHERE name = 's'")).scalar()
    if source_id is None:
        with Session(engine) as session:
            source = Source(name="s", kind="feed", url="https://example.org/")
            session.add(source)
            session.commit()
            source_id = source.id
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (source_id, guid, url, title, text, content_hash, "
                "first_seen_at, updated_at, version, jurisdictions, topics, confidence, "
                "evidence, backfill) VALUES (:source, :guid, :url, 't', 'x', :hash, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, '[]', '[]', 0, '{}', false)"
            ),
            [
                {"source": source_id, "guid": f"g{n}", "url": f"https://e.org/{n}", "hash": f"{n}"}
                for n in range(start, start + count)
            ],
        )


def test_a_bulk_load_is_analyzed_once_it_outgrows_the_statistics(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    statistics = PlannerStatistics(engine)
    statistics.MIN_ROWS = 50
    _add_items(engine, 30)
    statistics.wrote(30)
    assert statistics.runs == 0  # below the minimum: left to autovacuum
    _add_items(engine, 30)
    statistics.wrote(30)
    assert statistics.runs == 1 and row_estimate(engine, "items") == 60
    _add_items(engine, 30)
    statistics.wrote(30)  # 30 more on 60 known: not yet
    assert statistics.runs == 1
    _add_items(engine, 40)
    statistics.wrote(40)
    assert statistics.runs == 2 and row_estimate(engine, "items") == 130


def test_other_backends_have_nothing_to_analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL does analyze: the test above")
    statistics = PlannerStatistics(engine)
    statistics.MIN_ROWS = 1
    statistics.wrote(10_000)
    assert statistics.runs == 0 and row_estimate(engine, "items") == 0.0
    analyze(engine)  # a no-op, not an error


def test_only_the_bulk_tables_can_be_named(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the statement runs on PostgreSQL only")
    with pytest.raises(ValueError, match="not a table"):
        analyze(engine, ("items; DROP TABLE items",))


def test_a_failing_analyze_never_fails_the_poll(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import store.statistics as module

    def refuse(*_args: object, **_kw: object) -> None:
        raise OperationalError("ANALYZE items", {}, Exception("must be owner of table items"))

    monkeypatch.setattr(module, "analyze", refuse)
    monkeypatch.setattr(module, "row_estimate", lambda *_a: 0.0)
    statistics = PlannerStatistics(engine)
    statistics.engine = engine  # as on PostgreSQL, whatever the backend under test
    statistics.wrote(5_000)
    assert statistics.runs == 0 and statistics.engine is None  # given up, left to autovacuum
    assert "could not refresh planner statistics" in caplog.text
    statistics.wrote(5_000)  # no second attempt, no error
