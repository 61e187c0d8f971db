"""search index over developments (SQLite FTS5 / PostgreSQL tsvector + GIN)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 19:55:00

SQLite: an external-content FTS5 table (porter + unicode61) over title, summary and
search_text, kept in sync by triggers. PostgreSQL: a side table holding a weighted tsvector
per development (title A, summary B, search_text C) with a GIN index, kept in sync by a
trigger; its foreign key cascades so TRUNCATE ... CASCADE and deletes keep it consistent.
Both are named `developments_fts`, which the model/migration comparison ignores.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE developments_fts USING fts5(
        title, summary, search_text,
        content='developments', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER developments_fts_ai AFTER INSERT ON developments BEGIN
        INSERT INTO developments_fts(rowid, title, summary, search_text)
        VALUES (new.id, new.title, new.summary, new.search_text);
    END
    """,
    """
    CREATE TRIGGER developments_fts_ad AFTER DELETE ON developments BEGIN
        INSERT INTO developments_fts(developments_fts, rowid, title, summary, search_text)
        VALUES ('delete', old.id, old.title, old.summary, old.search_text);
    END
    """,
    """
    CREATE TRIGGER developments_fts_au AFTER UPDATE OF title, summary, search_text
    ON developments BEGIN
        INSERT INTO developments_fts(developments_fts, rowid, title, summary, search_text)
        VALUES ('delete', old.id, old.title, old.summary, old.search_text);
        INSERT INTO developments_fts(rowid, title, summary, search_text)
        VALUES (new.id, new.title, new.summary, new.search_text);
    END
    """,
    "INSERT INTO developments_fts(developments_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS developments_fts_au",
    "DROP TRIGGER IF EXISTS developments_fts_ad",
    "DROP TRIGGER IF EXISTS developments_fts_ai",
    "DROP TABLE IF EXISTS developments_fts",
]

PG_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(NEW.search_text, '')), 'C')"
)

PG_UP = [
    """
    CREATE TABLE developments_fts (
        id integer PRIMARY KEY REFERENCES developments(id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )
    """,
    "CREATE INDEX ix_developments_fts_document ON developments_fts USING GIN (document)",
    f"""
    CREATE FUNCTION developments_fts_sync() RETURNS trigger AS $$
    BEGIN
        INSERT INTO developments_fts (id, document) VALUES (NEW.id, {PG_DOCUMENT})
        ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER developments_fts_ins AFTER INSERT ON developments
    FOR EACH ROW EXECUTE FUNCTION developments_fts_sync()
    """,
    """
    CREATE TRIGGER developments_fts_upd AFTER UPDATE OF title, summary, search_text
    ON developments FOR EACH ROW EXECUTE FUNCTION developments_fts_sync()
    """,
    """
    INSERT INTO developments_fts (id, document)
    SELECT id,
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(search_text, '')), 'C')
    FROM developments
    """,
]

PG_DOWN = [
    "DROP TRIGGER IF EXISTS developments_fts_upd ON developments",
    "DROP TRIGGER IF EXISTS developments_fts_ins ON developments",
    "DROP FUNCTION IF EXISTS developments_fts_sync()",
    "DROP TABLE IF EXISTS developments_fts",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = SQLITE_UP if dialect == "sqlite" else PG_UP if dialect == "postgresql" else []
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = (
        SQLITE_DOWN if dialect == "sqlite" else PG_DOWN if dialect == "postgresql" else []
    )
    for statement in statements:
        op.execute(statement)
