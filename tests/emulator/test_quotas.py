"""On-demand quotas as boto3 sees them: Bedrock's codes and messages on all four operations, refill,
per-model isolation, what is observable at run time, and the `serve` flags."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.cli import add_serve_arguments, build
from bedrock_mistral.local.quotas import TOO_MANY_TOKENS, Quota, Quotas
from bedrock_mistral.local.service_errors import THROTTLED

MODEL = "mistral.mistral-7b-instruct-v0:2"
OTHER = "mistral.mistral-large-2407-v1:0"
PROMPT = "<s>[INST] Say hello. [/INST]"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello."}]}]


def call(client: Any, operation: str, model: str = MODEL, max_tokens: int = 10) -> str:
    """One request through `operation`; the stream is read to its end. Returns the text answered."""
    if operation in ("invoke", "invoke_stream"):
        body = json.dumps({"prompt": PROMPT, "max_tokens": max_tokens})
        if operation == "invoke":
            data = json.loads(client.invoke_model(modelId=model, body=body)["body"].read())
            return str(data["outputs"][0]["text"])
        events = client.invoke_model_with_response_stream(modelId=model, body=body)["body"]
        return "".join(json.loads(e["chunk"]["bytes"])["outputs"][0]["text"] for e in events)
    kwargs = {"modelId": model, "messages": MESSAGES, "inferenceConfig": {"maxTokens": max_tokens}}
    if operation == "converse":
        return str(client.converse(**kwargs)["output"]["message"]["content"][0]["text"])
    events = client.converse_stream(**kwargs)["stream"]
    return "".join(e.get("contentBlockDelta", {}).get("delta", {}).get("text", "") for e in events)


def refusal(client: Any, operation: str, model: str = MODEL, max_tokens: int = 10) -> tuple[str, str, object]:
    """The error code, message and HTTP status of a refused request ("in-stream" for a stream's exception frame)."""
    with pytest.raises((ClientError, EventStreamError)) as caught:
        call(client, operation, model, max_tokens)
    response = caught.value.response
    status = (
        "in-stream"
        if isinstance(caught.value, EventStreamError)
        else response["ResponseMetadata"]["HTTPStatusCode"]
    )
    return response["Error"]["Code"], response["Error"]["Message"], status


OPERATIONS = ("invoke", "invoke_stream", "converse", "converse_stream")
EXPECTED_CODE = {
    "invoke": ("ThrottlingException", 429),
    "converse": ("ThrottlingException", 429),
    "invoke_stream": ("throttlingException", "in-stream"),
    "converse_stream": ("throttlingException", "in-stream"),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_request_quota_throttles_with_bedrocks_code_and_message(
    bedrock: LocalBedrock, client: Any, operation: str
) -> None:
    bedrock.quotas.set(
        requests_per_minute=2, operation=operation.replace("invoke_stream", "invoke_with_response_stream")
    )
    assert call(client, operation)
    assert call(client, operation)
    code, status = EXPECTED_CODE[operation]
    assert refusal(client, operation) == (code, THROTTLED, status)
    state = bedrock.quotas.state(MODEL)
    assert state is not None
    assert (state.admitted, state.throttled_requests, state.throttled_tokens) == (2, 1, 0)
    assert state.requests_remaining is not None and state.requests_remaining < 1


@pytest.mark.parametrize("operation", OPERATIONS)
def test_token_quota_counts_input_plus_max_tokens(bedrock: LocalBedrock, client: Any, operation: str) -> None:
    bedrock.quotas.set(tokens_per_minute=500)
    assert call(client, operation, max_tokens=100)
    code, status = EXPECTED_CODE[operation]
    assert refusal(client, operation, max_tokens=499) == (code, TOO_MANY_TOKENS, status)
    state = bedrock.quotas.state(MODEL)
    assert state is not None and state.tokens_remaining is not None
    # The unused part of max_tokens came back when the first answer ended: far more than 500 - 100 is left.
    assert 400 < state.tokens_remaining < 500
    assert (state.admitted, state.throttled_tokens) == (1, 1)
    assert bedrock.quotas.throttled == 1


def test_buckets_refill_continuously(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.quotas.set(requests_per_minute=600, burst_seconds=0.2)  # 10 a second, 2 at once
    call(client, "converse")
    call(client, "converse")
    assert refusal(client, "converse")[1] == THROTTLED
    time.sleep(0.25)
    assert call(client, "converse")


def test_quotas_are_per_model(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.quotas.set(requests_per_minute=1)  # every model, each its own bucket
    bedrock.quotas.set(requests_per_minute=1000, model=OTHER)
    call(client, "converse")
    assert refusal(client, "converse")[0] == "ThrottlingException"
    assert call(client, "converse", OTHER)  # the first quota's own bucket for this model is still full
    assert refusal(client, "converse", OTHER)[0] == "ThrottlingException"
    bedrock.quotas.clear()
    bedrock.quotas.set(requests_per_minute=1, model=OTHER)
    for _ in range(3):
        assert call(client, "converse")  # a quota for another model does not touch this one
    assert bedrock.quotas.status() == []  # no bucket was ever made for this model


def test_bucket_arithmetic_with_a_fake_clock() -> None:
    now = [0.0]
    quotas = Quotas(
        [Quota(requests_per_minute=60, tokens_per_minute=600, burst_seconds=2)], clock=lambda: now[0]
    )
    for _ in range(2):
        quotas.admit_request("Converse", MODEL)
        quotas.admit_tokens("Converse", MODEL, 5, 5).settle(5)
    with pytest.raises(Exception, match="Too many requests"):
        quotas.admit_request("Converse", MODEL)
    now[0] = 1.0  # one request and 10 tokens back
    quotas.admit_request("Converse", MODEL)
    state = quotas.state(MODEL)
    assert state is not None
    assert (state.requests_remaining, state.tokens_remaining, state.admitted, state.throttled) == (
        0,
        10,
        2,
        1,
    )
    with pytest.raises(Exception, match="Too many tokens"):
        quotas.admit_tokens("Converse", MODEL, 5, 6)


def test_bad_quotas_are_refused() -> None:
    with pytest.raises(ValueError, match="requests_per_minute must be a positive number"):
        Quota(requests_per_minute=0)
    with pytest.raises(ValueError, match="needs requests_per_minute and/or tokens_per_minute"):
        Quota()
    with pytest.raises(ValueError, match="unknown operation"):
        Quota(requests_per_minute=1, operation="chat")


def test_batch_jobs_path_is_not_metered(bedrock: LocalBedrock) -> None:
    bedrock.quotas.set(requests_per_minute=1)
    app = bedrock._app
    body = {"prompt": PROMPT, "max_tokens": 5}
    for _ in range(3):
        assert app.answer("InvokeModel", MODEL, body, "req").status == 200


def test_constructor_and_serve_flags() -> None:
    with LocalBedrock(quotas=Quota(requests_per_minute=1, model=MODEL)) as local:
        client = local.client()
        call(client, "invoke")
        assert refusal(client, "invoke")[0] == "ThrottlingException"
        assert call(client, "converse", OTHER)
    parser = add_serve_arguments(argparse.ArgumentParser())
    built = build(parser.parse_args(["--port", "0", "--rpm", "120", "--tpm", "9000", "--quota-model", MODEL]))
    (quota,) = built.quotas.configured
    assert (quota.requests_per_minute, quota.tokens_per_minute, quota.model) == (120, 9000, MODEL)
    with pytest.raises(ValueError, match="needs --rpm"):
        build(parser.parse_args(["--port", "0", "--quota-model", MODEL]))
    with pytest.raises(ValueError, match="positive"):
        build(parser.parse_args(["--port", "0", "--rpm", "0"]))
