"""Seq-rewind alerts, key rotation time, enrollment codes consumed by a first token, event time
estimates, service point config, feed compaction horizons.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("key_rotated_at", utc(), nullable=True))
    with op.batch_alter_table("enrollment_codes") as batch:
        batch.add_column(sa.Column("consumed_at", utc(), nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("occurred_at", utc(), nullable=True))
        batch.add_column(sa.Column("occurred_from", sa.String(8), nullable=True))
    op.create_table(
        "device_alerts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.device_id"],
                                name="fk_device_alerts_device_id_devices"),
        sa.PrimaryKeyConstraint("id", name="pk_device_alerts"),
    )
    op.create_index("ix_device_alerts_device_id", "device_alerts", ["device_id"])
    op.create_table(
        "service_point_configs",
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name="fk_service_point_configs_service_point_id_service_points"),
        sa.PrimaryKeyConstraint("service_point_id", name="pk_service_point_configs"),
    )
    op.create_table(
        "feed_horizons",
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_feed_horizons"),
    )


def downgrade() -> None:
    op.drop_table("feed_horizons")
    op.drop_table("service_point_configs")
    op.drop_index("ix_device_alerts_device_id", "device_alerts")
    op.drop_table("device_alerts")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("occurred_from")
        batch.drop_column("occurred_at")
    with op.batch_alter_table("enrollment_codes") as batch:
        batch.drop_column("consumed_at")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("key_rotated_at")
