"""collections of calls with notes and co-editors; sign-in links and web sessions for their owners

New tables only: nothing existing changes, so there is nothing to backfill.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:45:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('filter_query', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_key')
    )
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_owner_id'), ['owner_id'], unique=False)

    op.create_table('signinlink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('nonce_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('browser_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce_hash')
    )
    with op.batch_alter_table('signinlink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signinlink_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('websession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_websession_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('collectioneditor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('invited_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by'], ['subscriber.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('collection_id', 'subscriber_id', name='uq_editor_collection')
    )
    with op.batch_alter_table('collectioneditor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collectioneditor_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collectioneditor_invited_by'), ['invited_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_collectioneditor_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('collectionitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('added_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['subscriber.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('collection_id', 'call_id', name='uq_item_collection_call')
    )
    with op.batch_alter_table('collectionitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collectionitem_added_by'), ['added_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_collectionitem_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collectionitem_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index('ix_item_collection_state_position', ['collection_id', 'state', 'position'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('collectionitem', schema=None) as batch_op:
        batch_op.drop_index('ix_item_collection_state_position')
        batch_op.drop_index(batch_op.f('ix_collectionitem_collection_id'))
        batch_op.drop_index(batch_op.f('ix_collectionitem_call_id'))
        batch_op.drop_index(batch_op.f('ix_collectionitem_added_by'))

    op.drop_table('collectionitem')
    with op.batch_alter_table('collectioneditor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collectioneditor_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_collectioneditor_invited_by'))
        batch_op.drop_index(batch_op.f('ix_collectioneditor_collection_id'))

    op.drop_table('collectioneditor')
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_websession_subscriber_id'))

    op.drop_table('websession')
    with op.batch_alter_table('signinlink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signinlink_subscriber_id'))

    op.drop_table('signinlink')
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_owner_id'))

    op.drop_table('collection')
