"""docs/protocol.md cannot drift from the code: its generated sections equal what the
generator writes now, every error code the server can send is in its error table, and the
size limit it states is the constant the server checks."""
from __future__ import annotations

import ast
import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sync import protocol as p
from sync.client import load_device_key
from sync.server import protocol_doc
from tests.sync.helpers import Central, signed_token

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "protocol.md"
SERVER = ROOT / "sync" / "server"
ERROR_CALLS = {"ApiError", "_error"}  # ApiError(status, code, …); app.py's _error(status, code, …)


def test_the_committed_page_is_what_the_generator_writes() -> None:
    committed = DOC.read_text(encoding="utf-8")
    assert protocol_doc.render(committed) == committed, (
        "docs/protocol.md is stale: run `.venv/bin/python -m sync.server.protocol_doc`")


def test_the_check_command_fails_on_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "protocol.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace(
        f"{p.MAX_BODY_BYTES} bytes", f"{p.MAX_BODY_BYTES * 2} bytes"), encoding="utf-8")
    assert protocol_doc.main(["--check", "--path", str(stale)]) == 1
    assert protocol_doc.main(["--path", str(stale)]) == 0
    assert protocol_doc.main(["--check", "--path", str(stale)]) == 0


def test_a_page_without_a_generated_section_is_refused() -> None:
    page = DOC.read_text(encoding="utf-8")
    start = page.index("<!-- generated:events ")
    end = page.index("<!-- end generated:events -->") + len("<!-- end generated:events -->")
    with pytest.raises(ValueError, match="lacks the generated sections \\['events'\\]"):
        protocol_doc.render(page[:start] + page[end:])


def test_the_body_limit_is_one_number_and_the_one_the_server_checks() -> None:
    limits = _section(DOC.read_text(encoding="utf-8"), "## 9.", "## 10.")
    stated = re.findall(r"request body of a push, after decompression \| (\d+) bytes", limits)
    assert stated == [str(p.MAX_BODY_BYTES)]
    events = re.findall(r"\| events per push \| (\d+) \|", limits)
    assert events == [str(p.MAX_BATCH_EVENTS)]


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end)]


