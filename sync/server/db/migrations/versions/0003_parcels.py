"""Parcels end to end: carriers and pre-advice, parcel lifecycle columns (held at counter,
returned, deadline, recipient, pickup code, purge), state history, door audit, notifications,
carrier webhooks, staff contacts of a service point.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    with op.batch_alter_table("service_points") as batch:
        batch.add_column(sa.Column("staff_phone", sa.String(16), nullable=True))
        batch.add_column(sa.Column("staff_email", sa.String(254), nullable=True))
    _alter_parcels()
    _create_carriers()
    _create_history_and_audit()
    _create_notifications()
    _create_webhooks()


def _alter_parcels() -> None:
    with op.batch_alter_table("parcels") as batch:
        batch.alter_column("compartment", existing_type=sa.String(16), nullable=True)
        batch.add_column(sa.Column("returned_event_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("carrier", sa.String(64), nullable=True))
        batch.add_column(sa.Column("size_class", sa.String(1), nullable=True))
        batch.add_column(sa.Column("picked_up_via", sa.String(8), nullable=True))
        batch.add_column(sa.Column("stored_at", utc(), nullable=True))
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("done_at", utc(), nullable=True))
        batch.add_column(sa.Column("recipient_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("recipient_phone", sa.String(16), nullable=True))
        batch.add_column(sa.Column("recipient_email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("language", sa.String(3), nullable=False, server_default="sv"))
        batch.add_column(sa.Column("pickup_code", sa.String(10), nullable=True))
        batch.add_column(sa.Column("link_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("purged_at", utc(), nullable=True))
        batch.create_unique_constraint("uq_parcels_returned_event_id", ["returned_event_id"])
        batch.create_unique_constraint("uq_parcels_link_token", ["link_token"])
        batch.create_index("ix_parcels_tracking_id", ["tracking_id"])
        batch.create_index("ix_parcels_done_at", ["done_at"])
    # The default only filled existing rows; the application always sets the language.
    with op.batch_alter_table("parcels") as batch:
        batch.alter_column("language", existing_type=sa.String(3), server_default=None)


def _create_carriers() -> None:
    op.create_table(
        "carriers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("api_key_hash", sa.String(64), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("reminder_day", sa.Integer(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_carriers"),
        sa.UniqueConstraint("api_key_hash", name="uq_carriers_api_key_hash"),
    )
    op.create_table(
        "pre_advices",
        sa.Column("tracking_id", sa.String(64), nullable=False),
        sa.Column("carrier_id", sa.String(64), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("recipient_name", sa.String(120), nullable=True),
        sa.Column("recipient_phone", sa.String(16), nullable=True),
        sa.Column("recipient_email", sa.String(254), nullable=True),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("size_class", sa.String(1), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.String(64), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("purged_at", utc(), nullable=True),
        fk("carrier_id", "carriers.id", "pre_advices"),
        fk("service_point_id", "service_points.id", "pre_advices"),
        sa.PrimaryKeyConstraint("tracking_id", name="pk_pre_advices"),
    )
    op.create_index("ix_pre_advices_carrier_id", "pre_advices", ["carrier_id"])
    op.create_index("ix_pre_advices_service_point_id", "pre_advices", ["service_point_id"])


def _create_history_and_audit() -> None:
    op.create_table(
        "parcel_transitions",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("parcel_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", utc(), nullable=False),
        fk("parcel_id", "parcels.parcel_id", "parcel_transitions"),
        sa.PrimaryKeyConstraint("event_id", name="pk_parcel_transitions"),
    )
    op.create_index("ix_parcel_transitions_parcel_id", "parcel_transitions", ["parcel_id"])
    op.create_table(
        "door_audits",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("compartment", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("parcel_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("received_at", utc(), nullable=False),
        fk("device_id", "devices.device_id", "door_audits"),
        fk("service_point_id", "service_points.id", "door_audits"),
        sa.PrimaryKeyConstraint("id", name="pk_door_audits"),
        sa.UniqueConstraint("event_id", name="uq_door_audits_event_id"),
    )
    op.create_index("ix_door_audits_device_id", "door_audits", ["device_id"])
    op.create_index("ix_door_audits_service_point_id", "door_audits", ["service_point_id"])


def _create_notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("service_point_id", sa.String(64), nullable=False),
        sa.Column("parcel_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=True),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", utc(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("sent_at", utc(), nullable=True),
        sa.Column("delivered_at", utc(), nullable=True),
        fk("service_point_id", "service_points.id", "notifications"),
        fk("parcel_id", "parcels.parcel_id", "notifications"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
    )
    for column in ("service_point_id", "parcel_id", "state", "provider_id"):
        op.create_index(f"ix_notifications_{column}", "notifications", [column])


def _create_webhooks() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("carrier_id", sa.String(64), nullable=False),
        sa.Column("parcel_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", utc(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("delivered_at", utc(), nullable=True),
        fk("carrier_id", "carriers.id", "webhook_deliveries"),
        fk("parcel_id", "parcels.parcel_id", "webhook_deliveries"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("event_id", name="uq_webhook_deliveries_event_id"),
    )
    for column in ("carrier_id", "parcel_id", "state"):
        op.create_index(f"ix_webhook_deliveries_{column}", "webhook_deliveries", [column])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("delivery_id", BIG_ID, nullable=False),
        sa.Column("at", utc(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        fk("delivery_id", "webhook_deliveries.id", "webhook_attempts"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    for table in ("webhook_attempts", "webhook_deliveries", "notifications", "door_audits",
                  "parcel_transitions", "pre_advices", "carriers"):
        op.drop_table(table)
    with op.batch_alter_table("parcels") as batch:
        batch.drop_index("ix_parcels_done_at")
        batch.drop_index("ix_parcels_tracking_id")
        batch.drop_constraint("uq_parcels_link_token", type_="unique")
        batch.drop_constraint("uq_parcels_returned_event_id", type_="unique")
        for column in ("purged_at", "link_token", "pickup_code", "language", "recipient_email",
                       "recipient_phone", "recipient_name", "done_at", "deadline", "stored_at",
                       "picked_up_via", "size_class", "carrier", "returned_event_id"):
            batch.drop_column(column)
    with op.batch_alter_table("service_points") as batch:
        batch.drop_column("staff_email")
        batch.drop_column("staff_phone")
