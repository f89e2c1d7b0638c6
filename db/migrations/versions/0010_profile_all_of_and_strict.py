"""profile.keywords_all ("all of these words") and profile.strict ("only calls that state this")

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing profiles ask for neither: an empty JSON list, as the model's default.
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords_all', db.types.JSONList(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('strict', db.types.JSONList(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.drop_column('strict')
        batch_op.drop_column('keywords_all')
