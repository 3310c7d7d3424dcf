"""Audio to Voxtral through ChatBedrockMistral: every LangChain audio block form becomes one Converse audio
block with the same bytes; a model without audio input refuses before any request."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral
from tests.media import wav_bytes

VOXTRAL = "mistral.voxtral-small-24b-2507"
AUDIO = wav_bytes(0.5)
B64 = base64.b64encode(AUDIO).decode()
FORMS = {
    "v1 base64 text": {"type": "audio", "base64": B64, "mime_type": "audio/wav"},
    "v1 bytes": {"type": "audio", "base64": AUDIO, "mime_type": "audio/wav"},
    "v0 source_type": {"type": "audio", "source_type": "base64", "data": B64, "mime_type": "audio/wav"},
    "data URL": {"type": "audio", "url": f"data:audio/wav;base64,{B64}"},
    "input_audio": {"type": "input_audio", "input_audio": {"data": B64, "format": "wav"}},
    "no type given": {"type": "audio", "base64": B64},
}


@pytest.mark.parametrize("form", FORMS)
def test_audio_question_to_voxtral(bedrock: LocalBedrock, conn: dict[str, Any], form: str) -> None:
    llm = ChatBedrockMistral(model=VOXTRAL, **conn)
    reply = llm.invoke([HumanMessage([FORMS[form], {"type": "text", "text": "What is in this clip?"}])])
    assert reply.text.startswith(f"I received audio: wav, 0.5 seconds, {len(AUDIO):,} bytes.")
    (request,) = bedrock.requests
    block = request.body["messages"][0]["content"][0]["audio"]
    assert block["format"] == "wav" and base64.b64decode(block["source"]["bytes"]) == AUDIO


async def test_audio_streams_and_runs_async(bedrock: LocalBedrock, conn: dict[str, Any]) -> None:
    llm = ChatBedrockMistral(model=VOXTRAL, **conn)
    message = HumanMessage([FORMS["v1 bytes"], {"type": "text", "text": "?"}])
    streamed = "".join(chunk.text for chunk in llm.stream([message]))
    answered = (await llm.ainvoke([message])).text
    assert streamed == answered and answered.startswith("I received audio: wav")
    assert [r.operation for r in bedrock.requests] == ["ConverseStream", "Converse"]


@pytest.mark.parametrize("model", ["mistral.mistral-large-3-675b-instruct", "mistral.mistral-large-2407-v1:0"])
def test_audio_to_a_model_without_audio_is_refused_before_any_request(
    bedrock: LocalBedrock, conn: dict[str, Any], model: str
) -> None:
    llm = ChatBedrockMistral(model=model, **conn)
    with pytest.raises(UnsupportedFeatureError, match="does not accept audio") as info:
        llm.invoke([HumanMessage([FORMS["v1 bytes"], {"type": "text", "text": "?"}])])
    assert VOXTRAL in str(info.value)
    assert bedrock.requests == []


def test_profile_says_voxtral_takes_audio(conn: dict[str, Any]) -> None:
    assert ChatBedrockMistral(model=VOXTRAL, **conn).profile["audio_inputs"] is True  # type: ignore[index]
    other = ChatBedrockMistral(model="mistral.mistral-large-3-675b-instruct", **conn)
    assert other.profile["audio_inputs"] is False  # type: ignore[index]
