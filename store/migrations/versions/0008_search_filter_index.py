"""search filter index: a development's id, publication date and tags in one small index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:00:00

A full-text search with a time window or a jurisdiction reads those two columns for every
match. SQLite: an index on (id, published_at, jurisdictions) holds them, so each match is a
lookup in it rather than in the developments table, whose rows carry the whole search text
(`store.search` names it with INDEXED BY). PostgreSQL: the same lookup by id with the two
columns included (a JSON column cannot be a btree key there). Like the full-text index, it is
the search's and is not declared on the model (the model/migration comparison ignores it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_developments_search_filters"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX {INDEX} ON developments (id, published_at, jurisdictions)")
    else:
        op.execute(f"CREATE INDEX {INDEX} ON developments (id) INCLUDE (published_at, jurisdictions)")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
