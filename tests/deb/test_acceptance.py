"""The Debian packages in a Debian 12 root made here with mmdebstrap (`make deb-check`): installed
with apt from the region's signed repository, `kiosk --version` and `doctor` against the
simulators, an upgrade N -> N+1, a broken N+2 rolled back to N+1 by the updater with the outbox
and parcels intact, data kept on removal, and repositories that are unsigned or signed by
another key refused by apt.

Slow (a root of ~250 MB, packages of ~35 MB, three builds of the code package), so not in
`make test`: `make deb-check` builds dist/deb and runs this with SERVICEPUNKT_DEB set.

What the root cannot show: there is no systemd and no display in it, so the updater restarts
"the app" with a command that starts nothing; no version ever reports healthy there, and the
rollback of N+2 is the updater's timeout path. Health itself is tested with seams in
tests/kiosk/test_updater.py.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hardware.sim.runner import SimulatorSet
from kiosk.cli.provisioning.locker_map import default_compartments
from kiosk.config import parse_config, write_config
from kiosk.services.updates.system import write_apt_source
from kiosk.store import db
from kiosk.store.models import Parcel
from sync import outbox
from sync.server.updates.repository import Repository

ROOT = Path(__file__).resolve().parents[2]
DEBS = os.environ.get("SERVICEPUNKT_DEB")
if not DEBS:
    pytest.skip("set SERVICEPUNKT_DEB=dist/deb (make deb-check builds the packages and runs these)",
                allow_module_level=True)
MIRROR = "http://deb.debian.org/debian"
ROOT_PACKAGES = "python3.11,python3,libgl1,libegl1,libmtdev1,adduser"
BASE = subprocess.run(["dpkg-deb", "-f", next(Path(DEBS).glob("servicepunkt-kiosk_*_all.deb")), "Version"],
                      capture_output=True, text=True, check=True).stdout.strip()
NEXT, BROKEN = f"{BASE}+1", f"{BASE}+2"
# The root is made once and kept as a tarball in build/ (mmdebstrap takes minutes); each run
# unpacks a fresh copy.
ROOT_TARBALL = ROOT / "build" / "debian12-root.tar"
pytestmark = [pytest.mark.deb, pytest.mark.timeout(2700)]


def sh(*command: str | Path, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=1800,
                            env={**os.environ, **(env or {})}, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


class DebianRoot:
    """A bookworm root with /proc, /dev and the repository bound in; commands run in it by chroot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mounts: list[Path] = []

    def create(self) -> DebianRoot:
        if not ROOT_TARBALL.exists():
            ROOT_TARBALL.parent.mkdir(parents=True, exist_ok=True)
            partial = ROOT_TARBALL.with_suffix(".partial.tar")
            sh("mmdebstrap", "--mode=root", "--variant=apt", f"--include={ROOT_PACKAGES}", "bookworm", partial, MIRROR)
            partial.rename(ROOT_TARBALL)
        self.path.mkdir()
        sh("tar", "-C", self.path, "-xpf", ROOT_TARBALL)
        for _source, target, options in ((None, "proc", ["-t", "proc", "proc"]), ("/dev", "dev", ["--bind", "/dev"]),
                                        ("/dev/pts", "dev/pts", ["--bind", "/dev/pts"])):
            sh("mount", *options, self.path / target)
            self.mounts.append(self.path / target)
        return self

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("chroot", self.path, *command, check=check, env={"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"})

    def uid(self, user: str) -> tuple[int, int]:
        for line in (self.path / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return int(fields[2]), int(fields[3])
        raise AssertionError(f"no user {user} in the root")

    def close(self) -> None:
        for mount in reversed(self.mounts):
            sh("umount", "--lazy", mount, check=False)


def build_code_package(version: str, out: Path, broken: bool = False) -> Path:
    """servicepunkt-kiosk at another version, from a copy of this checkout (the same lock, so
    the same runtime); `broken` makes its `kiosk` fail at start."""
    tree = out / f"src-{version}"
    files = sh("git", "-C", ROOT, "ls-files", "-co", "--exclude-standard").stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(re.sub(r'^version = ".*"$', f'version = "{version}"', pyproject.read_text(), count=1,
                                flags=re.MULTILINE))
    changelog = tree / "debian/changelog"
    changelog.write_text(f"servicepunkt ({version}) bookworm; urgency=medium\n\n  * Test release.\n\n"
                         f" -- Test <t@example.se>  Mon, 07 Dec 2026 23:00:00 +0000\n\n" + changelog.read_text())
    if broken:
        main = tree / "kiosk/cli/main.py"
        main.write_text(main.read_text() + '\nraise SystemExit("deliberately broken release")\n')
    sh(sys.executable, tree / "scripts/build_deb.py", "--only", "kiosk", "--out", out)
    return next(out.glob(f"servicepunkt-kiosk_{version}_all.deb"))


def gpg(home: Path, *args: str) -> str:
    return sh("gpg", "--batch", "--homedir", home, *args).stdout


def new_key(home: Path, name: str) -> tuple[str, bytes]:
    home.mkdir(mode=0o700)
    gpg(home, "--passphrase", "", "--quick-gen-key", f"{name} <apt@example.se>", "ed25519", "sign", "never")
    fingerprint = next(line.split(":")[9] for line in gpg(home, "--with-colons", "--list-secret-keys").splitlines()
                       if line.startswith("fpr:"))
    return fingerprint, gpg(home, "--armor", "--export", fingerprint).encode()


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, object]]:
    scratch = Path(tempfile.mkdtemp(prefix="servicepunkt-deb-check-"))
    debian = DebianRoot(scratch / "root")
    try:
        home = scratch / "gnupg"
        fingerprint, public_key = new_key(home, "Servicepunkt test region")
        os.environ["GNUPGHOME"] = str(home)  # reprepro signs with the region's key
        repository = Repository(scratch / "apt")
        repository.init(fingerprint)
        yield {"scratch": scratch, "root": debian.create(), "repo": repository, "key": public_key}
    finally:
        debian.close()
        os.environ.pop("GNUPGHOME", None)
        shutil.rmtree(scratch, ignore_errors=True)


