"""Fixtures of the end-to-end tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.system import Processes


@pytest.fixture
def processes(output_dir: Path):
    """The programs a test starts; all stopped afterwards, whatever happens."""
    children = Processes(output_dir)
    try:
        yield children
    finally:
        children.stop_all()
