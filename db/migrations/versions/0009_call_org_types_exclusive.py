"""call.org_types_exclusive: whether a call restricts who may apply to the organisation types it names

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable, no default: rows stored before this revision are "not known" (matching reads a type
    # not among theirs as unknown) until the next poll normalises them again.
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_types_exclusive', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('org_types_exclusive')
