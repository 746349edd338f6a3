"""quote.link_nonce: online-acceptance links are stored random nonces (revocable, renewable)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (not batch mode: on SQLite it copies and drops quote, cascading to its lines).
    op.add_column('quote', sa.Column('link_nonce', sa.String(length=64), nullable=True))
    op.create_index('uq_quote_link_nonce', 'quote', ['link_nonce'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_quote_link_nonce', table_name='quote')
    op.execute("ALTER TABLE quote DROP COLUMN link_nonce")
