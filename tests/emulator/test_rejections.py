"""Every rule Bedrock enforces, as a boto3 client sees it: error code and message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local import rejections as v

USER = {"role": "user", "content": [{"text": "Hello"}]}
ASSISTANT = {"role": "assistant", "content": [{"text": "Hi!"}]}
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Weather for a city.",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
            }
        }
    ]
}


def error_of(call: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return dict(error.value.response["Error"])


def malformed(detail: str) -> dict[str, str]:
    return {
        "Code": "ValidationException",
        "Message": f"Malformed input request: {detail}, please reformat your input and try again.",
    }


def invalid(message: str) -> dict[str, str]:
    return {"Code": "ValidationException", "Message": message}


@pytest.mark.parametrize(
    ("model_id", "body", "detail"),
    [
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "stop_sequences": ["x"]},
            "#: extraneous key [stop_sequences] is not permitted",
        ),
        ("mistral.mistral-7b-instruct-v0:2", {"max_tokens": 5}, "#: required key [prompt] not found"),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "temperature": 1.5},
            "#/temperature: 1.5 is not less or equal to 1",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "temperature": "hot"},
            "#/temperature: expected type: Number, found: String",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "top_p": -0.1},
            "#/top_p: -0.1 is not greater or equal to 0",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "top_k": 500},
            "#/top_k: 500 is not less or equal to 200",
        ),
        (
            "mistral.mixtral-8x7b-instruct-v0:1",
            {"prompt": "hi", "max_tokens": 5000},
            "#/max_tokens: 5000 is not less or equal to 4096",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "max_tokens": 0},
            "#/max_tokens: 0 is not greater or equal to 1",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"prompt": "hi", "stop": [str(i) for i in range(11)]},
            "#/stop: expected maximum item count: 10, found: 11",
        ),
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"messages": [{"role": "user", "content": "hi"}]},
            "#: required key [prompt] not found#: extraneous key [messages] is not permitted",
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"messages": [{"role": "user", "content": "hi"}], "top_k": 5},
            "#: extraneous key [top_k] is not permitted",
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"},
            "#/tool_choice: required is not a valid enum value",
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"prompt": "hi"},
            "#: required key [messages] not found#: extraneous key [prompt] is not permitted",
        ),
    ],
)
def test_invoke_body_rules(client: Any, model_id: str, body: dict[str, Any], detail: str) -> None:
    assert error_of(client.invoke_model, modelId=model_id, body=json.dumps(body)) == malformed(detail)
    assert error_of(
        client.invoke_model_with_response_stream, modelId=model_id, body=json.dumps(body)
    ) == malformed(detail)


@pytest.mark.parametrize(
    ("model_id", "kwargs", "expected"),
    [
        (
            "mistral.mistral-7b-instruct-v0:2",
            {"system": [{"text": "Be brief."}]},
            invalid(v.SYSTEM_UNSUPPORTED),
        ),
        (
            "mistral.mixtral-8x7b-instruct-v0:1",
            {"system": [{"text": "Be brief."}]},
            invalid(v.SYSTEM_UNSUPPORTED),
        ),
        ("mistral.mistral-7b-instruct-v0:2", {"toolConfig": TOOLS}, invalid(v.TOOLS_UNSUPPORTED)),
        (
            "mistral.mistral-large-2407-v1:0",
            {"toolConfig": {**TOOLS, "toolChoice": {"tool": {"name": "get_weather"}}}},
            invalid(v.NAMED_TOOL_CHOICE),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"additionalModelRequestFields": {"top_k": 5}},
            malformed("#: extraneous key [top_k] is not permitted"),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"inferenceConfig": {"maxTokens": 9000}},
            invalid(
                "The maximum tokens you requested exceeds the model limit of 8192. Try again with a maximum tokens value that is lower than 8192."
            ),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"inferenceConfig": {"temperature": 1.5}},
            malformed("#/temperature: 1.5 is not less or equal to 1"),
        ),
        ("mistral.mistral-large-2407-v1:0", {"messages": [ASSISTANT, USER]}, invalid(v.START_WITH_USER)),
        ("mistral.mistral-large-2407-v1:0", {"messages": [USER, USER]}, invalid(v.ALTERNATE)),
        (
            "mistral.mistral-large-2407-v1:0",
            {"messages": [USER, ASSISTANT, ASSISTANT, USER]},
            invalid(v.ALTERNATE),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {"messages": [{"role": "user", "content": [{"text": "  "}]}]},
            invalid(
                "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again."
            ),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"text": "Look"},
                            {"image": {"format": "png", "source": {"bytes": b"x"}}},
                        ],
                    }
                ]
            },
            invalid(v.IMAGE_UNSUPPORTED),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {
                "outputConfig": {
                    "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{}"}}}
                }
            },
            invalid(v.OUTPUT_CONFIG_UNSUPPORTED),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {
                "messages": [
                    USER,
                    {
                        "role": "assistant",
                        "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}],
                    },
                    {
                        "role": "user",
                        "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}]}}],
                    },
                ]
            },
            invalid(v.TOOL_CONFIG_MISSING),
        ),
        (
            "mistral.mistral-large-2407-v1:0",
            {
                "toolConfig": TOOLS,
                "messages": [
                    USER,
                    {
                        "role": "assistant",
                        "content": [
                            {"text": "Let me check."},
                            {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}},
                        ],
                    },
                    {
                        "role": "user",
                        "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}]}}],
                    },
                ],
            },
            invalid(v.MIXED_TOOL_USE),
        ),
    ],
)
def test_converse_rules(client: Any, model_id: str, kwargs: dict[str, Any], expected: dict[str, str]) -> None:
    kwargs = {"messages": [USER], **kwargs}
    assert error_of(client.converse, modelId=model_id, **kwargs) == expected
    if "toolConfig" not in kwargs:
        assert error_of(client.converse_stream, modelId=model_id, **kwargs) == expected


@pytest.mark.parametrize(
    "model_id",
    [
        "mistral.mistral-large-2407-v1:0",
        "mistral.mistral-small-2402-v1:0",
        "us.mistral.pixtral-large-2502-v1:0",
    ],
)
def test_tools_over_converse_stream_are_rejected(client: Any, model_id: str) -> None:
    assert error_of(client.converse_stream, modelId=model_id, messages=[USER], toolConfig=TOOLS) == invalid(
        v.TOOL_STREAMING
    )


def test_system_prompt_allowed_where_supported(client: Any) -> None:
    for model_id in ("mistral.mistral-small-2402-v1:0", "mistral.mistral-large-2407-v1:0"):
        response = client.converse(modelId=model_id, messages=[USER], system=[{"text": "Be brief."}])
        assert response["stopReason"] == "end_turn"


def test_body_size_limit() -> None:
    with LocalBedrock(max_body_bytes=2_000) as bedrock:
        client = bedrock.client()
        body = json.dumps({"prompt": "x" * 5_000})
        with pytest.raises(ClientError) as error:
            client.invoke_model(modelId="mistral.mistral-7b-instruct-v0:2", body=body)
        assert error.value.response["Error"]["Code"] == "ValidationException"
        assert "2000 bytes" in error.value.response["Error"]["Message"]
        ok = client.invoke_model(
            modelId="mistral.mistral-7b-instruct-v0:2", body=json.dumps({"prompt": "hi"})
        )
        assert ok["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_context_window(client: Any) -> None:
    prompt = "word " * 33_000
    assert error_of(
        client.invoke_model, modelId="mistral.mistral-7b-instruct-v0:2", body=json.dumps({"prompt": prompt})
    ) == invalid(v.TOO_LONG)
