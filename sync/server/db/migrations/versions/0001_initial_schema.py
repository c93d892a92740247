"""Initial schema: service points, devices and their auth, events, parcels, staff, change log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the model types: a migration must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{ref_table}")


def upgrade() -> None:
    op.create_table(
        "service_points",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_points"),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=True),
        sa.Column("install_id", sa.String(64), nullable=True),
        sa.Column("hw", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("enrolled_at", utc(), nullable=True),
        sa.Column("revoked_at", utc(), nullable=True),
        fk("service_point_id", "service_points.id", "devices"),
        sa.PrimaryKeyConstraint("device_id", name="pk_devices"),
    )
    op.create_index("ix_devices_service_point_id", "devices", ["service_point_id"])
    op.create_table(
        "enrollment_codes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("expires_at", utc(), nullable=False),
        sa.Column("used_at", utc(), nullable=True),
        sa.Column("public_key", sa.String(64), nullable=True),
        fk("device_id", "devices.device_id", "enrollment_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_enrollment_codes"),
        sa.UniqueConstraint("code_hash", name="uq_enrollment_codes_code_hash"),
    )
    op.create_index("ix_enrollment_codes_device_id", "enrollment_codes", ["device_id"])
    op.create_table(
        "auth_nonces",
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("expires_at", utc(), nullable=False),
        sa.Column("used_at", utc(), nullable=True),
        fk("device_id", "devices.device_id", "auth_nonces"),
        sa.PrimaryKeyConstraint("nonce", name="pk_auth_nonces"),
    )
    op.create_index("ix_auth_nonces_device_id", "auth_nonces", ["device_id"])
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("expires_at", utc(), nullable=False),
        fk("device_id", "devices.device_id", "tokens"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_tokens"),
    )
    op.create_index("ix_tokens_device_id", "tokens", ["device_id"])
    _create_event_tables()
    _create_effect_tables()


def _create_event_tables() -> None:
    op.create_table(
        "events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("wall_ms", sa.BigInteger(), nullable=False),
        sa.Column("clock_synced", sa.Boolean(), nullable=False),
        sa.Column("boot_id", sa.String(64), nullable=False),
        sa.Column("mono_ms", sa.BigInteger(), nullable=False),
        sa.Column("received_at", utc(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        fk("device_id", "devices.device_id", "events"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("device_id", "seq", name="uq_events_device_id_seq"),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
    )
    op.create_table(
        "event_conflicts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("received_at", utc(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        fk("device_id", "devices.device_id", "event_conflicts"),
        sa.PrimaryKeyConstraint("id", name="pk_event_conflicts"),
    )
    op.create_index("ix_event_conflicts_device_id", "event_conflicts", ["device_id"])


def _create_effect_tables() -> None:
    op.create_table(
        "parcels",
        sa.Column("parcel_id", sa.String(64), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("tracking_id", sa.String(64), nullable=False),
        sa.Column("compartment", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stored_event_id", sa.String(36), nullable=False),
        sa.Column("picked_up_event_id", sa.String(36), nullable=True),
        fk("service_point_id", "service_points.id", "parcels"),
        sa.PrimaryKeyConstraint("parcel_id", name="pk_parcels"),
        sa.UniqueConstraint("stored_event_id", name="uq_parcels_stored_event_id"),
        sa.UniqueConstraint("picked_up_event_id", name="uq_parcels_picked_up_event_id"),
    )
    op.create_index("ix_parcels_service_point_id", "parcels", ["service_point_id"])
    op.create_table(
        "staff_cards",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uid_sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        fk("service_point_id", "service_points.id", "staff_cards"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_cards"),
    )
    op.create_index("ix_staff_cards_service_point_id", "staff_cards", ["service_point_id"])
    op.create_index("ix_staff_cards_uid_sha256", "staff_cards", ["uid_sha256"])
    op.create_table(
        "change_log",
        sa.Column("server_seq", BIG_ID, nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        fk("service_point_id", "service_points.id", "change_log"),
        sa.PrimaryKeyConstraint("server_seq", name="pk_change_log"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_change_log_scope_service_point_id_txid_server_seq",
        "change_log",
        ["scope", "service_point_id", "txid", "server_seq"],
    )


def downgrade() -> None:
    for table in (
        "change_log", "staff_cards", "parcels", "event_conflicts", "events",
        "tokens", "auth_nonces", "enrollment_codes", "devices", "service_points",
    ):
        op.drop_table(table)
