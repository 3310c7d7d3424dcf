"""Issue 8, part 1: faults from the emulator, for each adapter and each call style.

Every call goes through the adapter a user would build, boto3 / aiobotocore, real HTTP and the
emulator; the faults are the emulator's (`bedrock.faults`). What the caller sees is checked exactly:
the error type that reaches it, the number of requests Bedrock saw, the text received before a failure.
"""

from __future__ import annotations

import time

import pytest

from bedrock_mistral.errors import (
    AccessDeniedError,
    BedrockConnectionError,
    BedrockError,
    BedrockMistralError,
    BedrockTimeoutError,
    InternalServerError,
    ModelNotReadyError,
    ModelStreamError,
    ServiceUnavailableError,
    StreamIncompleteError,
    ThrottlingError,
    ValidationError,
)
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.service_errors import THROTTLED
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY, Outcome, retry_delays

QUESTION = "Tell me about the history of French cheese making in a few sentences."
LONG_BOUND_S = 10.0
OPERATION = {
    ("langchain-chat", False): "InvokeModel",
    ("langchain-chat", True): "InvokeModelWithResponseStream",
    ("langchain-llm", False): "InvokeModel",
    ("langchain-llm", True): "InvokeModelWithResponseStream",
    ("llama-index", False): "Converse",
    ("llama-index", True): "ConverseStream",
}
TRANSIENT = {
    "500": (500, "InternalServerException", InternalServerError),
    "503": (503, "ServiceUnavailableException", ServiceUnavailableError),
    "ModelNotReady": (429, "ModelNotReadyException", ModelNotReadyError),
}
CLIENT_ERRORS = {
    "400": (400, "ValidationException", ValidationError, "Malformed input request: reliability probe 400"),
    "403": (
        403,
        "AccessDeniedException",
        AccessDeniedError,
        "You don't have access to the model (probe 403)",
    ),
}


def operations(bedrock: LocalBedrock) -> list[str]:
    return [r.operation for r in bedrock.requests]


def expect_ops(bedrock: LocalBedrock, adapter: str, style: str, count: int) -> None:
    assert operations(bedrock) == [OPERATION[(adapter, "stream" in style)]] * count


def full_answer(bedrock: LocalBedrock, adapter: str) -> str:
    """The answer with no fault: what a partial stream is a prefix of."""
    spec = BY_KEY[adapter]
    text = spec.call(spec.build(bedrock, max_retries=0), "invoke", QUESTION).text
    bedrock.clear()
    return text


@pytest.mark.parametrize("adapter, style", registry.THROTTLE_WITHIN.params())
def test_throttled_within_budget_succeeds_with_backoff(
    bedrock: LocalBedrock, adapter: str, style: str
) -> None:
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, max_retries=3, rate_limit="off")  # no limiter: the backoff alone paces
    bedrock.faults.throttle(2)
    started = time.monotonic()
    outcome = spec.call(model, style, QUESTION)
    elapsed = time.monotonic() - started
    assert outcome.text.strip()
    expect_ops(bedrock, adapter, style, 3)
    delays = retry_delays(model)
    assert len(delays) == 2 and all(d > 0 for d in delays)
    assert elapsed >= sum(delays)  # the backoff was actually slept, between the attempts


@pytest.mark.parametrize("adapter, style", registry.THROTTLE_BEYOND.params())
def test_throttled_beyond_budget_raises_typed(bedrock: LocalBedrock, adapter: str, style: str) -> None:
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, max_retries=2)
    bedrock.faults.throttle(None)
    started = time.monotonic()
    with pytest.raises(ThrottlingError) as info:
        spec.call(model, style, QUESTION)
    assert time.monotonic() - started < LONG_BOUND_S
    assert type(info.value) is ThrottlingError  # not wrapped by the framework
    assert info.value.code == "ThrottlingException" and info.value.status_code == 429
    assert THROTTLED in str(info.value) and info.value.bedrock_message == THROTTLED
    expect_ops(bedrock, adapter, style, 3)
    assert info.value.attempts == 3
    assert retry_delays(model) == []  # the adaptive limiter, not a backoff, paced the throttled retries


@pytest.mark.parametrize("adapter, style, kind", registry.TRANSIENT.params())
def test_transient_errors_are_retried(bedrock: LocalBedrock, adapter: str, style: str, kind: str) -> None:
    status, code, _ = TRANSIENT[kind]
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, max_retries=2)
    bedrock.faults.error(status, code, f"transient {code}", count=1)
    assert spec.call(model, style, QUESTION).text.strip()
    expect_ops(bedrock, adapter, style, 2)


