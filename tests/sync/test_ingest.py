"""Idempotent ingest: every fault of the push path that one HTTP request can show."""
from __future__ import annotations

import gzip
import json
import threading

import pytest
import requests

from sync import batchcodec
from sync import protocol as p
from sync.client import load_device_key
from sync.errors import SeqRewound
from sync.server.db.kiosks import DeviceAlert, EventConflict, EventRow
from sync.server.db.parcels import Parcel
from tests.sync.helpers import make_event, signed_token, stored_payload


def test_same_batch_twice_has_one_effect_per_event(central, kiosk) -> None:
    batch = [make_event(seq) for seq in (1, 2, 3)]
    first = kiosk.client.push(batch)
    again = kiosk.client.push(batch)
    assert [r.status for r in first.results] == ["accepted"] * 3
    assert [r.status for r in again.results] == ["duplicate"] * 3
    assert first.acked_through == again.acked_through == 3
    assert central.count(EventRow) == 3 and central.count(Parcel) == 3


def test_pickup_after_store_changes_the_parcel_once(central, kiosk) -> None:
    stored = make_event(1, payload=stored_payload("P9"))
    picked = make_event(2, "parcel.picked_up", {"parcel_id": "P9", "compartment": "A1"})
    twice = make_event(3, "parcel.picked_up", {"parcel_id": "P9"})
    result = kiosk.client.push([stored, picked, twice])
    assert [r.status for r in result.results] == ["accepted", "accepted", "rejected"]
    assert "already picked up" in result.results[2].reason
    [parcel] = central.rows(Parcel)
    assert (parcel.state, parcel.picked_up_event_id) == ("picked_up", str(picked.event_id))


def test_same_event_id_with_other_payload_is_a_conflict_and_never_overwrites(central, kiosk) -> None:
    original = make_event(1, payload=stored_payload("P1"))
    kiosk.client.push([original])
    forged = make_event(1, payload=stored_payload("P-OTHER"), event_id=original.event_id)
    [result] = kiosk.client.push([forged]).results
    assert result.status == "conflict" and "other content" in result.reason
    [row] = central.rows(EventRow)
    assert row.payload == p.canonical_json(stored_payload("P1"))
    assert central.count(EventConflict) == 1 and central.count(Parcel) == 1


def test_a_reused_seq_is_a_rewind_refusing_the_whole_batch(central, kiosk) -> None:
    kiosk.client.push([make_event(1)])
    with pytest.raises(SeqRewound) as caught:
        kiosk.client.push([make_event(2), make_event(1, payload=stored_payload("P-NEW"))])
    assert caught.value.high_seq == 1
    assert central.count(EventRow) == 1 and central.count(Parcel) == 1  # event 2 rolled back
    [alert] = central.rows(DeviceAlert)
    assert alert.kind == "seq_rewind" and alert.device_id == kiosk.device_id


def test_two_events_on_one_seq_in_one_batch_are_a_conflict(central, kiosk) -> None:
    results = kiosk.client.push([make_event(1), make_event(1, payload=stored_payload("P-NEW"))]).results
    assert [r.status for r in results] == ["accepted", "conflict"]
    assert "seq 1 already holds" in results[1].reason
    assert central.count(EventRow) == 1 and central.count(Parcel) == 1


def test_invalid_events_are_rejected_without_blocking_the_others(central, kiosk) -> None:
    batch = [
        make_event(1, "parcel.teleported", {"parcel_id": "X"}),
        make_event(2, payload={"parcel_id": "P2"}),
        make_event(3, payload=stored_payload("P3"), payload_hash="0" * 64),
        make_event(4, payload=stored_payload("P4")),
        make_event(5, "parcel.picked_up", {"parcel_id": "NEVER-STORED"}),
    ]
    response = kiosk.client.push(batch)
    statuses = [r.status for r in response.results]
    assert statuses == ["rejected", "rejected", "rejected", "accepted", "rejected"]
    assert all(r.reason for r in response.results if r.status == "rejected")
    assert response.acked_through == 5
    assert [row.parcel_id for row in central.rows(Parcel)] == ["P4"]
    # Sent again, a rejected event stays rejected (not "duplicate", which would hide it).
    again = [r.status for r in kiosk.client.push(batch).results]
    assert again == ["rejected", "rejected", "rejected", "duplicate", "rejected"]


