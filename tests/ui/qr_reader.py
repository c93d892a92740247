"""A real QR reader for the tests: zbar (Debian's libzbar0, through pyzbar), the decoder many
phone apps are built on. Installed by `make test` (scripts/setup-system.sh, setup.cfg [dev])."""
from __future__ import annotations

import pytest


def read_qr(image) -> list[str]:
    """Every QR code zbar finds in `image`: a PIL image, or (8-bit grey bytes, width, height)."""
    try:
        from pyzbar import pyzbar
    except ImportError as error:  # pyzbar raises ImportError when libzbar0 is missing too
        pytest.fail(f"no QR reader ({error}): run `make test`, which installs libzbar0 and pyzbar")
    return [found.data.decode("ascii") for found in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])]