def publish(world: dict[str, object], debs: list[Path]) -> None:
    repository, debian = world["repo"], world["root"]
    assert isinstance(repository, Repository) and isinstance(debian, DebianRoot)
    repository.publish("canary", debs)
    # The kiosk reads the repository as file:///srv/apt: a copy of what the region publishes.
    shutil.rmtree(debian.path / "srv/apt", ignore_errors=True)
    for part in ("dists", "pool"):
        shutil.copytree(repository.basedir / part, debian.path / "srv/apt" / part)


def counts(database: Path) -> tuple[int, int]:
    engine = db.create_kiosk_engine(database)
    try:
        with Session(engine) as session:
            return (session.scalar(select(func.count()).select_from(Parcel)) or 0,
                    session.scalar(select(func.count()).select_from(outbox.OutboxEvent)) or 0)
    finally:
        engine.dispose()


def seed(database: Path, owner: tuple[int, int]) -> None:
    """One parcel in A1 and one event in the outbox, as a day at the kiosk leaves them."""
    engine = db.create_kiosk_engine(database)
    db.upgrade(engine)
    with db.session_factory(engine)() as session, session.begin():
        session.add(Parcel(id="p-1", tracking_id="TRACK1", barcode_kind="code128", compartment_id="A1",
                           state="stored", code_salt=b"s" * 16, code_hash=b"h" * 32, stored_at=datetime.now(UTC)))
        outbox.enqueue(session, type="pickup.locked_out", payload={"wrong_attempts": 5, "paused_for_s": 300})
    engine.dispose()
    for path in database.parent.glob("kiosk.db*"):
        os.chown(path, *owner)


