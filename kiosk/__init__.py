"""Servicepunkt kiosk: the touchscreen app and the technician CLI."""
from importlib.metadata import version as _installed_version

# The one version number lives in pyproject.toml; the installed distribution's metadata carries it
# (an editable install, the venv of the Debian package, the PyInstaller bundle's copied metadata).
__version__ = _installed_version("servicepunkt")
