"""Push-batch wire format version 2: a dense, columnar encoding of an EventBatch.

Version 1 (plain `EventBatch` JSON, gzip) repeats every key for every event, spells uuids
in hex and clocks as absolute numbers: ~98 bytes per event on the wire. A week offline
(~3,500 events) then takes over a minute on a 50 kbit/s line. Version 2 keeps every field
and every check of version 1 but sends it column by column, each column as small as its
content allows:

  ids      event_ids as raw 16-byte uuids, concatenated, base64  (the dedupe key, intact)
  hashes   the first 4 bytes of each payload hash, concatenated, base64; the server
           recomputes the full hash from the canonical payload and rejects the event if the
           prefix differs, as version 1 does for a full hash
  seq      first seq, then differences (normally a run of 1s)
  kinds    each distinct (type, payload keys) once; rows: [kind, value, value...]
  boots    each distinct boot_id once; boot: index per event
  synced   clock_synced as a string of 0/1
  wall     first wall_ms, then differences
  skew     mono_ms - wall_ms, first value then differences: within one boot both clocks
           advance together, so this is a run of 0s and +-1s
  sent     the batch's sent_clock, if any

The JSON document is compressed with zlib at level 9 with a preset dictionary
(DICTIONARY_V2, the document's skeleton), which also makes the one-event batches of a
kiosk that is online small (~180 bytes instead of ~300). The format is named by the Content-Type `MEDIA_TYPE_V2`; the
dictionary is part of version 2 and never changes (a test pins it): a new dictionary or
layout is a new version, and a server refuses a version it does not know with 415.

Decoding yields the same `p.EventBatch` as version 1, so dedupe, conflicts, rejections and
effects are one code path for both versions. The reply to a version-2 batch is a
`BatchReplyV2`: only events whose status is not "accepted" are listed (by their index in the
batch); the kiosk expands it back to a `p.BatchResponse` with one result per event.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, ValidationError

from sync import protocol as p

FORMAT_VERSION = 2
MEDIA_TYPE = "application/vnd.servicepunkt.events"
MEDIA_TYPE_V2 = f"{MEDIA_TYPE}; v={FORMAT_VERSION}"
HASH_PREFIX_BYTES = 4
UUID_BYTES = 16
ZLIB_LEVEL = 9

# A one-event document with its values blanked (the uuids as "-4-"): most batches of a kiosk
# that is online hold one event, and with this preset dictionary its skeleton costs almost
# nothing. Part of format version 2: never edit it (a test pins its digest).
DICTIONARY_V2 = (
    b'"parcel.picked_up",["compartment","parcel_id"]],["parcel.stored",'
    b'["compartment","parcel_id","tracking_id"]]'
    b'{"v":2,"n":1,"ids":"==","hashes":"==","seq":[1],"kinds":[["parcel.stored",'
    b'["compartment","parcel_id","tracking_id"]]],"rows":[[0,"A1","-4-","RR000000000SE"]],'
    b'"boots":["-4-"],"boot":[0],"synced":"1","wall":[1795000000000],"skew":[-1795000000000],'
    b'"sent":{"wall_ms":1795000000000,"clock_synced":true,"boot_id":"-4-","mono_ms":1000}}'
)


class BatchFormatError(ValueError):
    """The body is not a version-2 batch at all (not zlib with this dictionary): 400."""


class BatchContentError(ValueError):
    """The body decodes, but its columns do not make a valid batch: 422."""


class CompactBatch(p.WireModel):
    """The decompressed version-2 document (its fields: docs/protocol.md §5.4)."""

    v: Literal[2]
    n: int = Field(ge=0, le=p.MAX_BATCH_EVENTS)
    ids: str
    hashes: str
    seq: list[int]
    kinds: list[tuple[str, list[str]]]
    rows: list[list[Any]]
    boots: list[str]
    boot: list[int]
    synced: str = Field(pattern=r"^[01]*$")
    wall: list[int]
    skew: list[int]
    sent: p.Clock | None = None


class BatchReplyV2(p.WireModel):
    """The answer to a version-2 batch. `others`: [index in the batch, status, reason] of
    every event whose status is not "accepted"; all the others were accepted. `n` is the
    number of events answered, so a reply cannot be taken for another batch's."""

    v: Literal[2] = 2
    n: int
    acked_through: int
    server_time: datetime
    others: list[tuple[int, p.EventStatus, str | None]] = Field(default_factory=list)


