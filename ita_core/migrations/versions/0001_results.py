"""Agencies and their assessment results.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _score(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("province", sa.String(128), nullable=False),
        sa.Column("district", sa.String(128)),
        _score("target"),
    )
    op.create_index("ix_agencies_type", "agencies", ["type"])
    op.create_index("ix_agencies_province", "agencies", ["province"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        _score("iit"),
        _score("eit"),
        _score("oit"),
        _score("overall"),
        sa.Column("level", sa.String(32)),
        _score("eit1"),
        _score("eit2"),
        _score("reported_iit"),
        _score("reported_eit"),
        _score("reported_oit"),
        _score("reported_overall"),
        sa.Column("reported_level", sa.String(32)),
        sa.UniqueConstraint("agency_id", "fiscal_year", name="uq_assessment_agency_year"),
    )
    op.create_index("ix_assessments_year_overall", "assessments", ["fiscal_year", "overall"])
    for table, key, key_type in (
        ("indicator_scores", "indicator", sa.SmallInteger()),
        ("sub_indicator_scores", "code", sa.String(8)),
        ("item_scores", "code", sa.String(8)),
    ):
        op.create_table(
            table,
            sa.Column(
                "assessment_id",
                sa.Integer(),
                sa.ForeignKey("assessments.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column(key, key_type, primary_key=True),
            _score("score", nullable=False),
        )


def downgrade() -> None:
    for table in ("item_scores", "sub_indicator_scores", "indicator_scores", "assessments", "agencies"):
        op.drop_table(table)
