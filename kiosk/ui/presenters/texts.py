"""Fixed texts of the screens, shared by what is shown and what is read aloud, so both say
the same thing in every language. Swedish source strings; translated at display time."""
from __future__ import annotations

from kiosk.services.errors import N_, N_plural

WELCOME = N_("Välkommen till {place}")
WELCOME_SERVICES = N_("Hämta paket, ring en myndighet, använd e-tjänster.")
WELCOME_START = N_("Tryck var som helst för att börja")

TITLES = {
    "home": N_("Vad vill du göra?"),
    "pickup": N_("Hämta paket"),
    "staff": N_("Personalläge"),
    "staff_receive": N_("Ta emot paket"),
    "staff_counter": N_("Utlämning vid disken"),
    "staff_returns": N_("Returer"),
    "language": N_("Välj språk"),
    "help": N_("Hjälp"),
    "video": N_("Videosamtal"),
    "eservices": N_("E-tjänster"),
}

HELP_TEXT = N_(
    "Tryck på det du vill göra. Knappen Tillbaka finns alltid längst ner till vänster. "
    "Läs upp läser skärmen högt; tryck igen för att höra det en gång till. "
    "Större text och Kontrast gör skärmen lättare att läsa. "
    "Behöver du hjälp? Fråga personalen i butiken."
)
OFFLINE = N_("Videosamtal och e-tjänster går inte att använda just nu. Paket fungerar som vanligt.")
IDLE_WARNING = N_plural("Är du kvar? Skärmen börjar om om {seconds} sekund.",
                        "Är du kvar? Skärmen börjar om om {seconds} sekunder.", "seconds")
MORE_TIME = N_("Mer tid")
KEYPAD_HINT = N_("Knappsatsen är till höger: siffrorna 1 till 9 och 0, Radera och OK.")
STOP_READING = N_("Stoppa")
NO_SOUND = N_("Inget ljud")  # Read aloud's label once speech could not play in this visit
LARGER_TEXT = N_("Text +")
LARGER_TEXT_ON = N_("Text + på")  # the label says the mode is on; the button is drawn selected


def read_aloud_label(session) -> str:
    return NO_SOUND if session.speech_unavailable else N_("Läs upp")


def larger_text_label(session) -> str:
    return LARGER_TEXT_ON if session.large_text else LARGER_TEXT

STAFF_OPTIONS = {"receive": N_("Ta emot paket"), "counter": N_("Utlämning vid disken"), "returns": N_("Returer")}
STAFF_MENU_HINT = N_("Välj vad du vill göra, eller skanna ett paket direkt för att ta emot det.")
