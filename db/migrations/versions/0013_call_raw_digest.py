"""call.raw_digest: a digest of the record the source gave, so an unchanged record is not normalised again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing calls have none: their next poll normalises them once and stores it.
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('raw_digest')
