"""Kiosk <-> central server sync: wire protocol, outbox, client, worker and the server."""
from importlib.metadata import version as _installed_version

# Read from the installed distribution (pyproject.toml's version), not from kiosk: sync.server
# imports nothing of the kiosk.
__version__ = _installed_version("servicepunkt")
