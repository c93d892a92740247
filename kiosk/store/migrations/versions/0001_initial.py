"""Initial kiosk schema: parcels, staff cards, pickup attempts, and the sync outbox.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parcels",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tracking_id", sa.String(64), nullable=False, index=True),
        sa.Column("barcode_kind", sa.String(16), nullable=False),
        sa.Column("compartment_id", sa.String(8), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("code_salt", sa.LargeBinary(16), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("stored_at", sa.DateTime, nullable=False),
        sa.Column("picked_up_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "staff_cards",
        sa.Column("entity_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("uid_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "pickup_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("attempted_at", sa.DateTime, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("parcel_count", sa.Integer, nullable=False),
    )
    create_sync_tables()


def create_sync_tables() -> None:
    """The outbox, cursors and sync state of sync/outbox.py (copied, as migrations must be)."""
    op.create_table(
        "outbox",
        # AUTOINCREMENT: a seq is never reused, even after rows are deleted.
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("wall_ms", sa.BigInteger, nullable=False),
        sa.Column("clock_synced", sa.Boolean, nullable=False),
        sa.Column("boot_id", sa.String(64), nullable=False),
        sa.Column("mono_ms", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_state_seq", "outbox", ["state", "seq"])
    op.create_table(
        "sync_cursors",
        sa.Column("scope", sa.String(32), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("sync_state", "sync_cursors", "outbox", "pickup_attempts", "staff_cards", "parcels"):
        op.drop_table(table)