def _string_constants(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _assigned_strings(scope: ast.AST) -> dict[str, set[str]]:
    """Name -> the string constants assigned to it in `scope` (a module or a function)."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, set()).update(_string_constants(node.value))
    return found


def _code_values(arg: ast.expr, names: dict[str, set[str]]) -> set[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return {arg.value}
    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id == "p":
        return {getattr(p, arg.attr)}
    if isinstance(arg, ast.Name) and arg.id in names:
        return names[arg.id]
    if isinstance(arg, ast.Attribute) and arg.attr == "error" or isinstance(arg, ast.Name) and arg.id == "error":
        return set()  # passing on the code of an error made elsewhere, found where it is made
    raise AssertionError(f"cannot tell which error code {ast.unparse(arg)} is")


def _codes_of(node: ast.AST, names: dict[str, set[str]]) -> set[str]:
    """The codes an error-making expression names: ApiError(status, code, …), _error(status,
    code, …), ErrorBody(error=code, …), or a (status, code, …) tuple of a 4xx/5xx status."""
    if isinstance(node, ast.Call):
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if called in ERROR_CALLS and len(node.args) >= 2:
            return _code_values(node.args[1], names)
        if called == "ErrorBody":
            return {code for keyword in node.keywords if keyword.arg == "error"
                    for code in _code_values(keyword.value, names)}
    if isinstance(node, ast.Tuple) and len(node.elts) >= 2:
        status, code = node.elts[:2]
        if (isinstance(status, ast.Constant) and type(status.value) is int and 400 <= status.value < 600
                and isinstance(code, ast.Constant) and isinstance(code.value, str)):
            return {code.value}
    return set()


def server_error_codes() -> Iterator[tuple[str, str]]:
    """(module, code) for every error code the server's source can answer with."""
    for path in sorted(SERVER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _assigned_strings(tree)
        for node in ast.walk(tree):
            for code in _codes_of(node, names):
                yield path.relative_to(ROOT).as_posix(), code


def test_the_scan_reads_each_way_the_server_makes_an_error() -> None:
    tree = ast.parse("ApiError(413, 'a')\n_error(400, p.ERROR_SEQ_REWIND)\nErrorBody(error='b')\n"
                     "refusal = (408, 'c', 'slow')\nok = (200, 'd')\n")
    found = {code for node in ast.walk(tree) for code in _codes_of(node, {})}
    assert found == {"a", p.ERROR_SEQ_REWIND, "b", "c"}


def test_the_scan_finds_the_codes_a_client_must_act_on() -> None:
    codes = {code for _module, code in server_error_codes()}
    assert {p.ERROR_SEQ_REWIND, p.ERROR_MUST_REFETCH, p.ERROR_REVOKED, p.ERROR_RATE_LIMITED,
            "too_large", "busy", "http_error", "unsupported_batch_format"} <= codes


def test_every_error_code_the_server_sends_is_in_the_error_table() -> None:
    table = _section(DOC.read_text(encoding="utf-8"), "## 10.", "## 11.")
    missing = sorted({f"{code} ({module})" for module, code in server_error_codes()
                      if f"`{code}`" not in table})
    assert not missing, f"docs/protocol.md §10 does not say what a client does on: {missing}"


@pytest.mark.parametrize("page", ["README.md", "docs/sync.md"])
def test_the_contract_is_linked(page: str) -> None:
    assert "protocol.md" in (ROOT / page).read_text(encoding="utf-8")


def _shape(path: str) -> str:
    """/v1/devices/{device_id}/changes?scope=… -> /v1/devices/{}/changes"""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def documented_operations() -> set[tuple[str, str]]:
    """(method, path shape) of each row of the endpoint table of §3."""
    table = _section(DOC.read_text(encoding="utf-8"), "## 3.", "## 4.")
    found = set()
    for row in table.splitlines():
        first = row.split(" | ")[0]
        method = re.match(r"\| `(GET|POST|PUT|DELETE) ", first)
        for path in re.findall(r"`(?:[A-Z]+ )?(/[^`]*)`", first):
            if method and "…" not in path:
                found.add((method[1], _shape(path)))
    return found


def openapi_operations(tmp_path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path shape) -> the operation, from the app's OpenAPI document."""
    from sync.server.api.app import create_app

    paths = create_app(f"sqlite:///{tmp_path / 'routes.db'}").openapi()["paths"]
    return {(method.upper(), _shape(path)): operation
            for path, operations in paths.items() for method, operation in operations.items()}


def served_operations(tmp_path: Path) -> set[tuple[str, str]]:
    return set(openapi_operations(tmp_path))


def documented_errors() -> Iterator[tuple[str, str, str, str]]:
    """(method, path shape, status, code) of the errors column of §3's table."""
    table = _section(DOC.read_text(encoding="utf-8"), "## 3.", "## 4.")
    for row in table.splitlines():
        method = re.match(r"\| `(GET|POST|PUT|DELETE) ", row)
        if not method:
            continue
        cells = row.split(" | ")
        for path in re.findall(r"`(?:[A-Z]+ )?(/[^`]*)`", cells[0]):
            for status, codes in re.findall(r"(\d{3})((?: `[a-z_]+`)+)", cells[-1]):
                for code in re.findall(r"`([a-z_]+)`", codes):
                    yield method[1], _shape(path), status, code


def test_each_error_of_the_endpoint_table_is_one_its_operation_declares(tmp_path: Path) -> None:
    """§3 and /openapi.json agree: every (status, code) the table gives an endpoint is in the
    description of that status in the operation's `responses`."""
    operations = openapi_operations(tmp_path)
    found = list(documented_errors())
    assert ("POST", "/v1/devices/{}/events:batch", "409", "seq_rewind") in found
    undeclared = [f"{method} {path} {status} {code}" for method, path, status, code in found
                  if f"`{code}`" not in operations[(method, path)]["responses"].get(status, {}).get("description", "")]
    assert not undeclared, f"docs/protocol.md §3 gives errors that /openapi.json does not declare: {undeclared}"


def test_every_documented_endpoint_is_served(tmp_path: Path) -> None:
    documented = documented_operations()
    assert ("POST", "/v1/devices/{}/events:batch") in documented and len(documented) >= 12
    assert documented - served_operations(tmp_path) == set()


def test_every_endpoint_outside_the_admin_api_is_documented(tmp_path: Path) -> None:
    """The admin API is summed up in one row per group; every other endpoint has its own."""
    public = {(method, path) for method, path in served_operations(tmp_path)
              if not path.startswith("/v1/admin/")}
    assert public - documented_operations() == set()


def _documented_body_limit() -> int:
    limits = _section(DOC.read_text(encoding="utf-8"), "## 9.", "## 10.")
    return int(re.findall(r"request body of a push, after decompression \| (\d+) bytes", limits)[0])


def test_the_documented_body_limit_is_the_one_the_server_enforces(central: Central, kiosk: Any) -> None:
    """The page's number, not the constant: a push of exactly that many bytes (unpacked) is
    read, one byte more is 413, whichever limit the server's code checks."""
    limit = _documented_body_limit()
    token = signed_token(central.url, kiosk.device_id, load_device_key(kiosk.key_path)).json()["token"]

    def push(size: int) -> requests.Response:
        body = b'{"events":[]}'.ljust(size, b" ")  # JSON whitespace: a valid, empty batch
        return requests.post(f"{central.url}/v1/devices/{kiosk.device_id}/events:batch",
                             data=gzip.compress(body), timeout=30, headers={
                                 "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                 "Content-Encoding": "gzip"})

    assert push(limit).status_code == 200
    over = push(limit + 1)
    assert (over.status_code, over.json()["error"]) == (413, "too_large")
