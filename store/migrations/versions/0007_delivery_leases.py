"""delivery leases: an alert claim holds a short lease, renewed while its holder sends

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00

A claim cut by a crash is settled within minutes (issue 18): claims carry `lease_until`,
renewed while sending. Rows claimed before (NULL) keep the 15-minute rule.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('lease_until', store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
