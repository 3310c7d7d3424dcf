"""Audio to Voxtral through LlamaIndex's BedrockMistral: an AudioBlock becomes a Converse audio block with
the same bytes; a model without audio input refuses before any request."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import AudioBlock, ChatMessage, TextBlock

from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.media import wav_bytes

VOXTRAL = "mistral.voxtral-mini-3b-2507"
AUDIO = wav_bytes(0.5)


def _question(block: AudioBlock) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[block, TextBlock(text="What is in this clip?")])]


@pytest.mark.parametrize("source", ["bytes", "path"])
def test_audio_question_to_voxtral(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral], tmp_path: Path, source: str
) -> None:
    if source == "bytes":
        block = AudioBlock(audio=AUDIO, format="wav")
    else:
        (tmp_path / "clip.wav").write_bytes(AUDIO)
        block = AudioBlock(path=tmp_path / "clip.wav")
    response = make_llm(VOXTRAL).chat(_question(block))
    assert (response.message.content or "").startswith(f"I received audio: wav, 0.5 seconds, {len(AUDIO):,} bytes.")
    (request,) = bedrock.requests
    sent = request.body["messages"][0]["content"][0]["audio"]
    assert sent["format"] == "wav" and base64.b64decode(sent["source"]["bytes"]) == AUDIO


async def test_audio_streams_and_runs_async(bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]) -> None:
    llm = make_llm(VOXTRAL)
    chunks = [c async for c in await llm.astream_chat(_question(AudioBlock(audio=AUDIO, format="wav")))]
    assert (chunks[-1].message.content or "").startswith("I received audio: wav")


def test_audio_to_a_model_without_audio_is_refused_before_any_request(
    bedrock: LocalBedrock, make_llm: Callable[..., BedrockMistral]
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="does not accept audio"):
        make_llm("mistral.mistral-large-3-675b-instruct").chat(_question(AudioBlock(audio=AUDIO, format="wav")))
    assert bedrock.requests == []
