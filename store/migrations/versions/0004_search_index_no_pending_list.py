"""search index: PostgreSQL GIN without a pending list (fastupdate off)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 20:20:00

With `fastupdate` on, new developments wait in the GIN index's pending list until a vacuum, and
every query scans that list linearly: after a bulk load, word counts took 20-30 ms instead of
0.2 ms. Developments arrive a few at a time, so inserting straight into the index costs little.
SQLite: nothing to do.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_developments_fts_document SET (fastupdate = off)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_developments_fts_document RESET (fastupdate)")
