"""The schema comes from Alembic, and the migrations match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from store.db import alembic_config, current_revision, migrate
from store.search import FILTER_INDEX


def test_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_migrate_is_idempotent(engine: Engine) -> None:
    before = current_revision(engine)
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == before
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "items", "developments", "briefings", "deliveries"} <= tables


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, SQLModel.metadata)
    # Tables the search index creates by hand (FTS5 virtual tables, shadow tables) and the
    # search's filter index are not declared as models; anything else that differs is a
    # missing migration.
    real = [
        d
        for d in diff
        if not (d[0] == "remove_table" and "fts" in d[1].name)
        and not (d[0] == "remove_index" and "fts" in d[1].table.name)
        and not (d[0] == "remove_index" and d[1].name == FILTER_INDEX)
    ]
    assert real == []


def test_0005_gives_existing_sources_a_zero_skipped_count_and_downgrades(engine: Engine) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004")
    assert "last_skipped" not in {c["name"] for c in inspect(engine).get_columns("sources")}
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO sources (name, kind, url, jurisdictions, topics, "primary", '
                "interval_minutes, comment, origin, enabled, created_at, consecutive_failures) "
                "VALUES ('old', 'feed', 'https://e.org/f', '[]', '[]', true, 60, '', 'file', "
                "true, CURRENT_TIMESTAMP, 0)"
            )
        )
    migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT last_skipped, last_skipped_reason FROM sources WHERE name = 'old'")
        ).one()
    assert tuple(row) == (0, None)


def test_0008_gives_the_search_its_filter_index_and_downgrades(engine: Engine) -> None:
    def indexes() -> set[str]:
        return {str(i["name"]) for i in inspect(engine).get_indexes("developments")}

    assert FILTER_INDEX in indexes()
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0007")
    assert FILTER_INDEX not in indexes()
    migrate(engine)
    assert FILTER_INDEX in indexes()
