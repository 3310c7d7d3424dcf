"""Fixtures of the reliability suite: one emulator for the suite, cleared around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bedrock_mistral.local import LocalBedrock
from tests.reliability.adapters import close_all

AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
)


@pytest.fixture(autouse=True)
def _hermetic_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)


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
