"""The notifier against a strict loopback 46elks gateway and a real SMTP server: the pickup
message in the recipient's language with code, place, deadline and QR link; delivery reports;
retries with backoff; reminders; staff alarms; and the QR page itself."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from sync import protocol as p
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Notification
from sync.server.notify import messages
from sync.server.notify.notifier import MAX_ATTEMPTS
from sync.server.notify.settings import NotifySettings, SettingsError
from sync.server.parcels.page import qr_svg
from tests.sync.helpers import SP, SP_NAME
from tests.sync.parcel_helpers import (  # noqa: F401 - fixtures
    CODE,
    EMAIL,
    PHONE,
    Events,
    elks,
    notifier,
    settings,
    smtp,
    stored,
)

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]+)")


def store(kiosk, parcel_id: str = "P1", events: Events | None = None, **recipient) -> Events:
    """Push a parcel.stored (deadline 2030-03-09); returns the kiosk's event numbering."""
    recipient = recipient or {"phone": PHONE, "email": EMAIL, "language": "fi", "name": "Aino"}
    events = events or Events(kiosk_now=datetime.now(UTC))  # synchronised: its deadline is kept
    kiosk.client.push([events("parcel.stored", stored(parcel_id, recipient=recipient,
                                                      deadline="2030-03-09"))])
    return events


def notes(central) -> dict[tuple[str, str], Notification]:
    return {(n.kind, n.channel): n for n in central.rows(Notification)}


def test_stored_parcel_is_announced_by_sms_and_email_in_the_recipients_language(
        central, kiosk, notifier, elks, smtp):
    store(kiosk)

    summary = notifier.run_once()

    assert summary.sent == 2 and elks.violations == []
    (sms,) = elks.messages
    assert (sms.sender, sms.to) == ("Servicepkt", PHONE)
    assert sms.message.startswith("Pakettisi on noudettavissa: Korpilombolo Handel. Koodi: 482913.")
    assert "9.3.2030" in sms.message  # the Finnish date form
    host = central.url.removeprefix("http://")
    assert sms.whendelivered == f"http://46elks:{central.sms_report_secret}@{host}/v1/sms/delivery"
    (mail,) = smtp.mails
    assert smtp.envelopes == [("paket@servicepunkt.se", [EMAIL])]
    assert mail["Subject"] == f"Pakettisi on noudettavissa: {SP_NAME}"
    assert CODE in mail.get_content() and LINK.search(mail.get_content())
    assert {k: n.state for k, n in notes(central).items()} == {
        ("pickup_ready", "sms"): "sent", ("pickup_ready", "email"): "sent"}

    assert notifier.run_once().sent == 0  # nothing twice
    assert len(elks.messages) == 1 and len(smtp.mails) == 1


def test_delivery_report_marks_the_sms_delivered_or_failed(central, make_kiosk, notifier, elks):
    kiosk = make_kiosk()
    events = store(kiosk, "P1", phone=PHONE)
    store(kiosk, "P2", events, phone="+358401234567", language="en")
    notifier.run_once()
    first, second = elks.messages
    assert second.message.startswith("Your parcel is ready for pickup at")

    assert elks.report(first, "delivered").status_code == 200
    assert elks.report(second, "failed").status_code == 200

    states = {n.to_address: (n.state, n.delivered_at is not None) for n in central.rows(Notification)}
    assert states == {PHONE: ("delivered", True), "+358401234567": ("failed", False)}
    unknown = elks.report(replace(first, id="sNOPE"), "delivered")
    assert unknown.status_code == 404
    garbage = elks.report(first, "maybe")
    assert garbage.status_code == 422


def test_forged_delivery_reports_are_refused_and_change_nothing(central, kiosk, notifier, elks):
    store(kiosk, phone=PHONE)
    notifier.run_once()
    (sms,) = elks.messages
    url = f"{central.url}/v1/sms/delivery"
    form = {"id": sms.id, "status": "failed"}

    no_credentials = requests.post(url, data=form, timeout=10)
    wrong_secret = requests.post(url, data=form, auth=("46elks", "guessed"), timeout=10)
    wrong_user = requests.post(url, data=form, auth=("admin", central.sms_report_secret), timeout=10)
    garbled = requests.post(url, data=form, headers={"Authorization": "Basic !!"}, timeout=10)

    assert [r.status_code for r in (no_credentials, wrong_secret, wrong_user, garbled)] == [401] * 4
    assert no_credentials.json()["error"] == "invalid_credentials"
    assert [n.state for n in central.rows(Notification)] == ["sent"]


