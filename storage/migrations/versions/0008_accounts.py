"""accounts: normalised user names, server-side review sessions (with their skip lists)

Revision ID: 0008
Revises: 6d1f8b2c3e06 (0006)
Create Date: 2026-12-03 07:40:00
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # the same rule as storage.accounts.name_key, frozen here as it was when this revision was written
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).strip().casefold())


def upgrade() -> None:
    op.add_column('users', sa.Column('name_key', sa.String(length=200), nullable=False, server_default=''))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('name_key', sa.String))
    conn = op.get_bind()
    for uid, name in conn.execute(sa.select(users.c.id, users.c.name)).all():
        conn.execute(sa.update(users).where(users.c.id == uid).values(name_key=_key(name)))
    op.create_index(op.f('ix_users_name_key'), 'users', ['name_key'], unique=False)
    op.create_table('review_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_review_sessions_user_id'), 'review_sessions', ['user_id'], unique=False)
    op.create_index(op.f('ix_review_sessions_expires_at'), 'review_sessions', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_sessions_expires_at'), table_name='review_sessions')
    op.drop_index(op.f('ix_review_sessions_user_id'), table_name='review_sessions')
    op.drop_table('review_sessions')
    op.drop_index(op.f('ix_users_name_key'), table_name='users')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('name_key')
