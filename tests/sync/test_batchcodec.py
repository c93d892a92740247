"""Push format 2 (sync/batchcodec.py): a lossless, dense encoding of EventBatch."""
from __future__ import annotations

import base64
import gzip
import json
import uuid
import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import batchcodec as bc
from sync import protocol as p
from tests.sync.helpers import make_event, stored_payload

JSON_SCALARS = st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.text(max_size=8) | \
    st.floats(allow_nan=False, allow_infinity=False)
PAYLOADS = st.dictionaries(st.text(min_size=1, max_size=6), st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6), max_size=4)
CLOCKS = st.builds(p.Clock, wall_ms=st.integers(0, 2**63 - 1), clock_synced=st.booleans(),
                   boot_id=st.sampled_from(["", "boot-a", "c0ffee-1970"]), mono_ms=st.integers(0, 2**63 - 1))
EVENTS = st.builds(
    lambda event_id, seq, type_, payload, clock: p.Event(
        event_id=event_id, seq=seq, type=type_, payload=payload,
        payload_hash=p.payload_hash(payload), clock=clock),
    st.uuids(), st.integers(1, 2**63 - 1), st.sampled_from(["parcel.stored", "parcel.picked_up", "x.y"]),
    PAYLOADS, CLOCKS)


def _as_sent(event: p.Event) -> p.Event:
    """What the server sees of an event: its hash as the 8-digit prefix."""
    return event.model_copy(update={"payload_hash": event.payload_hash[:8]})


@settings(max_examples=150, deadline=None)
@given(events=st.lists(EVENTS, max_size=12), sent=st.none() | CLOCKS)
def test_every_field_of_every_event_survives_the_round_trip(events: list[p.Event], sent) -> None:
    batch = bc.decode_batch(bc.encode_batch(events, sent))
    assert batch.events == [_as_sent(event) for event in events]
    assert batch.sent_clock == sent
    for original, decoded in zip(events, batch.events, strict=True):
        assert p.payload_hash(decoded.payload) == original.payload_hash  # canonical JSON intact


def test_hash_is_computed_when_the_event_has_none() -> None:
    event = make_event(1).model_copy(update={"payload_hash": None})
    [decoded] = bc.decode_batch(bc.encode_batch([event])).events
    assert decoded.payload_hash == p.payload_hash(event.payload)[:8]


def test_clock_chaos_and_odd_seqs_round_trip() -> None:
    """1970 boots, jumps of days back and forth, two boots, seqs out of order and repeated:
    differences may be negative or zero, nothing is assumed monotonic."""
    clocks = [(0, False, "boot-1", 5), (86_400_000 * 40, True, "boot-1", 9), (3, False, "boot-2", 2),
              (1_800_000_000_000, True, "boot-1", 10**12), (1, False, "boot-2", 0)]
    events = [p.Event(event_id=uuid.uuid4(), seq=seq, type="parcel.stored", payload=stored_payload(f"P{i}"),
                      clock=p.Clock(wall_ms=w, clock_synced=s, boot_id=b, mono_ms=m))
              for i, (seq, (w, s, b, m)) in enumerate(zip([7, 3, 3, 2**62, 1], clocks, strict=True))]
    decoded = bc.decode_batch(bc.encode_batch(events)).events
    assert [(e.seq, e.clock) for e in decoded] == [(e.seq, e.clock) for e in events]


def realistic_batch(count: int) -> list[p.Event]:
    """uuid parcel ids, S10 tracking numbers, real clock readings one minute apart."""
    events, wall, mono = [], 1_795_000_000_000, 3_600_000
    for seq in range(1, count + 1):
        wall, mono = wall + 60_000 + seq % 7, mono + 60_000 + seq % 7 + (seq % 3 == 0)
        payload = (stored_payload(str(uuid.uuid4())) | {"tracking_id": f"RR{100_000_000 + seq * 7919}SE"}
                   if seq % 4 else {"parcel_id": str(uuid.uuid4()), "compartment": "A3"})
        events.append(p.Event(event_id=uuid.uuid4(), seq=seq, type="parcel.stored" if seq % 4 else "parcel.picked_up",
                              payload=payload, payload_hash=p.payload_hash(payload),
                              clock=p.Clock(wall_ms=wall, clock_synced=True, boot_id=str(uuid.uuid4()) if seq == 1
                                            else events[0].clock.boot_id, mono_ms=mono)))
    return events


def test_a_full_batch_is_far_denser_than_format_1() -> None:
    """A size, not a timing: two uuids of entropy per event (~32 bytes) is the floor;
    bench/sync records the figure on the wire."""
    events = realistic_batch(p.MAX_BATCH_EVENTS)
    dense = len(bc.encode_batch(events)) / len(events)
    format_1 = len(zlib.compress(p.EventBatch(events=events).model_dump_json().encode(), 9)) / len(events)
    assert dense <= 55 and dense < format_1 / 1.8


