"""Shared fixtures for the emulator tests: the recordings folder and emulator instances."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_mistral.local import LocalBedrock
from tests.recordings import RECORDINGS  # noqa: E402  (a copy under tests/fixtures, or ../shared)


@pytest.fixture(scope="session")
def recordings() -> Path:
    if not RECORDINGS.is_dir():
        pytest.skip(f"Bedrock recordings not found at {RECORDINGS}")
    return RECORDINGS


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def bedrock(local_bedrock: LocalBedrock) -> LocalBedrock:
    """The plugin's emulator, cleared for each test."""
    return local_bedrock


@pytest.fixture(scope="session")
def client(local_bedrock_session: LocalBedrock) -> Any:
    return local_bedrock_session.client()


@pytest.fixture
def strict_bedrock() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict") as bedrock:
        yield bedrock
