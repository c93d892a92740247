"""Parcels end to end: pre-advice, held at counter, deadlines, recipient, returns, door audit.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARCEL_COLUMNS = (
    ("carrier", sa.String(64)), ("deadline", sa.Date()), ("staff_id", sa.String(64)),
    ("returned_at", sa.DateTime()), ("recipient_name", sa.String(120)), ("recipient_phone", sa.String(16)),
    ("recipient_email", sa.String(254)), ("recipient_language", sa.String(3)),
    ("door_pending", sa.String(80)), ("closing_event_id", sa.String(36)),
)


def upgrade() -> None:
    with op.batch_alter_table("parcels") as batch:
        batch.alter_column("compartment_id", existing_type=sa.String(8), nullable=True)
        batch.add_column(sa.Column("size_class", sa.String(1), nullable=False, server_default="M"))
        for name, type_ in PARCEL_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("pickup_attempts") as batch:
        batch.add_column(sa.Column("via", sa.String(8), nullable=False, server_default="code"))
    op.create_table(
        "pre_advices",
        sa.Column("tracking_id", sa.String(64), primary_key=True),
        sa.Column("carrier", sa.String(64), nullable=False),
        sa.Column("recipient_name", sa.String(120), nullable=True),
        sa.Column("recipient_phone", sa.String(16), nullable=True),
        sa.Column("recipient_email", sa.String(254), nullable=True),
        sa.Column("recipient_language", sa.String(3), nullable=False),
        sa.Column("size_class", sa.String(1), nullable=False),
        sa.Column("deadline_days", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "door_openings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("compartment_id", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("parcel_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.String(300), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("door_openings")
    op.drop_table("pre_advices")
    with op.batch_alter_table("pickup_attempts") as batch:
        batch.drop_column("via")
    with op.batch_alter_table("parcels") as batch:
        for name, _ in reversed(PARCEL_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("size_class")
        batch.alter_column("compartment_id", existing_type=sa.String(8), nullable=False)
