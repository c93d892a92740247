"""The one credential of the admin API: named, revocable bearer tokens.

Every route under /v1/admin (parcels, directory, usage) accepts exactly these, as
`Authorization: Bearer <token>`. They are made with `kiosk-central admin-token create NAME`
(NAME says who or what uses it), listed with `admin-token list` and revoked with
`admin-token revoke NAME`; a revoked token is refused at once.

Only the sha256 of a token is stored, and a presented token is looked up by its sha256. That
lookup is the constant-time comparison: what an index lookup's timing could reveal is how much
of a *hash* matched, and choosing inputs whose hashes share a prefix with a stored one tells
nothing about the token (256 random bits; no preimage). The secret itself is never compared.

The environment token (KIOSK_CENTRAL_ADMIN_TOKEN) is a bootstrap only, not a second kind of
credential. When the server starts and no named token is active, it is stored, hashed, as the
named token "bootstrap" (`bootstrap()` below); from then on it is an ordinary named token:
Bearer only, listed, revocable. As soon as any named token is active the variable is ignored,
so an old environment file cannot bring a revoked credential back, and a region that made its
own tokens can revoke "bootstrap" for good. Why not accept it only for creating the first
token: that needs an extra endpoint that exists only for that moment, while this way a fresh
server is usable from the admin tools at once and the handlers know one model.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server.db.admin import AdminToken
from sync.server.errors import AdminError, ApiError
from sync.server.kiosks import credentials as security

log = logging.getLogger(__name__)
TOKEN_PREFIX = "spa_"  # recognisable in a leaked config file or log
BOOTSTRAP_NAME = "bootstrap"
MIN_BOOTSTRAP_LENGTH = 16  # a guessable environment token would open the whole admin API


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


def list_tokens(session: Session) -> list[AdminToken]:
    """Every token ever made, oldest first (names and dates only: the secrets are not stored)."""
    return list(session.scalars(select(AdminToken).order_by(AdminToken.created_at, AdminToken.name)))


def bootstrap(session: Session, token: str, now: datetime) -> bool:
    """Store the environment token as the named token "bootstrap" while no named token is
    active. True if it is (now or already) usable; False if it was ignored."""
    token = token.strip()
    if len(token) < MIN_BOOTSTRAP_LENGTH:
        raise AdminError(f"KIOSK_CENTRAL_ADMIN_TOKEN must be at least {MIN_BOOTSTRAP_LENGTH} characters")
    token_hash = security.sha256_hex(token)
    existing = session.get(AdminToken, token_hash)
    if existing is not None:
        return existing.revoked_at is None
    active = session.scalar(select(AdminToken.name).where(AdminToken.revoked_at.is_(None)).limit(1))
    if active is not None:
        log.warning("KIOSK_CENTRAL_ADMIN_TOKEN ignored: named admin tokens exist "
                    "(it only bootstraps a server without one)")
        return False
    session.add(AdminToken(token_hash=token_hash, name=BOOTSTRAP_NAME, created_at=now))
    log.info("KIOSK_CENTRAL_ADMIN_TOKEN stored as the admin token %r", BOOTSTRAP_NAME)
    return True


def authenticate(session: Session, token: str | None) -> AdminToken:
    """The active admin token row for `token` (from `Authorization: Bearer <token>`)."""
    if not token:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <admin token>",
                       {"WWW-Authenticate": "Bearer"})
    row = session.get(AdminToken, security.sha256_hex(token))
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "unauthorized", "unknown or revoked admin token",
                       {"WWW-Authenticate": "Bearer"})
    return row
