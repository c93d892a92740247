""".ci/run's start_postgres: up, absent, installed but down (started), and failing to start.

The function is sourced into bash with a PATH holding only fakes of pg_isready and
pg_ctlcluster (shell scripts that log their arguments) and the few tools it needs, so every
path runs for real without touching this machine's PostgreSQL.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CI_RUN = Path(__file__).resolve().parents[2] / ".ci" / "run"
TOOLS = ("ls", "seq", "sleep", "touch", "cat", "dirname")


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/bash\necho \"{name} $*\" >> \"$FAKE_LOG\"\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return tmp_path


def run_start_postgres(sandbox: Path, *, conf_versions: list[str] | None) -> tuple[str, list[str]]:
    conf_dir = sandbox / "etc-postgresql"
    if conf_versions is not None:
        conf_dir.mkdir()
        for version in conf_versions:
            (conf_dir / version).mkdir()
    log = sandbox / "calls.log"
    log.touch()
    env = {"PATH": str(sandbox / "bin"), "FAKE_LOG": str(log), "PG_CONF_DIR": str(conf_dir),
           "PG_WAIT_S": "2", "MARKER": str(sandbox / "started")}
    done = subprocess.run(["/bin/bash", "-c", f'source "{CI_RUN}" && start_postgres'], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout, log.read_text().splitlines()


def test_a_running_postgres_is_left_alone(sandbox: Path) -> None:
    _fake(sandbox / "bin", "pg_isready", "exit 0")
    _fake(sandbox / "bin", "pg_ctlcluster", "exit 0")
    out, calls = run_start_postgres(sandbox, conf_versions=["16"])
    assert out == "ci: PostgreSQL is up\n"
    assert calls == ["pg_isready -q -h 127.0.0.1 -p 5432"]


def test_no_postgres_installed_skips_cleanly(sandbox: Path) -> None:
    out, calls = run_start_postgres(sandbox, conf_versions=None)
    assert out == "ci: PostgreSQL is not installed; its tests will be skipped\n"
    assert calls == []


def test_an_installed_postgres_that_is_down_gets_started(sandbox: Path) -> None:
    _fake(sandbox / "bin", "pg_isready", '[ -e "$MARKER" ]')  # up once started
    _fake(sandbox / "bin", "pg_ctlcluster", 'touch "$MARKER"')
    out, calls = run_start_postgres(sandbox, conf_versions=["16"])
    assert out == "ci: starting PostgreSQL 16\nci: PostgreSQL is up\n"
    assert "pg_ctlcluster --skip-systemctl-redirect 16 main start" in calls
    assert calls[0].startswith("pg_isready") and calls[-1].startswith("pg_isready")


def test_a_postgres_that_will_not_start_is_reported_and_the_run_goes_on(sandbox: Path) -> None:
    _fake(sandbox / "bin", "pg_isready", "exit 2")
    _fake(sandbox / "bin", "pg_ctlcluster", "exit 1")
    out, calls = run_start_postgres(sandbox, conf_versions=["15", "16"])
    assert out.splitlines() == [
        "ci: starting PostgreSQL 15", "ci: could not start PostgreSQL 15",
        "ci: starting PostgreSQL 16", "ci: could not start PostgreSQL 16",
        "ci: PostgreSQL did not come up; its tests will be skipped",
    ]
    assert sum(call.startswith("pg_isready") for call in calls) == 3  # once, then PG_WAIT_S times
