"""The pull feed: scoped to the kiosk's service point, paged by an opaque cursor, and on
PostgreSQL never skipping a row that commits out of order."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from sync import protocol as p
from sync.client import MustRefetch, RequestRejected
from sync.server.kiosks.feed import Cursor, append_change, decode_cursor, encode_cursor
from tests.sync.helpers import OTHER_SP, SP


def pull_all(client, scope: str = "staff", cursor: str = "", limit: int = 500) -> tuple[list[p.Change], str]:
    changes: list[p.Change] = []
    while True:
        page = client.pull(scope, cursor, limit=limit)
        changes += page.changes
        cursor = page.next_cursor
        if not page.has_more:
            return changes, cursor


def test_a_kiosk_sees_only_its_own_service_points_staff(central, kiosk) -> None:
    central.add_service_point(OTHER_SP, "Pajala")
    central.add_staff("Anna", "04:A2:3B:11")
    central.add_staff("Pekka", "04:00:00:01", sp=OTHER_SP)
    changes, _ = pull_all(kiosk.client)
    assert [(c.entity, c.op, c.data["name"]) for c in changes] == [("staff_card", "upsert", "Anna")]
    data = p.StaffCardData.model_validate(changes[0].data)
    assert data.uid_sha256 == p.card_uid_sha256("04a23b11")  # the raw UID never travels


def test_pages_chain_by_cursor_without_gaps_or_repeats(central, kiosk) -> None:
    names = [f"Staff {i}" for i in range(7)]
    for i, name in enumerate(names):
        central.add_staff(name, f"0400000{i}")
    changes, cursor = pull_all(kiosk.client, limit=3)
    assert [c.data["name"] for c in changes] == names
    assert kiosk.client.pull("staff", cursor).changes == []  # re-pulling is a no-op
    central.add_staff("Late", "04000099")
    assert [c.data["name"] for c in kiosk.client.pull("staff", cursor).changes] == ["Late"]


def test_an_unrecognised_cursor_means_must_refetch(central, kiosk) -> None:
    with pytest.raises(MustRefetch) as refused:
        kiosk.client.pull("staff", "not-a-cursor")
    assert refused.value.status == 409


def test_an_unknown_scope_is_refused(central, kiosk) -> None:
    with pytest.raises(RequestRejected) as refused:
        kiosk.client.pull("secrets", "")
    assert (refused.value.status, refused.value.error) == (400, "unknown_scope")


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(Cursor(12, 345))) == Cursor(12, 345)
    assert decode_cursor("") == Cursor()
    for bad in ("%%%", encode_cursor(Cursor(1, 2))[:-2] + "zz", "MjowOjE"):  # "2:0:1": other version
        with pytest.raises(ValueError):
            decode_cursor(bad)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_rows_committed_out_of_order_are_not_skipped(central, kiosk) -> None:
    """Writer A takes its transaction id first, writer B then takes the LOWER server_seq and
    commits last. Ordered by server_seq (with or without the xmin filter) the cursor would
    pass B's row while B is still open, and never deliver it."""
    now = datetime.now(UTC)
    staff = dict(scope="staff", service_point_id=SP, entity="staff_card", version=1,
                 op="upsert", now=now)
    a, b = central.sessions(), central.sessions()
    try:
        a.execute(text("SELECT pg_current_xact_id()"))  # A's xid < B's xid
        b.execute(text("SELECT pg_current_xact_id()"))
        seq_b = append_change(b, entity_id="from-b", data={"name": "B"}, **staff).server_seq
        seq_a = append_change(a, entity_id="from-a", data={"name": "A"}, **staff).server_seq
        assert seq_b < seq_a
        a.commit()
        first, cursor = pull_all(kiosk.client)
        b.commit()
        rest, _ = pull_all(kiosk.client, cursor=cursor)
    finally:
        a.close()
        b.close()
    assert [c.entity_id for c in first] == ["from-a"]
    assert [c.entity_id for c in rest] == ["from-b"]
