"""The gettext catalog tooling shared by the kiosk's and the server's texts (a dev tool, Babel).

    python -m kiosk.i18n.extract [--check]               # the kiosk's domain, servicepunkt
    python -m sync.server.notify.extract [--check]       # the server's domain, servicepunkt-server

Both commands describe their domain with a `Domain` and hand it to `main`. This module lives in
`sync` because that is the one package both the kiosk and the server may import (DESIGN.md's
dependency direction, tests/test_layout.py). Only these commands import it: Babel is a dev
dependency, the programs read the compiled .mo files with the standard library's gettext.

A string is translatable when it is the first argument of `_`, `N_`, `tr`, `gettext` (also as a
method, `self.tr("…")`); a plural is the first two arguments of `N_plural` or `ngettext`.
Extraction is Babel's python extractor: it sees real calls only, not comments or docstrings.
An f-string in such a call cannot be translated (its text at run time is in no catalog): it is
reported.

Updating keeps every translation, adds new msgids untranslated (they show in Swedish until
translated), and marks msgids no longer in the code obsolete (`#~`) rather than deleting them,
so a string that comes back keeps its translation. Obsolete translations stay in the .mo too,
so a string can be translated before the code that uses it is committed. The output is stable:
code order (sorted paths, then line), references name the file only (line numbers would change
the catalogs on every unrelated edit), no line wrapping, and a fixed header without dates, so
the committed .mo files are reproducible from the .po files.
"""
from __future__ import annotations

import argparse
import ast
import io
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileParser, write_po

CHECKED_HEADER = "X-Checked-By-Fluent-Speaker"  # "yes" only once someone fluent has read it all
MACHINE_DRAFTED = "machine-drafted, not checked by a fluent speaker"
FLAG = "python-brace-format"  # tells translators and tools that {name} must stay as it is
TWO_FORMS = "nplurals=2; plural=(n != 1);"
SAMI_DUAL = "nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);"  # North and Lule Sámi: one, two, many
PLURAL_FORMS = {"sv": TWO_FORMS, "en": TWO_FORMS, "fi": TWO_FORMS, "fit": TWO_FORMS,
                "se": SAMI_DUAL, "smj": SAMI_DUAL}
SINGULAR_KEYWORDS = ("_", "N_", "tr", "gettext")
PLURAL_KEYWORDS = ("N_plural", "ngettext")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    **{name: None for name in SINGULAR_KEYWORDS}, **{name: (1, 2) for name in PLURAL_KEYWORDS}}
FIXED_HEADERS = [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=UTF-8"),
                 ("Content-Transfer-Encoding", "8bit")]

MessageId = str | tuple[str, ...]
NO_LINE = 0  # a reference names the file only: Babel writes no line for 0
UNWRAPPED = 1_000_000  # Babel wraps reference lines even at width 0; one line per entry diffs best


@dataclass(frozen=True)
class Domain:
    """One gettext domain: where its code is, where its catalogs are, which languages it has."""

    name: str  # the .pot/.po/.mo file name
    source_root: Path  # scanned for marked strings
    project_root: Path  # references are relative to it
    locale_dir: Path  # <locale_dir>/<lang>/LC_MESSAGES/<name>.po; the .pot directly in it
    language_names: Mapping[str, str]  # translated languages -> name in that language
    description: str  # the template's first comment line
    command: str  # the module that updates it: `python -m <command>`

    def po_path(self, language: str) -> Path:
        return self.locale_dir / language / "LC_MESSAGES" / f"{self.name}.po"

    @property
    def pot_path(self) -> Path:
        return self.locale_dir / f"{self.name}.pot"


class ProjectCatalog(Catalog):
    """Babel's catalog with this project's header: exactly the fields it was given, in order.

    Babel would write its own header (dates of every run, "Generated-By", placeholders for a
    translator's name and address) and drop fields it does not know, such as CHECKED_HEADER.
    """

    def _get_mime_headers(self) -> list[tuple[str, str]]:
        headers = list(getattr(self, "_project_headers", {}).items())
        if headers:  # the header's last line ends with a newline too, as msgfmt writes it
            name, value = headers[-1]
            headers[-1] = (name, value.rstrip("\n") + "\n")
        return headers

    def _set_mime_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        pairs = [(str(name), str(value)) for name, value in headers]
        self._project_headers = dict(pairs)
        super()._set_mime_headers(pairs)  # lets Babel read the charset and Plural-Forms

    mime_headers = property(_get_mime_headers, _set_mime_headers)

    def header(self, name: str) -> str:
        return str(getattr(self, "_project_headers", {}).get(name, "")).strip()


