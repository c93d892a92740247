"""Carriers' webhook signing secrets: each status report is signed with HMAC-SHA256. Carriers
that exist already get a secret here; `kiosk-central carrier webhook-secret` shows a new one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("carriers", sa.Column("webhook_secret", sa.String(64), nullable=True))
    carriers = sa.table("carriers", sa.column("id", sa.String), sa.column("webhook_secret", sa.String))
    bind = op.get_bind()
    for (carrier_id,) in bind.execute(sa.select(carriers.c.id)).all():
        bind.execute(carriers.update().where(carriers.c.id == carrier_id)
                     .values(webhook_secret="whsec_" + secrets.token_urlsafe(32)))


def downgrade() -> None:
    op.drop_column("carriers", "webhook_secret")