def test_reports_only_move_forward_and_replays_change_nothing(central, make_kiosk, notifier, elks):
    kiosk = make_kiosk()
    events = store(kiosk, "P1", phone=PHONE)
    store(kiosk, "P2", events, phone="+358401234567", language="en")
    notifier.run_once()
    delivered, failed = elks.messages
    assert elks.report(delivered, "sent").json() == {"status": "unchanged"}  # 46elks' first report
    assert elks.report(delivered, "delivered").json() == {"status": "ok"}
    first_delivered_at = {n.to_address: n.delivered_at for n in central.rows(Notification)}[PHONE]
    assert elks.report(failed, "failed").json() == {"status": "ok"}
    central.clock.advance(minutes=5)

    replies = [elks.report(delivered, "failed"), elks.report(delivered, "delivered"),
               elks.report(failed, "delivered"), elks.report(failed, "sent")]

    assert [(r.status_code, r.json()["status"]) for r in replies] == [(200, "unchanged")] * 4
    states = {n.to_address: (n.state, n.delivered_at) for n in central.rows(Notification)}
    assert states == {PHONE: ("delivered", first_delivered_at), "+358401234567": ("failed", None)}


def test_delivery_reports_are_rate_limited_per_client_after_wrong_secrets(central, kiosk, notifier, elks):
    from sync.server.kiosks.ratelimit import GUESS_LIMIT

    store(kiosk, phone=PHONE)
    notifier.run_once()
    (sms,) = elks.messages
    url = f"{central.url}/v1/sms/delivery"
    for _ in range(GUESS_LIMIT):
        assert requests.post(url, data={"id": sms.id, "status": "failed"}, auth=("46elks", "x"),
                             timeout=10).status_code == 401

    limited = elks.report(sms, "delivered")  # even the right secret waits now

    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"] == "rate_limited"
    central.clock.advance(minutes=11)
    assert elks.report(sms, "delivered").json() == {"status": "ok"}


def test_gateway_failures_are_retried_with_backoff(central, kiosk, notifier, elks):
    store(kiosk, phone=PHONE)
    elks.fail_next = [503, 503]

    assert notifier.run_once().retrying == 1
    note = notes(central)[("pickup_ready", "sms")]
    assert (note.state, note.attempts) == ("queued", 1) and "503" in note.last_error
    assert note.next_attempt_at == central.clock() + timedelta(minutes=1)
    assert notifier.run_once().retrying == 0  # not due yet: no request at all
    assert elks.fail_next == [503]

    central.clock.advance(minutes=1)
    assert notifier.run_once().retrying == 1
    assert notes(central)[("pickup_ready", "sms")].next_attempt_at == central.clock() + timedelta(minutes=2)
    central.clock.advance(minutes=2)
    assert notifier.run_once().sent == 1
    note = notes(central)[("pickup_ready", "sms")]
    assert (note.state, note.attempts, note.last_error) == ("sent", 3, None)
    assert len(elks.messages) == 1 and elks.violations == []


def test_a_refused_number_fails_at_once_and_an_unreachable_gateway_gives_up_after_max(
        central, make_kiosk, settings, elks):
    from sync.server.notify.notifier import Notifier

    kiosk = make_kiosk()
    events = store(kiosk, "P1", phone=PHONE)
    elks.fail_next = [400]
    notifier = Notifier(central.sessions, settings, central.clock)
    assert notifier.run_once().failed == 1
    assert notes(central)[("pickup_ready", "sms")].state == "failed"

    store(kiosk, "P2", events, phone=PHONE)
    dead = Notifier(central.sessions, NotifySettings(public_url=central.url, sms_url="http://127.0.0.1:9",
                                                     sms_user="u", sms_password="p", quiet_hours=None),
                    central.clock)
    for _ in range(MAX_ATTEMPTS):
        dead.run_once()
        central.clock.advance(hours=1)
    note = [n for n in central.rows(Notification) if n.parcel_id == "P2"][0]
    assert (note.state, note.attempts) == ("failed", MAX_ATTEMPTS) and "unreachable" in note.last_error


def test_unconfigured_channels_leave_messages_queued(central, kiosk):
    from sync.server.notify.notifier import Notifier

    store(kiosk)
    summary = Notifier(central.sessions, NotifySettings(public_url=central.url), central.clock).run_once()
    assert summary.sent == summary.retrying == summary.failed == 0
    assert {n.state for n in central.rows(Notification)} == {"queued"}
    assert {n.attempts for n in central.rows(Notification)} == {0}


