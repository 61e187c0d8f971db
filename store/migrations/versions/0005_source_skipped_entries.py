"""sources: how many entries the last read body left out, and why

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00

A feed entry with no title, link or text, or a JSON result with a bad field, is not stored;
the source's row says how many were left out of its last body and why (issue 16).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_skipped', sa.Integer(), nullable=False, server_default=sa.text('0'))
        )
        batch_op.add_column(sa.Column('last_skipped_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('last_skipped_reason')
        batch_op.drop_column('last_skipped')
