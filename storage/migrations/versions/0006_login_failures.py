"""login_failures: failed sign-ins kept in the database

Revision ID: 6d1f8b2c3e06
Revises: 5c0e7a1d2f05
Create Date: 2026-11-25 07:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '6d1f8b2c3e06'
down_revision = '5c0e7a1d2f05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_login_failures_key'), 'login_failures', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_failures_key'), table_name='login_failures')
    op.drop_table('login_failures')
