"""Plain-text tables for the technician's terminal: a header row, columns padded to their
widest cell, and "none" for an empty list (a blank answer reads as a hang or a crash)."""
from __future__ import annotations

from collections.abc import Sequence

NONE = "none"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str = NONE) -> str:
    """HEADERS over ROWS, each column as wide as its widest cell; EMPTY alone if no rows."""
    if not rows:
        return empty
    widths = [max(len(str(row[column])) for row in (headers, *rows)) for column in range(len(headers))]
    return "\n".join(_line(row, widths) for row in (headers, *rows))


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