def test_a_single_event_batch_is_small_too() -> None:
    """The preset dictionary holds the skeleton: an online kiosk sends one event at a time."""
    assert len(bc.encode_batch(realistic_batch(1))) < 180


def test_the_dictionary_is_frozen_for_format_2() -> None:
    """Editing it would make every deployed kiosk's batches unreadable: make a format 3."""
    assert bc.dictionary_digest() == "a40ad6fa927151f073fe1fd957a1a588b280ca9a3a6e393d8abec13cc01dd688"


def _document(events: list[p.Event]) -> dict:
    return bc.compact_document(events, None)


def _body(document: dict) -> bytes:
    return bc.compress(json.dumps(document).encode())


@pytest.mark.parametrize("change,problem", [
    (lambda d: d.update(seq=d["seq"][:-1]), "seq: 1 entries for 2 events"),
    (lambda d: d.update(ids=d["ids"][:-4]), "ids"),
    (lambda d: d.update(ids="!!" + d["ids"][2:]), "ids: not base64"),
    (lambda d: d.update(hashes=base64.b64encode(b"x" * 12).decode()), "hashes: 12 bytes for 2 events"),
    (lambda d: d["rows"][1].__setitem__(0, 5), "rows[1]: no kind index"),
    (lambda d: d["rows"][1].__setitem__(0, True), "rows[1]: no kind index"),
    (lambda d: d["rows"][0].pop(), "rows[0]: 2 values for 3 keys"),
    (lambda d: d["kinds"][0][1].__setitem__(1, d["kinds"][0][1][0]), "a key twice"),
    (lambda d: d.update(boot=[0, 3]), "boot[1]: no boot 3"),
    (lambda d: d.update(synced="1x"), "synced"),
    (lambda d: d.update(v=3), "v"),
    (lambda d: d.update(seq=[0, 1]), "seq"),
    (lambda d: d.update(wall=[-5, 0]), "wall_ms"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_columns_that_do_not_make_a_batch_are_refused(change, problem: str) -> None:
    document = _document([make_event(1), make_event(2)])
    change(document)
    with pytest.raises(bc.BatchContentError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        bc.decode_batch(_body(document))


def test_more_events_than_a_batch_may_hold_is_too_large_not_malformed() -> None:
    """TooLarge is answered 413 (send smaller), a content error 422 (do not resend)."""
    document = _document([make_event(1), make_event(2)])
    document["n"] = p.MAX_BATCH_EVENTS + 1
    with pytest.raises(bc.TooLarge, match="at most 500 events"):
        bc.decode_batch(_body(document))


def _other_dictionary(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zdict=b"a dictionary of some format 3")
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("body,error", [
    (b"", bc.BatchFormatError),
    (b"not zlib", bc.BatchFormatError),
    (gzip.compress(b'{"v":2}'), bc.BatchFormatError),  # gzip, as format 1 is sent
    (_other_dictionary(b'{"v":2}'), bc.BatchFormatError),  # another format's dictionary
    (bc.encode_batch([make_event(1)])[:-5], bc.BatchFormatError),  # truncated
    (bc.compress(b" " * (p.MAX_BODY_BYTES + 1)), bc.TooLarge),
    (bc.compress(b'{"v": 2'), bc.BatchContentError),
], ids=["empty", "not-zlib", "gzip", "other-dictionary", "truncated", "too-large", "bad-json"])  # bodies carry
# timestamps and random ids: named ids keep the test ids the same in every pytest-xdist worker
def test_bodies_that_are_not_format_2_are_refused(body: bytes, error: type) -> None:
    with pytest.raises(error):
        bc.decode_batch(body)


def test_the_reply_lists_only_what_was_not_accepted_and_expands_back() -> None:
    events = [make_event(seq) for seq in (4, 5, 6)]
    now = datetime.now(UTC)
    statuses = [("accepted", None), ("rejected", "bad"), ("duplicate", None)]
    full = p.BatchResponse(results=[p.EventResult(event_id=e.event_id, seq=e.seq, status=s, reason=r)
                                    for e, (s, r) in zip(events, statuses, strict=True)],
                           acked_through=6, server_time=now)
    reply = bc.compact_reply(full)
    assert reply.others == [(1, "rejected", "bad"), (2, "duplicate", None)]
    assert bc.expand_reply(events, bc.BatchReplyV2.model_validate_json(reply.model_dump_json())) == full


@pytest.mark.parametrize("reply", [
    bc.BatchReplyV2(n=2, acked_through=5, server_time=datetime.now(UTC)),
    bc.BatchReplyV2(n=3, acked_through=5, server_time=datetime.now(UTC), others=[(3, "rejected", "x")]),
])
def test_a_reply_for_another_batch_is_refused(reply) -> None:
    with pytest.raises(ValueError):
        bc.expand_reply([make_event(seq) for seq in (1, 2, 3)], reply)
