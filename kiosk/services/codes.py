"""Pickup codes: random, numeric (typed on a 12-key keypad), stored only as salted slow hashes."""
from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_LENGTH = 6
SALT_BYTES = 16
# A slow hash makes a stolen SD card expensive to brute-force. The count is kept modest because
# a code is checked against every stored parcel's hash (salts differ, so no index can help).
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