@dataclass(frozen=True)
class Found:
    msgid: MessageId  # a (singular, plural) tuple for a plural
    reference: str  # "kiosk/…/file.py:line"

    @property
    def brace_format(self) -> bool:
        return any("{" in form for form in forms(self.msgid))

    @property
    def source_file(self) -> str:
        return self.reference.rsplit(":", 1)[0]


def forms(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """A message's id or string as its forms: one for a plain message, one per plural form."""
    if text is None:
        return ()
    return (text,) if isinstance(text, str) else tuple(text)


def key_of(msgid: str | Sequence[str]) -> str:
    return forms(msgid)[0]  # Babel's key: a plural is found by its singular


def message_id(message: Message) -> MessageId:
    return message.id if isinstance(message.id, str) else tuple(message.id)


# --- reading and writing ------------------------------------------------------------------------

def read_catalog(path: Path) -> ProjectCatalog:
    catalog = ProjectCatalog(fuzzy=False)
    with path.open("rb") as file:
        PoFileParser(catalog, abort_invalid=True).parse(file)
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=UNWRAPPED, include_lineno=False, sort_output=False)
    return buffer.getvalue()


def is_translated(message: Message) -> bool:
    return all(forms(message.string)) and not message.fuzzy and bool(message.string)


def mo_bytes(catalog: ProjectCatalog) -> bytes:
    """GNU .mo bytes of the translated entries, obsolete ones included (see the module doc).

    Untranslated and fuzzy entries are left out so gettext falls back to the Swedish msgid for
    them: per-string fallback, never an empty string.
    """
    compiled = ProjectCatalog(fuzzy=False)
    compiled.mime_headers = catalog.mime_headers
    for message in [*list(catalog)[1:], *catalog.obsolete.values()]:
        if is_translated(message) and compiled.get(key_of(message.id)) is None:
            compiled[message.id] = Message(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, compiled)
    return buffer.getvalue()


# --- scanning -----------------------------------------------------------------------------------

def scan_file(path: Path, project_root: Path, problems: list[str]) -> list[Found]:
    """Babel's extraction of one file, kept to the calls whose first argument is the literal.

    Babel's python extractor takes every string inside a marker's brackets for its argument,
    so `tr(TITLES["home"])` would give the msgid "home"; the syntax tree says which are real.
    """
    reference_path = path.relative_to(project_root).as_posix()
    literals, f_strings = marker_arguments(path)
    problems.extend(f"{reference_path}:{line}: f-string passed for translation; use tr('…{{name}}…', name=…)"
                    for line in f_strings)
    return [Found(message, f"{reference_path}:{line}")
            for line, message, _comments, _context in extract_from_file("python", str(path), KEYWORDS)
            if message and all(forms(message)) and message in literals]


def marker_arguments(path: Path) -> tuple[set[MessageId], list[int]]:
    """The literal msgids passed to markers in the file, and the lines passing an f-string."""
    literals: set[MessageId] = set()
    f_strings = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and node.args and _marker_name(node.func) in KEYWORDS):
            continue
        count = 2 if _marker_name(node.func) in PLURAL_KEYWORDS else 1
        arguments = node.args[:count]
        if any(isinstance(argument, ast.JoinedStr) for argument in arguments):
            f_strings.append(node.lineno)
        texts = [argument.value for argument in arguments
                 if isinstance(argument, ast.Constant) and isinstance(argument.value, str)]
        if len(texts) == count:
            literals.add(texts[0] if count == 1 else tuple(texts))
    return literals, f_strings


def _marker_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def scan(domain: Domain) -> tuple[list[Found], list[str]]:
    """Every marked string under the domain's source root, in code order."""
    problems: list[str] = []
    found = []
    for path in sorted(domain.source_root.rglob("*.py")):
        found.extend(scan_file(path, domain.project_root, problems))
    return found, problems


# --- merging ------------------------------------------------------------------------------------

def catalog_with_header(headers: Sequence[tuple[str, str]], comments: Sequence[str]) -> ProjectCatalog:
    catalog = ProjectCatalog(fuzzy=False)
    catalog.mime_headers = headers
    catalog.header_comment = "\n".join(f"# {comment}" for comment in comments)
    return catalog


