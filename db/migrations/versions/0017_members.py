"""member newsletters: who joined which collection, the issues sent, and the interest members showed

New tables only: nothing existing changes, so there is nothing to backfill.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:50:47.842261
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('collectionissue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('call_ids', db.types.JSONList(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by'], ['subscriber.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('collection_id', 'number', name='uq_issue_collection_number')
    )
    with op.batch_alter_table('collectionissue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collectionissue_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collectionissue_sent_by'), ['sent_by'], unique=False)

    op.create_table('collectionmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('joined_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('confirmation_sent_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('confirmed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('left_at', db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('collection_id', 'subscriber_id', name='uq_member_collection')
    )
    with op.batch_alter_table('collectionmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collectionmember_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collectionmember_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issue_id'], ['collectionissue.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['collectionmember.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'call_id', name='uq_interest_member_call')
    )
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interest_call_id'), ['call_id'], unique=False)
        batch_op.create_index('ix_interest_collection_call', ['collection_id', 'call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interest_member_id'))
        batch_op.drop_index(batch_op.f('ix_interest_issue_id'))
        batch_op.drop_index(batch_op.f('ix_interest_collection_id'))
        batch_op.drop_index('ix_interest_collection_call')
        batch_op.drop_index(batch_op.f('ix_interest_call_id'))

    op.drop_table('interest')
    with op.batch_alter_table('collectionmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collectionmember_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_collectionmember_collection_id'))

    op.drop_table('collectionmember')
    with op.batch_alter_table('collectionissue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collectionissue_sent_by'))
        batch_op.drop_index(batch_op.f('ix_collectionissue_collection_id'))

    op.drop_table('collectionissue')
