"""The schema comes from Alembic, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from store.db import alembic_config, current_revision, migrate


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
    # Tables the search index creates by hand (FTS5 virtual tables, shadow tables) are not
    # declared as models; anything else that differs is a missing migration.
    real = [
        d
        for d in diff
        if not (d[0] == "remove_table" and "fts" in d[1].name)
        and not (d[0] == "remove_index" and "fts" in d[1].table.name)
    ]
    assert real == []