def test_reminder_on_the_reminder_day_once_and_not_after_pickup(central, make_kiosk, notifier, elks):
    kiosk = make_kiosk()
    events = Events()
    deadline = (central.clock() + timedelta(days=7)).date().isoformat()
    kiosk.client.push([
        events("parcel.stored", stored("P1", recipient={"phone": PHONE}, deadline=deadline)),
        events("parcel.stored", stored("P2", recipient={"phone": "+46702222222", "language": "se"},
                                       deadline=deadline)),
    ])
    notifier.run_once()
    kiosk.client.push([events("parcel.picked_up", {"parcel_id": "P1"})])

    central.clock.advance(days=4, hours=23)
    assert notifier.run_once().reminders == 0
    central.clock.advance(hours=1)
    summary = notifier.run_once()
    assert (summary.reminders, summary.sent) == (1, 1)
    reminder = elks.messages[-1]
    assert reminder.to == "+46702222222" and reminder.message.startswith("Muittuhus: du páhkka vuordá")
    central.clock.advance(days=1)
    assert notifier.run_once().reminders == 0
    assert len(elks.messages) == 3 and elks.violations == []


def test_a_parcel_picked_up_before_the_notifier_ran_gets_no_message(central, kiosk, notifier, elks):
    events = Events()
    kiosk.client.push([events("parcel.stored", stored("P1", recipient={"phone": PHONE})),
                       events("parcel.picked_up", {"parcel_id": "P1"})])
    assert notifier.run_once().sent == 0 and elks.messages == []


def test_door_left_open_alerts_the_staff_contact(central, kiosk, notifier, elks, smtp):
    with central.sessions.begin() as session:
        point = session.get_one(ServicePoint, SP)
        point.staff_phone, point.staff_email = "+46709876543", "butik@example.se"
    kiosk.client.push([Events()("door.left_open", {"compartment": "B3", "open_for_s": 240})])
    assert notifier.run_once().sent == 2
    (sms,) = elks.messages
    assert sms.to == "+46709876543" and "fack B3" in sms.message and "4 min" in sms.message
    assert smtp.mails[0]["Subject"] == f"Larm: fack B3 står öppet ({SP_NAME})"


def test_the_link_shows_the_code_as_a_qr_and_text_until_the_parcel_is_done(central, kiosk, notifier, elks):
    events = store(kiosk, phone=PHONE, language="sv")
    notifier.run_once()
    link = LINK.search(elks.messages[0].message).group(1)

    page = requests.get(link, timeout=10)

    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert qr_svg(p.QR_PICKUP_PREFIX + CODE) in page.text  # the QR the kiosk's scanner reads
    assert f">{CODE}<" in page.text and "Hämta senast 2030-03-09" in page.text
    assert requests.get(central.url + "/p/not-a-token", timeout=10).status_code == 404
    kiosk.client.push([events("parcel.picked_up", {"parcel_id": "P1"})])
    gone = requests.get(link, timeout=10)
    assert gone.status_code == 410 and CODE not in gone.text


def test_every_language_has_every_text_and_the_drafts_are_marked():
    assert set(messages.TEXTS) == set(messages.LANGUAGES) == set(p.LanguageCode.__args__)
    assert {"fi", "fit", "se", "smj"} == messages.MACHINE_DRAFTED
    seen = set()
    for language in messages.LANGUAGES:
        for kind in ("pickup_ready", "reminder"):
            message = messages.parcel_message(kind, language, place="Byn", code="123456",
                                              deadline=date(2030, 1, 2),
                                              link="https://x/p/t")
            assert "123456" in message.text and "Byn" in message.text and "https://x/p/t" in message.text
            seen.add(message.text)
    assert len(seen) == 12
    assert set(messages.DUTY_ALERT) == set(messages.LANGUAGES)
    alerts = {messages.duty_alert(language, service="Tjänsten", place="Byn", link="https://meet/r")
              for language in messages.LANGUAGES}
    assert len(alerts) == 6
    assert all("Tjänsten" in a.text and "Byn" in a.text and a.text.endswith(" https://meet/r")
               and "Tjänsten" in a.subject for a in alerts)


@pytest.mark.parametrize("env, problem", [
    ({"KIOSK_CENTRAL_SMS_FROM": "Servicepunkten"}, "SMS_FROM"),
    ({"KIOSK_CENTRAL_PUBLIC_URL": "central.example"}, "PUBLIC_URL"),
    ({"KIOSK_CENTRAL_SMTP_PORT": "twenty-five"}, "SMTP_PORT"),
])
def test_bad_settings_are_refused_with_the_variable_named(env, problem):
    with pytest.raises(SettingsError, match=problem):
        NotifySettings.from_env(env)


