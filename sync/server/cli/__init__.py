"""`kiosk-central`: the command groups of the central server's CLI (entry point cli.main:main)."""