@pytest.mark.parametrize("adapter, style, kind", registry.TRANSIENT_EXHAUSTED.params())
def test_transient_errors_exhausted_raise_typed(
    bedrock: LocalBedrock, adapter: str, style: str, kind: str
) -> None:
    status, code, error = TRANSIENT[kind]
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, max_retries=1)
    bedrock.faults.error(status, code, f"still failing {code}", count=None)
    with pytest.raises(error) as info:
        spec.call(model, style, QUESTION)
    assert info.value.code == code and info.value.status_code == status
    assert f"still failing {code}" in str(info.value)
    expect_ops(bedrock, adapter, style, 2)


@pytest.mark.parametrize("adapter, style, kind", registry.NOT_RETRIED.params())
def test_client_errors_are_not_retried(bedrock: LocalBedrock, adapter: str, style: str, kind: str) -> None:
    status, code, error, message = CLIENT_ERRORS[kind]
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, max_retries=3)
    bedrock.faults.error(status, code, message, count=None)
    with pytest.raises(error) as info:
        spec.call(model, style, QUESTION)
    assert type(info.value) is error
    assert info.value.bedrock_message == message and message in str(info.value)
    assert info.value.status_code == status
    expect_ops(bedrock, adapter, style, 1)
    assert retry_delays(model) == []


@pytest.mark.parametrize("adapter, style, exception", registry.IN_STREAM.params())
def test_in_stream_exception_delivers_chunks_then_typed_error(
    bedrock: LocalBedrock, adapter: str, style: str, exception: str
) -> None:
    spec = BY_KEY[adapter]
    full = full_answer(bedrock, adapter)
    model = spec.build(bedrock, max_retries=3)
    bedrock.faults.stream_error(after_chunks=4, exception=exception, message="stream broke (probe)")
    outcome = Outcome()
    error = ModelStreamError if exception == "modelStreamErrorException" else ThrottlingError
    with pytest.raises(error) as info:
        spec.call(model, style, QUESTION, outcome)
    received = "".join(outcome.chunks)
    # Converse spends one of the K frames on messageStart; the invoke formats carry text in every frame.
    assert len(outcome.chunks) == (3 if adapter == "llama-index" else 4)
    assert received and full.startswith(received) and received != full
    assert info.value.partial_text == received
    assert "stream broke (probe)" in str(info.value)
    expect_ops(bedrock, adapter, style, 1)


@pytest.mark.parametrize("adapter, style", registry.DROPPED_STREAM.params())
def test_dropped_stream_is_an_error_never_a_short_answer(
    bedrock: LocalBedrock, adapter: str, style: str
) -> None:
    spec = BY_KEY[adapter]
    full = full_answer(bedrock, adapter)
    model = spec.build(bedrock, max_retries=3)
    bedrock.faults.drop_connection(after_chunks=3)
    outcome = Outcome()
    with pytest.raises((BedrockConnectionError, StreamIncompleteError)) as info:
        spec.call(model, style, QUESTION, outcome)
    received = "".join(outcome.chunks)
    assert received and full.startswith(received) and received != full
    assert info.value.partial_text == received
    expect_ops(bedrock, adapter, style, 1)


@pytest.mark.parametrize("adapter, style", registry.DROPPED_BEFORE.params())
def test_connection_dropped_before_answer_is_retried(bedrock: LocalBedrock, adapter: str, style: str) -> None:
    spec = BY_KEY[adapter]
    full = full_answer(bedrock, adapter)
    model = spec.build(bedrock, max_retries=2)
    bedrock.faults.drop_connection(after_chunks=0)
    assert spec.call(model, style, QUESTION).text == full
    expect_ops(bedrock, adapter, style, 2)


@pytest.mark.parametrize("adapter, style", registry.READ_TIMEOUT.params())
def test_read_timeout_is_typed_and_bounded(bedrock: LocalBedrock, adapter: str, style: str) -> None:
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, max_retries=2, timeout=0.25)
    bedrock.faults.latency(first_byte_ms=5000, count=1)
    started = time.monotonic()
    with pytest.raises(BedrockTimeoutError) as info:
        spec.call(model, style, QUESTION)
    assert time.monotonic() - started < 3.0
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, BedrockMistralError)
    expect_ops(bedrock, adapter, style, 1)


def test_error_types_are_in_one_hierarchy() -> None:
    for error in (ThrottlingError, ValidationError, AccessDeniedError, ModelStreamError, InternalServerError):
        assert issubclass(error, BedrockError) and issubclass(error, BedrockMistralError)
