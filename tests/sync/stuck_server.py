"""A real kiosk-central process that stops dead in the middle of ingesting a batch.

`python -m tests.sync.stuck_server DATABASE_URL PORT`: serves the real app, but the second
INSERT of an events:batch transaction blocks forever after printing STUCK, so a test can
SIGKILL the server with a half-written transaction open, as a power cut would.
"""
from __future__ import annotations

import sys
import threading

import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sync.server.api.app import create_app

_inserts = [0]


@event.listens_for(Engine, "before_cursor_execute")
def _hang_mid_batch(_conn, _cursor, statement, _params, _context, _executemany) -> None:
    if statement.lstrip().upper().startswith(("INSERT INTO EVENTS", "INSERT INTO PARCELS")):
        _inserts[0] += 1
        if _inserts[0] == 2:
            print("STUCK", flush=True)
            threading.Event().wait()


def main() -> None:
    url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(create_app(url), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
