"""The one sanctioned way across threads.

Serial I/O, hashing and database work run on a small worker pool; results come back to Kivy's
main thread through Clock, so no widget is ever touched from a worker.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from kivy.clock import Clock

log = logging.getLogger(__name__)


class Bridge:
    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-worker")

    def run_in_worker(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[BaseException], None]) -> None:
        future = self._pool.submit(fn)
        future.add_done_callback(lambda done: self._deliver(done, on_done, on_error))

    def call_on_main(self, fn: Callable[..., Any], *args: Any) -> None:
        Clock.schedule_once(lambda _dt: fn(*args))

    def _deliver(self, future: Future, on_done, on_error) -> None:
        error = future.exception()
        if error is not None:
            log.warning("worker task failed: %r", error, exc_info=error)
            self.call_on_main(on_error, error)
        else:
            self.call_on_main(on_done, future.result())

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
