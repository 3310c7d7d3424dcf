"""Bedrock's remaining request rules, each asserted as a boto3 client sees it (code, status, message).

Where a message comes neither from a recording nor from AWS's documentation, the test says so.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.cli import banner
from tests.conftest import AWS_ENV

LARGE_2 = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
LARGE_3 = "mistral.mistral-large-3-675b-instruct"
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "find_order",
                "inputSchema": {"json": {"type": "object", "properties": {"number": {"type": "string"}}}},
            }
        }
    ]
}


@pytest.fixture
def unchecked(local_bedrock: LocalBedrock) -> Any:
    """A client that sends what it is given: botocore's own parameter checks would stop some requests first."""
    return local_bedrock.client(config=Config(parameter_validation=False))


def rejection(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def test_empty_content_list(unchecked: Any) -> None:
    """Bedrock's message, as quoted in issue 14 from Bedrock's answer."""
    messages = [user({"text": "Hi"}), {"role": "assistant", "content": [{"text": "Hello"}]}, user()]
    assert rejection(unchecked.converse, modelId=LARGE_2, messages=messages) == (
        "ValidationException",
        400,
        "The content field in the Message object at messages.2 is empty. Add a ContentBlock object to the content "
        "field and try again.",
    )
    assert rejection(unchecked.converse, modelId=LARGE_2, messages=[user()])[2].startswith(
        "The content field in the Message object at messages.0 is empty."
    )


def test_blank_text(local_bedrock: LocalBedrock) -> None:
    code, status, message = rejection(
        local_bedrock.client().converse,
        modelId=LARGE_2,
        messages=[user({"text": "Look:"}, {"text": "  \n "})],
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to the text field, "
        "and try again."
    )


def test_model_id_is_decoded_once(local_bedrock: LocalBedrock) -> None:
    """botocore encodes the id's `:` once and Bedrock decodes once: an id the caller encoded already keeps its
    `%3A` and names no model (the message is Bedrock's, from the recorded invalid-model errors)."""
    client = local_bedrock.client()
    assert client.converse(modelId=LARGE_2, messages=[user({"text": "Hi"})])["stopReason"] == "end_turn"
    assert rejection(
        client.converse, modelId="mistral.mistral-large-2407-v1%3A0", messages=[user({"text": "Hi"})]
    ) == (
        "ValidationException",
        400,
        "The provided model identifier is invalid.",
    )
    assert local_bedrock.requests[-1].model_id == "mistral.mistral-large-2407-v1%3A0"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("[1, 2]", "JSONArray"),
        ('"hello"', "String"),
        ("42", "Integer"),
        ("true", "Boolean"),
        ("not json", "String"),
    ],
)
def test_json_type_names_for_a_body_that_is_no_object(
    local_bedrock: LocalBedrock, body: str, found: str
) -> None:
    """The wording of Bedrock's JSON-schema validator (its type names are the validator's Java ones: JSONArray,
    JSONObject); the exact text for a non-object body is not in a recording."""
    assert rejection(local_bedrock.client().invoke_model, modelId=LARGE_2, body=body) == (
        "ValidationException",
        400,
        f"Malformed input request: #: expected type: JSONObject, found: {found}, please reformat your input and try again.",
    )


