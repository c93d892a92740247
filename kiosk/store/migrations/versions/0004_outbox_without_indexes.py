"""The outbox loses UNIQUE(event_id), the (state, seq) index and AUTOINCREMENT: an enqueue's
commit writes one B-tree page (the row) where it wrote four (the row, two indexes and
AUTOINCREMENT's counter in sqlite_sequence).

The kiosk makes event ids with uuid4 and the server's UNIQUE(event_id) is the dedupe; the
kiosk finds rows by seq, and the pusher scans for pending events from a seq it knows is below
them. A seq is still never handed out twice: enqueue takes one above both the highest row and
the "outbox_seq_floor" kept in sync_state, which a trigger raises when the newest rows are
deleted (see sync/outbox.py). SQLite cannot drop a table constraint in place, so the table is
rebuilt with its rows and their seqs, and AUTOINCREMENT's high-water mark becomes the floor.

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
SEQ_FLOOR = "outbox_seq_floor"
# sync/outbox.py SEQ_FLOOR_TRIGGER, copied (as migrations must be)
SEQ_FLOOR_TRIGGER = f"""CREATE TRIGGER IF NOT EXISTS outbox_seq_floor AFTER DELETE ON outbox
WHEN OLD.seq > coalesce((SELECT max(seq) FROM outbox), 0)
BEGIN
    INSERT INTO sync_state (key, value) VALUES ('{SEQ_FLOOR}', OLD.seq)
    ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), OLD.seq);
END"""


def upgrade() -> None:
    high = _scalar("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") or 0
    _rebuild_outbox(old_style=False)
    if high > (_scalar("SELECT max(seq) FROM outbox") or 0):
        op.execute(sa.text("INSERT INTO sync_state (key, value) VALUES (:key, :high) "
                           "ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), :high)")
                   .bindparams(key=SEQ_FLOOR, high=high))
    op.execute(SEQ_FLOOR_TRIGGER)


def downgrade() -> None:
    floor = int(_scalar(f"SELECT value FROM sync_state WHERE key = '{SEQ_FLOOR}'") or 0)
    _rebuild_outbox(old_style=True)  # drops the trigger with the table
    op.execute(f"DELETE FROM sync_state WHERE key = '{SEQ_FLOOR}'")
    op.create_index("ix_outbox_state_seq", "outbox", ["state", "seq"])
    if floor > (_scalar("SELECT max(seq) FROM outbox") or 0):
        op.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'outbox'"))
        op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', :floor)")
                   .bindparams(floor=floor))


def _scalar(sql: str):
    return op.get_bind().execute(sa.text(sql)).scalar()


def _rebuild_outbox(*, old_style: bool) -> None:
    """Copy every row, seq included, into the new table and put it in the old one's place."""
    _create_outbox("outbox_new", old_style)
    op.execute(f"INSERT INTO outbox_new ({COLUMNS}) SELECT {COLUMNS} FROM outbox ORDER BY seq")
    op.drop_table("outbox")  # and its indexes and triggers
    op.rename_table("outbox_new", "outbox")


def _create_outbox(name: str, old_style: bool) -> None:
    """The outbox of 0001, copied: old style with UNIQUE(event_id) and AUTOINCREMENT."""
    constraints = [sa.UniqueConstraint("event_id", name="uq_outbox_event_id")] if old_style else []
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
        sqlite_autoincrement=old_style,
    )
