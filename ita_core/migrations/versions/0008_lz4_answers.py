"""PostgreSQL: answers and event payloads compressed with lz4 instead of pglz.

Every answer a worker writes to the outbox is a rendered flex message (about 9 KB of JSON under
the webhook benchmark), which PostgreSQL compresses before storing it. pglz made that about a
tenth of the database's CPU per chat message; lz4 compresses several times faster (measured:
0.60 → 0.54 ms of the database's CPU per handled event). Only on a server built with lz4 (the
``default_toast_compression`` setting lists it; PostgreSQL 14 and later): elsewhere, and on
SQLite, nothing changes. Values already stored keep their compression; new ones use lz4.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (("outbox", "messages"), ("webhook_events", "payload"))


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(
        sa.text("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
    ).first()
    return found is not None


def upgrade() -> None:
    if _lz4_available():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION pglz")
