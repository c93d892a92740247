"""The updater's real seams: apt and dpkg, systemd, the kiosk's database and files, and the apt
source that `kiosk update source` (provisioning) writes. kiosk/services/updates/updater.py decides."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

# Imported here, not in the methods: the updater replaces these files while it runs, and a
# module first imported after that would come from another version than the rest.
from kiosk.services.updates.health import HEALTH_FILE, Health, read_health
from kiosk.services.updates.updater import PACKAGE, STATE_FILE, UpdaterError, UpdateState
from kiosk.store import db
from kiosk.store.models import Parcel
from sync import outbox

SOURCE_FILE = Path("etc/apt/sources.list.d/servicepunkt.sources")
KEYRING_FILE = Path("etc/apt/keyrings/servicepunkt.asc")
CHANNEL_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}


def _run(command: list[str], what: str, timeout: float = 3600) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                                env={**os.environ, **APT_ENV})
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UpdaterError(f"{what}: {error}") from None
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise UpdaterError(f"{what} failed ({result.returncode}): {' / '.join(tail)}")
    return result.stdout


# --- apt ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AptCli:
    """apt-get/apt-cache/dpkg-query for servicepunkt-kiosk, through the region's source only."""

    source: Path = Path("/") / SOURCE_FILE

    def refresh(self) -> None:
        # Only our source: a slow or broken Debian mirror must not stop a kiosk update.
        _run(["apt-get", "update", "-q", "-o", f"Dir::Etc::SourceList={self.source}",
              "-o", "Dir::Etc::SourceParts=-", "-o", "APT::Get::List-Cleanup=0"], "apt-get update")

    def installed(self) -> str | None:
        try:
            out = _run(["dpkg-query", "-W", "-f=${Status}\t${Version}", PACKAGE], "dpkg-query")
        except UpdaterError:
            return None
        status, _, version = out.partition("\t")
        return version if status.endswith(" installed") else None

    def candidate(self) -> str | None:
        out = _run(["apt-cache", "policy", PACKAGE], "apt-cache policy")
        match = re.search(r"^\s*Candidate:\s*(\S+)", out, re.MULTILINE)
        return match[1] if match and match[1] != "(none)" else None

    def install(self, version: str) -> None:
        # Exact versions both ways (a rollback is a downgrade); conffiles the admin changed stay.
        _run(["apt-get", "install", "-y", "-q", "--allow-downgrades", "--allow-change-held-packages",
              "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
              f"{PACKAGE}={version}"], f"apt-get install {PACKAGE}={version}")

    def hold(self, held: bool) -> None:
        # Held in dpkg too, so a technician's `apt upgrade` does not bring the bad version back.
        _run(["apt-mark", "hold" if held else "unhold", PACKAGE], "apt-mark")


# --- systemd and the installed kiosk --------------------------------------------------------


@dataclass(frozen=True)
class Systemd:
    unit: str = "servicepunkt-kiosk.service"
    kiosk: str = "/usr/bin/kiosk"

    def restart_app(self) -> None:
        _run(["systemctl", "restart", self.unit], f"systemctl restart {self.unit}", timeout=300)

    def stop_app(self) -> None:
        _run(["systemctl", "stop", self.unit], f"systemctl stop {self.unit}", timeout=300)

    def downgrade_schema(self, revision: str) -> None:
        # The installed (newer) version's migrations know how to undo its own changes.
        _run([self.kiosk, "update", "downgrade-db", revision], f"kiosk update downgrade-db {revision}", timeout=600)


@dataclass(frozen=True)
class CommandSystem:
    """Restart and stop as given commands: for a kiosk (or a test root) without systemd."""

    restart: tuple[str, ...]
    stop: tuple[str, ...] = ("true",)
    kiosk: str = "/usr/bin/kiosk"

    def restart_app(self) -> None:
        _run(list(self.restart), "restart the app", timeout=300)

    def stop_app(self) -> None:
        _run(list(self.stop), "stop the app", timeout=300)

    def downgrade_schema(self, revision: str) -> None:
        _run([self.kiosk, "update", "downgrade-db", revision], f"kiosk update downgrade-db {revision}", timeout=600)


# --- the kiosk's data, as its owner ---------------------------------------------------------


