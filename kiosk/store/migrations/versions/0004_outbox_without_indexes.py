"""The outbox loses UNIQUE(event_id) and the (state, seq) index: two B-tree pages fewer in
every enqueue's commit (it wrote four: the row, the two indexes, AUTOINCREMENT's counter).

The kiosk makes event ids with uuid4 and the server's UNIQUE(event_id) is the dedupe; the
kiosk finds rows by seq, and the pusher scans for pending events from a seq it knows is
below them (sync/outbox.py pending_batch). SQLite cannot drop a table constraint in place,
so the table is rebuilt: rows copied with their seqs, and AUTOINCREMENT's high-water mark
carried over (a seq is never handed out twice).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("seq, event_id, type, payload, payload_hash, wall_ms, clock_synced, boot_id, mono_ms, "
           "state, attempts, last_error, created_at")


def upgrade() -> None:
    _rebuild_outbox(indexed=False)


def downgrade() -> None:
    _rebuild_outbox(indexed=True)


def _rebuild_outbox(*, indexed: bool) -> None:
    high = op.get_bind().execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).scalar()
    _create_outbox("outbox_new", indexed)
    op.execute(f"INSERT INTO outbox_new ({COLUMNS}) SELECT {COLUMNS} FROM outbox ORDER BY seq")
    op.drop_table("outbox")  # and its indexes
    op.rename_table("outbox_new", "outbox")
    if indexed:
        op.create_index("ix_outbox_state_seq", "outbox", ["state", "seq"])
    if high is not None:  # the copy set it to the highest row; never lower than before
        op.execute(sa.text("UPDATE sqlite_sequence SET seq = :high WHERE name = 'outbox' AND seq < :high")
                   .bindparams(high=high))
        op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', :high "
                           "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')")
                   .bindparams(high=high))


def _create_outbox(name: str, indexed: bool) -> None:
    """The outbox of 0001, copied (as migrations must be), with or without UNIQUE(event_id)."""
    constraints = [sa.UniqueConstraint("event_id", name="uq_outbox_event_id")] if indexed else []
    op.create_table(
        name,
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
        *constraints,
        sqlite_autoincrement=True,
    )
