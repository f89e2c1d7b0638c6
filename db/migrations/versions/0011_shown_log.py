"""shown: the log of which calls (and changes) each subscriber's digests listed, per profile

Backfill: the digests already sent (or claimed and still pending) recorded the ids of the calls they
listed (`delivery.call_ids`) but not the profile nor the changes. Each such call is taken as shown
once, to every profile the subscriber has now, by the earliest of those digests, at its send time:
no call that a subscriber has already received comes back as "new". Changes cannot be recovered;
they need not be, because the planner still reads changes only after the last digest's window.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CALL_ROWS = sa.text('change_id IS NULL')


def upgrade() -> None:
    op.create_table(
        'shown',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=True),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=True),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('shown_at', db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['profile_id'], ['profile.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['change_id'], ['callchange.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subscriber_id', 'change_id', name='uq_shown_change'),
    )
    for name in ('subscriber_id', 'profile_id', 'call_id', 'change_id', 'delivery_id'):
        op.create_index(op.f(f'ix_shown_{name}'), 'shown', [name], unique=False)
    op.create_index(
        'uq_shown_call', 'shown', ['subscriber_id', 'profile_id', 'call_id'], unique=True,
        sqlite_where=CALL_ROWS, postgresql_where=CALL_ROWS,
    )
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    delivery = sa.table(
        'delivery', sa.column('id', sa.Integer()), sa.column('subscriber_id', sa.Integer()),
        sa.column('kind', sa.String()), sa.column('status', sa.String()),
        sa.column('call_ids', db.types.JSONList()), sa.column('sent_at', db.types.UTCDateTime()),
        sa.column('created_at', db.types.UTCDateTime()),
    )
    profile = sa.table('profile', sa.column('id', sa.Integer()), sa.column('subscriber_id', sa.Integer()))
    call = sa.table('call', sa.column('id', sa.Integer()))
    shown = sa.table(
        'shown', sa.column('subscriber_id', sa.Integer()), sa.column('profile_id', sa.Integer()),
        sa.column('call_id', sa.Integer()), sa.column('delivery_id', sa.Integer()),
        sa.column('shown_at', db.types.UTCDateTime()),
    )
    profiles: dict[int, list[int]] = {}
    for pid, sid in connection.execute(sa.select(profile.c.id, profile.c.subscriber_id)):
        profiles.setdefault(sid, []).append(pid)
    calls = set(connection.execute(sa.select(call.c.id)).scalars())
    digests = connection.execute(
        sa.select(delivery.c.id, delivery.c.subscriber_id, delivery.c.call_ids, delivery.c.sent_at,
                  delivery.c.created_at)
        .where(delivery.c.kind == 'digest', delivery.c.status.in_(['sent', 'pending']),
               delivery.c.subscriber_id.is_not(None))
        .order_by(delivery.c.id)
    )
    rows, seen = [], set()
    for delivery_id, sid, call_ids, sent_at, created_at in digests:
        for call_id in call_ids:
            for pid in profiles.get(sid, []):
                if call_id in calls and (sid, pid, call_id) not in seen:
                    seen.add((sid, pid, call_id))
                    rows.append({'subscriber_id': sid, 'profile_id': pid, 'call_id': call_id,
                                 'delivery_id': delivery_id, 'shown_at': sent_at or created_at})
    if rows:
        connection.execute(sa.insert(shown), rows)


def downgrade() -> None:
    op.drop_index('uq_shown_call', table_name='shown')
    for name in ('delivery_id', 'change_id', 'call_id', 'profile_id', 'subscriber_id'):
        op.drop_index(op.f(f'ix_shown_{name}'), table_name='shown')
    op.drop_table('shown')
