"""scripts/build_deb.py: the code package servicepunkt-kiosk, built for real with dpkg-deb (a few
seconds; the runtime and central packages download wheels and take minutes: make deb)."""
from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
build_deb = importlib.import_module("build_deb")  # a script, not a package


@pytest.fixture(scope="module")
def kiosk_deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    assert build_deb.main(["--only", "kiosk", "--out", str(out)]) == 0
    (deb,) = out.glob("servicepunkt-kiosk_*_all.deb")
    return deb


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


def contents(deb: Path) -> dict[str, str]:
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    return {line.split()[5].removeprefix("."): line.split()[0] for line in listing.splitlines()}


def test_code_package_depends_on_the_runtime_of_its_lock(kiosk_deb: Path) -> None:
    lock_hash = hashlib.sha256((ROOT / "requirements" / "kiosk.txt").read_bytes()).hexdigest()[:12]
    assert field(kiosk_deb, "Version") == build_deb.project_version()
    assert f"servicepunkt-kiosk-runtime-{lock_hash} (= 1)" in field(kiosk_deb, "Depends")
    assert field(kiosk_deb, "Architecture") == "all"
    # A release that changes only our code stays far below 2 MB over a village link.
    assert kiosk_deb.stat().st_size < 2_000_000


def test_code_package_lays_out_the_app_units_rules_and_conffile(kiosk_deb: Path) -> None:
    files = contents(kiosk_deb)
    for path in ("/usr/bin/kiosk", "/lib/systemd/system/servicepunkt-kiosk.service",
                 "/lib/systemd/system/servicepunkt-update.timer", "/lib/udev/rules.d/99-servicepunkt.rules",
                 "/usr/share/lightdm/lightdm.conf.d/50-servicepunkt.conf", "/etc/servicepunkt/updater.toml",
                 "/opt/servicepunkt/app/kiosk/cli/main.py", "/opt/servicepunkt/app/assets/fonts/DejaVuSans.ttf",
                 "/usr/share/doc/servicepunkt-kiosk/copyright"):
        assert path in files, path
    assert files["/usr/bin/kiosk"] == "-rwxr-xr-x"
    assert not any("__pycache__" in path or path.startswith("/opt/servicepunkt/app/sync/server") for path in files)
    control = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(kiosk_deb)], capture_output=True, check=True).stdout
    assert b"/etc/servicepunkt/updater.toml" in control  # conffiles


def test_build_refuses_a_changelog_behind_the_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(build_deb, "changelog_version", lambda: "0.0.9")
    assert build_deb.main(["--only", "kiosk", "--out", str(tmp_path)]) == 2
    assert "add a changelog entry" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
