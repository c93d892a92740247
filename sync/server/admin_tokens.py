"""Bearer tokens for the admin API (coordinators' tools), made with `kiosk-central admin-token`.

Only the sha256 of a token is stored; a revoked token is refused at once.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server.db.admin import AdminToken
from sync.server.errors import AdminError, ApiError
from sync.server.kiosks import credentials as security

TOKEN_PREFIX = "spa_"  # recognisable in a leaked config file or log


def create(session: Session, name: str, now: datetime) -> str:
    if not name.strip():
        raise AdminError("the admin token needs a name saying who or what uses it")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(AdminToken(token_hash=security.sha256_hex(token), name=name.strip(), created_at=now))
    return token


def revoke(session: Session, name: str, now: datetime) -> int:
    rows = session.scalars(select(AdminToken).where(
        AdminToken.name == name.strip(), AdminToken.revoked_at.is_(None))).all()
    if not rows:
        raise AdminError(f"no active admin token named {name!r}")
    for row in rows:
        row.revoked_at = now
    return len(rows)


def authenticate(session: Session, token: str | None) -> AdminToken:
    """The admin token row for `token` (from `Authorization: Bearer <token>`)."""
    if not token:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <admin token>",
                       {"WWW-Authenticate": "Bearer"})
    row = session.get(AdminToken, security.sha256_hex(token))
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "unauthorized", "unknown or revoked admin token",
                       {"WWW-Authenticate": "Bearer"})
    return row
