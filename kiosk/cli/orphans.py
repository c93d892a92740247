"""Child processes that cannot outlive the process that started them, even if it is killed."""
from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_when_parent_dies() -> None:
    """For Popen(preexec_fn=...): Linux sends the child SIGTERM when its parent exits, so a
    SIGKILLed demo leaves no server, simulator or window behind."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
