"""source.alert_after_incomplete: polls in a row that may miss pages before the operator is told

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:55:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_after_incomplete', sa.Integer(), nullable=False, server_default='3'))


def downgrade() -> None:
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_column('alert_after_incomplete')
