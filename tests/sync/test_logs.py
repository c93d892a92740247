"""No personal data in the server's log (sync/server/logs.py and the call sites), and the log
format journald reads priorities from."""
from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text

from sync.server.db.parcels import Notification
from sync.server.logs import PersonalDataFilter, log_handler, mask_personal_data
from tests.sync.parcel_helpers import (  # noqa: F401 - fixtures
    EMAIL,
    PHONE,
    Events,
    add_carrier,
    elks,
    notifier,
    post_pre_advice,
    pre_advice_body,
    settings,
    smtp,
    stored,
)

# The insert of a pre-advice fails as a full disk would: a DBAPIError with the recipient's
# number, address and name in its parameters.
FAILING_INSERT = {
    "sqlite": "CREATE TRIGGER fail_insert BEFORE INSERT ON pre_advices "
              "BEGIN SELECT * FROM table_on_a_full_disk; END",
    "postgresql": "CREATE OR REPLACE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS "
                  "$$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$; "
                  "CREATE TRIGGER fail_insert BEFORE INSERT ON pre_advices "
                  "FOR EACH ROW EXECUTE FUNCTION disk_full()",
}


def server_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the server logged, message and traceback; not the fake gateways' own logs."""
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return "\n".join(formatter.format(entry) for entry in caplog.records
                     if entry.name.split(".")[0] in ("sync", "uvicorn", "sqlalchemy"))


def test_a_failing_pre_advice_logs_no_phone_number_or_address(central, caplog) -> None:
    """A database error's text carried the statement's parameters: the recipient's number,
    address and name went into the log line of every failed pre-advice."""
    key = add_carrier(central)
    with central.engine.begin() as connection:
        connection.execute(text(FAILING_INSERT[central.engine.dialect.name]))
    try:
        with caplog.at_level(logging.DEBUG):
            reply = post_pre_advice(central, key, pre_advice_body())
    finally:
        with central.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER fail_insert ON pre_advices"
                                    if central.engine.dialect.name == "postgresql" else
                                    "DROP TRIGGER fail_insert"))

    assert reply.status_code == 503 and reply.json()["error"] == "database_unavailable"
    logged = server_log(caplog)
    assert "ERROR sync.server.api.error_handlers: database error: OperationalError" in logged
    assert "in INSERT INTO pre_advices" in logged
    assert PHONE not in logged and EMAIL not in logged and "Anna Niemi" not in logged


def test_a_refused_email_logs_no_address(central, kiosk, notifier, smtp, caplog) -> None:
    smtp.refused.add(EMAIL)
    kiosk.client.push([Events()("parcel.stored", stored("P1", recipient={"email": EMAIL}))])

    with caplog.at_level(logging.DEBUG):
        assert notifier.run_once().failed == 1

    (note,) = central.rows(Notification)
    assert note.state == "failed" and "550" in note.last_error and EMAIL not in note.last_error
    assert "failed for good" in server_log(caplog) and EMAIL not in server_log(caplog)


def test_a_refused_number_leaves_the_gateways_quote_of_it_out_of_the_log(
        central, kiosk, notifier, elks, caplog) -> None:
    kiosk.client.push([Events()("parcel.stored", stored("P1", recipient={"phone": PHONE}))])
    elks.fail_next = [400]
    elks.fail_body = f"Invalid to number {PHONE}"

    with caplog.at_level(logging.DEBUG):
        assert notifier.run_once().failed == 1

    assert "failed for good" in server_log(caplog) and PHONE not in server_log(caplog)


@pytest.mark.parametrize("raw, masked", [
    ("sent to +46701234567 at 12:00", "sent to <phone> at 12:00"),
    ("call 070-123 45 67 now", "call <phone> now"),
    ("+358 40 1234567", "<phone>"),
    ("from anna.niemi+paket@example.se:", "from <email>:"),
    ("Key (recipient_phone)=(+46701234567) exists", "Key (recipient_phone)=(<phone>) exists"),
    # what must stay readable: dates, times, ids, tracking ids, ports, counts
    ("retry at 2026-12-07 23:18:18.123+00:00", "retry at 2026-12-07 23:18:18.123+00:00"),
    ("event 5e0a8ebe-a237-4287-9d20-300ce5a54d22 seq 41", "event 5e0a8ebe-a237-4287-9d20-300ce5a54d22 seq 41"),
    ("pre-advice CP123456785SE on port 8400", "pre-advice CP123456785SE on port 8400"),
])
def test_masking_keeps_what_a_reader_needs(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked


def record(level: int, message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("sync.server.x", level, __file__, 1, message, args, exc_info)


def test_the_filter_masks_arguments_and_tracebacks() -> None:
    try:
        raise ValueError(f"relay refused {EMAIL}")
    except ValueError as exc:
        entry = record(logging.ERROR, "sending to %s failed", PHONE, exc=exc)
    assert PersonalDataFilter().filter(entry)
    assert entry.getMessage() == "sending to <phone> failed"
    assert "ValueError: relay refused <email>" in entry.exc_text and EMAIL not in entry.exc_text


def formatted(environ: dict[str, str], entry: logging.LogRecord) -> str:
    handler = log_handler(environ)
    handler.stream = io.StringIO()
    handler.handle(entry)
    return handler.stream.getvalue()


def test_under_journald_each_line_carries_its_priority_and_no_timestamp() -> None:
    journal = {"JOURNAL_STREAM": "8:12345"}
    assert formatted(journal, record(logging.WARNING, "pool exhausted")) == "<4>sync.server.x: pool exhausted\n"
    assert formatted(journal, record(logging.ERROR, "to %s", PHONE)) == "<3>sync.server.x: to <phone>\n"
    assert formatted(journal, record(logging.INFO, "up")).startswith("<6>")
    assert formatted(journal, record(logging.DEBUG, "x")).startswith("<7>")
    try:
        raise ValueError("boom")
    except ValueError as exc:
        lines = formatted(journal, record(logging.ERROR, "round failed", exc=exc)).splitlines()
    assert len(lines) > 2 and all(line.startswith("<3>") for line in lines)  # the traceback too
    assert lines[-1] == "<3>ValueError: boom"


def test_elsewhere_the_line_has_time_and_level() -> None:
    line = formatted({}, record(logging.WARNING, "pool exhausted"))
    assert line.endswith(" WARNING sync.server.x: pool exhausted\n") and line[:4].isdigit()


def test_the_cli_routes_uvicorns_loggers_through_the_masking_handler() -> None:
    from sync.server.logs import setup_logging

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        handler = setup_logging("info", {"JOURNAL_STREAM": "8:1"})
        assert root.handlers == [handler]
        assert all(logging.getLogger(name).propagate and not logging.getLogger(name).handlers
                   for name in ("uvicorn", "uvicorn.error", "uvicorn.access"))
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)