def test_install_upgrade_and_rollback_in_a_debian_root(world: dict[str, object]) -> None:
    debian, scratch = world["root"], world["scratch"]
    assert isinstance(debian, DebianRoot) and isinstance(scratch, Path)
    base = [*Path(DEBS).glob("servicepunkt-kiosk_*_all.deb"),
            *Path(DEBS).glob("servicepunkt-kiosk-runtime-*_amd64.deb")]
    publish(world, base)
    key = world["key"]
    assert isinstance(key, bytes)
    write_apt_source(debian.path, "file:///srv/apt", "canary", key)  # what `kiosk update source` writes

    debian.run("apt-get", "update", "-q")
    debian.run("apt-get", "install", "-y", "-q", "--no-install-recommends", "servicepunkt-kiosk")
    assert debian.run("kiosk", "--version").stdout.strip() == f"kiosk, version {BASE}"

    # doctor, as the kiosk user, against the simulators on this machine's pseudo-terminals.
    with SimulatorSet() as sims:
        ports = sims.ports
        for kind in ("locker", "card_reader", "scanner", "printer"):
            os.chmod(ports[kind], 0o666)  # pseudo-terminals of root's; the kiosk user opens them
        config = parse_config({
            "data_dir": "/var/lib/servicepunkt", "fullscreen": False,
            "locker": {"port": ports["locker"], "compartments": [c.model_dump() for c in default_compartments(8)]},
            "card_reader": {"port": ports["card_reader"]}, "scanner": {"port": ports["scanner"]},
            "printer": {"port": ports["printer"]}})
        config_file = debian.path / "etc/servicepunkt/kiosk.toml"
        write_config(config, config_file)
        owner = debian.uid("kiosk")
        os.chown(config_file, *owner)
        doctor = debian.run("kiosk", "doctor", check=False)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert [line.split()[0] for line in doctor.stdout.splitlines()] == ["ok"] * 4

    database = debian.path / "var/lib/servicepunkt/kiosk.db"
    seed(database, owner)
    parcels, events = counts(database)
    assert (parcels, events) == (1, 1)

    # N -> N+1 through the signed repository.
    publish(world, [build_code_package(NEXT, scratch / "next")])
    debian.run("apt-get", "update", "-q")
    debian.run("apt-get", "install", "-y", "-q", "--no-install-recommends", "servicepunkt-kiosk")
    assert debian.run("kiosk", "--version").stdout.strip() == f"kiosk, version {NEXT}"
    assert counts(database) == (parcels, events)

    # A broken N+2: the updater installs it, no healthy report comes, N+1 goes back.
    publish(world, [build_code_package(BROKEN, scratch / "broken", broken=True)])
    (debian.path / "etc/servicepunkt/updater-test.toml").write_text(
        'window_start = "00:00"\nwindow_end = "00:00"\nhealth_timeout_s = 10\npoll_s = 1\nrequire = ["app"]\n')
    update = debian.run("kiosk", "update", "run", "--settings", "/etc/servicepunkt/updater-test.toml",
                        "--restart-command", "true", check=False)
    assert update.returncode == 0, update.stdout + update.stderr
    assert update.stdout.startswith(f"rolled back {BROKEN} -> {NEXT}: health check failed"), update.stdout
    assert debian.run("kiosk", "--version").stdout.strip() == f"kiosk, version {NEXT}"
    assert debian.run("apt-mark", "showhold").stdout.split() == ["servicepunkt-kiosk"]
    assert counts(database) == (parcels, events + 1)  # + update.rolled_back
    assert "held: " + BROKEN in debian.run("kiosk", "update", "status").stdout
    again = debian.run("kiosk", "update", "run", "--settings", "/etc/servicepunkt/updater-test.toml",
                       "--restart-command", "true")
    assert again.stdout.startswith(f"not now: channel held after {BROKEN}")

    # Removal (and purge) leave the data where it was.
    debian.run("apt-get", "purge", "-y", "-q", "--allow-change-held-packages", "servicepunkt-kiosk")
    assert counts(database) == (parcels, events + 1)
    assert (debian.path / "etc/servicepunkt/kiosk.toml").is_file()


def test_apt_refuses_an_unsigned_or_wrongly_signed_repository(world: dict[str, object]) -> None:
    debian, scratch, key = world["root"], world["scratch"], world["key"]
    assert isinstance(debian, DebianRoot) and isinstance(scratch, Path) and isinstance(key, bytes)
    repository = world["repo"]
    assert isinstance(repository, Repository)
    if not (debian.path / "srv/apt").exists():  # run on its own
        publish(world, [*Path(DEBS).glob("servicepunkt-kiosk_*_all.deb")])
    sources = debian.path / "etc/apt/sources.list.d"
    saved = {path: path.read_bytes() for path in sources.glob("servicepunkt*")}
    unsigned = debian.path / "srv/unsigned"
    shutil.rmtree(unsigned, ignore_errors=True)
    shutil.copytree(repository.basedir / "dists", unsigned / "dists")
    for signature in unsigned.glob("dists/*/InRelease"):
        signature.unlink()
    for signature in unsigned.glob("dists/*/Release.gpg"):
        signature.unlink()
    try:
        write_apt_source(debian.path, "file:///srv/unsigned", "canary", key)
        refused = debian.run("apt-get", "update", "-q", check=False)
        assert refused.returncode != 0 and "is not signed" in refused.stdout + refused.stderr

        # Trusting another key: a kiosk that never had the region's index gets none (one that
        # had it keeps the old one, and apt only warns).
        _, other_key = new_key(scratch / "other-gnupg", "Someone else")
        write_apt_source(debian.path, "file:///srv/apt", "canary", other_key)
        for index in (debian.path / "var/lib/apt/lists").glob("_srv_apt_*"):
            index.unlink()
        refused = debian.run("apt-get", "update", "-q", check=False)
        output = refused.stdout + refused.stderr
        assert "NO_PUBKEY" in output and "is not signed" in output, output
        assert refused.returncode != 0
        assert not list((debian.path / "var/lib/apt/lists").glob("_srv_apt_*Packages*"))
    finally:
        for path, content in saved.items():
            path.write_bytes(content)
