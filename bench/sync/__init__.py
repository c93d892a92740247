"""bench/sync: the four sync figures of issue 4; `python -m bench.sync`. Results: bench/sync_results.md."""
from __future__ import annotations

from bench.sync.run import main

__all__ = ["main"]