def nul_events() -> list[p.Event]:
    """Good events around events with a NUL in each text the server stores: a payload value,
    a payload key, the event type, the clock's boot id."""
    boot_nul = make_event(5, payload=stored_payload("P5"))
    boot_nul = boot_nul.model_copy(update={"clock": boot_nul.clock.model_copy(update={"boot_id": "b\x00"})})
    return [
        make_event(1, payload=stored_payload("P1")),
        make_event(2, payload={**stored_payload("P2"), "tracking_id": "CP\x00SE"}),
        make_event(3, payload={**stored_payload("P3"), "x\x00": 1}),
        make_event(4, "parcel.st\x00red", stored_payload("P4")),
        boot_nul,
        make_event(6, payload=stored_payload("P6")),
    ]


def test_a_nul_character_rejects_its_event_alone(central, kiosk) -> None:
    """PostgreSQL cannot store U+0000 in text: such an event was a 503 for its whole batch,
    which the kiosk resent forever. Now it is rejected alone, as any invalid event."""
    batch = nul_events()

    response = kiosk.client.push(batch)

    assert [r.status for r in response.results] == ["accepted"] + ["rejected"] * 4 + ["accepted"]
    assert {r.reason for r in response.results[1:5]} == {"text holds a NUL character (U+0000), "
                                                          "which the server cannot store"}
    assert response.acked_through == 6
    assert sorted(row.parcel_id for row in central.rows(Parcel)) == ["P1", "P6"]
    again = [r.status for r in kiosk.client.push(batch).results]
    assert again == ["duplicate"] + ["rejected"] * 4 + ["duplicate"]


def test_an_event_the_database_refuses_unforeseen_is_rejected_alone(central, kiosk, monkeypatch) -> None:
    """No single event can block a queue, even one no check foresaw (here: the NUL check
    switched off, so PostgreSQL itself refuses the text)."""
    from sync.server.kiosks import ingest

    if central.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores any text; the database refuses nothing here")
    monkeypatch.setattr(ingest, "_has_nul", lambda _value: False)
    batch = [make_event(1, payload=stored_payload("P1")),
             make_event(2, payload={**stored_payload("P2"), "tracking_id": "CP\x00SE"}),
             make_event(3, payload=stored_payload("P3"))]

    response = kiosk.client.push(batch)

    assert [r.status for r in response.results] == ["accepted", "rejected", "accepted"]
    assert response.results[1].reason == "the server's database cannot store this event's data"
    assert sorted(row.parcel_id for row in central.rows(Parcel)) == ["P1", "P3"]
    assert [r.status for r in kiosk.client.push(batch).results] == ["duplicate", "rejected", "duplicate"]


def test_concurrent_identical_batches_apply_each_event_once(central, make_kiosk) -> None:
    kiosk = make_kiosk()
    token = signed_token(central.url, kiosk.device_id, load_device_key(kiosk.key_path)).json()["token"]
    batch = p.EventBatch(events=[make_event(seq) for seq in range(1, 21)])
    body = gzip.compress(batch.model_dump_json().encode())
    headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip",
               "Content-Type": "application/json"}
    url = f"{central.url}/v1/devices/{kiosk.device_id}/events:batch"
    start, answers = threading.Barrier(6), []

    def post() -> None:
        start.wait()
        answers.append(requests.post(url, data=body, headers=headers, timeout=30))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [200] * 6
    accepted = [r for a in answers for r in a.json()["results"] if r["status"] == "accepted"]
    assert len(accepted) == 20 and len({r["seq"] for r in accepted}) == 20
    assert all(r["status"] in ("accepted", "duplicate") for a in answers for r in a.json()["results"])
    assert central.count(EventRow) == 20 and central.count(Parcel) == 20


@pytest.fixture
def raw_post(central, kiosk):
    """POST raw bytes to the kiosk's batch endpoint with a valid token."""
    token = signed_token(central.url, kiosk.device_id, load_device_key(kiosk.key_path)).json()["token"]
    url = f"{central.url}/v1/devices/{kiosk.device_id}/events:batch"

    def post(body: bytes, **headers: str) -> requests.Response:
        return requests.post(url, data=body, timeout=10,
                             headers={"Authorization": f"Bearer {token}", **headers})

    return post


