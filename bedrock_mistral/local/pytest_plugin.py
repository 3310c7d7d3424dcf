"""pytest fixtures for code that talks to Bedrock: `local_bedrock` (per test) and `local_bedrock_session`.

Registered through the `pytest11` entry point, so installing the package makes the fixtures available.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bedrock_mistral.local.emulator import LocalBedrock


@pytest.fixture(scope="session")
def local_bedrock_session() -> Iterator[LocalBedrock]:
    """One emulator for the whole session (default auth and engine)."""
    from bedrock_mistral.local.emulator import LocalBedrock

    with LocalBedrock() as bedrock:
        yield bedrock


@pytest.fixture
def local_bedrock(local_bedrock_session: LocalBedrock) -> Iterator[LocalBedrock]:
    """The session emulator with no faults and no recorded requests, cleaned again after the test."""
    local_bedrock_session.clear()
    yield local_bedrock_session
    local_bedrock_session.clear()
