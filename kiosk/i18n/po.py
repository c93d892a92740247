"""A minimal reader/writer for PO files and a compiler to MO (what `msgfmt` does).

Why not Babel or GNU gettext: our catalogs use a small subset of the format (no plurals, no
msgctxt), and the .mo files must be byte-for-byte reproducible so a test can prove that the
committed .mo files match the .po files. Owning ~150 lines buys that with no dependency and
no tool needed on the kiosk.

Supported: header entry, translator comments (`# `), references (`#:`), flags (`#,`),
obsolete entries (`#~`), multi-line strings. Unwrapped output, so diffs stay one line each.
"""
from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    comments: list[str] = field(default_factory=list)  # translator comments, without "# "
    references: list[str] = field(default_factory=list)  # "path:line"
    flags: list[str] = field(default_factory=list)  # e.g. "fuzzy", "python-brace-format"
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and "fuzzy" not in self.flags


@dataclass
class Catalog:
    header: Entry  # msgid "", its msgstr holds the "Key: value" lines
    entries: dict[str, Entry] = field(default_factory=dict)

    def header_fields(self) -> dict[str, str]:
        pairs = (line.split(":", 1) for line in self.header.msgstr.splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}


# --- reading ---------------------------------------------------------------------------------

def _unquote(text: str) -> str:
    # A PO string literal uses C escapes, a subset of Python's; literal_eval handles them.
    return ast.literal_eval(text.strip())


def read_po(path: Path) -> Catalog:
    entries: list[Entry] = []
    current = Entry("")
    keyword = None
    started = False

    def finish() -> None:
        nonlocal current, keyword, started
        if started:
            entries.append(current)
        current, keyword, started = Entry(""), None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
        elif line.startswith("#:"):
            current.references.extend(line[2:].split())
        elif line.startswith("#,"):
            current.flags.extend(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            current.comments.append(line[1:].removeprefix(" "))
        elif line.startswith(("msgid ", "msgstr ")):
            if line.startswith("msgid ") and started and keyword == "msgstr":
                finish()
            keyword, _, literal = line.partition(" ")
            setattr(current, keyword, _unquote(literal))
            current.obsolete = current.obsolete or obsolete
            started = True
        elif line.startswith('"') and keyword:
            setattr(current, keyword, getattr(current, keyword) + _unquote(line))
    finish()
    header = next((entry for entry in entries if entry.msgid == ""), Entry(""))
    return Catalog(header, {entry.msgid: entry for entry in entries if entry.msgid})


# --- writing ---------------------------------------------------------------------------------

def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '"' + escaped.replace("\n", "\\n") + '"'


def _string_lines(keyword: str, text: str) -> list[str]:
    # Multi-line texts are split after each "\n" like gettext does, so they read naturally.
    if "\n" not in text.rstrip("\n"):
        return [f"{keyword} {_quote(text)}"]
    pieces = text.splitlines(keepends=True)
    return [f'{keyword} ""'] + [_quote(piece) for piece in pieces]


def format_entry(entry: Entry) -> str:
    lines = [f"# {comment}".rstrip() for comment in entry.comments]
    if entry.references:
        lines.append("#: " + " ".join(entry.references))
    if entry.flags:
        lines.append("#, " + ", ".join(entry.flags))
    body = _string_lines("msgid", entry.msgid) + _string_lines("msgstr", entry.msgstr)
    lines += [f"#~ {line}" for line in body] if entry.obsolete else body
    return "\n".join(lines) + "\n"


def format_po(catalog: Catalog) -> str:
    live = [entry for entry in catalog.entries.values() if not entry.obsolete]
    dead = [entry for entry in catalog.entries.values() if entry.obsolete]
    return "\n".join(format_entry(entry) for entry in [catalog.header, *live, *dead])


def write_po(path: Path, catalog: Catalog) -> bool:
    """Writes the catalog; returns whether the file changed."""
    return _write_if_changed(path, format_po(catalog).encode("utf-8"))


# --- compiling -------------------------------------------------------------------------------

def compile_mo(catalog: Catalog) -> bytes:
    """GNU .mo bytes, like `msgfmt` (no hash table, which readers treat as optional).

    Untranslated and fuzzy entries are left out so that gettext falls back to the Swedish
    msgid for them: per-string fallback, never an empty string. Unlike msgfmt, obsolete
    entries are kept: a translation made before its string is committed (or one that comes
    back) then works at once, and an unused entry costs a few bytes.
    """
    pairs = {entry.msgid: entry.msgstr for entry in catalog.entries.values() if entry.translated}
    pairs[""] = catalog.header.msgstr
    keys = sorted(pairs)  # the format requires msgids in byte order; "" (the header) is first
    ids = [key.encode("utf-8") for key in keys]
    strs = [pairs[key].encode("utf-8") for key in keys]
    count = len(keys)
    ids_table, strs_table = 7 * 4, 7 * 4 + count * 8
    data_start = strs_table + count * 8
    offsets, blob = [], b""
    for text in ids + strs:
        offsets.append((len(text), data_start + len(blob)))
        blob += text + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0)
    tables = b"".join(struct.pack("<2I", length, offset) for length, offset in offsets)
    return header + tables + blob


def write_mo(path: Path, catalog: Catalog) -> bool:
    return _write_if_changed(path, compile_mo(catalog))


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True
