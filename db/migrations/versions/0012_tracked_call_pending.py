"""trackedcall.pending: a track request kept until the address's owner consents

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 03:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Every existing follow was made by its owner: not pending.
    with op.batch_alter_table('trackedcall', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('trackedcall', schema=None) as batch_op:
        batch_op.drop_column('pending')
