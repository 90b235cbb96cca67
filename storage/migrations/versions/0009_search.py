"""search index: passages and records with their folded text (SQLite FTS5, PostgreSQL tsvector)

Revision ID: 0009
Revises: 0006 (6d1f8b2c3e06)
Create Date: 2026-12-03 07:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), sa.ForeignKey('documents.id', ondelete='CASCADE'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('passage', sa.Integer(), nullable=False),
    sa.Column('doc_passage', sa.Integer(), nullable=True),
    sa.Column('lang', sa.String(length=20), nullable=True),
    sa.Column('collection', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_search_entries_document_id', 'search_entries', ['document_id'])
    if op.get_bind().dialect.name == 'postgresql':
        # our own folding (marks, đ, case) is in `folded`; 'simple' only splits and lower-cases
        op.execute("ALTER TABLE search_entries ADD COLUMN folded_tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED")
        op.execute("ALTER TABLE search_entries ADD COLUMN exact_tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED")
        op.execute("CREATE INDEX ix_search_entries_folded_tsv ON search_entries USING GIN (folded_tsv)")
    else:
        # FTS5 over the table's two text columns (external content). Rows enter it with one
        # INSERT ... SELECT per document (storage.search): a per-row insert trigger took 2.4 s for
        # 10,500 rows against 0.27 s. Rows leave it by this trigger, so a document's deletion
        # (ON DELETE CASCADE) takes its entries out of the index too.
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(text, folded, content='search_entries', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
        op.execute("CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
                   "INSERT INTO search_fts(search_fts, rowid, text, folded) "
                   "VALUES ('delete', old.id, old.text, old.folded); END")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS search_entries_ad")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index('ix_search_entries_document_id', table_name='search_entries')
    op.drop_table('search_entries')
