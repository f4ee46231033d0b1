"""LINE users, registration codes, webhook events, conversations and the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "line_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("line_user_id", sa.String(64), nullable=False, unique=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="SET NULL")),
        sa.Column("role", sa.String(16)),
        sa.Column("unit", sa.String(128)),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _when("followed_at"),
        _when("unfollowed_at"),
        _when("registered_at"),
    )
    op.create_index("ix_line_users_agency_id", "line_users", ["agency_id"])
    op.create_table(
        "registration_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(128)),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("used_at"),
        sa.Column("used_by", sa.String(64)),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("source_type", sa.String(16)),
        sa.Column("user_id", sa.String(64)),
        sa.Column("chat_id", sa.String(64)),
        sa.Column("reply_token", sa.String(255)),
        sa.Column("timestamp_ms", sa.BigInteger()),
        sa.Column("redelivery", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("payload", sa.Text(), nullable=False),
        _when("received_at", nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _when("claimed_until"),
        _when("handled_at"),
        sa.Column("error", sa.Text()),
    )
    op.create_index("ix_webhook_events_status", "webhook_events", ["status", "id"])
    op.create_table(
        "conversations",
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("intent", sa.String(32)),
        sa.Column("slots", sa.Text(), nullable=False, server_default="{}"),
        _when("updated_at", nullable=False),
        sa.Column("awaiting", sa.String(64)),
        _when("awaiting_until"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False, server_default="reply"),
        sa.Column("reply_token", sa.String(255)),
        sa.Column("recipients", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("retry_key", sa.String(36), nullable=False, unique=True),
        sa.Column("dedupe_key", sa.String(255), unique=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("webhook_events.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _when("next_attempt_at", nullable=False),
        _when("created_at", nullable=False),
        _when("sent_at"),
        sa.Column("last_error", sa.Text()),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "conversations", "webhook_events", "registration_codes", "line_users"):
        op.drop_table(table)