def test_settings_from_env():
    settings = NotifySettings.from_env({
        "KIOSK_CENTRAL_SMS_USER": "u1", "KIOSK_CENTRAL_SMS_PASSWORD": "pw",
        "KIOSK_CENTRAL_SMTP_HOST": "mail.local", "KIOSK_CENTRAL_SMTP_PORT": "2525",
        "KIOSK_CENTRAL_PUBLIC_URL": "https://central.example/"})
    assert settings.sms_enabled and settings.email_enabled and settings.smtp_port == 2525
    assert settings.page_link("abc") == "https://central.example/p/abc"
    assert settings.sms_url == "https://api.46elks.com"
    assert not NotifySettings.from_env({}).sms_enabled
    derived = settings.report_secret
    assert derived and len(derived) == 32 and "pw" not in derived  # never the API password
    assert settings.delivery_report_url == f"https://46elks:{derived}@central.example/v1/sms/delivery"
    explicit = NotifySettings.from_env({"KIOSK_CENTRAL_SMS_REPORT_SECRET": "a/b@c"})
    assert explicit.delivery_report_url == "http://46elks:a%2Fb%40c@127.0.0.1:8400/v1/sms/delivery"


def test_the_app_runs_the_notifier_in_the_background(central, kiosk, settings, elks):
    """What `kiosk-central serve` does: the notifier thread lives as long as the app."""
    from sync.server.api.app import create_app
    from tests.sync.helpers import LiveServer, wait_until

    app = create_app(central.database_url, clock=central.clock, notify=replace(settings, interval_s=0.1))
    server = LiveServer(app).start()
    try:
        store(kiosk, phone=PHONE)
        wait_until(lambda: elks.messages, "the background notifier to send the SMS")
        wait_until(lambda: notes(central)[("pickup_ready", "sms")].state == "sent", "state sent")
    finally:
        server.stop()
    assert len(elks.messages) == 1 and elks.violations == []


def test_serve_refuses_bad_notifier_settings_before_starting(tmp_path):
    from click.testing import CliRunner

    from sync.server.cli.main import main

    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path / 'c.db'}", "serve"],
                                env={"KIOSK_CENTRAL_SMS_FROM": "Servicepunkten"})
    assert result.exit_code != 0 and "KIOSK_CENTRAL_SMS_FROM" in result.output
    assert not (tmp_path / "c.db").exists()  # refused before migrating anything


def test_three_notifiers_scheduling_reminders_at_once_each_complete_their_round(
        central, make_kiosk, settings, elks):
    """Three server processes' notifiers on one database: every round completes and each
    reminder exists once. On PostgreSQL the three rounds are held at their first insert into
    notifications until all three got there, so each one has seen "no reminder yet"."""
    import threading

    from sqlalchemy import event

    from sync.server.notify.notifier import Notifier

    kiosk = make_kiosk()
    events = Events()
    deadline = (central.clock() + timedelta(days=7)).date().isoformat()
    kiosk.client.push([events("parcel.stored", stored(f"P{n}", recipient={"phone": PHONE, "email": EMAIL},
                                                      deadline=deadline)) for n in range(3)])
    central.clock.advance(days=5)
    rounds = [Notifier(central.sessions, replace(settings, sms_user=None, smtp_host=None), central.clock)
              for _ in range(3)]
    barrier = threading.Barrier(3, timeout=10)
    postgres = central.engine.dialect.name == "postgresql"
    first_insert: set[int] = set()

    def hold_first_insert(_conn, _cursor, statement, *_args) -> None:
        me = threading.get_ident()
        if postgres and statement.startswith("INSERT INTO notifications") and me not in first_insert:
            first_insert.add(me)
            barrier.wait()

    summaries, failures = [], []

    def run(notifier: Notifier) -> None:
        try:
            summaries.append(notifier.run_once())
        except Exception as exc:  # noqa: BLE001 - the test reports it
            failures.append(exc)

    event.listen(central.engine, "before_cursor_execute", hold_first_insert)
    try:
        threads = [threading.Thread(target=run, args=(notifier,)) for notifier in rounds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(central.engine, "before_cursor_execute", hold_first_insert)

    assert failures == [] and len(summaries) == 3
    reminders = [n.dedupe_key for n in central.rows(Notification) if n.kind == "reminder"]
    assert sorted(reminders) == sorted(f"parcel:P{n}:reminder:{channel}"
                                       for n in range(3) for channel in ("sms", "email"))
    assert sum(summary.reminders for summary in summaries) == 6
