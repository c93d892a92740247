"""Texts the server sends to recipients and staff, in the six kiosk languages.

Swedish and English are written by the team; the Finnish, Meänkieli (fit), Northern Sami (se)
and Lule Sami (smj) texts are MACHINE-DRAFTED and wait for review by a native speaker (as the
kiosk's own catalogs do). Placeholders: {place} service point name, {code} pickup code,
{deadline} last pickup day, {link} the page with the QR code.
Staff alarms are in Swedish: the shops' working language. On-duty alerts ("someone is
waiting in your video room") are in the language set with the on-duty contact: {service} the
video service's name, {place} the service point, {link} the room.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LANGUAGES = ("sv", "en", "fi", "fit", "se", "smj")
MACHINE_DRAFTED = frozenset({"fi", "fit", "se", "smj"})


@dataclass(frozen=True)
class Texts:
    ready_sms: str
    reminder_sms: str
    ready_subject: str
    reminder_subject: str
    page_title: str
    page_hint: str
    page_deadline: str
    page_gone: str


TEXTS: dict[str, Texts] = {
    "sv": Texts(
        ready_sms="Ditt paket kan hämtas hos {place}. Kod: {code}. Hämta senast {deadline}. QR-kod: {link}",
        reminder_sms="Påminnelse: ditt paket väntar hos {place}. Kod: {code}. Hämta senast {deadline}. QR-kod: {link}",
        ready_subject="Ditt paket kan hämtas hos {place}",
        reminder_subject="Påminnelse: ditt paket väntar hos {place}",
        page_title="Ditt paket hos {place}",
        page_hint="Håll QR-koden mot kioskens läsare, eller skriv in koden.",
        page_deadline="Hämta senast {deadline}.",
        page_gone="Det här paketet finns inte längre att hämta.",
    ),
    "en": Texts(
        ready_sms="Your parcel is ready for pickup at {place}. Code: {code}. Collect by {deadline}. QR code: {link}",
        reminder_sms=("Reminder: your parcel is waiting at {place}. "
                      "Code: {code}. Collect by {deadline}. QR code: {link}"),
        ready_subject="Your parcel is ready at {place}",
        reminder_subject="Reminder: your parcel is waiting at {place}",
        page_title="Your parcel at {place}",
        page_hint="Hold the QR code to the kiosk's reader, or type the code.",
        page_deadline="Collect by {deadline}.",
        page_gone="This parcel can no longer be collected here.",
    ),
    "fi": Texts(  # machine-drafted
        ready_sms="Pakettisi on noudettavissa: {place}. Koodi: {code}. Nouda viimeistään {deadline}. QR-koodi: {link}",
        reminder_sms=("Muistutus: pakettisi odottaa: {place}. Koodi: {code}. "
                      "Nouda viimeistään {deadline}. QR-koodi: {link}"),
        ready_subject="Pakettisi on noudettavissa: {place}",
        reminder_subject="Muistutus: pakettisi odottaa: {place}",
        page_title="Pakettisi: {place}",
        page_hint="Näytä QR-koodi kioskin lukijalle tai näppäile koodi.",
        page_deadline="Nouda viimeistään {deadline}.",
        page_gone="Tätä pakettia ei voi enää noutaa.",
    ),
    "fit": Texts(  # machine-drafted
        ready_sms="Sinun paketti oon haettavana: {place}. Koodi: {code}. Hae viimeistäin {deadline}. QR-koodi: {link}",
        reminder_sms=("Muistutus: sinun paketti oottaa: {place}. "
                      "Koodi: {code}. Hae viimeistäin {deadline}. QR-koodi: {link}"),
        ready_subject="Sinun paketti oon haettavana: {place}",
        reminder_subject="Muistutus: sinun paketti oottaa: {place}",
        page_title="Sinun paketti: {place}",
        page_hint="Näytä QR-koodi kioskin lukijale eli kirjoita koodi.",
        page_deadline="Hae viimeistäin {deadline}.",
        page_gone="Tätä pakettia ei saa enää hakea.",
    ),
    "se": Texts(  # machine-drafted
        ready_sms="Du páhkka lea viežžamis: {place}. Koda: {code}. Viečča maŋimustá {deadline}. QR-koda: {link}",
        reminder_sms="Muittuhus: du páhkka vuordá: {place}. Koda: {code}. Viečča maŋimustá {deadline}. QR-koda: {link}",
        ready_subject="Du páhkka lea viežžamis: {place}",
        reminder_subject="Muittuhus: du páhkka vuordá: {place}",
        page_title="Du páhkka: {place}",
        page_hint="Čájet QR-koda kioskka lohkkii, dahje čále koda.",
        page_deadline="Viečča maŋimustá {deadline}.",
        page_gone="Dán páhka ii sáhte šat viežžat.",
    ),
    "smj": Texts(  # machine-drafted
        ready_sms="Duv páhkka l viedtjamij: {place}. Kåvdå: {code}. Viedtja maŋemusát {deadline}. QR-kåvdå: {link}",
        reminder_sms=("Mujttádus: duv páhkka vuorddá: {place}. Kåvdå: {code}. "
                      "Viedtja maŋemusát {deadline}. QR-kåvdå: {link}"),
        ready_subject="Duv páhkka l viedtjamij: {place}",
        reminder_subject="Mujttádus: duv páhkka vuorddá: {place}",
        page_title="Duv páhkka: {place}",
        page_hint="Vuoseda QR-kåvdåv kiåskå låhkkåj, jali tjále kåvdåv.",
        page_deadline="Viedtja maŋemusát {deadline}.",
        page_gone="Dáv páhkav ij bá desti vieddjat.",
    ),
}

STAFF_DOOR_LEFT_OPEN = (
    "Larm från {place}: fack {compartment} har stått öppet i {minutes} min. "
    "Stäng dörren och kontrollera facket."
)
STAFF_DOOR_LEFT_OPEN_SUBJECT = "Larm: fack {compartment} står öppet ({place})"


# subject, text
DUTY_ALERT: dict[str, tuple[str, str]] = {
    "sv": ("Någon väntar i videorummet – {service}",
           "Någon väntar på dig i videorummet för {service} hos {place}. Anslut här: {link}"),
    "en": ("Someone is waiting in the video room – {service}",
           "Someone is waiting for you in the {service} video room at {place}. Join here: {link}"),
    "fi": ("Joku odottaa videohuoneessa – {service}",  # machine-drafted
           "Joku odottaa sinua palvelun {service} videohuoneessa: {place}. Liity tästä: {link}"),
    "fit": ("Joku oottaa viteohuonheessa – {service}",  # machine-drafted
            "Joku oottaa sinua palvelun {service} viteohuonheessa: {place}. Liity tästä: {link}"),
    "se": ("Muhtun vuordá videolanjas – {service}",  # machine-drafted
           "Muhtun vuordá du {service} videolanjas: {place}. Searvva dás: {link}"),
    "smj": ("Muhtem vuorddá videolanján – {service}",  # machine-drafted
            "Muhtem vuorddá duv {service} videolanján: {place}. Sárvva dánna: {link}"),
}


def texts(language: str) -> Texts:
    """The texts of `language`, Swedish for anything unknown."""
    return TEXTS.get(language, TEXTS["sv"])


def format_deadline(day: date, language: str) -> str:
    """Finnish and Meänkieli readers write day.month.year; the others read ISO dates."""
    if language in ("fi", "fit"):
        return f"{day.day}.{day.month}.{day.year}"
    return day.isoformat()


@dataclass(frozen=True)
class ParcelMessage:
    subject: str
    text: str


def parcel_message(kind: str, language: str, *, place: str, code: str, deadline: date,
                   link: str) -> ParcelMessage:
    """The pickup_ready or reminder message (SMS text; the e-mail uses it as its body)."""
    t = texts(language)
    values = {"place": place, "code": code, "deadline": format_deadline(deadline, language),
              "link": link}
    if kind == "reminder":
        return ParcelMessage(t.reminder_subject.format(**values), t.reminder_sms.format(**values))
    return ParcelMessage(t.ready_subject.format(**values), t.ready_sms.format(**values))


def staff_door_alarm(*, place: str, compartment: str, open_for_s: int) -> ParcelMessage:
    values = {"place": place, "compartment": compartment, "minutes": max(1, round(open_for_s / 60))}
    return ParcelMessage(STAFF_DOOR_LEFT_OPEN_SUBJECT.format(**values),
                         STAFF_DOOR_LEFT_OPEN.format(**values))


def duty_alert(language: str, *, service: str, place: str, link: str) -> ParcelMessage:
    """"Someone is waiting in your room", in `language` (Swedish for anything unknown)."""
    subject, text = DUTY_ALERT.get(language, DUTY_ALERT["sv"])
    values = {"service": service, "place": place, "link": link}
    return ParcelMessage(subject.format(**values), text.format(**values))
