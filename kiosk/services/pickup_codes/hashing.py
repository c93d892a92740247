"""Pickup codes: random, numeric (typed on a 12-key keypad), stored only as salted slow hashes,
with a keyed digest beside each to find its parcel without trying every hash.

Finding the parcel: a code is checked against one PBKDF2 hash, that of the row whose
`code_digest` (HMAC-SHA256 of the code under this kiosk's code key) matches, instead of
against every waiting parcel's (salts differ, so the slow hash itself cannot be indexed).
The key is kiosk-local, in its own file beside the database (made once, mode 0600, never
synced): a copy of the database alone does not let anyone test codes at HMAC speed. With
the key as well (the whole SD card), the digest does: then six digits fall to either way
(10**6 PBKDF2 rounds are about 80 CPU-minutes), which is why codes are one-time, expire
with the parcel, and the keypad pauses after wrong codes.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

CODE_LENGTH = 6
SALT_BYTES = 16
KEY_BYTES = 32
# A slow hash makes a stolen database expensive to brute-force. Kept modest: a drop-off
# checks a new code against the parcels still stored without a digest (older rows).
PBKDF2_ITERATIONS = 20_000


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def hash_code(code: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", code.encode("ascii"), salt, PBKDF2_ITERATIONS)
    return salt, digest


def code_matches(code: str, salt: bytes, expected: bytes) -> bool:
    _, digest = hash_code(code, salt)
    return hmac.compare_digest(digest, expected)


def lookup_digest(code: str, key: bytes) -> bytes:
    """The code's index entry: equal digests mean equal codes (HMAC-SHA256 collisions aside);
    the row it finds is still verified against its slow hash."""
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).digest()


def load_or_create_key(path: Path) -> bytes:
    """This kiosk's code key, made on first use: written whole to a file of its own, then
    linked into place (link fails if the name exists), so two processes starting at once
    agree on one key and none reads a half-written one. A key of the wrong size is refused,
    never replaced: the digests stored under it would stop finding their parcels."""
    if not path.exists():
        _create_key(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path}: a pickup-code key has {KEY_BYTES} bytes, this file has {len(key)}")
    return key


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.new")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        draft.unlink(missing_ok=True)