@contextmanager
def as_owner_of(path: Path) -> Iterator[None]:
    """Root acts as the owner of the data dir while it touches the database and its files, so
    that the WAL, the journal and the state file it creates stay the app's."""
    if os.geteuid() != 0 or not path.exists():
        yield
        return
    owner = path.stat()
    os.setegid(owner.st_gid)
    os.seteuid(owner.st_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@dataclass(frozen=True)
class KioskFiles:
    data_dir: Path
    database: Path

    def _engine(self) -> Engine:
        return db.create_kiosk_engine(self.database)

    def open_door(self) -> str | None:
        if not self.database.exists():
            return None
        with as_owner_of(self.data_dir):
            engine = self._engine()
            try:
                with Session(engine) as session:
                    pending = session.scalars(select(Parcel.compartment_id).where(Parcel.door_pending.is_not(None))).all()
            finally:
                engine.dispose()
        return f"a door is open in a flow: {', '.join(str(c) for c in pending)}" if pending else None

    def health(self) -> Health | None:
        return read_health(self.data_dir / HEALTH_FILE)

    def schema_revision(self) -> str | None:
        if not self.database.exists():
            return None
        with as_owner_of(self.data_dir):
            engine = create_engine(f"sqlite:///{self.database}")
            try:
                with engine.connect() as connection:
                    return MigrationContext.configure(connection).get_current_revision()
            finally:
                engine.dispose()

    def report(self, event_type: str, payload: dict[str, str]) -> None:
        with as_owner_of(self.data_dir):
            engine = self._engine()
            try:
                db.upgrade(engine)  # a no-op on the kiosk's own file; creates it in a bare root
                sessions = db.session_factory(engine)
                with sessions() as session, session.begin():
                    outbox.enqueue(session, type=event_type, payload=payload)
            finally:
                engine.dispose()

    def load_state(self) -> UpdateState:
        return UpdateState.load(self.data_dir / STATE_FILE)

    def save_state(self, state: UpdateState) -> None:
        with as_owner_of(self.data_dir):
            path = self.data_dir / STATE_FILE
            temporary = path.with_name(f".{path.name}.new")
            temporary.write_text(state.to_json())
            os.replace(temporary, path)


def downgrade_schema(database: Path, data_dir: Path, revision: str) -> None:
    """`kiosk update downgrade-db`: this version's migrations, back to `revision`."""
    with as_owner_of(data_dir):
        engine = db.create_kiosk_engine(database)
        try:
            with db._migration_lock(engine):
                command.downgrade(db.alembic_config(engine), revision)
        finally:
            engine.dispose()


# --- the apt source (provisioning) ----------------------------------------------------------


def channel_of(source: Path) -> str | None:
    """The suite of the region's source: the channel this kiosk follows."""
    try:
        text = source.read_text()
    except FileNotFoundError:
        return None
    match = re.search(r"^Suites:\s*(\S+)", text, re.MULTILINE)
    return match[1] if match else None


def write_apt_source(root: Path, url: str, channel: str, key: bytes) -> list[Path]:
    """The region's repository as an apt source, trusted for its own key only (Signed-By), and
    that public key. `root` is / on a kiosk, a directory in tests. Bad input changes nothing."""
    if not re.match(r"^(https?|file)://\S+$", url):
        raise UpdaterError(f"repository URL must be http(s):// or file://, not {url!r}")
    if not CHANNEL_PATTERN.match(channel):
        raise UpdaterError(f"channel must be a name like canary or stable, not {channel!r}")
    if b"-----BEGIN PGP PUBLIC KEY BLOCK-----" not in key or b"PRIVATE KEY" in key:
        raise UpdaterError("the key must be an ASCII-armoured OpenPGP public key (gpg --armor --export)")
    keyring, source = root / KEYRING_FILE, root / SOURCE_FILE
    keyring.parent.mkdir(parents=True, exist_ok=True)
    source.parent.mkdir(parents=True, exist_ok=True)
    keyring.write_bytes(key)
    keyring.chmod(0o644)
    source.write_text(
        "# The region's Servicepunkt repository (kiosk update source). The channel is the first suite;\n"
        "# <channel>-previous holds the release before, for the updater's rollback.\n"
        f"Types: deb\nURIs: {url}\nSuites: {channel} {channel}-previous\nComponents: main\n"
        f"Signed-By: /{KEYRING_FILE}\n")
    source.chmod(0o644)
    return [keyring, source]
