"""documents.original_file: the deposited file's own bytes, kept in the file store

Revision ID: 0007
Revises: 6d1f8b2c3e06 (0006_login_failures)
Create Date: 2026-12-03 07:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '6d1f8b2c3e06'  # 0006_login_failures
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: batch mode rebuilds `documents` on SQLite, and dropping the
# old table would cascade to every page (foreign keys are on). SQLite >= 3.35 drops columns itself.
def upgrade() -> None:
    op.add_column('documents', sa.Column('original_file', sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column('documents', 'original_file')
