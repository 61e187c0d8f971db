"""development dates: the timeline a development sets (takes effect, due, ends...)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "development_dates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("development_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("precision", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["development_id"], ["developments.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_development_dates_development_id", "development_dates", ["development_id"]
    )
    op.create_index("ix_development_dates_kind_day", "development_dates", ["kind", "day"])


def downgrade() -> None:
    op.drop_index("ix_development_dates_kind_day", table_name="development_dates")
    op.drop_index("ix_development_dates_development_id", table_name="development_dates")
    op.drop_table("development_dates")
