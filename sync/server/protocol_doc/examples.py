"""Worked examples of docs/protocol.md, computed with the code both ends run.

Ed25519 signatures are deterministic (RFC 8032), so keys made from fixed seeds give the same
bytes every time: a client author can check their own implementation against each value.
The keys are examples only; no server knows them.
"""
from __future__ import annotations

import base64
import json
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync import batchcodec
from sync import protocol as p

EXAMPLE_DEVICE_ID = "kiosk-0a1b2c3d4e"
EXAMPLE_NONCE = "bm9uY2UtZm9yLXRoZS13b3JrZWQtZXhhbXBsZS0wMQ"
OLD_KEY_SEED = bytes(range(32))
NEW_KEY_SEED = bytes(range(32, 64))
EXAMPLE_BOOT_ID = "5d41402a-bc4b-4a76-b971-9d911017c592"


def _key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _json_block(value: object) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```"


def _hex_lines(raw: bytes, width: int = 32) -> str:
    return "\n".join(raw[i:i + width].hex(" ") for i in range(0, len(raw), width))


def token_example() -> str:
    key = _key(OLD_KEY_SEED)
    message = EXAMPLE_NONCE.encode("utf-8")
    request = p.TokenRequest(device_id=EXAMPLE_DEVICE_ID, nonce=EXAMPLE_NONCE,
                             signature=_b64(key.sign(message)))
    return "\n".join([
        f"- private key seed (32 bytes, hex): `{OLD_KEY_SEED.hex()}`",
        f"- its public key, as sent to `/v1/enroll`: `{_public_b64(key)}`",
        f"- nonce from `/v1/auth/challenge`: `{EXAMPLE_NONCE}`",
        f"- signed bytes: the nonce's UTF-8 bytes, {len(message)} bytes, nothing added:",
        "",
        "```text",
        _hex_lines(message),
        "```",
        "",
        "- the request to `POST /v1/auth/token`:",
        "",
        _json_block(request.model_dump(mode="json")),
    ])


def rotation_example() -> str:
    old, new = _key(OLD_KEY_SEED), _key(NEW_KEY_SEED)
    new_public = _public_b64(new)
    message = p.rotation_message(EXAMPLE_DEVICE_ID, EXAMPLE_NONCE, new_public)
    request = p.KeyRotationRequest(
        device_id=EXAMPLE_DEVICE_ID, nonce=EXAMPLE_NONCE, new_public_key=new_public,
        signature=_b64(old.sign(message)), new_key_signature=_b64(new.sign(message)))
    return "\n".join([
        f"- current key: seed `{OLD_KEY_SEED.hex()}`, public `{_public_b64(old)}`",
        f"- new key: seed `{NEW_KEY_SEED.hex()}`, public `{new_public}`",
        f"- nonce from `/v1/auth/challenge`: `{EXAMPLE_NONCE}`",
        f"- the signed message ({len(message)} bytes; `\\n` is the byte 0x0a; no trailing newline):",
        "",
        "```text",
        message.decode("utf-8").replace("\n", "\\n"),
        "```",
        "",
        "```text",
        _hex_lines(message),
        "```",
        "",
        "- the request to `POST /v1/auth/rotate-key`:",
        "",
        _json_block(request.model_dump(mode="json")),
    ])


def example_events() -> list[p.Event]:
    """Two events of one boot: a parcel stored in A1, then its door-opening audit."""
    def clock(wall_ms: int, mono_ms: int) -> p.Clock:
        return p.Clock(wall_ms=wall_ms, clock_synced=True, boot_id=EXAMPLE_BOOT_ID, mono_ms=mono_ms)

    return [
        p.Event(event_id=UUID("0b6a2d1e-6c0f-4f61-9a53-1c7e4a2f8d01"), seq=41, type="parcel.stored",
                payload={"parcel_id": "P-1001", "tracking_id": "RR123456785SE", "compartment": "A1"},
                clock=clock(1796000000000, 86400000)),
        p.Event(event_id=UUID("0b6a2d1e-6c0f-4f61-9a53-1c7e4a2f8d02"), seq=42, type="door.opened",
                payload={"compartment": "A1", "reason": "store", "outcome": "opened", "actor": "staff-7"},
                clock=clock(1796000000350, 86400351)),
    ]


def example_sent_clock() -> p.Clock:
    return p.Clock(wall_ms=1796000004000, clock_synced=True, boot_id=EXAMPLE_BOOT_ID, mono_ms=86404000)


def format_2_example() -> str:
    events, sent = example_events(), example_sent_clock()
    first = events[0]
    canonical = p.canonical_json(first.payload)
    document = batchcodec.compact_document(events, sent)
    format_1 = p.EventBatch(events=events, sent_clock=sent).model_dump_json(exclude_none=True)
    return "\n".join([
        "The payload hash of the first event: SHA-256 of its canonical JSON, hex:",
        "",
        "```text",
        canonical,
        p.payload_hash(first.payload),
        "```",
        "",
        "The same two events as a format-1 body (before gzip; `payload_hash` may be left out):",
        "",
        "```json",
        format_1,
        "```",
        "",
        "As a format-2 document, before compression:",
        "",
        "```json",
        json.dumps(document, separators=(",", ":"), ensure_ascii=False),
        "```",
        "",
        (f"The body on the wire is that UTF-8 text compressed with zlib (level {batchcodec.ZLIB_LEVEL} "
        "is what the kiosk uses; any level decodes) with the dictionary below as preset "
        "dictionary: in Python `zlib.compressobj(9, zlib.DEFLATED, 15, zdict=DICTIONARY)`. "
        "Compressed bytes differ between zlib builds, so none are shown here; decompressing "
        "must give the document above exactly."),
        "",
        (f"The dictionary ({len(batchcodec.DICTIONARY_V2)} bytes of ASCII, one line, no newline at the "
        f"end; SHA-256 `{batchcodec.dictionary_digest()}`):"),
        "",
        "```text",
        batchcodec.DICTIONARY_V2.decode("ascii"),
        "```",
    ])
