"""Fixtures of the reliability suite: one emulator for the suite, cleared around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bedrock_mistral.local import LocalBedrock
from tests.reliability.adapters import close_all
from tests.reliability.faulty_bedrock import FaultyBedrock, faulty_bedrock


@pytest.fixture(autouse=True)
def _hermetic_aws_env(hermetic_aws_env: None) -> None:
    """Every test here runs without the developer's AWS variables (see tests/conftest.py)."""


@pytest.fixture(scope="session")
def reliability_emulator() -> Iterator[LocalBedrock]:
    with LocalBedrock() as bedrock:
        yield bedrock
        close_all()


@pytest.fixture
def bedrock(reliability_emulator: LocalBedrock) -> Iterator[LocalBedrock]:
    reliability_emulator.clear()
    yield reliability_emulator
    reliability_emulator.clear()


@pytest.fixture(scope="session")
def faulty_server() -> Iterator[FaultyBedrock]:
    yield from faulty_bedrock()


@pytest.fixture
def faulty(faulty_server: FaultyBedrock) -> Iterator[FaultyBedrock]:
    """The loopback server that answers wrongly on purpose, with no answer queued and nothing received."""
    faulty_server.server.answers.clear()
    faulty_server.server.received.clear()
    yield faulty_server
    faulty_server.server.answers.clear()
