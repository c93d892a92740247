"""Secrets the server hands out and checks: enrollment codes, nonces, tokens, signatures."""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# Crockford base32: no I, L, O, U, so a code read aloud over the phone survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS, CODE_GROUP_LEN = 4, 4  # 16 symbols = 80 bits
_CODE_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_enrollment_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LEN))
    groups = [symbols[i:i + CODE_GROUP_LEN] for i in range(0, len(symbols), CODE_GROUP_LEN)]
    return "-".join(groups)


def normalise_code(code: str) -> str:
    """Case, spaces, dashes and O/I/L look-alikes do not matter when typing a code."""
    return "".join(code.split()).replace("-", "").upper().translate(_CODE_LOOKALIKES)


def code_hash(code: str) -> str:
    # Unsalted is enough: 80 random bits cannot be brute-forced from the hash.
    return sha256_hex(normalise_code(code))


def new_device_id() -> str:
    return f"kiosk-{secrets.token_hex(5)}"


def new_secret() -> str:
    """Nonces and bearer tokens: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def parse_public_key(public_key_b64: str) -> Ed25519PublicKey:
    """Raises ValueError unless this is base64 of a raw 32-byte Ed25519 public key."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("public_key is not base64") from exc
    if len(raw) != 32:
        raise ValueError("public_key must be a raw 32-byte Ed25519 key")
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_valid(public_key_b64: str, message: str, signature_b64: str) -> bool:
    return signature_valid_bytes(public_key_b64, message.encode("utf-8"), signature_b64)


def signature_valid_bytes(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        key = parse_public_key(public_key_b64)
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, message)
    except (ValueError, binascii.Error, InvalidSignature):
        return False
    return True
