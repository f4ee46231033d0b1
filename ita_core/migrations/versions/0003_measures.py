"""Measures (มาตรการ), their checkpoints and progress notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("indicators", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("units", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_text", sa.String(255)),
        sa.Column("monitoring", sa.String(16), nullable=False),
        sa.Column("monitoring_text", sa.String(255)),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("source", sa.String(255), nullable=False, server_default=""),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.UniqueConstraint("agency_id", "fiscal_year", "code", name="uq_measure_agency_year_code"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("measure_id", sa.Integer(), sa.ForeignKey("measures.id", ondelete="CASCADE"), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="open"),
        _when("done_at"),
        sa.Column("done_by", sa.String(128)),
        sa.Column("snoozed_until", sa.Date()),
        sa.UniqueConstraint("measure_id", "due_date", name="uq_checkpoint_measure_due"),
    )
    op.create_index("ix_checkpoints_status_due", "checkpoints", ["status", "due_date"])
    op.create_index("ix_checkpoints_snoozed_until", "checkpoints", ["snoozed_until"])
    op.create_table(
        "progress_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("measure_id", sa.Integer(), sa.ForeignKey("measures.id", ondelete="CASCADE"), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), sa.ForeignKey("checkpoints.id", ondelete="SET NULL")),
        sa.Column("line_user_id", sa.String(64)),
        sa.Column("author_name", sa.String(255)),
        _when("created_at", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_progress_notes_measure", "progress_notes", ["measure_id", "created_at"])
    op.create_index("ix_progress_notes_checkpoint_id", "progress_notes", ["checkpoint_id"])


def downgrade() -> None:
    for table in ("progress_notes", "checkpoints", "measures"):
        op.drop_table(table)
