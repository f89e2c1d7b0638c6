"""chat targets (apprise URLs, sealed) and delivery.chat_target_id for chat copies on the queue

A new table and a nullable column: existing deliveries keep NULL (they are e-mails), nothing to backfill.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('chattarget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=True),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('sealed_url', sa.Text(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('masked', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kinds', db.types.JSONList(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('suspended_at', db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('chattarget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chattarget_subscriber_id'), ['subscriber_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chattarget_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chattarget_fingerprint'), ['fingerprint'], unique=False)

    # A plain ADD COLUMN with no foreign key (see db/models/deliveries.py): not a batch rebuild,
    # which on SQLite would cascade the drop of the old table to the shown-log and the bodies.
    op.add_column('delivery', sa.Column('chat_target_id', sa.Integer(), nullable=True))
    op.create_index('ix_delivery_chat_target_id', 'delivery', ['chat_target_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_delivery_chat_target_id', table_name='delivery')
    # A plain DROP COLUMN (SQLite 3.35+), no rebuild.
    op.execute("ALTER TABLE delivery DROP COLUMN chat_target_id")

    with op.batch_alter_table('chattarget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chattarget_fingerprint'))
        batch_op.drop_index(batch_op.f('ix_chattarget_collection_id'))
        batch_op.drop_index(batch_op.f('ix_chattarget_subscriber_id'))

    op.drop_table('chattarget')