@pytest.mark.parametrize(
    ("model", "fields", "violation"),
    [
        (LARGE_2, {"top_k": 5}, "#: extraneous key [top_k] is not permitted"),
        (LARGE_2, {"safe_prompt": True}, "#: extraneous key [safe_prompt] is not permitted"),
        (LARGE_2, {"temperature": 3}, "#/temperature: 3 is not less or equal to 1"),
        (LARGE_2, {"max_tokens": "many"}, "#/max_tokens: expected type: Integer, found: String"),
        (SEVEN_B, {"top_k": 5}, "#: extraneous key [top_k] is not permitted"),
        (SEVEN_B, {"random_seed": 1}, "#: extraneous key [random_seed] is not permitted"),
        (LARGE_3, {"frequency_penalty": 0.5}, "#: extraneous key [frequency_penalty] is not permitted"),
    ],
)
def test_additional_fields_the_native_body_does_not_take(
    local_bedrock: LocalBedrock, model: str, fields: dict[str, Any], violation: str
) -> None:
    """Rejected the way Bedrock rejects `top_k` (recorded); the other keys' messages apply the same validator."""
    assert rejection(
        local_bedrock.client().converse,
        modelId=model,
        messages=[user({"text": "Hi"})],
        additionalModelRequestFields=fields,
    ) == (
        "ValidationException",
        400,
        f"Malformed input request: {violation}, please reformat your input and try again.",
    )


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (LARGE_2, {"response_format": {"type": "json_object"}}),
        (LARGE_2, {"top_p": 0.5}),
        (SEVEN_B, {"stop": ["\n\n"]}),
    ],
)
def test_additional_fields_the_native_body_takes(
    local_bedrock: LocalBedrock, model: str, fields: dict[str, Any]
) -> None:
    response = local_bedrock.client().converse(
        modelId=model, messages=[user({"text": "Hi"})], additionalModelRequestFields=fields
    )
    assert response["stopReason"] == "end_turn"


def test_tool_result_stands_alone_in_its_user_turn(local_bedrock: LocalBedrock) -> None:
    """Not a recorded message: the rule is DESIGN.md's, the wording the emulator's (after Bedrock's sentence for
    text and toolUse in one assistant message)."""
    use = {"toolUse": {"toolUseId": "tooluse_1", "name": "find_order", "input": {"number": "A1"}}}
    result = {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "shipped"}]}}
    messages = [
        user({"text": "Order A1?"}),
        {"role": "assistant", "content": [use]},
        user(result, {"text": "And now?"}),
    ]
    assert rejection(
        local_bedrock.client().converse, modelId=LARGE_2, messages=messages, toolConfig=TOOLS
    ) == (
        "ValidationException",
        400,
        "This model doesn't support text and toolResult content blocks in the same user message. Send the "
        "toolResult blocks in a message without text and try again.",
    )
    messages[-1] = user(result)
    assert (
        local_bedrock.client().converse(modelId=LARGE_2, messages=messages, toolConfig=TOOLS)["stopReason"]
        == "end_turn"
    )


def test_invoke_model_on_a_converse_first_model(local_bedrock: LocalBedrock) -> None:
    """Mistral Large 3's Bedrock model card lists InvokeModel with the chat body; a text-completion body is not
    its format and gets the JSON-schema answer (wording of Bedrock's validator, not a recording)."""
    client = local_bedrock.client()
    chat = json.loads(
        client.invoke_model(
            modelId=LARGE_3, body=json.dumps({"messages": [{"role": "user", "content": "Hi"}]})
        )["body"].read()
    )
    assert chat["choices"][0]["message"]["role"] == "assistant"
    code, status, message = rejection(
        client.invoke_model, modelId=LARGE_3, body=json.dumps({"prompt": "[INST] Hi [/INST]"})
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "Malformed input request: #: required key [messages] not found#: extraneous key [prompt] is not permitted, "
        "please reformat your input and try again."
    )


def test_serve_banner_exports_what_boto3_reads(
    local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every variable the banner prints, and only those, configure boto3 clients for the runtime and the control plane."""
    for name in (*AWS_ENV, "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    exported = dict(re.findall(r"export (\w+)=(\S+)", banner(local_bedrock)))
    assert "AWS_DEFAULT_REGION" in exported and "AWS_REGION" not in exported
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    session = boto3.session.Session()
    runtime = session.client("bedrock-runtime")
    assert runtime.converse(modelId=LARGE_2, messages=[user({"text": "Hi"})])["stopReason"] == "end_turn"
    assert session.client("bedrock").list_inference_profiles(maxResults=1)["inferenceProfileSummaries"]
    assert local_bedrock.requests[0].access_key == local_bedrock.aws_access_key_id
