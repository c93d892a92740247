"""The home screen's tiles: what is ready says so, what is not says "coming soon" honestly."""
from __future__ import annotations

from dataclasses import dataclass, replace

from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message, Presenter


@dataclass(frozen=True)
class Tile:
    id: str
    title: str
    subtitle: str
    target: str | None  # screen to open; None = not built yet
    needs_lockers: bool = False  # works only once the runtime (database, locker bus) is up
    aid: bool = False  # language and help serve the other tiles: drawn in the quieter colour


TILES = (
    Tile("video", N_("Videosamtal"), N_("Ring myndigheter och vården"), "video"),
    Tile("eservices", N_("E-tjänster"), N_("Myndigheternas tjänster på nätet"), "eservices"),
    Tile("pickup", N_("Hämta paket"), N_("Med koden från ditt meddelande"), "pickup", needs_lockers=True),
    # The language tile names the languages in themselves, so a person who cannot read the
    # current language still finds theirs.
    Tile("language", N_("Språk"), "Svenska · Suomi · Meänkieli · Sámegiella · English", "language",
         aid=True),
    Tile("help", N_("Hjälp"), N_("Så använder du skärmen"), "help", aid=True),
)
COMING_SOON = N_("”{title}” finns inte här ännu. Fråga gärna personalen i butiken.")
STARTING = N_("Startar, ett ögonblick …")


class HomePresenter(Presenter):
    def __init__(self) -> None:
        super().__init__()
        self.tiles = TILES
        self.notice: Message | None = None

    def choose(self, tile_id: str) -> str | None:
        """Returns the screen to open, or None after explaining why nothing opens."""
        tile = next(t for t in self.tiles if t.id == tile_id)
        self.notice = None if tile.target else Message.of(COMING_SOON, title=tile.title)
        self.changed()
        return tile.target

    def clear(self) -> None:
        self.notice = None
        self.changed()

    def set_starting(self, starting: bool) -> None:
        """In the first second after start-up the lockers are not ready yet: their tiles say
        so, and still open (the code check waits for the lockers on a worker thread)."""
        self.tiles = tuple(replace(tile, subtitle=STARTING) if starting and tile.needs_lockers else tile
                           for tile in TILES)
        self.changed()