# --- encoding (kiosk) ---------------------------------------------------------------------

def encode_batch(events: Sequence[p.Event], sent_clock: p.Clock | None = None) -> bytes:
    """The request body of a version-2 push. Raises ValueError for a payload that is not
    JSON (NaN): the kiosk never enqueues one."""
    document = compact_document(events, sent_clock)
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return compress(text.encode("utf-8"))


def compress(data: bytes) -> bytes:
    packer = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, zdict=DICTIONARY_V2)
    return packer.compress(data) + packer.flush()


def compact_document(events: Sequence[p.Event], sent_clock: p.Clock | None) -> dict[str, Any]:
    kinds: dict[tuple[str, tuple[str, ...]], int] = {}
    boots: dict[str, int] = {}
    rows, boot = [], []
    for event in events:
        keys = tuple(sorted(event.payload))
        kind = kinds.setdefault((event.type, keys), len(kinds))
        rows.append([kind, *(event.payload[key] for key in keys)])
        boot.append(boots.setdefault(event.clock.boot_id, len(boots)))
    walls = [event.clock.wall_ms for event in events]
    document: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "n": len(events),
        "ids": _b64(b"".join(event.event_id.bytes for event in events)),
        "hashes": _b64(b"".join(_hash_prefix(event) for event in events)),
        "seq": _deltas([event.seq for event in events]),
        "kinds": [[type_, list(keys)] for type_, keys in kinds],
        "rows": rows,
        "boots": list(boots),
        "boot": boot,
        "synced": "".join("1" if event.clock.clock_synced else "0" for event in events),
        "wall": _deltas(walls),
        "skew": _deltas([event.clock.mono_ms - wall for event, wall in zip(events, walls, strict=True)]),
    }
    if sent_clock is not None:
        document["sent"] = sent_clock.model_dump()
    return document


def _hash_prefix(event: p.Event) -> bytes:
    """The kiosk's stored hash (computed at enqueue), so the check spans the whole way from
    the outbox row to the server's canonical JSON."""
    digest = event.payload_hash or p.payload_hash(event.payload)
    return bytes.fromhex(digest[: 2 * HASH_PREFIX_BYTES])


def _deltas(values: list[int]) -> list[int]:
    return [b - a for a, b in pairwise([0, *values])]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --- decoding (server) --------------------------------------------------------------------

def decode_batch(body: bytes, limit: int = p.MAX_BODY_BYTES) -> p.EventBatch:
    """The EventBatch a version-2 body stands for. Raises BatchFormatError (not this format,
    truncated, over `limit` bytes unpacked: the caller answers 400/413) or BatchContentError."""
    data = decompress(body, limit)
    try:
        document = CompactBatch.model_validate_json(data)
    except ValidationError as exc:
        if any(error["loc"] == ("n",) and error["type"] == "less_than_equal" for error in exc.errors()):
            raise TooLarge(f"at most {p.MAX_BATCH_EVENTS} events per batch; send smaller batches") from exc
        raise BatchContentError(_first_error(exc)) from exc
    return expand(document)


class TooLarge(BatchFormatError):
    """Over the size limit unpacked, or over MAX_BATCH_EVENTS events: 413, send smaller."""


def decompress(body: bytes, limit: int) -> bytes:
    unpacker = zlib.decompressobj(zlib.MAX_WBITS, zdict=DICTIONARY_V2)
    try:
        data = unpacker.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BatchFormatError(f"body is not a version-{FORMAT_VERSION} batch (zlib with its "
                               f"dictionary): {exc}") from exc
    if len(data) > limit:
        raise TooLarge(f"body over {limit} bytes unpacked; send smaller batches")
    if not unpacker.eof:
        raise BatchFormatError("body is truncated")
    return data


