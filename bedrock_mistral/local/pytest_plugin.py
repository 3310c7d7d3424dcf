"""pytest fixtures for code that talks to Bedrock: `local_bedrock` (per test) and `local_bedrock_session`;
`local_bedrock_batch` for batch jobs (the emulator with moto's S3 server on loopback).

Registered through the `pytest11` entry point, so installing the package makes the fixtures available.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bedrock_mistral.local.emulator import LocalBedrock

_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body failed, so teardown does not add unused-script noise to a failure."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def local_bedrock_session() -> Iterator[LocalBedrock]:
    """One emulator for the whole session (default auth and engine)."""
    from bedrock_mistral.local.emulator import LocalBedrock

    with LocalBedrock() as bedrock:
        yield bedrock


@pytest.fixture
def local_bedrock(
    request: pytest.FixtureRequest, local_bedrock_session: LocalBedrock
) -> Iterator[LocalBedrock]:
    """The session emulator with no faults, scripts or recorded requests, cleaned again after the test.

    At teardown, scripted replies the test never used fail it (like `responses`' assert_all_requests_are_fired).
    """
    local_bedrock_session.clear()
    try:
        yield local_bedrock_session
        if not request.node.stash.get(_CALL_FAILED, False):
            local_bedrock_session.script.assert_all_used()
    finally:
        local_bedrock_session.clear()


@pytest.fixture(scope="session")
def local_bedrock_batch_session() -> Iterator[LocalBedrock]:
    """One emulator with batch jobs over moto's S3 server, for the whole session."""
    from bedrock_mistral.local.emulator import LocalBedrock

    with LocalBedrock(batch=True) as bedrock:
        yield bedrock


@pytest.fixture
def local_bedrock_batch(local_bedrock_batch_session: LocalBedrock) -> Iterator[LocalBedrock]:
    """The batch-enabled session emulator, cleared before and after the test (finished jobs, faults,
    recorded requests). `local_bedrock_batch.s3_client()` creates your buckets; pass
    `s3_endpoint_url=local_bedrock_batch.s3_endpoint_url` to `submit_batch_job`."""
    local_bedrock_batch_session.clear()
    try:
        yield local_bedrock_batch_session
    finally:
        local_bedrock_batch_session.clear()
