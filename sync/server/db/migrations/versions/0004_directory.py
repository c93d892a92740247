"""Directory: video services, e-services, booked appointments; on-duty alerts; admin API tokens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_entries",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("service_points", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "entry_id", name="pk_directory_entries"),
    )
    op.create_table(
        "directory_appointments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("room_url", sa.String(500), nullable=False),
        sa.Column("starts_at", utc(), nullable=False),
        sa.Column("ends_at", utc(), nullable=False),
        sa.Column("code_salt", sa.String(32), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name="fk_directory_appointments_service_point_id_service_points"),
        sa.PrimaryKeyConstraint("id", name="pk_directory_appointments"),
    )
    op.create_index("ix_directory_appointments_service_point_id", "directory_appointments",
                    ["service_point_id"])
    op.create_table(
        "duty_alerts",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("room_url", sa.String(500), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("sent_at", utc(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_duty_alerts"),
    )
    op.create_table(
        "admin_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("revoked_at", utc(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_admin_tokens"),
    )


def downgrade() -> None:
    op.drop_table("admin_tokens")
    op.drop_table("duty_alerts")
    op.drop_index("ix_directory_appointments_service_point_id", "directory_appointments")
    op.drop_table("directory_appointments")
    op.drop_table("directory_entries")
