"""Kiosk <-> central server sync: wire protocol, outbox, client, worker and the server."""
