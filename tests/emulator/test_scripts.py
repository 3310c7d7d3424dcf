"""Scripted replies (`bedrock.script`): exact answers delivered in every operation's wire format, through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock

LARGE_2 = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
MAGISTRAL = "mistral.magistral-small-2509"
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "find_order",
                "description": "Find an order by its number.",
                "inputSchema": {"json": {"type": "object", "properties": {"number": {"type": "string"}}}},
            }
        }
    ]
}
CHAT_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "find_order",
            "description": "Find an order by its number.",
            "parameters": {"type": "object", "properties": {"number": {"type": "string"}}},
        },
    }
]


def invoke(client: Any, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def invoke_stream(client: Any, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def converse_stream(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return list(client.converse_stream(**kwargs)["stream"])


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


# --- text on every operation and body format ---------------------------------------------------------


def test_text_on_text_completion_invoke(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("The order shipped on Monday.")
    body, headers = invoke(local_bedrock.client(), SEVEN_B, {"prompt": "<s>[INST] Where is it? [/INST]"})
    assert body == {"outputs": [{"text": "The order shipped on Monday.", "stop_reason": "stop"}]}
    assert headers["x-amzn-bedrock-output-token-count"] == "5"


def test_text_on_text_completion_stream_in_chunks(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("The order shipped on Monday.")
    chunks = invoke_stream(local_bedrock.client(), SEVEN_B, {"prompt": "<s>[INST] Where is it? [/INST]"})
    assert len(chunks) == 5
    assert "".join(c["outputs"][0]["text"] for c in chunks) == "The order shipped on Monday."
    assert chunks[-1]["outputs"][0]["stop_reason"] == "stop"
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 5


def test_text_on_chat_completion_invoke_and_stream(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("Two parcels.", times=2)
    client = local_bedrock.client()
    request = {"messages": [{"role": "user", "content": "How many?"}]}
    body, _ = invoke(client, LARGE_2, request)
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Two parcels."}
    assert body["choices"][0]["stop_reason"] == "stop"
    chunks = invoke_stream(client, LARGE_2, request)
    assert [c["choices"][0]["message"]["content"] for c in chunks] == ["Two", " parcels."]


def test_text_on_converse_and_converse_stream(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("It is in Lyon.", times=None)
    client = local_bedrock.client()
    response = client.converse(modelId=LARGE_2, messages=user("Where?"))
    assert response["output"]["message"]["content"] == [{"text": "It is in Lyon."}]
    assert response["stopReason"] == "end_turn"
    events = converse_stream(client, modelId=LARGE_2, messages=user("Where?"))
    deltas = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert deltas == ["It", " is", " in", " Lyon."]
    assert events[-2] == {"messageStop": {"stopReason": "end_turn"}}


# --- tool calls, JSON, stop reasons, usage, reasoning ------------------------------------------------


def test_several_tool_calls_on_converse(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply(
        tool_calls=[
            ("find_order", {"number": "A-17"}),
            {"name": "find_order", "arguments": {"number": "B-3"}},
        ]
    )
    response = local_bedrock.client().converse(
        modelId=LARGE_2, messages=user("Both orders?"), toolConfig=TOOLS
    )
    uses = [block["toolUse"] for block in response["output"]["message"]["content"]]
    assert [(u["name"], u["input"]) for u in uses] == [
        ("find_order", {"number": "A-17"}),
        ("find_order", {"number": "B-3"}),
    ]
    assert all(u["toolUseId"].startswith("tooluse_") for u in uses)
    assert response["stopReason"] == "tool_use"


def test_tool_calls_on_chat_completion_invoke_and_stream(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply(tool_calls=[("find_order", {"number": "A-17"})], times=2)
    client = local_bedrock.client()
    request = {"messages": [{"role": "user", "content": "Order A-17?"}], "tools": CHAT_TOOLS}
    body, _ = invoke(client, LARGE_2, request)
    (call,) = body["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "find_order", "arguments": '{"number": "A-17"}'}
    assert len(call["id"]) == 9 and call["id"].isalnum()
    assert body["choices"][0]["stop_reason"] == "tool_calls"
    chunks = invoke_stream(client, LARGE_2, request)
    streamed = [c for chunk in chunks for c in chunk["choices"][0]["message"].get("tool_calls", [])]
    assert [c["function"]["name"] for c in streamed] == ["find_order"]
    assert chunks[-1]["choices"][0]["stop_reason"] == "tool_calls"


def test_tool_calls_on_text_completion_as_the_raw_model_writes_them(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply(tool_calls=[("find_order", {"number": "A-17"})])
    body, _ = invoke(local_bedrock.client(), SEVEN_B, {"prompt": "<s>[INST] Order A-17? [/INST]"})
    text = body["outputs"][0]["text"]
    assert text.startswith("[TOOL_CALLS]")
    assert json.loads(text[len("[TOOL_CALLS]") :]) == [
        {"name": "find_order", "arguments": {"number": "A-17"}}
    ]


def test_json_reply(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply(json={"city": "Lyon", "parcels": [1, 2]})
    response = local_bedrock.client().converse(modelId=LARGE_2, messages=user("As JSON"))
    assert json.loads(response["output"]["message"]["content"][0]["text"]) == {
        "city": "Lyon",
        "parcels": [1, 2],
    }


@pytest.mark.parametrize(
    ("given", "converse_reason", "native_reason"),
    [
        ("max_tokens", "max_tokens", "length"),
        ("length", "max_tokens", "length"),
        ("stop_sequence", "stop_sequence", "stop"),
    ],
)
def test_stop_reason_in_each_format(
    local_bedrock: LocalBedrock, given: str, converse_reason: str, native_reason: str
) -> None:
    local_bedrock.script.reply("Cut here", stop_reason=given, times=3)
    client = local_bedrock.client()
    assert client.converse(modelId=LARGE_2, messages=user("Go"))["stopReason"] == converse_reason
    text_body, _ = invoke(client, SEVEN_B, {"prompt": "[INST] Go [/INST]"})
    assert text_body["outputs"][0]["stop_reason"] == native_reason
    chat_body, _ = invoke(client, LARGE_2, {"messages": [{"role": "user", "content": "Go"}]})
    assert chat_body["choices"][0]["stop_reason"] == native_reason


def test_given_token_counts_on_every_operation(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("Fine.", input_tokens=321, output_tokens=45, times=4)
    client = local_bedrock.client()
    _, headers = invoke(client, SEVEN_B, {"prompt": "[INST] Hi [/INST]"})
    assert (headers["x-amzn-bedrock-input-token-count"], headers["x-amzn-bedrock-output-token-count"]) == (
        "321",
        "45",
    )
    metrics = invoke_stream(client, SEVEN_B, {"prompt": "[INST] Hi [/INST]"})[-1][
        "amazon-bedrock-invocationMetrics"
    ]
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (321, 45)
    usage = client.converse(modelId=LARGE_2, messages=user("Hi"))["usage"]
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (321, 45, 366)
    events = converse_stream(client, modelId=LARGE_2, messages=user("Hi"))
    assert events[-1]["metadata"]["usage"] == {"inputTokens": 321, "outputTokens": 45, "totalTokens": 366}


def test_counted_usage_when_not_given(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("one two three")
    usage = local_bedrock.client().converse(modelId=LARGE_2, messages=user("Count"))["usage"]
    assert usage["outputTokens"] == 3 and usage["inputTokens"] >= 1


def test_reasoning_as_reasoning_content_blocks(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("42.", reasoning="Six times seven is forty-two.", times=2)
    client = local_bedrock.client()
    content = client.converse(modelId=MAGISTRAL, messages=user("6*7?"))["output"]["message"]["content"]
    assert content == [
        {"reasoningContent": {"reasoningText": {"text": "Six times seven is forty-two."}}},
        {"text": "42."},
    ]
    events = converse_stream(client, modelId=MAGISTRAL, messages=user("6*7?"))
    by_block: dict[int, str] = {}
    for event in events:
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            piece = delta["delta"].get("reasoningContent", {}).get("text") or delta["delta"].get("text", "")
            by_block[delta["contentBlockIndex"]] = by_block.get(delta["contentBlockIndex"], "") + piece
    assert by_block == {0: "Six times seven is forty-two.", 1: "42."}
    assert [e["contentBlockStop"]["contentBlockIndex"] for e in events if "contentBlockStop" in e] == [0, 1]


# --- matchers, fall-through, strict mode, read-back -------------------------------------------------


def test_matchers_pick_their_requests_and_the_engine_answers_the_rest(local_bedrock: LocalBedrock) -> None:
    script = local_bedrock.script
    by_regex = script.when(matches=r"order [A-Z]-\d+").reply("regex")
    by_tool = script.when(tool="find_order", tool_results=False).reply(
        tool_calls=[("find_order", {"number": "C-1"})]
    )
    after_tool = script.when(tool_results=True).reply("after the tool")
    by_model = script.when(model="us." + SEVEN_B, operation="invoke_model").reply("seven b")
    client = local_bedrock.client()

    assert client.converse(modelId=LARGE_2, messages=user("Track order B-12"))["output"]["message"][
        "content"
    ] == [{"text": "regex"}]
    first = client.converse(modelId=LARGE_2, messages=user("Track it"), toolConfig=TOOLS)
    use = first["output"]["message"]["content"][0]["toolUse"]
    turns = user("Track it") + [
        {"role": "assistant", "content": [{"toolUse": use}]},
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": "shipped"}]}}],
        },
    ]
    second = client.converse(modelId=LARGE_2, messages=turns, toolConfig=TOOLS)
    assert second["output"]["message"]["content"] == [{"text": "after the tool"}]
    body, _ = invoke(client, SEVEN_B, {"prompt": "[INST] Hello [/INST]"})
    assert body["outputs"][0]["text"] == "seven b"
    unscripted = client.converse(modelId=LARGE_2, messages=user("What is the capital of France?"))
    assert unscripted["output"]["message"]["content"][0]["text"] not in ("regex", "after the tool", "seven b")

    assert [r.operation for r in by_regex.matched] == ["Converse"]
    assert by_regex.matched[0].last_user_text == "Track order B-12"
    assert by_tool.matched[0].tool_names == ("find_order",) and not by_tool.matched[0].has_tool_results
    assert after_tool.matched[0].has_tool_results
    assert after_tool.matched[0].conversation.turns[-1].tool_results[0].content == "shipped"
    assert (by_model.matched[0].model_id, by_model.matched[0].base_model_id) == (SEVEN_B, SEVEN_B)
    assert script.unused == []


def test_replies_are_used_in_order_and_once_each(local_bedrock: LocalBedrock) -> None:
    local_bedrock.script.reply("first")
    local_bedrock.script.reply("second")
    client = local_bedrock.client()
    answers = [
        client.converse(modelId=LARGE_2, messages=user("Next"))["output"]["message"]["content"][0]["text"]
        for _ in range(3)
    ]
    assert answers[:2] == ["first", "second"] and answers[2] not in ("first", "second")


def test_strict_mode_fails_an_unmatched_request_naming_it(local_bedrock: LocalBedrock) -> None:
    """The message is the emulator's own (strict mode has no Bedrock counterpart)."""
    local_bedrock.script.strict = True
    local_bedrock.script.when(contains="refund").reply("Refunded.")
    with pytest.raises(ClientError) as caught:
        local_bedrock.client().converse(
            modelId=LARGE_2, messages=user("Where is my parcel?"), toolConfig=TOOLS
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = error["Error"]["Message"]
    assert (
        "No scripted reply matches this request (strict mode): Converse on mistral.mistral-large-2407-v1:0"
        in message
    )
    assert "'Where is my parcel?'" in message and "tools ['find_order']" in message
    assert "contains='refund'" in message
    reply = local_bedrock.client().converse(modelId=LARGE_2, messages=user("I want a refund"))
    assert reply["output"]["message"]["content"] == [{"text": "Refunded."}]


def test_bad_scripts_fail_where_they_are_written(local_bedrock: LocalBedrock) -> None:
    with pytest.raises(ValueError, match="unknown stop_reason 'done'"):
        local_bedrock.script.reply("x", stop_reason="done")
    with pytest.raises(ValueError, match="unknown operation 'chat'"):
        local_bedrock.script.when(operation="chat")
    with pytest.raises(TypeError, match="a tool call is"):
        local_bedrock.script.reply(tool_calls=["find_order"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="either text or json"):
        local_bedrock.script.reply("x", json={"a": 1})
    assert local_bedrock.script.replies == []


def test_assert_all_used_names_the_unused_replies() -> None:
    with LocalBedrock() as bedrock:
        bedrock.script.reply("used")
        bedrock.script.when(contains="refund", operation="converse").reply("never")
        bedrock.client().converse(modelId=LARGE_2, messages=user("Hello"))
        with pytest.raises(AssertionError) as caught:
            bedrock.script.assert_all_used()
    assert str(caught.value) == (
        "1 scripted reply was never used:\n"
        "  - text 'never' for operation='Converse', contains='refund' (0/1 used)"
    )


TEARDOWN_TESTS = """
def test_leaves_a_reply_unused(local_bedrock):
    local_bedrock.script.when(contains="refund").reply("Refunded.")

def test_uses_its_reply(local_bedrock):
    local_bedrock.script.reply("Hi.")
    client = local_bedrock.client()
    client.converse(modelId="mistral.mistral-large-2407-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}])

def test_fails_on_its_own(local_bedrock):
    local_bedrock.script.reply("never")
    assert False, "the test's own failure"
"""


def test_fixture_teardown_fails_a_test_that_left_replies_unused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TEARDOWN_TESTS)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaves_a_reply_unused*",
            "*1 scripted reply was never used:*",
            "*text 'Refunded.' for contains='refund' (0/1 used)*",
        ]
    )
    assert "ERROR at teardown of test_fails_on_its_own" not in result.stdout.str()
