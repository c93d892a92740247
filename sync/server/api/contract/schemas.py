"""Reply and form models of the HTTP API that are not part of the kiosks' wire format
(sync/protocol.py): health, the carriers' SMS delivery reports, the admin API's views.

They describe what the handlers return (parcels/query.py, directory/services.py build the
dicts); FastAPI validates every reply against them, so a drift fails loudly in the tests.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(Reply):
    status: Literal["ok"]
    server_time: str  # ISO 8601, UTC


class Ok(Reply):
    status: Literal["ok"]


class ReportApplied(Reply):
    """The answer to a delivery report: `ok` if it moved the message on, `unchanged` if the
    message was there already (46elks' "sent", a replay, a late report after a final state)."""

    status: Literal["ok", "unchanged"]


class SmsDeliveryReport(BaseModel):
    """The form 46elks posts to the whendelivered URL (application/x-www-form-urlencoded)."""

    id: str
    status: Literal["sent", "delivered", "failed"]
    delivered: str | None = None  # when, as 46elks writes it


class ParcelRow(Reply):
    parcel_id: str
    tracking_id: str
    service_point: str
    carrier: str | None
    state: str  # stored | held | picked_up | returned
    compartment: str | None
    size_class: str | None
    stored_at: str | None
    deadline: str | None
    done_at: str | None
    picked_up_via: str | None
    purged_at: str | None
    language: str


class ParcelListRow(ParcelRow):
    notifications: str  # "pickup/sms:delivered reminder/email:sent", "-" for none


class ParcelList(Reply):
    parcels: list[ParcelListRow]


class OverdueList(Reply):
    parcels: list[ParcelRow]


class RecipientView(Reply):
    name: str | None
    phone: str | None
    email: str | None


class Transition(Reply):
    state: str
    at: str | None
    event_id: str


class NotificationView(Reply):
    kind: str
    channel: str
    to: str | None
    state: str
    attempts: int
    last_error: str | None
    sent_at: str | None
    delivered_at: str | None
    next_attempt_at: str | None


class CarrierReport(Reply):
    event_id: str
    state: str
    attempts: int
    delivered_at: str | None
    payload: str


class ParcelDetail(ParcelRow):
    recipient: RecipientView
    history: list[Transition]
    notifications: list[NotificationView]
    carrier_reports: list[CarrierReport]


class DirectoryEntryView(BaseModel):
    """A video service or e-service as the coordinator wrote it, plus where it is shown."""

    model_config = ConfigDict(extra="allow")
    id: str
    service_points: list[str]
    version: int


class EntryVersion(Reply):
    id: str
    version: int


class Appointment(Reply):
    id: str
    service_point_id: str
    service_id: str
    room_url: str
    starts_at: str
    ends_at: str


class BookedAppointment(Appointment):
    code: str  # shown once; only its hash is stored


class Removed(Reply):
    removed: int
