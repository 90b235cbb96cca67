"""words: Tesseract's strongest alternative character

Revision ID: 5c0e7a1d2f05
Revises: ab65d2b96aaa
Create Date: 2026-11-25 06:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5c0e7a1d2f05'
down_revision = 'ab65d2b96aaa'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: pages stored before this migration keep their words, without alternatives
    with op.batch_alter_table('words') as batch:
        batch.add_column(sa.Column('alternative', sa.Text(), nullable=True))
        batch.add_column(sa.Column('alternative_confidence', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('words') as batch:
        batch.drop_column('alternative_confidence')
        batch.drop_column('alternative')
