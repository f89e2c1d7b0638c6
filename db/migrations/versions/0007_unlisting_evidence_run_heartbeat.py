"""Evidence before unlisting (call.missing_since, call.missed_polls), run heartbeats
(fetchrun.heartbeat_at) and incomplete-poll streaks (source.consecutive_incomplete)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:25:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missing_since', db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('missed_polls', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('fetchrun', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', db.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consecutive_incomplete', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_column('consecutive_incomplete')
    with op.batch_alter_table('fetchrun', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('missed_polls')
        batch_op.drop_column('missing_since')
