from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.recordings import RECORDINGS
from tests.transport.replay_server import ReplayServer


def recording(name: str) -> Path:
    path = RECORDINGS / name
    if not path.is_dir():
        pytest.skip(f"recordings not found at {RECORDINGS} ")
    return path


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer()
    yield server
    server.close()
