"""review: passage versions keep their lines; 'not an error' remembered per collection

Revision ID: 0010
Revises: 6d1f8b2c3e06 (0006)
Create Date: 2026-12-03 07:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('passage_versions') as batch:
        batch.add_column(sa.Column('lines', sa.JSON(), nullable=True))
    op.create_table('flag_dismissals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('word', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('collection', 'type', 'word')
    )


def downgrade() -> None:
    op.drop_table('flag_dismissals')
    with op.batch_alter_table('passage_versions') as batch:
        batch.drop_column('lines')
