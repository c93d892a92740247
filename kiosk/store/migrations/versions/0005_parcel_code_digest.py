"""Parcels gain `code_digest`, an indexed keyed digest of the pickup code: a typed code finds
its parcel by one index lookup and is then checked against that parcel's slow hash alone,
instead of against every waiting parcel's (5 ms each: 48 compartments took a quarter second).

Added in place (ALTER TABLE ADD COLUMN + CREATE INDEX): nothing is rebuilt, the outbox and
its queued events are not touched. The digest needs the code, which is never stored, so rows
stored before keep NULL and are found as before, by checking their hash (their number only
falls as they are picked up).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("parcels", sa.Column("code_digest", sa.LargeBinary(32), nullable=True))
    op.create_index("ix_parcels_code_digest", "parcels", ["code_digest"])


def downgrade() -> None:
    op.drop_index("ix_parcels_code_digest", table_name="parcels")
    with op.batch_alter_table("parcels") as batch:
        batch.drop_column("code_digest")
