"""Retention of the directory's data: weekly usage totals kept when raw usage events are
dropped, and an index on events (type, received_at) for the rounds that read them by age.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_weeks",
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("large_text", sa.Integer(), nullable=False),
        sa.Column("high_contrast", sa.Integer(), nullable=False),
        sa.Column("speech", sa.Integer(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("service_point_id", "week", "kind", "service_id", "language",
                                name="pk_usage_weeks"),
    )
    op.create_index("ix_events_type_received_at", "events", ["type", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_events_type_received_at", "events")
    op.drop_table("usage_weeks")
