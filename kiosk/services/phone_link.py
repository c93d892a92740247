"""Continue an e-service on the resident's own phone: a QR code of the service's start address.

The code always carries the e-service's configured start URL, never the address the kiosk's
browser is at: a page address can hold a session token or personal data (a case number, a
signed-in state), and a code on a public screen can be photographed by whoever stands behind
the resident. The phone starts afresh at the service's front page and logs in on its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

QUIET_ZONE = 4  # light modules around the code: the QR standard's minimum (ISO/IEC 18004)
DARK, LIGHT = 0, 255  # luminance: dark modules on white, in every display mode of the kiosk

Modules = tuple[tuple[bool, ...], ...]  # True = dark, rows top to bottom, quiet zone included


@dataclass(frozen=True)
class PhoneLink:
    url: str  # what the code carries: the start URL in ASCII
    domain: str  # what the resident can read and compare with what the phone opens
    modules: Modules

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.modules)


def phone_link(start_url: str) -> PhoneLink:
    url = ascii_url(start_url)
    return PhoneLink(url, readable_domain(start_url), qr_modules(url))


def ascii_url(url: str) -> str:
    """"https://e-tjänster.se/ansök" -> "https://xn--e-tjnster-v2a.se/ans%C3%B6k". A QR code
    has no reliable way to say its bytes are UTF-8: camera apps guess, and guess wrong (zbar
    reads "å" as Shift-JIS), so only ASCII goes in, as a browser would send it."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    netloc = f"{host}:{parts.port}" if parts.port else host
    keep = "/%:@!$&'()*+,;=?~"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=keep), quote(parts.query, safe=keep),
                       quote(parts.fragment, safe=keep)))


def readable_domain(url: str) -> str:
    """"https://www.skatteverket.se/privat" -> "skatteverket.se", in letters a person reads
    (an internationalised domain as "e-tjänster.se", not "xn--…")."""
    host = (urlsplit(url).hostname or "").lower()
    if "xn--" in host:
        host = host.encode("ascii").decode("idna")
    return host.removeprefix("www.")


def qr_modules(text: str) -> Modules:
    # Imported here: the kiosk's first screen loads this module, and a code is made only
    # when someone asks for one (tests/ui/test_startup.py keeps the start-up imports light).
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # Medium error correction: a screen's glare or a finger over a corner still decodes, and a
    # start URL stays at version 2-4 (25-33 modules), so each module is large on a 7" panel.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    return tuple(tuple(bool(module) for module in row) for row in code.get_matrix())


def luminance_rows(modules: Modules, scale: int = 1) -> list[bytes]:
    """One byte per pixel (DARK or LIGHT), `scale` pixels per module, rows top to bottom."""
    rows = []
    for row in modules:
        line = bytes(DARK if dark else LIGHT for dark in row for _ in range(scale))
        rows.extend([line] * scale)
    return rows


def rgba_pixels(modules: Modules) -> bytes:
    """The code as an RGBA image, one pixel per module, rows BOTTOM to top (OpenGL's order, as
    a Kivy texture takes it). RGBA keeps every row 4-byte aligned, whatever the code's size."""
    return b"".join(bytes(value for pixel in row for value in (pixel, pixel, pixel, 255))
                    for row in reversed(luminance_rows(modules)))
