"""The kiosk's Ed25519 device key: generated at provisioning, never baked into an image."""
from __future__ import annotations

import base64
import os
import stat
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.errors import KeyFileError


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def generate_device_key(path: str | os.PathLike[str], *, overwrite: bool = False) -> str:
    """Create an Ed25519 key file (PEM, mode 0600) atomically; return the public key (base64).

    Refuses to replace an existing key unless `overwrite`: losing it means re-enrolling.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; refusing to replace the device key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the path appeared meanwhile: never clobbers
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return public_key_b64(key)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_device_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise KeyFileError(f"{path} is readable by others; it must be mode 0600")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileError(f"cannot read device key {path}: {exc}") from exc
    except ValueError as exc:
        raise KeyFileError(f"{path} is not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key")
    return key


def pending_key_path(path: str | os.PathLike[str]) -> Path:
    """Where a rotation keeps the new key until the server has switched to it."""
    path = Path(path)
    return path.with_name(path.name + ".new")


def adopt_pending_key(path: str | os.PathLike[str]) -> bool:
    """Make the pending new key the device key (atomic rename); False if there is none."""
    pending = pending_key_path(path)
    if not pending.exists():
        return False
    os.replace(pending, path)
    _fsync_dir(Path(path).parent)
    return True
