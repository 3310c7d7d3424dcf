"""Fixtures for the LangChain adapter tests: one emulator per session, hermetic AWS environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_mistral.local import LocalBedrock

LARGE = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"


@pytest.fixture(autouse=True)
def _hermetic_aws_env(hermetic_aws_env: None) -> None:
    """Every test here runs without the developer's AWS variables (see tests/conftest.py)."""


def connection(bedrock: LocalBedrock) -> dict[str, Any]:
    """Constructor arguments that point a model at the emulator."""
    return {
        "endpoint_url": bedrock.endpoint_url,
        "region_name": bedrock.region_name,
        "aws_access_key_id": bedrock.aws_access_key_id,
        "aws_secret_access_key": bedrock.aws_secret_access_key,
    }


@pytest.fixture
def bedrock(local_bedrock: LocalBedrock) -> Iterator[LocalBedrock]:
    """The session emulator, with requests and faults cleared for each test."""
    yield local_bedrock


@pytest.fixture
def conn(bedrock: LocalBedrock) -> dict[str, Any]:
    return connection(bedrock)
