"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 05:41:46.435411
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('source',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('alert_after_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('last_run_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('last_success_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('last_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('listed_calls', sa.Integer(), nullable=False),
    sa.Column('validators', db.types.JSONDict(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('digest_weekday', sa.Integer(), nullable=False),
    sa.Column('digest_hour', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('unsubscribed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('confirmation_sent_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=63), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('summary_html', sa.Text(), nullable=True),
    sa.Column('summary_text', sa.Text(), nullable=True),
    sa.Column('conditions_html', sa.Text(), nullable=True),
    sa.Column('conditions_text', sa.Text(), nullable=True),
    sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('parent_identifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('parent_title', sa.Text(), nullable=True),
    sa.Column('project', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('programme', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('programme_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('type_of_action', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('funding_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status_hint', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('deadline_model', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('published_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('opens_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('next_deadline_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('final_deadline_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('budget_total', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('budget_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('budget_text', sa.Text(), nullable=True),
    sa.Column('contribution_min', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('contribution_max', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('expected_grants', sa.Integer(), nullable=True),
    sa.Column('countries', db.types.JSONList(), nullable=False),
    sa.Column('country_groups', db.types.JSONList(), nullable=False),
    sa.Column('countries_text', sa.Text(), nullable=True),
    sa.Column('org_types', db.types.JSONList(), nullable=False),
    sa.Column('org_types_text', sa.Text(), nullable=True),
    sa.Column('ecosystems', db.types.JSONList(), nullable=False),
    sa.Column('keywords', db.types.JSONList(), nullable=False),
    sa.Column('sme_relevant', sa.Boolean(), nullable=True),
    sa.Column('extra', db.types.JSONDict(), nullable=False),
    sa.Column('warnings', db.types.JSONList(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('first_seen_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('last_changed_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('unlisted_at', db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id', 'key', name='uq_call_source_key')
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_identifier'), ['identifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_source_id'), ['source_id'], unique=False)
        batch_op.create_index('ix_call_status_next_deadline', ['status', 'next_deadline_at'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('at', db.types.UTCDateTime(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('call_ids', db.types.JSONList(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscriber_id', 'kind', 'period_key', name='uq_delivery_period')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('fetchrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=63), nullable=False),
    sa.Column('started_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('items_found', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('unlisted', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('warnings', db.types.JSONList(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fetchrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetchrun_source_id'), ['source_id'], unique=False)

    op.create_table('profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('keywords', db.types.JSONList(), nullable=False),
    sa.Column('exclude', db.types.JSONList(), nullable=False),
    sa.Column('countries', db.types.JSONList(), nullable=False),
    sa.Column('org_types', db.types.JSONList(), nullable=False),
    sa.Column('ecosystems', db.types.JSONList(), nullable=False),
    sa.Column('programmes', db.types.JSONList(), nullable=False),
    sa.Column('funding_types', db.types.JSONList(), nullable=False),
    sa.Column('budget_min', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('budget_max', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('min_days_left', sa.Integer(), nullable=True),
    sa.Column('frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('feed_token_version', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('callchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('at', db.types.UTCDateTime(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['fetchrun.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('callchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callchange_at'), ['at'], unique=False)
        batch_op.create_index('ix_callchange_call_at', ['call_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callchange_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callchange_run_id'), ['run_id'], unique=False)

    op.create_table('deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('at', db.types.UTCDateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('date_only', sa.Boolean(), nullable=False),
    sa.Column('tentative', sa.Boolean(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_call_id'), ['call_id'], unique=False)

    op.create_table('dismissal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['profile.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('profile_id', 'call_id', name='uq_dismissal_profile_call')
    )
    with op.batch_alter_table('dismissal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dismissal_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dismissal_profile_id'), ['profile_id'], unique=False)

    op.create_table('trackedcall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscriber_id', 'call_id', name='uq_tracked_subscriber_call')
    )
    with op.batch_alter_table('trackedcall', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trackedcall_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trackedcall_subscriber_id'), ['subscriber_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('trackedcall', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trackedcall_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_trackedcall_call_id'))

    op.drop_table('trackedcall')
    with op.batch_alter_table('dismissal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dismissal_profile_id'))
        batch_op.drop_index(batch_op.f('ix_dismissal_call_id'))

    op.drop_table('dismissal')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_call_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_at'))

    op.drop_table('deadline')
    with op.batch_alter_table('callchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callchange_run_id'))
        batch_op.drop_index(batch_op.f('ix_callchange_call_id'))
        batch_op.drop_index('ix_callchange_call_at')
        batch_op.drop_index(batch_op.f('ix_callchange_at'))

    op.drop_table('callchange')
    with op.batch_alter_table('profile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_subscriber_id'))

    op.drop_table('profile')
    with op.batch_alter_table('fetchrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetchrun_source_id'))

    op.drop_table('fetchrun')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_subscriber_id'))

    op.drop_table('delivery')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_subscriber_id'))

    op.drop_table('consent')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index('ix_call_status_next_deadline')
        batch_op.drop_index(batch_op.f('ix_call_source_id'))
        batch_op.drop_index(batch_op.f('ix_call_identifier'))

    op.drop_table('call')
    op.drop_table('subscriber')
    op.drop_table('source')
