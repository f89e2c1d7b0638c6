"""deliverybody: message bytes in their own table; ix_delivery_due for one-step leases

Moves every stored message out of `delivery.message` into `deliverybody` (a lease then reads
only small columns, through `ix_delivery_due`), and moves the due time of rows leased right now
to their lease's end (a lease now does that itself, so the due range never holds leased rows).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02 06:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'deliverybody',
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('delivery_id'),
    )
    op.execute(
        "INSERT INTO deliverybody (delivery_id, message) "
        "SELECT id, message FROM delivery WHERE message IS NOT NULL"
    )
    # A plain DROP COLUMN (SQLite >= 3.35), not a batch rebuild: rebuilding `delivery` with
    # foreign keys on would cascade the drop of the old table to the shown-log and the bodies.
    op.execute("ALTER TABLE delivery DROP COLUMN message")
    op.execute(
        "UPDATE delivery SET next_attempt_at = lease_until "
        "WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until > next_attempt_at"
    )
    op.drop_index('ix_delivery_status', table_name='delivery')
    op.drop_index('ix_delivery_next_attempt_at', table_name='delivery')
    op.create_index('ix_delivery_due', 'delivery', ['status', 'next_attempt_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_delivery_due', table_name='delivery')
    op.create_index('ix_delivery_next_attempt_at', 'delivery', ['next_attempt_at'], unique=False)
    op.create_index('ix_delivery_status', 'delivery', ['status'], unique=False)
    op.add_column('delivery', sa.Column('message', sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE delivery SET message = "
        "(SELECT message FROM deliverybody WHERE deliverybody.delivery_id = delivery.id)"
    )
    op.drop_table('deliverybody')
