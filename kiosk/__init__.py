"""Servicepunkt kiosk: the touchscreen app and the technician CLI."""
__version__ = "0.1.0"
