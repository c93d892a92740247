"""The region's apt repository (`kiosk-central repo`) with the real reprepro and gpg: channels,
signatures, the previous release kept for rollbacks, and promotion blocked by a canary kiosk's
update.rolled_back report in the events table. Packages are tiny ones built here with dpkg-deb."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from sync.server.cli.main import main
from sync.server.db.engine import upgrade
from sync.server.db.kiosks import Device, EventRow, ServicePoint
from sync.server.updates.repository import RepoError, Repository, canary_rollbacks, distributions

pytestmark = pytest.mark.skipif(not (shutil.which("reprepro") and shutil.which("gpg") and shutil.which("dpkg-deb")),
                                reason="needs reprepro, gpg and dpkg-deb (make deb-check installs them)")


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A throwaway region key without a passphrase, in its own GNUPGHOME; (home, fingerprint)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                    "Servicepunkt test region <apt@example.se>", "ed25519", "sign", "never"],
                   check=True, env=env, capture_output=True)
    listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], check=True, env=env,
                             capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    return home, fingerprint


def tiny_deb(out: Path, name: str, version: str, depends: str = "") -> Path:
    root = out / f"{name}-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    control = f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Test <t@example.se>\n" \
              "Section: misc\nPriority: optional\n" \
              f"Description: test package\n"
    if depends:
        control += f"Depends: {depends}\n"
    (root / "DEBIAN" / "control").write_text(control)
    deb = out / f"{name}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


@pytest.fixture
def repository(tmp_path: Path, signing_key: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Repository:
    home, fingerprint = signing_key
    monkeypatch.setenv("GNUPGHOME", str(home))
    repo = Repository(tmp_path / "apt")
    repo.init(fingerprint)
    return repo


def release(tmp_path: Path, version: str, runtime: str = "servicepunkt-kiosk-runtime-aaaa") -> list[Path]:
    return [tiny_deb(tmp_path, "servicepunkt-kiosk", version, depends=f"{runtime} (= 1)"),
            tiny_deb(tmp_path, runtime, "1")]


def test_published_channels_are_signed_with_the_region_key(repository: Repository, tmp_path: Path,
                                                           signing_key: tuple[Path, str]) -> None:
    repository.publish("canary", release(tmp_path, "1.0"))
    home, _ = signing_key
    public = tmp_path / "region.gpg"
    subprocess.run(["gpg", "--batch", "--export", "--output", str(public)], check=True,
                   env={**os.environ, "GNUPGHOME": str(home)})
    inrelease = repository.basedir / "dists" / "canary" / "InRelease"
    verified = subprocess.run(["gpgv", "--keyring", str(public), str(inrelease)], check=False, capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stderr
    assert repository.version("canary") == "1.0" and repository.version("stable") is None


def test_a_new_release_keeps_the_one_before_in_previous(repository: Repository, tmp_path: Path) -> None:
    repository.publish("canary", release(tmp_path, "1.0"))
    repository.publish("canary", release(tmp_path, "1.1", runtime="servicepunkt-kiosk-runtime-bbbb"))
    assert repository.version("canary") == "1.1" and repository.version("canary-previous") == "1.0"
    # The old runtime stays reachable for a rollback to 1.0.
    assert repository.version("canary-previous", "servicepunkt-kiosk-runtime-aaaa") == "1"


def test_promote_copies_the_canary_version_and_its_runtime_to_stable(repository: Repository, tmp_path: Path) -> None:
    repository.publish("canary", release(tmp_path, "1.0"))
    repository.promote("1.0", [])
    assert repository.version("stable") == "1.0"
    assert repository.version("stable", "servicepunkt-kiosk-runtime-aaaa") == "1"
    with pytest.raises(RepoError, match="canary offers 1.0, not 2.0"):
        repository.promote("2.0", [])


def test_bad_channel_and_key_are_refused(repository: Repository, tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="channel must be one of"):
        repository.publish("beta", release(tmp_path, "1.0"))
    with pytest.raises(RepoError, match="signing key"):
        distributions("not a key", "Servicepunkt")


def add_rollback(database_url: str, device_id: str, version: str, channel: str) -> None:
    engine = create_engine(database_url)
    payload = {"from_version": version, "to_version": "1.0", "channel": channel, "reason": "health check failed"}
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        if session.get(ServicePoint, "sp-1") is None:
            session.add(ServicePoint(id="sp-1", name="Kvikkjokk", created_at=now))
            session.flush()
        session.add(Device(device_id=device_id, name=device_id, service_point_id="sp-1", created_at=now))
        session.flush()
        session.add(EventRow(device_id=device_id, seq=1, event_id=f"e-{device_id}", type="update.rolled_back",
                             payload=json.dumps(payload), payload_hash="h", wall_ms=0, clock_synced=True,
                             boot_id="b", mono_ms=0, received_at=now, status="accepted"))
    engine.dispose()


def test_promote_is_blocked_by_a_canary_rollback_unless_overridden(repository: Repository, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    upgrade(database_url)
    repository.publish("canary", release(tmp_path, "1.1"))
    add_rollback(database_url, "kiosk-pajala", "1.1", "canary")
    add_rollback(database_url, "kiosk-stable-one", "1.1", "stable")  # not a canary report: does not count
    runner = CliRunner()
    args = ["--database-url", database_url, "repo", "promote", "--basedir", str(repository.basedir), "1.1"]
    blocked = runner.invoke(main, args)
    assert blocked.exit_code == 1 and "rolled back on canary kiosks (kiosk-pajala)" in blocked.output
    assert repository.version("stable") is None
    overridden = runner.invoke(main, [*args, "--override"])
    assert overridden.exit_code == 0, overridden.output
    assert "overriding 1 rollback" in overridden.output and repository.version("stable") == "1.1"


def test_rollbacks_of_other_versions_do_not_block(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    upgrade(database_url)
    add_rollback(database_url, "kiosk-karesuando", "1.0", "canary")
    engine = create_engine(database_url)
    with Session(engine) as session:
        assert canary_rollbacks(session, "1.1") == []
        assert [r.device_id for r in canary_rollbacks(session, "1.0")] == ["kiosk-karesuando"]
    engine.dispose()
