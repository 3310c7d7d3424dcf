"""Scripted faults as a client sees them: codes, in-stream exceptions, dropped connections, latency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EventStreamError, ResponseStreamingError
from urllib3.exceptions import ProtocolError

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.faults import Faults

MODEL = "mistral.mistral-7b-instruct-v0:2"
PROMPT = json.dumps({"prompt": "<s>[INST] Tell me about the city of Paris in France. [/INST]"})
MESSAGES = [{"role": "user", "content": [{"text": "Tell me about the city of Paris in France."}]}]


def invoke(client: Any, model: str = MODEL) -> dict[str, Any]:
    return client.invoke_model(modelId=model, body=PROMPT)  # type: ignore[no-any-return]


def code_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    response = error.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_throttle_next_n(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.throttle(2)
    expected = ("ThrottlingException", "Too many requests, please wait before trying again.", 429)
    assert code_of(invoke, client) == expected
    assert code_of(client.converse, modelId=MODEL, messages=MESSAGES) == expected
    assert invoke(client)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(bedrock.faults) == 0


def test_error_with_status_code_and_message(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.error(503, "ServiceUnavailableException", "Bedrock is having a moment.", count=1)
    assert code_of(invoke, client) == ("ServiceUnavailableException", "Bedrock is having a moment.", 503)
    bedrock.faults.error(424, "ModelErrorException", "The model failed.")
    assert code_of(client.invoke_model_with_response_stream, modelId=MODEL, body=PROMPT) == (
        "ModelErrorException",
        "The model failed.",
        424,
    )


def test_faults_scoped_to_operation_and_model(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.throttle(None, operation="converse")
    assert invoke(client)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code_of(client.converse, modelId=MODEL, messages=MESSAGES)[0] == "ThrottlingException"
    assert code_of(client.converse, modelId=MODEL, messages=MESSAGES)[0] == "ThrottlingException"
    bedrock.faults.clear()
    bedrock.faults.throttle(None, model="mistral.mistral-large-2407-v1:0")
    assert client.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"
    assert (
        code_of(client.converse, modelId="us.mistral.mistral-large-2407-v1:0", messages=MESSAGES)[0]
        == "ThrottlingException"
    )
    bedrock.clear()
    assert (
        client.converse(modelId="mistral.mistral-large-2407-v1:0", messages=MESSAGES)["stopReason"]
        == "end_turn"
    )


def test_in_stream_exception_after_k_chunks(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.stream_error(
        after_chunks=2, exception="modelStreamErrorException", message="Stream failed."
    )
    stream = client.invoke_model_with_response_stream(modelId=MODEL, body=PROMPT)["body"]
    received = []
    with pytest.raises(EventStreamError) as error:
        for event in stream:
            received.append(event)
    assert len(received) == 2
    assert error.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert error.value.response["Error"]["Message"] == "Stream failed."
    assert len(list(client.invoke_model_with_response_stream(modelId=MODEL, body=PROMPT)["body"])) > 2


def test_in_stream_exception_on_converse_stream(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.stream_error(
        after_chunks=3, exception="throttlingException", message="Slow down.", operation="ConverseStream"
    )
    events = []
    with pytest.raises(EventStreamError) as error:
        for event in client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]:
            events.append(event)
    assert len(events) == 3 and "messageStart" in events[0]
    assert error.value.response["Error"] == {"Code": "throttlingException", "Message": "Slow down."}


def test_stream_error_does_not_touch_non_stream_calls(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.stream_error(after_chunks=0)
    assert invoke(client)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(bedrock.faults) == 1


def test_drop_connection_mid_stream(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.drop_connection(after_chunks=2)
    received = []
    with pytest.raises((ResponseStreamingError, ProtocolError)):
        for event in client.invoke_model_with_response_stream(modelId=MODEL, body=PROMPT)["body"]:
            received.append(event)
    assert len(received) == 2
    assert invoke(client)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_drop_connection_without_answer(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.drop_connection(operation="InvokeModel")
    with pytest.raises(ConnectionClosedError):
        invoke(client)
    assert invoke(client)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_latency_first_byte_and_per_token(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.latency(first_byte_ms=40, per_token_ms=0, count=1)
    headers = invoke(client)["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 40
    bedrock.faults.latency(per_token_ms=5, count=1)
    chunks = [
        json.loads(e["chunk"]["bytes"])
        for e in client.invoke_model_with_response_stream(modelId=MODEL, body=PROMPT)["body"]
    ]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["invocationLatency"] >= 5 * (len(chunks) - 1)
    bedrock.faults.latency(per_token_ms=2, count=1)
    headers = invoke(client)["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 2 * int(
        headers["x-amzn-bedrock-output-token-count"]
    )


def test_faults_are_thread_safe(bedrock: LocalBedrock, client: Any) -> None:
    bedrock.faults.throttle(25)

    def call(_: int) -> int:
        try:
            return invoke(client)["ResponseMetadata"]["HTTPStatusCode"]  # type: ignore[no-any-return]
        except ClientError as error:
            return error.response["ResponseMetadata"]["HTTPStatusCode"]  # type: ignore[no-any-return]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(60)))
    assert statuses.count(429) == 25 and statuses.count(200) == 35


def test_fault_arguments_are_checked() -> None:
    faults = Faults()
    with pytest.raises(ValueError):
        faults.throttle(0)
    with pytest.raises(ValueError):
        faults.stream_error(exception="notAnException")
    with pytest.raises(ValueError):
        faults.throttle(operation="Translate")
    fault = faults.stream_error(exception="ModelTimeoutException")
    assert fault.code == "modelTimeoutException"


class _Broken:
    name = "broken"

    def reply(self, conversation: Any) -> Any:
        raise RuntimeError("engine bug")

    def stream(self, conversation: Any) -> Any:
        from bedrock_mistral.local.conversation import Delta

        yield Delta(text="partial")
        raise RuntimeError("engine bug")


def test_engine_failures_answer_like_bedrock() -> None:
    with LocalBedrock(engine=_Broken()) as bedrock:
        client = bedrock.client()
        assert code_of(invoke, client)[0::2] == ("InternalServerException", 500)
        events = []
        with pytest.raises(EventStreamError) as error:
            for event in client.invoke_model_with_response_stream(modelId=MODEL, body=PROMPT)["body"]:
                events.append(event)
        assert len(events) == 1
        assert error.value.response["Error"]["Code"] == "internalServerException"