def expand(doc: CompactBatch) -> p.EventBatch:
    """Columns back to events; every column must have one entry per event."""
    n = doc.n
    ids, hashes = _unb64(doc.ids, "ids"), _unb64(doc.hashes, "hashes")
    _require(len(ids) == n * UUID_BYTES, f"ids: {len(ids)} bytes for {n} events")
    _require(len(hashes) == n * HASH_PREFIX_BYTES, f"hashes: {len(hashes)} bytes for {n} events")
    for name in ("seq", "rows", "boot", "synced", "wall", "skew"):
        _require(len(getattr(doc, name)) == n, f"{name}: {len(getattr(doc, name))} entries for {n} events")
    seqs, walls, skews = _sums(doc.seq), _sums(doc.wall), _sums(doc.skew)
    events = []
    for i in range(n):
        type_, payload = _payload(doc, doc.rows[i], i)
        _require(0 <= doc.boot[i] < len(doc.boots), f"boot[{i}]: no boot {doc.boot[i]}")
        events.append({
            "event_id": UUID(bytes=ids[i * UUID_BYTES:(i + 1) * UUID_BYTES]),
            "seq": seqs[i],
            "type": type_,
            "payload": payload,
            "payload_hash": hashes[i * HASH_PREFIX_BYTES:(i + 1) * HASH_PREFIX_BYTES].hex(),
            "clock": {"wall_ms": walls[i], "clock_synced": doc.synced[i] == "1",
                      "boot_id": doc.boots[doc.boot[i]], "mono_ms": walls[i] + skews[i]},
        })
    try:
        return p.EventBatch(events=[p.Event.model_validate(e) for e in events], sent_clock=doc.sent)
    except ValidationError as exc:
        raise BatchContentError(_first_error(exc)) from exc


def _payload(doc: CompactBatch, row: list[Any], i: int) -> tuple[str, dict[str, Any]]:
    _require(bool(row) and type(row[0]) is int and 0 <= row[0] < len(doc.kinds),
             f"rows[{i}]: no kind index")
    type_, keys = doc.kinds[row[0]]
    _require(len(row) == 1 + len(keys), f"rows[{i}]: {len(row) - 1} values for {len(keys)} keys")
    _require(len(set(keys)) == len(keys), f"kinds[{row[0]}]: a key twice")
    return type_, dict(zip(keys, row[1:], strict=True))


def _sums(deltas: list[int]) -> list[int]:
    total, out = 0, []
    for delta in deltas:
        total += delta
        out.append(total)
    return out


def _unb64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise BatchContentError(f"{name}: not base64: {exc}") from exc


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise BatchContentError(problem)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "batch"
    return f"{where}: {first['msg']} ({exc.error_count()} problems)"


# --- the reply ----------------------------------------------------------------------------

def compact_reply(response: p.BatchResponse) -> BatchReplyV2:
    others: list[tuple[int, p.EventStatus, str | None]] = [
        (i, r.status, r.reason) for i, r in enumerate(response.results) if r.status != "accepted"]
    return BatchReplyV2(n=len(response.results), acked_through=response.acked_through,
                        server_time=response.server_time, others=others)


def expand_reply(events: Sequence[p.Event], reply: BatchReplyV2) -> p.BatchResponse:
    """One result per event of the batch. Raises ValueError if the reply is not for it."""
    if reply.n != len(events):
        raise ValueError(f"reply answers {reply.n} events, the batch had {len(events)}")
    verdicts: dict[int, tuple[p.EventStatus, str | None]] = {}
    for index, status, reason in reply.others:
        if not 0 <= index < len(events):
            raise ValueError(f"reply names event {index} of a batch of {len(events)}")
        verdicts[index] = (status, reason)
    results = [
        p.EventResult(event_id=event.event_id, seq=event.seq,
                      status=verdicts.get(i, ("accepted", None))[0], reason=verdicts.get(i, (None, None))[1])
        for i, event in enumerate(events)
    ]
    return p.BatchResponse(results=results, acked_through=reply.acked_through, server_time=reply.server_time)


def dictionary_digest() -> str:
    """sha256 of DICTIONARY_V2: pinned by a test, since changing it breaks every server."""
    return hashlib.sha256(DICTIONARY_V2).hexdigest()
