#!/usr/bin/env python3
"""Builds the Debian packages (`make deb`) into dist/deb/:

  servicepunkt-kiosk_<version>_all.deb          our code: /opt/servicepunkt/app, /usr/bin/kiosk,
                                                the units, udev rules, LightDM settings (~1 MB)
  servicepunkt-kiosk-runtime-<lock>_1_<arch>.deb the locked dependencies (requirements/kiosk.txt)
                                                as a venv in /opt/servicepunkt/runtime/<lock>,
                                                for amd64 and arm64
  servicepunkt-central_<version>_amd64.deb      the central server: /opt/servicepunkt/venv

Why dpkg-deb and not debhelper: the packages are not built from source by Debian's Python
toolchain but laid out from wheels (the arm64 ones for another machine, which debhelper's
cross-building cannot run here); a layout script plus dpkg-deb does that in one readable step,
and lintian checks the result either way.

Why the runtime's name carries the lock's hash (as linux-image-<abi> does): a release that keeps
the lock needs only the small code package, and a rollback to a release with another lock finds
its runtime still installed beside the new one (its own directory), so going back downloads
nothing big either. The venv is assembled by hand, not with `python -m venv`: the Pi's Python is
not this machine's, and the layout of a venv (pyvenv.cfg, bin/python -> /usr/bin/python3.11,
lib/python3.11/site-packages) is all the interpreter needs.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PYTHON = "python3.11"  # Debian 12 and Raspberry Pi OS bookworm
MAINTAINER = "Region Norrbotten Servicepunkt <servicepunkt@example.se>"
HOMEPAGE = "https://servicepunkt.example.se"
RUNTIME_REVISION = "1"  # bump when the runtime's packaging changes but its lock does not
# Wheels for bookworm's glibc 2.36, newest tag first; pip takes the first a release has.
ARCHES = {"amd64": "x86_64", "arm64": "aarch64"}
GLIBC_TAGS = ("manylinux_2_36", "manylinux_2_34", "manylinux_2_28", "manylinux_2_17", "manylinux2014")
# The kiosk needs none of the central server's code (kiosk.spec leaves it out too).
KIOSK_LEAVES_OUT = ("sync/server",)
SHARED_OBJECT = re.compile(r"\.so(\.[0-9.]+)?$")
KIOSK_UNITS = ("servicepunkt-kiosk.service", "servicepunkt-update.service", "servicepunkt-update.timer")


class BuildError(Exception):
    """A build that cannot go on: the message says what to fix."""


@dataclass
class Package:
    """One binary package: its control fields and the tree it is built from."""

    name: str
    version: str
    architecture: str
    description: str
    depends: list[str] = field(default_factory=list)
    recommends: list[str] = field(default_factory=list)
    extra_fields: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)  # postinst -> text
    conffiles: list[str] = field(default_factory=list)
    tree: Path = Path()

    def control(self, installed_kib: int) -> str:
        summary, _, body = self.description.partition("\n")
        fields = {"Package": self.name, "Version": self.version, "Architecture": self.architecture,
                  "Maintainer": MAINTAINER, "Installed-Size": str(installed_kib), "Section": "misc",
                  "Priority": "optional", "Homepage": HOMEPAGE, **self.extra_fields}
        if self.depends:
            fields["Depends"] = ", ".join(self.depends)
        if self.recommends:
            fields["Recommends"] = ", ".join(self.recommends)
        lines = [f"{key}: {value}" for key, value in fields.items()]
        lines.append(f"Description: {summary}")
        lines += [f" {line}" if line else " ." for line in body.strip().splitlines()]
        return "\n".join(lines) + "\n"


def run(*command: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(part) for part in command], check=True, cwd=cwd)


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def changelog_version() -> str:
    first = (ROOT / "debian" / "changelog").read_text().splitlines()[0]
    match = re.match(r"^servicepunkt \(([^)]+)\)", first)
    if not match:
        raise BuildError(f"debian/changelog: cannot read the version from its first line: {first!r}")
    return match[1]


def lock_id(lock: Path) -> str:
    """What names a runtime: the lock's content, so the same lock builds the same package name."""
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:12]


