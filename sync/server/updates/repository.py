"""The region's signed apt repository for the kiosks (`kiosk-central repo …`), kept by reprepro.

Channels are suites: `canary` (a few kiosks) and `stable` (all). Each has a `<channel>-previous`
suite holding what the channel offered before its last release, because bookworm's reprepro
keeps one version of a package per suite and a kiosk's updater must find the version it rolls
back to in the repository. A kiosk's apt source lists both (`kiosk update source`); apt's
candidate is the channel's newest. Runtimes are named by their lock's hash, so a release that
keeps the lock adds only the small code package.

Promoting a version from canary to stable is refused while any kiosk reported that it rolled
that version back (`update.rolled_back` in the events table), unless overridden.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server.db.kiosks import EventRow

CHANNELS = ("canary", "stable")
ARCHITECTURES = ("amd64", "arm64")
KIOSK_PACKAGE = "servicepunkt-kiosk"
# Everything the region publishes: the code, the runtimes it names, the central server.
OURS = "Package (% servicepunkt-*)"
FINGERPRINT = re.compile(r"^[0-9A-F]{16,40}$")


class RepoError(Exception):
    """A repository step that cannot be done; the message says why."""


@dataclass(frozen=True)
class Rollback:
    device_id: str
    reason: str


def distributions(fingerprint: str, origin: str) -> str:
    """reprepro's conf/distributions: each channel and its -previous, signed with the region's key."""
    if not FINGERPRINT.match(fingerprint):
        raise RepoError(f"signing key must be a key id or fingerprint (hex), not {fingerprint!r}")
    blocks = []
    for channel in CHANNELS:
        for suite in (channel, f"{channel}-previous"):
            blocks.append(f"Origin: {origin}\nLabel: {origin}\nCodename: {suite}\nSuite: {suite}\n"
                          f"Architectures: {' '.join(ARCHITECTURES)}\nComponents: main\n"
                          f"Description: Servicepunkt kiosks, channel {suite}\nSignWith: {fingerprint}\n")
    return "\n".join(blocks)


@dataclass(frozen=True)
class Repository:
    basedir: Path

    def _reprepro(self, *args: str) -> str:
        command = ["reprepro", "--basedir", str(self.basedir), *args]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        except FileNotFoundError:
            raise RepoError("reprepro is not installed (apt-get install reprepro)") from None
        if result.returncode != 0:
            raise RepoError(f"reprepro {' '.join(args[:2])}: {(result.stderr or result.stdout).strip()}")
        return result.stdout

    def init(self, fingerprint: str, origin: str = "Servicepunkt") -> None:
        conf = self.basedir / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "distributions").write_text(distributions(fingerprint, origin))
        (conf / "options").write_text("# the region's repository: keep it quiet, fail loudly\nsilent\n")
        self._reprepro("export")

    def version(self, suite: str, package: str = KIOSK_PACKAGE) -> str | None:
        out = self._reprepro("-T", "deb", "--list-format", "${version}\n", "list", suite, package)
        versions = sorted(set(out.split()))
        return versions[-1] if versions else None

    def _keep_previous(self, channel: str) -> None:
        if self.version(channel) is not None:
            self._reprepro("copyfilter", f"{channel}-previous", channel, OURS)

    def publish(self, channel: str, debs: list[Path]) -> None:
        """Add packages to a channel; what it offered before moves to <channel>-previous."""
        check_channel(channel)
        missing = [str(deb) for deb in debs if not deb.is_file()]
        if missing:
            raise RepoError(f"no such package file: {', '.join(missing)}")
        self._keep_previous(channel)
        self._reprepro("includedeb", channel, *(str(deb) for deb in debs))

    def promote(self, version: str, rollbacks: list[Rollback], *, override: bool = False) -> None:
        """canary's servicepunkt-kiosk `version`, and its runtime, to stable."""
        offered = self.version("canary")
        if offered != version:
            raise RepoError(f"canary offers {offered or 'nothing'}, not {version}")
        if rollbacks and not override:
            kiosks = ", ".join(sorted({r.device_id for r in rollbacks}))
            raise RepoError(f"{version} was rolled back on canary kiosks ({kiosks}): {rollbacks[0].reason}; "
                            "fix it, or promote with --override")
        self._keep_previous("stable")
        self._reprepro("copyfilter", "stable", "canary", OURS)


def check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise RepoError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")


def canary_rollbacks(session: Session, version: str) -> list[Rollback]:
    """The canary kiosks that reported rolling `version` back (the fleet's update.rolled_back)."""
    found = []
    for device_id, payload in session.execute(
            select(EventRow.device_id, EventRow.payload).where(EventRow.type == "update.rolled_back",
                                                               EventRow.status == "accepted")):
        data = json.loads(payload)
        if data.get("from_version") == version and data.get("channel") == "canary":
            found.append(Rollback(device_id=device_id, reason=str(data.get("reason", ""))))
    return found
