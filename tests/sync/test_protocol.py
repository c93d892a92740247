"""The parts of the wire format both ends must compute identically."""
from __future__ import annotations

import math

import pytest

from sync import protocol as p


def test_canonical_json_is_one_spelling_per_payload() -> None:
    a = {"b": 1, "a": "Pajala å ä ö", "c": [1, 2]}
    b = {"c": [1, 2], "a": "Pajala å ä ö", "b": 1}
    assert p.canonical_json(a) == p.canonical_json(b) == '{"a":"Pajala å ä ö","b":1,"c":[1,2]}'
    assert p.payload_hash(a) == p.payload_hash(b)
    assert p.payload_hash(a) != p.payload_hash({**a, "b": 2})


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        p.canonical_json({"x": math.nan})


@pytest.mark.parametrize("text,expected", [
    ("04:a2:3b:11", "04A23B11"),
    ("04 A2 3B 11 22 33 44", "04A23B11223344"),
    ("04-a2-3b-11-22", "04A23B1122"),
])
def test_card_uids_are_normalised_before_hashing(text: str, expected: str) -> None:
    assert p.normalise_card_uid(text) == expected
    assert p.card_uid_sha256(text) == p.card_uid_sha256(expected)


@pytest.mark.parametrize("text", ["", "04A2", "04A23", "ZZ112233", "00" * 11])
def test_bad_card_uids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        p.normalise_card_uid(text)


@pytest.mark.parametrize("type_,payload,problem", [
    ("parcel.stored", {"parcel_id": "P1", "tracking_id": "T", "compartment": "A1"}, None),
    ("parcel.picked_up", {"parcel_id": "P1"}, None),
    ("parcel.picked_up", {"parcel_id": "P1", "compartment": "A1"}, None),
    ("parcel.teleported", {"parcel_id": "P1"}, "unknown event type"),
    ("parcel.stored", {"parcel_id": "P1", "tracking_id": "T"}, None),  # held at the counter
    ("parcel.stored", {"parcel_id": "P1", "tracking_id": "T", "pickup_code": "12"}, "pickup_code"),
    ("parcel.stored", {"parcel_id": "P1", "tracking_id": "T",
                       "recipient": {"phone": "070-123 45 67"}}, "recipient.phone"),
    ("parcel.stored", {"parcel_id": 7, "tracking_id": "T", "compartment": "A1"}, "parcel_id"),
    ("parcel.picked_up", {"parcel_id": "P1", "colour": "red"}, "colour"),
])
def test_payloads_are_validated_strictly(type_: str, payload: dict, problem: str | None) -> None:
    found = p.payload_problem(type_, payload)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
