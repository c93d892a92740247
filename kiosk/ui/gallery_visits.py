"""Gallery states of the video and e-service screens, with example directory data: services
open and closed, the booking keypad, the End strip during a call, the offline notice, and an
e-service's page with its QR code for the resident's own phone."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.services.directory import EServiceData, Opening, VideoService, VideoServiceData
from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.browser_visit import CHOOSING, IN_BROWSER, local_when
from kiosk.ui.presenters.video import BOOKING, BOOKING_EARLY

STATES = ("video", "video_offline", "booking", "in_call", "eservices", "eservices_category",
          "eservices_offline", "eservices_service", "eservices_phone")
HOURS = {"mon": ["08:00-16:00"]}
PHONE_EXAMPLE = "deklaration"  # its start URL is what the QR code in the screenshots must decode to


def _video(service_id: str, names: dict[str, str], opening: Opening) -> VideoService:
    data = VideoServiceData(id=service_id, organisation=names["sv"], name=names,
                              description={"sv": names["sv"]}, room_url=f"https://meet.example.se/{service_id}",
                              opening_hours=HOURS)
    return VideoService(data, opening)


def example_video_services(now: datetime) -> list[VideoService]:
    tomorrow = (now + timedelta(days=1)).replace(hour=7, minute=0)  # 08:00 or 09:00 in Sweden
    after_the_weekend = (now + timedelta(days=4)).replace(hour=7, minute=0)
    return [
        _video("forsakringskassan", {"sv": "Försäkringskassan", "fi": "Vakuutuskassa",
                                     "en": "Social Insurance Agency"}, Opening(True)),
        _video("halsocentralen", {"sv": "Hälsocentralen", "fi": "Terveyskeskus", "en": "Health centre"},
               Opening(False, tomorrow)),
        _video("kommunen", {"sv": "Pajala kommun", "fi": "Pajalan kunta", "en": "Pajala municipality"},
               Opening(False, after_the_weekend)),
        _video("arbetsformedlingen", {"sv": "Arbetsförmedlingen", "en": "Public Employment Service"},
               Opening(False)),
    ]


def example_e_services() -> list[EServiceData]:
    def service(service_id, category, title, description, domain):
        return EServiceData(id=service_id, category=category, title=title, description=description,
                              start_url=f"https://www.{domain}/", allowed_domains=[domain])
    return [
        service("deklaration", "tax", {"sv": "Deklarera", "fi": "Veroilmoitus", "en": "File your tax return"},
                {"sv": "Skatteverkets e-tjänst för deklarationen"}, "skatteverket.se"),
        service("flytt", "tax", {"sv": "Anmäl flytt", "en": "Report a move"},
                {"sv": "Ändra din adress hos Skatteverket"}, "skatteverket.se"),
        service("1177", "health", {"sv": "1177 – din journal", "en": "1177 – your records"},
                {"sv": "Läs journalen och förnya recept"}, "1177.se"),
        service("bostadsbidrag", "benefits", {"sv": "Bostadsbidrag", "fi": "Asumistuki"},
                {"sv": "Ansök om bostadsbidrag"}, "forsakringskassan.se"),
        service("bygglov", "municipality", {"sv": "Bygglov"}, {"sv": "Ansök om bygglov"}, "pajala.se"),
    ]


class ExampleDirectory:
    """Stands in for the kiosk's directory in a screenshot run (its database is empty)."""

    def video_services(self) -> list[VideoService]:
        return example_video_services(datetime.now(UTC))

    def e_services(self) -> list[EServiceData]:
        return example_e_services()


def prepare(session, state: str) -> str:
    """Puts the presenters in `state` and returns the screen that shows it."""
    now = datetime.now(UTC)
    session.notice = None  # the screens' own messages are the longest texts here
    video, eservices = session.video, session.eservices
    for visit in (video, eservices):
        visit.online, visit.last_online = not state.endswith("offline"), now - timedelta(minutes=47)
        visit.set_online = lambda *_args: None  # the app's connectivity poll must not undo the state
        visit.phase, visit.message = CHOOSING, None
    video.services = example_video_services(now)
    video.code.clear()
    eservices.services, eservices.category = example_e_services(), None
    eservices.chosen_id, eservices.on_phone = None, False
    for visit in (video, eservices):
        visit._directory = ExampleDirectory()
        visit._loads += 1  # what the reset before this state asked for is stale now
    if state == "booking":
        video.phase = BOOKING
        for digit in "123":
            video.code.press(digit)
        starts = (now + timedelta(days=1)).replace(hour=9, minute=30)
        video.message = Message.of(BOOKING_EARLY, "error", when=local_when(starts, now))
    elif state == "in_call":
        video.phase = IN_BROWSER
    elif state == "eservices_category":
        eservices.category = "tax"
    elif state in ("eservices_service", "eservices_phone"):
        eservices.category, eservices.chosen_id = "tax", PHONE_EXAMPLE
        eservices.on_phone = state == "eservices_phone"
    video.changed()
    eservices.changed()
    return "eservices" if state.startswith("eservices") else "video"
