"""The central server (kiosk-central): feature packages, see docs/central.md and tests/test_layout.py."""