def test_format_1_batches_are_still_read_with_the_same_verdicts(central, kiosk) -> None:
    """A kiosk that fell back to format 1 (gzip JSON) gets the same dedupe and rejections."""
    kiosk.client.push_format = 1
    batch = [make_event(1), make_event(2, payload=stored_payload("P2"), payload_hash="0" * 64)]
    assert [r.status for r in kiosk.client.push(batch).results] == ["accepted", "rejected"]
    kiosk.client.push_format = 2
    assert [r.status for r in kiosk.client.push(batch).results] == ["duplicate", "rejected"]
    assert central.count(EventRow) == 2 and central.count(Parcel) == 1


@pytest.mark.parametrize("content_type", [
    "application/vnd.servicepunkt.events; v=3",
    "application/vnd.servicepunkt.events",
    "text/plain",
])
def test_a_push_format_the_server_does_not_know_is_415_saying_which_it_reads(
    central, raw_post, content_type: str
) -> None:
    response = raw_post(batchcodec.encode_batch([make_event(1)]), **{"Content-Type": content_type})
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_batch_format"
    assert batchcodec.MEDIA_TYPE_V2 in response.json()["detail"]
    assert central.count(EventRow) == 0


def test_plain_json_bodies_are_accepted_too(central, raw_post) -> None:
    body = p.EventBatch(events=[make_event(1)]).model_dump_json().encode()
    response = raw_post(body, **{"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "accepted"


@pytest.mark.parametrize("body,headers,status,error", [
    (b'{"events": [', {}, 422, "invalid_batch"),
    (b'{"events": [{"seq": 1}]}', {}, 422, "invalid_batch"),
    (gzip.compress(b'{"events": []}')[:-6], {"Content-Encoding": "gzip"}, 400, "bad_gzip"),
    (b"not gzip at all", {"Content-Encoding": "gzip"}, 400, "bad_gzip"),
    (b'{"events": []}', {"Content-Encoding": "br"}, 415, "unsupported_encoding"),
    (gzip.compress(b" " * (p.MAX_BODY_BYTES + 10)), {"Content-Encoding": "gzip"}, 413, "too_large"),
    (batchcodec.encode_batch([make_event(1)])[:-4], {"Content-Type": batchcodec.MEDIA_TYPE_V2}, 400,
     "bad_batch_body"),
    (b"not zlib", {"Content-Type": batchcodec.MEDIA_TYPE_V2}, 400, "bad_batch_body"),
    (batchcodec.compress(b'{"v":2,"n":1}'), {"Content-Type": batchcodec.MEDIA_TYPE_V2}, 422, "invalid_batch"),
    (batchcodec.compress(b" " * (p.MAX_BODY_BYTES + 10)), {"Content-Type": batchcodec.MEDIA_TYPE_V2}, 413,
     "too_large"),
], ids=["json-cut-short", "json-missing-fields", "gzip-cut-short", "not-gzip", "brotli", "gzip-too-large",
        "v2-cut-short", "v2-not-zlib", "v2-invalid", "v2-too-large"])  # named: bodies carry timestamps
def test_malformed_bodies_get_a_clear_error_and_store_nothing(
    central, raw_post, body: bytes, headers: dict, status: int, error: str
) -> None:
    response = raw_post(body, **headers)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["detail"]
    assert central.count(EventRow) == 0


def test_a_batch_without_a_token_is_401_and_stores_nothing(central, kiosk) -> None:
    body = p.EventBatch(events=[make_event(1)]).model_dump_json().encode()
    response = requests.post(f"{central.url}/v1/devices/{kiosk.device_id}/events:batch",
                             data=body, timeout=10)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert central.count(EventRow) == 0


def test_more_than_500_events_in_one_batch_is_413_send_smaller(central, raw_post) -> None:
    """Too many events is the same signal as too many bytes (docs/protocol.md §9): 413, which
    the kiosk answers by halving its batch. It was 422, which a client must not retry."""
    events = [make_event(seq).model_dump(mode="json") for seq in range(1, p.MAX_BATCH_EVENTS + 2)]
    body = gzip.compress(json.dumps({"events": events}).encode())
    response = raw_post(body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert "at most 500" in response.json()["detail"]
    assert central.count(EventRow) == 0


def test_more_than_500_events_in_format_2_is_413_too(central, raw_post) -> None:
    events = [make_event(seq) for seq in range(1, p.MAX_BATCH_EVENTS + 2)]
    document = batchcodec.compact_document(events, None)
    body = batchcodec.compress(json.dumps(document).encode())
    response = raw_post(body, **{"Content-Type": batchcodec.MEDIA_TYPE_V2})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert central.count(EventRow) == 0