def build_wheel(work: Path) -> Path:
    out = work / "wheel"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, ROOT)
    (wheel,) = out.glob("servicepunkt-*.whl")
    return wheel


def pip_target(target: Path, *args: str | Path) -> None:
    """pip install into a plain directory (a venv's site-packages), then drop what pip adds
    that belongs to this machine: console scripts with its interpreter, the source path."""
    run(sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--no-deps", "--target", target, *args)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for direct_url in target.glob("*.dist-info/direct_url.json"):
        direct_url.unlink()


def platform_args(arch: str) -> list[str]:
    machine = ARCHES[arch]
    args = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
            "--abi", "abi3", "--abi", "none"]
    for tag in GLIBC_TAGS:
        args += ["--platform", f"{tag}_{machine}"]
    return args


def make_venv(prefix: Path, installed_at: str, lock: Path, arch: str) -> Path:
    """A venv at `installed_at` on the target, laid out under `prefix`, with the lock's wheels."""
    site = prefix / "lib" / PYTHON / "site-packages"
    site.mkdir(parents=True)
    pip_target(site, "--require-hashes", *platform_args(arch), "-r", lock)
    (prefix / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n"
        f"# Laid out by scripts/build_deb.py for {installed_at} (the interpreter is Debian's {PYTHON}).\n")
    bin_dir = prefix / "bin"
    bin_dir.mkdir()
    for name in ("python", "python3", PYTHON):
        (bin_dir / name).symlink_to(f"/usr/bin/{PYTHON}")
    return site


