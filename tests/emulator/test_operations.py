"""The four operations through plain boto3 on every kind of model id: bases, profiles, ARNs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bedrock_mistral.local import LocalBedrock

TEXT_MODELS = [
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "mistral.mistral-small-2402-v1:0",
    "mistral.mistral-large-2402-v1:0",
    "us.mistral.mistral-7b-instruct-v0:2",
]
CHAT_MODELS = [
    "mistral.mistral-large-2402-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "eu.mistral.mistral-large-2407-v1:0",
    "us.mistral.pixtral-large-2502-v1:0",
]
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.mistral.pixtral-large-2502-v1:0"
CONVERSE_MODELS = [
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "mistral.mistral-small-2402-v1:0",
    "mistral.mistral-large-2402-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "us.mistral.pixtral-large-2502-v1:0",
    "eu.mistral.mistral-large-2407-v1:0",
    "global.mistral.mistral-large-3-675b-instruct",
    ARN,
]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}


def stream_chunks(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


@pytest.mark.parametrize("model_id", TEXT_MODELS)
def test_invoke_and_stream_text_completion(bedrock: LocalBedrock, client: Any, model_id: str) -> None:
    body = json.dumps({"prompt": "<s>[INST] Tell me about Paris in France. [/INST]", "max_tokens": 200})
    response = client.invoke_model(modelId=model_id, body=body)
    answer = json.loads(response["body"].read())
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert response["contentType"] == "application/json"
    assert answer["outputs"][0]["stop_reason"] == "stop"
    text = answer["outputs"][0]["text"]
    assert text
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-amzn-requestid"])
    streamed = stream_chunks(client.invoke_model_with_response_stream(modelId=model_id, body=body))
    assert "".join(c["outputs"][0]["text"] for c in streamed) == text
    metrics = streamed[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == int(headers["x-amzn-bedrock-output-token-count"]) == len(streamed)
    assert metrics["inputTokenCount"] == int(headers["x-amzn-bedrock-input-token-count"])
    recorded = bedrock.requests
    assert [r.operation for r in recorded] == ["InvokeModel", "InvokeModelWithResponseStream"]
    assert recorded[0].model_id == model_id
    assert recorded[0].base_model_id == model_id.removeprefix("us.")
    assert recorded[0].body == json.loads(body)


def test_text_completion_max_tokens_and_stop(client: Any) -> None:
    model = "mistral.mistral-7b-instruct-v0:2"
    prompt = "<s>[INST] Tell me about the history of the city of Paris in France please. [/INST]"
    full = json.loads(client.invoke_model(modelId=model, body=json.dumps({"prompt": prompt}))["body"].read())
    full_text = full["outputs"][0]["text"]
    response = client.invoke_model(modelId=model, body=json.dumps({"prompt": prompt, "max_tokens": 3}))
    cut = json.loads(response["body"].read())["outputs"][0]
    assert cut["stop_reason"] == "length"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-output-token-count"] == "3"
    assert full_text.startswith(cut["text"]) and len(cut["text"].split()) == 3
    word = full_text.split()[2]
    stopped = json.loads(
        client.invoke_model(modelId=model, body=json.dumps({"prompt": prompt, "stop": [word]}))["body"].read()
    )
    assert stopped["outputs"][0] == {"text": full_text[: full_text.index(word)], "stop_reason": "stop"}
    streamed = stream_chunks(
        client.invoke_model_with_response_stream(
            modelId=model, body=json.dumps({"prompt": prompt, "max_tokens": 4})
        )
    )
    assert len(streamed) == 4 and streamed[-1]["outputs"][0]["stop_reason"] == "length"


def test_text_completion_template_is_parsed_into_turns(client: Any) -> None:
    prompt = "<s>[INST] Hello [/INST] Hi there!</s>[INST] which llm are you? [/INST]"
    answer = json.loads(
        client.invoke_model(
            modelId="mistral.mixtral-8x7b-instruct-v0:1", body=json.dumps({"prompt": prompt})
        )["body"].read()
    )
    assert "Mixtral 8x7B Instruct" in answer["outputs"][0]["text"]
    assert "emulated locally" in answer["outputs"][0]["text"]


@pytest.mark.parametrize("model_id", CHAT_MODELS)
def test_invoke_chat_completion(bedrock: LocalBedrock, client: Any, model_id: str) -> None:
    body = {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who are you?"}],
        "max_tokens": 100,
    }
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    answer = json.loads(response["body"].read())
    assert answer["object"] == "chat.completion"
    assert answer["model"] == model_id
    assert isinstance(answer["created"], int)
    choice = answer["choices"][0]
    assert choice["index"] == 0 and choice["stop_reason"] == "stop"
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    usage = answer["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert (
        str(usage["completion_tokens"])
        == response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-output-token-count"]
    )
    chunks = stream_chunks(client.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body)))
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join(c["choices"][0]["message"]["content"] for c in chunks) == choice["message"]["content"]
    assert chunks[-1]["choices"][0]["stop_reason"] == "stop"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]
    assert all("amazon-bedrock-invocationMetrics" not in c for c in chunks[:-1])


def test_invoke_chat_tool_calls(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": [WEATHER_TOOL],
        "tool_choice": "auto",
    }
    answer = json.loads(
        client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))["body"].read()
    )
    choice = answer["choices"][0]
    assert choice["stop_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert re.fullmatch(r"[A-Za-z0-9]{9}", call["id"])
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "Paris"}
    chunks = stream_chunks(
        client.invoke_model_with_response_stream(
            modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body)
        )
    )
    with_calls = [c for c in chunks if c["choices"][0]["message"].get("tool_calls")]
    assert len(with_calls) == 1 and with_calls[0]["choices"][0]["stop_reason"] == "tool_calls"
    # Round trip: the tool result is quoted back.
    body["messages"] += [
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "name": "get_weather", "content": "Sunny, 24 °C"},
    ]
    answer = json.loads(
        client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))["body"].read()
    )
    assert answer["choices"][0]["message"]["content"] == "The result of get_weather is: Sunny, 24 °C."
    none = {**body, "messages": body["messages"][:1], "tool_choice": "none"}
    answer = json.loads(
        client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(none))["body"].read()
    )
    assert "tool_calls" not in answer["choices"][0]["message"]


def test_invoke_chat_json_mode(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "Give me a city."}],
        "response_format": {"type": "json_object"},
    }
    answer = json.loads(
        client.invoke_model(modelId="mistral.mistral-large-2407-v1:0", body=json.dumps(body))["body"].read()
    )
    assert isinstance(json.loads(answer["choices"][0]["message"]["content"]), dict)


@pytest.mark.parametrize("model_id", CONVERSE_MODELS)
def test_converse_and_converse_stream(bedrock: LocalBedrock, client: Any, model_id: str) -> None:
    messages = [{"role": "user", "content": [{"text": "Tell me something about Lisbon."}]}]
    response = client.converse(modelId=model_id, messages=messages, inferenceConfig={"maxTokens": 300})
    assert response["stopReason"] == "end_turn"
    text = response["output"]["message"]["content"][0]["text"]
    assert response["output"]["message"]["role"] == "assistant"
    usage = response["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(response["metrics"]["latencyMs"], int)
    events = list(
        client.converse_stream(modelId=model_id, messages=messages, inferenceConfig={"maxTokens": 300})[
            "stream"
        ]
    )
    assert list(events[0]) == ["messageStart"] and events[0]["messageStart"]["role"] == "assistant"
    assert (
        "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e) == text
    )
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    assert events[-1]["metadata"]["usage"] == usage
    assert bedrock.requests[0].model_id == model_id
    assert bedrock.requests[0].base_model_id.startswith("mistral.")


def test_converse_stop_reasons(client: Any) -> None:
    model = "mistral.mistral-large-2407-v1:0"
    messages = [{"role": "user", "content": [{"text": "Describe the river Seine in Paris, France."}]}]
    full = client.converse(modelId=model, messages=messages)["output"]["message"]["content"][0]["text"]
    short = client.converse(modelId=model, messages=messages, inferenceConfig={"maxTokens": 2})
    assert short["stopReason"] == "max_tokens" and short["usage"]["outputTokens"] == 2
    word = full.split()[3]
    stopped = client.converse(modelId=model, messages=messages, inferenceConfig={"stopSequences": [word]})
    assert stopped["stopReason"] == "stop_sequence"
    assert stopped["output"]["message"]["content"][0]["text"] == full[: full.index(word)]


def test_converse_tool_use_round_trip(client: Any) -> None:
    model = "mistral.mistral-small-2402-v1:0"
    tools = {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_payment_status",
                    "description": "Get the status of a payment by its id.",
                    "inputSchema": {
                        "json": {
                            "type": "object",
                            "properties": {"payment_id": {"type": "string"}},
                            "required": ["payment_id"],
                        }
                    },
                }
            }
        ]
    }
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"text": "What is the status of payment T1001?"}]}
    ]
    response = client.converse(modelId=model, messages=messages, toolConfig=tools)
    assert response["stopReason"] == "tool_use"
    [block] = response["output"]["message"]["content"]
    use = block["toolUse"]
    assert use["name"] == "get_payment_status" and use["input"] == {"payment_id": "T1001"}
    assert re.fullmatch(r"tooluse_[A-Za-z0-9_-]{22}", use["toolUseId"])
    messages += [
        response["output"]["message"],
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": "Paid"}]}}],
        },
    ]
    final = client.converse(modelId=model, messages=messages, toolConfig=tools)
    assert final["stopReason"] == "end_turn"
    assert final["output"]["message"]["content"][0]["text"] == "The result of get_payment_status is: Paid."


def test_converse_forced_tool_and_structured_output(client: Any) -> None:
    tools = {
        "tools": [
            {
                "toolSpec": {
                    "name": "Joke",
                    "description": "Joke to tell user.",
                    "inputSchema": {
                        "json": {
                            "type": "object",
                            "properties": {
                                "setup": {"type": "string"},
                                "punchline": {"type": "string"},
                                "rating": {"type": "integer"},
                            },
                            "required": ["setup", "punchline"],
                        }
                    },
                }
            }
        ],
        "toolChoice": {"any": {}},
    }
    response = client.converse(
        modelId="mistral.mistral-large-2407-v1:0",
        messages=[{"role": "user", "content": [{"text": "Tell me about cats."}]}],
        toolConfig=tools,
    )
    use = response["output"]["message"]["content"][0]["toolUse"]
    assert use["name"] == "Joke"
    assert isinstance(use["input"]["setup"], str) and isinstance(use["input"]["punchline"], str)


def test_converse_image_on_vision_model(client: Any) -> None:
    content = [
        {"text": "What is in this image?"},
        {"image": {"format": "png", "source": {"bytes": b"\x89PNG fake"}}},
    ]
    response = client.converse(
        modelId="us.mistral.pixtral-large-2502-v1:0", messages=[{"role": "user", "content": content}]
    )
    assert response["stopReason"] == "end_turn"


def test_converse_document_block(client: Any) -> None:
    content = [
        {
            "document": {
                "name": "notes",
                "format": "txt",
                "source": {"bytes": b"The launch date is 12 March. The budget is small."},
            }
        },
        {"text": "Answer from the context: when is the launch date?"},
    ]
    response = client.converse(
        modelId="mistral.mistral-large-2407-v1:0",
        messages=[{"role": "user", "content": content}],
        system=[{"text": "Use the context of the attached document to answer the question."}],
    )
    assert response["stopReason"] == "end_turn"


