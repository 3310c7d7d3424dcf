"""Suite-wide settings. Property tests are derandomized so a CI run is repeatable: the same examples
every time, and a failure found once is found again."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile(
    "repeatable", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("repeatable")

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


@pytest.fixture
def hermetic_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's AWS variables must not leak into construction, serialization or requests."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_rate_limiters() -> None:
    """Each test starts with no limiter state: every test talks to the same session emulator with the same
    keys, so one test's injected throttles would otherwise pace the next test's calls."""
    from bedrock_mistral.transport.rate_limit import reset_limiters

    reset_limiters()