def entry_point(name: str) -> str:
    """`module:function` of a console script in pyproject.toml's [project.scripts]."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return str(scripts[name])


def write_console_script(path: Path, python: str, target: str) -> None:
    module, _, function = target.partition(":")
    path.write_text(f"#!{python}\n# {path.name}: the entry point in pyproject.toml ({target}).\n"
                    f"import sys\n\nfrom {module} import {function}\n\nsys.exit({function}())\n")
    path.chmod(0o755)


def template(name: str, **values: str) -> str:
    text = (DEPLOY / "debian" / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if left:
        raise BuildError(f"deploy/debian/{name}: no value for {', '.join(left)}")
    return text


def install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def add_docs(package: Package) -> None:
    """/usr/share/doc/<name>: copyright (the licence) and the changelog, as policy asks."""
    doc = package.tree / "usr" / "share" / "doc" / package.name
    doc.mkdir(parents=True, exist_ok=True)
    copyright_header = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
                        "Upstream-Name: servicepunkt\n\nFiles: *\nCopyright: Region Norrbotten\n"
                        "License: EUPL-1.2\n")
    licence = (ROOT / "LICENSE").read_text().strip().splitlines()
    body = "\n".join(f" {line}" if line.strip() else " ." for line in licence)
    (doc / "copyright").write_text(copyright_header + body + "\n")
    # Native packages (no Debian revision) keep the changelog as changelog.gz.
    name = "changelog.gz" if "-" not in package.version else "changelog.Debian.gz"
    with open(doc / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write((ROOT / "debian" / "changelog").read_bytes())
    overrides = DEPLOY / "debian" / f"{package_kind(package.name)}.lintian-overrides"
    if overrides.exists():
        install(overrides, package.tree / "usr" / "share" / "lintian" / "overrides" / package.name)
        text = (package.tree / "usr/share/lintian/overrides" / package.name).read_text()
        (package.tree / "usr/share/lintian/overrides" / package.name).write_text(
            text.replace("@PACKAGE@", package.name))


def package_kind(name: str) -> str:
    return "runtime" if name.startswith("servicepunkt-kiosk-runtime") else name.removeprefix("servicepunkt-")


def kiosk_package(wheel: Path, version: str, runtime_name: str, work: Path) -> Package:
    tree = work / "kiosk"
    app = tree / "opt" / "servicepunkt" / "app"
    pip_target(app, wheel)
    for left_out in KIOSK_LEAVES_OUT:
        shutil.rmtree(app / left_out)
    # Fonts, icons, sounds: the code finds them beside its packages, as in a checkout.
    shutil.copytree(ROOT / "assets", app / "assets")
    runtime_dir = f"/opt/servicepunkt/runtime/{runtime_name.removeprefix('servicepunkt-kiosk-runtime-')}"
    launcher = tree / "usr" / "bin" / "kiosk"
    launcher.parent.mkdir(parents=True)
    launcher.write_text(template("kiosk-launcher", PYTHON=f"{runtime_dir}/bin/python"))
    launcher.chmod(0o755)
    units = tree / "lib" / "systemd" / "system"
    for unit in KIOSK_UNITS:
        install(DEPLOY / unit, units / unit)
    install(DEPLOY / "99-servicepunkt.rules", tree / "lib" / "udev" / "rules.d" / "99-servicepunkt.rules")
    # LightDM reads packages' defaults from /usr/share; /etc/lightdm/lightdm.conf.d stays the admin's.
    install(DEPLOY / "lightdm-servicepunkt.conf", tree / "usr/share/lightdm/lightdm.conf.d/50-servicepunkt.conf")
    install(DEPLOY / "updater.toml", tree / "etc" / "servicepunkt" / "updater.toml")
    return Package(
        name="servicepunkt-kiosk", version=version, architecture="all", tree=tree,
        description=("Servicepunkt kiosk app and technician CLI\n"
                     "The touchscreen app of a village service point (parcel lockers, video calls,\n"
                     "e-services) and the `kiosk` command that provisions and looks after it.\n"
                     "Its dependencies come in the runtime package built from the same lock."),
        depends=[f"{runtime_name} (= {RUNTIME_REVISION})", PYTHON, "python3", "adduser"],
        recommends=["chromium | chromium-browser", "espeak-ng", "x11-xserver-utils", "unclutter",
                    "fonts-dejavu-core", "lightdm"],
        scripts={name: template(f"kiosk.{name}", PYTHON=PYTHON) for name in ("postinst", "prerm", "postrm")},
        conffiles=["/etc/servicepunkt/updater.toml"])


def runtime_package(lock: Path, arch: str, work: Path) -> Package:
    lock_hash = lock_id(lock)
    tree = work / f"runtime-{arch}"
    prefix = tree / "opt" / "servicepunkt" / "runtime" / lock_hash
    site = make_venv(prefix, f"/opt/servicepunkt/runtime/{lock_hash}", lock, arch)
    # Our code lives in the kiosk package's /opt/servicepunkt/app; this venv finds it there.
    (site / "servicepunkt-app.pth").write_text("/opt/servicepunkt/app\n")
    install(lock, tree / "usr" / "share" / "doc" / f"servicepunkt-kiosk-runtime-{lock_hash}" / "requirements.txt")
    return Package(
        name=f"servicepunkt-kiosk-runtime-{lock_hash}", version=RUNTIME_REVISION, architecture=arch, tree=tree,
        description=("Servicepunkt kiosk runtime (locked Python dependencies)\n"
                     "Kivy, SQLAlchemy, pydantic and the rest of requirements/kiosk.txt as a virtual\n"
                     "environment in /opt/servicepunkt/runtime, for the servicepunkt-kiosk package\n"
                     "built against the same lock."),
        depends=[PYTHON, "python3", "libc6 (>= 2.36)", "libgl1", "libegl1", "libmtdev1"],
        scripts={name: template(f"runtime.{name}", PYTHON=PYTHON, PREFIX=f"/opt/servicepunkt/runtime/{lock_hash}")
                 for name in ("postinst", "prerm")})


def central_package(wheel: Path, version: str, lock: Path, work: Path) -> Package:
    tree = work / "central"
    prefix = tree / "opt" / "servicepunkt" / "venv"
    site = make_venv(prefix, "/opt/servicepunkt/venv", lock, "amd64")
    pip_target(site, wheel)
    write_console_script(prefix / "bin" / "kiosk-central", "/opt/servicepunkt/venv/bin/python",
                         entry_point("kiosk-central"))
    (tree / "usr" / "bin").mkdir(parents=True)
    (tree / "usr" / "bin" / "kiosk-central").symlink_to("/opt/servicepunkt/venv/bin/kiosk-central")
    install(DEPLOY / "servicepunkt-central.service", tree / "lib/systemd/system/servicepunkt-central.service")
    install(DEPLOY / "central.env", tree / "etc" / "servicepunkt" / "central.env", 0o640)
    return Package(
        name="servicepunkt-central", version=version, architecture="amd64", tree=tree,
        description=("Servicepunkt central server\n"
                     "The region's sync API for the kiosks, the coordinators' commands\n"
                     "(kiosk-central) and the kiosks' apt repository tools."),
        depends=[PYTHON, "python3", "libc6 (>= 2.36)", "adduser"],
        recommends=["postgresql", "reprepro", "gnupg"],
        scripts={name: template(f"central.{name}", PYTHON=PYTHON) for name in ("postinst", "prerm")},
        conffiles=["/etc/servicepunkt/central.env"])


def build_package(package: Package, out: Path, epoch: int) -> Path:
    add_docs(package)
    debian = package.tree / "DEBIAN"
    debian.mkdir(parents=True, exist_ok=True)
    for name, text in package.scripts.items():
        (debian / name).write_text(text)
        (debian / name).chmod(0o755)
    if package.conffiles:
        (debian / "conffiles").write_text("\n".join(package.conffiles) + "\n")
    sums = []
    size = 0
    for path in sorted(package.tree.rglob("*")):
        if debian in path.parents or path == debian:
            continue
        if path.is_file() and not path.is_symlink():
            size += path.stat().st_size
            sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(package.tree)}")
    (debian / "md5sums").write_text("\n".join(sums) + "\n")
    (debian / "control").write_text(package.control(installed_kib=(size + 1023) // 1024))
    normalise(package.tree, epoch)
    target = out / f"{package.name}_{package.version}_{package.architecture}.deb"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(package.tree), str(target)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return target


def normalise(tree: Path, epoch: int) -> None:
    """Same input, same package: one mtime, no byte-code, modes from the tree's intent only."""
    for cache in list(tree.rglob("__pycache__")):
        shutil.rmtree(cache)
    for path in tree.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        elif SHARED_OBJECT.search(path.name):
            path.chmod(0o644)  # loaded, never run: policy wants them not executable
        elif not path.name.endswith(".env"):
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def source_epoch() -> int:
    """The commit's time (reproducible builds), else now."""
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        return int(out)
    except (subprocess.CalledProcessError, ValueError, FileNotFoundError):
        return int(time.time())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "deb")
    parser.add_argument("--only", choices=("kiosk", "runtime", "central"), action="append",
                        help="build only these (repeatable); default: all")
    parser.add_argument("--arch", choices=tuple(ARCHES), action="append",
                        help="runtime architectures (repeatable); default: amd64 and arm64")
    args = parser.parse_args(argv)
    wanted = set(args.only or ("kiosk", "runtime", "central"))
    arches = args.arch or list(ARCHES)
    version = project_version()
    try:
        if changelog_version() != version:
            raise BuildError(f"debian/changelog's newest entry is {changelog_version()}, pyproject.toml says "
                             f"{version}: add a changelog entry for {version}")
        if not (ROOT / "LICENSE").is_file():
            raise BuildError("LICENSE is missing: the packages' copyright files are made from it")
        args.out.mkdir(parents=True, exist_ok=True)
        kiosk_lock = ROOT / "requirements" / "kiosk.txt"
        runtime_name = f"servicepunkt-kiosk-runtime-{lock_id(kiosk_lock)}"
        epoch = source_epoch()
        with tempfile.TemporaryDirectory(prefix="servicepunkt-deb-") as scratch:
            work = Path(scratch)
            wheel = build_wheel(work)
            built = []
            if "kiosk" in wanted:
                built.append(build_package(kiosk_package(wheel, version, runtime_name, work), args.out, epoch))
            if "runtime" in wanted:
                for arch in arches:
                    built.append(build_package(runtime_package(kiosk_lock, arch, work), args.out, epoch))
            if "central" in wanted:
                central = central_package(wheel, version, ROOT / "requirements" / "central.txt", work)
                built.append(build_package(central, args.out, epoch))
    except BuildError as error:
        print(f"build_deb: {error}", file=sys.stderr)
        return 2
    for path in built:
        print(f"{path.stat().st_size / 1e6:8.2f} MB  {path.relative_to(ROOT) if ROOT in path.parents else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
