"""The generated parts of docs/protocol.md: schemas, limits and worked examples, from the code.

docs/protocol.md is prose written by hand around sections that this module writes:

    <!-- generated:NAME (python -m sync.server.protocol_doc) -->
    ...
    <!-- end generated:NAME -->

Everything a client must reproduce bit for bit (payload schemas, the size limits, the signed
messages, push format 2's dictionary) is generated here from the models and constants the
server itself uses, so the page cannot drift from the code: tests/sync/test_protocol_doc.py
fails when the committed page differs from what this module writes.

    python -m sync.server.protocol_doc            rewrite the generated sections in place
    python -m sync.server.protocol_doc --check    exit 1 if the committed page is stale
"""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel

from sync import protocol as p
from sync.server.api.carriers import MAX_PRE_ADVICE_BYTES
from sync.server.kiosks import auth
from sync.server.parcels import carriers
from sync.server.protocol_doc.examples import (
    format_2_example,
    rotation_example,
    token_example,
)
from sync.server.protocol_doc.tables import models_section

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"
_SECTION = re.compile(
    r"(<!-- generated:(?P<name>[a-z0-9-]+) \(python -m sync\.server\.protocol_doc\) -->\n)"
    r".*?"
    r"(<!-- end generated:(?P=name) -->)",
    re.DOTALL,
)


def limits_section() -> str:
    """Every number a client must respect, from the constant the server checks."""
    rows = [
        ("request body of a push, after decompression", f"{p.MAX_BODY_BYTES} bytes",
         "413 `too_large`: split the batch and send the halves"),
        ("events per push", f"{p.MAX_BATCH_EVENTS}", "413 `too_large`: split the batch"),
        ("changes per page (`limit`)", f"1 to {p.MAX_PAGE_CHANGES} (default {p.MAX_PAGE_CHANGES})",
         "422 `invalid_request`"),
        ("pre-advice request body", f"{MAX_PRE_ADVICE_BYTES} bytes", "413 `too_large`"),
        ("`seq`, `wall_ms`, `mono_ms`", "0 to 2^63 - 1 (`seq` from 1)", "422 `invalid_batch`"),
        ("nonce lifetime", f"{int(auth.NONCE_TTL.total_seconds())} s, single use",
         "401 `invalid_nonce`: ask for a new challenge"),
        ("token lifetime", (f"`expires_in` of the token reply (default "
         f"{int(auth.DEFAULT_TOKEN_TTL.total_seconds())} s)"), "401 `invalid_token`: get a new token"),
    ]
    lines = ["| limit | value | beyond it |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {answer} |" for what, value, answer in rows]
    return "\n".join(lines)


def events_section() -> str:
    """One schema per event type, in the order of EVENT_PAYLOADS."""
    return models_section({f"`{type_}`": model for type_, model in p.EVENT_PAYLOADS.items()},
                          heading="####")


def changes_section() -> str:
    entities: dict[str, type[BaseModel]] = {
        f"scope `{p.SCOPE_STAFF}`, entity `staff_card`": p.StaffCardData,
        f"scope `{p.SCOPE_PARCELS}`, entity `pre_advice`": p.PreAdviceData,
        f"scope `{p.SCOPE_DIRECTORY}`, entity `{p.ENTITY_VIDEO_SERVICE}`": p.VideoServiceData,
        f"scope `{p.SCOPE_DIRECTORY}`, entity `{p.ENTITY_OPENING_EXCEPTIONS}`": p.OpeningExceptionsData,
        f"scope `{p.SCOPE_DIRECTORY}`, entity `{p.ENTITY_E_SERVICE}`": p.EServiceData,
        f"scope `{p.SCOPE_DIRECTORY}`, entity `{p.ENTITY_APPOINTMENT}`": p.AppointmentData,
    }
    return models_section(entities, heading="####")


def wire_models_section() -> str:
    from sync import batchcodec

    models: dict[str, type[BaseModel]] = {model.__name__: model for model in (
        p.EnrollRequest, p.EnrollResponse, p.ChallengeRequest, p.ChallengeResponse,
        p.TokenRequest, p.TokenResponse, p.KeyRotationRequest, p.KeyRotationResponse,
        p.EventBatch, p.BatchResponse, batchcodec.BatchReplyV2, batchcodec.CompactBatch,
        p.ChangesPage, p.ConfigResponse, p.ErrorBody,
        carriers.PreAdviceRequest, carriers.PreAdviceAccepted,
    )}
    return models_section({f"`{name}`": model for name, model in models.items()}, heading="###")


GENERATORS: Mapping[str, Callable[[], str]] = {
    "limits": limits_section,
    "token-example": token_example,
    "rotation-example": rotation_example,
    "format-2-example": format_2_example,
    "events": events_section,
    "changes": changes_section,
    "models": wire_models_section,
}


def render(document: str) -> str:
    """`document` with every generated section rewritten. Raises ValueError if a generator
    has no section in the page, or the page names a section nobody generates."""
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise ValueError(f"docs/protocol.md has a section {name!r} that nothing generates")
        found.add(name)
        return f"{match[1]}\n{GENERATORS[name]().strip()}\n\n{match[3]}"

    result = _SECTION.sub(replace, document)
    missing = sorted(set(GENERATORS) - found)
    if missing:
        raise ValueError(f"docs/protocol.md lacks the generated sections {missing}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    parser.add_argument("--path", type=Path, default=DOC_PATH, help="the page (docs/protocol.md)")
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"{args.path} is stale: run python -m sync.server.protocol_doc", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        args.path.write_text(fresh, encoding="utf-8")
        print(f"rewrote the generated sections of {args.path}")
    return 0
