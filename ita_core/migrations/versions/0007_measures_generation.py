"""A counter of changes to measures, checkpoints and progress notes (answers about measures are cached against it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = sa.table("data_generation", sa.column("name", sa.String(32)), sa.column("value", sa.BigInteger()))
    op.bulk_insert(table, [{"name": "measures", "value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM data_generation WHERE name = 'measures'")
