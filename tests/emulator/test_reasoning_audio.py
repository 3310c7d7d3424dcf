"""The emulator's reasoning models and audio models, through raw boto3: reasoning blocks before the answer
on Converse and ConverseStream, reasoning settings refused where the model takes none, audio accepted on
Voxtral (the answer says what arrived) and refused elsewhere with Bedrock's message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock
from tests.emulator.helpers import raw_call
from tests.media import wav_bytes

MAGISTRAL = "mistral.magistral-small-2509"
LARGE_3 = "mistral.mistral-large-3-675b-instruct"
VOXTRAL = "mistral.voxtral-mini-3b-2507"


def _user(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(blocks)}]


def test_reasoning_model_thinks_before_answering_on_converse(client: Any) -> None:
    response = client.converse(modelId=MAGISTRAL, messages=_user({"text": "What is 6 x 7?"}))
    content = response["output"]["message"]["content"]
    assert list(content[0]) == ["reasoningContent"] and list(content[1]) == ["text"]
    thought = content[0]["reasoningContent"]["reasoningText"]["text"]
    assert "What is 6 x 7?" in thought and thought not in content[1]["text"]
    again = client.converse(modelId=MAGISTRAL, messages=_user({"text": "What is 6 x 7?"}))
    assert again["output"]["message"]["content"][0] == content[0]  # deterministic


def test_reasoning_model_streams_reasoning_in_its_own_block_first(client: Any) -> None:
    events = list(client.converse_stream(modelId=MAGISTRAL, messages=_user({"text": "What is 6 x 7?"}))["stream"])
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    kinds = [(d["contentBlockIndex"], next(iter(d["delta"]))) for d in deltas]
    first_text = next(i for i, (_, kind) in enumerate(kinds) if kind == "text")
    assert kinds[0][1] == "reasoningContent" and all(k == "reasoningContent" for _, k in kinds[:first_text])
    assert {i for i, k in kinds if k == "reasoningContent"} == {0}
    assert {i for i, k in kinds if k == "text"} == {1}
    stops = [e["contentBlockStop"]["contentBlockIndex"] for e in events if "contentBlockStop" in e]
    assert stops == [0, 1]


def test_models_that_do_not_reason_send_no_reasoning(client: Any) -> None:
    response = client.converse(modelId=LARGE_3, messages=_user({"text": "What is 6 x 7?"}))
    assert all("reasoningContent" not in b for b in response["output"]["message"]["content"])


def test_reasoning_history_is_accepted(client: Any) -> None:
    messages = [
        *_user({"text": "q1"}),
        {
            "role": "assistant",
            "content": [{"reasoningContent": {"reasoningText": {"text": "t1", "signature": "s"}}}, {"text": "a1"}],
        },
        *_user({"text": "q2"}),
    ]
    response = client.converse(modelId=MAGISTRAL, messages=messages)
    assert "turn 2" in response["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"]["text"]


@pytest.mark.parametrize("model", [MAGISTRAL, LARGE_3])
@pytest.mark.parametrize("setting", ["reasoning_effort", "thinking", "reasoningConfig"])
def test_reasoning_settings_are_rejected_where_the_model_takes_none(client: Any, model: str, setting: str) -> None:
    with pytest.raises(ClientError) as info:
        client.converse(
            modelId=model, messages=_user({"text": "hi"}), additionalModelRequestFields={setting: "high"}
        )
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == f"Malformed input request: #: extraneous key [{setting}] is not permitted, please reformat your input and try again."


@pytest.mark.parametrize("operation", ["converse", "converse_stream"])
def test_audio_model_says_what_audio_it_received(client: Any, operation: str) -> None:
    audio = wav_bytes(1.5)
    messages = _user({"audio": {"format": "wav", "source": {"bytes": audio}}}, {"text": "What is said here?"})
    if operation == "converse":
        text = client.converse(modelId=VOXTRAL, messages=messages)["output"]["message"]["content"][0]["text"]
    else:
        stream = client.converse_stream(modelId=VOXTRAL, messages=messages)["stream"]
        text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in stream if "contentBlockDelta" in e)
    assert text.startswith(f"I received audio: wav, 1.5 seconds, {len(audio):,} bytes.")


def test_audio_to_a_model_without_audio_gets_bedrocks_message(client: Any) -> None:
    messages = _user({"audio": {"format": "wav", "source": {"bytes": wav_bytes(0.1)}}}, {"text": "?"})
    with pytest.raises(ClientError) as info:
        client.converse(modelId=LARGE_3, messages=messages)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["Error"]["Message"] == (
        "This model doesn't support the audio content block that you provided. Try again with a supported "
        "content block."
    )


def test_audio_format_outside_bedrocks_list_is_rejected(bedrock: LocalBedrock) -> None:
    body = {"messages": _user({"audio": {"format": "midi", "source": {"bytes": "AAAA"}}}, {"text": "?"})}
    status, _, raw = raw_call(bedrock, f"/model/{VOXTRAL}/converse", json.dumps(body).encode())
    assert status == 400
    assert "Member must satisfy enum value set: [mp3, opus, wav" in json.loads(raw)["message"]