def _previous_string(old: Catalog, msgid: MessageId, plurals: int) -> MessageId:
    previous = old.get(key_of(msgid)) or old.obsolete.get(key_of(msgid))
    empty: MessageId = tuple([""] * plurals) if isinstance(msgid, tuple) else ""
    if previous is not None and isinstance(msgid, tuple) and isinstance(previous.string, str):
        # It became a plural: the old text starts the singular form, the others wait for a
        # translator (until then the Swedish is shown: a half-translated plural is not compiled).
        return (previous.string, *empty[1:])
    if previous is None or isinstance(previous.string, str) != isinstance(msgid, str):
        return empty  # new, or it stopped being a plural
    previous_forms = forms(previous.string)
    if isinstance(msgid, tuple) and len(previous_forms) != plurals:
        return empty  # the language's number of forms changed: translate again
    return previous_forms if isinstance(msgid, tuple) else previous_forms[0]


def merge(old: ProjectCatalog, found: Sequence[Found], plural_forms: str | None = None) -> ProjectCatalog:
    """The catalog with the code's msgids in code order; translations kept, the rest obsolete."""
    headers = dict(old.mime_headers)
    if plural_forms and headers.get("Plural-Forms") != plural_forms:
        headers = _with_plural_forms(headers, plural_forms)
    merged = catalog_with_header(list(headers.items()), [])
    merged.header_comment = old.header_comment
    for item in found:
        key = key_of(item.msgid)
        message = merged.get(key)
        if message is None:
            previous = old.get(key) or old.obsolete.get(key)
            flags = [flag for flag in (previous.flags if previous else ()) if flag != FLAG]
            merged[item.msgid] = message = Message(
                item.msgid, _previous_string(old, item.msgid, merged.num_plurals),
                flags=flags + ([FLAG] if item.brace_format else []),
                user_comments=list(previous.user_comments) if previous else [])
        if (item.source_file, NO_LINE) not in message.locations:
            message.locations.append((item.source_file, NO_LINE))
    for message in [*list(old)[1:], *old.obsolete.values()]:
        key = key_of(message.id)
        if key not in merged and key not in merged.obsolete and is_translated(message):
            merged.obsolete[key] = Message(message.id, message.string, user_comments=message.user_comments)
    return merged


def _with_plural_forms(headers: dict[str, str], plural_forms: str) -> dict[str, str]:
    """The header with Plural-Forms set, placed after Language as gettext's tools place it."""
    result = {}
    for name, value in headers.items():
        if name != "Plural-Forms":
            result[name] = value.strip()
        if name == "Language":
            result["Plural-Forms"] = plural_forms
    result.setdefault("Plural-Forms", plural_forms)
    return result


def template(domain: Domain, found: Sequence[Found]) -> ProjectCatalog:
    headers = [("Project-Id-Version", domain.name), *FIXED_HEADERS]
    empty = catalog_with_header(headers, [domain.description + " Source language: Swedish.",
                                          f"Generated by `python -m {domain.command}`; do not edit by hand."])
    return merge(empty, found)


def new_catalog(domain: Domain, language: str) -> ProjectCatalog:
    """A fresh catalog, honest from the start: nobody fluent has checked it."""
    headers = [("Project-Id-Version", domain.name), ("Language", language),
               ("Plural-Forms", PLURAL_FORMS[language]),
               *FIXED_HEADERS, (CHECKED_HEADER, "no")]
    return catalog_with_header(headers, [f"{domain.language_names[language]} translation of {domain.name}.",
                                         MACHINE_DRAFTED])


# --- the command --------------------------------------------------------------------------------

def update(domain: Domain, found: Sequence[Found], *, write: bool = True) -> list[str]:
    """Brings the template and every catalog up to date; returns what changed (or would)."""
    outputs = {domain.pot_path: po_bytes(template(domain, found))}
    for language in domain.language_names:
        path = domain.po_path(language)
        old = read_catalog(path) if path.exists() else new_catalog(domain, language)
        catalog = merge(old, found, PLURAL_FORMS[language])
        outputs[path] = po_bytes(catalog)
        outputs[path.with_suffix(".mo")] = mo_bytes(catalog)
    changed = [path for path, data in outputs.items() if not path.exists() or path.read_bytes() != data]
    if write:
        for path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(outputs[path])
    return [str(path) for path in changed]


def untranslated(domain: Domain, language: str) -> list[MessageId]:
    return [message_id(message) for message in list(read_catalog(domain.po_path(language)))[1:]
            if not is_translated(message)]


def main(domain: Domain, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {domain.command}",
                                     description=f"Updates the {domain.name} gettext catalogs from the code.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    args = parser.parse_args(argv)
    found, problems = scan(domain)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    changed = update(domain, found, write=not args.check)
    for path in changed:
        print(("out of date: " if args.check else "updated: ") + path)
    for language in domain.language_names:
        missing = untranslated(domain, language) if domain.po_path(language).exists() else []
        print(f"{language}: {len(missing)} untranslated (shown in Swedish)")
    return 1 if args.check and changed else 0
