"""Ask Voxtral Mini about a sound: a WAV clip sent as a LangChain audio block and as a LlamaIndex AudioBlock
(both become a Converse `audio` block). A model without audio input refuses it before any request.

python examples/audio.py [--aws]
"""

from __future__ import annotations

import io
import math
import struct
import wave

from _common import Connection, run_example
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import AudioBlock, ChatMessage, TextBlock

from bedrock_mistral.errors import UnsupportedFeatureError
from langchain_bedrock_mistral import ChatBedrockMistral
from llama_index_bedrock_mistral import BedrockMistral

MODEL = "mistral.voxtral-mini-3b-2507"
QUESTION = "What do you hear in this recording?"


def tone(seconds: float = 1.0, hertz: float = 440.0, rate: int = 8000) -> bytes:
    """A short sine tone as a WAV file, so the example needs no audio file of its own."""
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * hertz * n / rate))) for n in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(frames)
    return out.getvalue()


def main(connection: Connection) -> None:
    audio = tone()
    chat = ChatBedrockMistral(model=MODEL, **connection)
    audio_block = {"type": "audio", "base64": audio, "mime_type": "audio/wav"}  # v1 block; bytes or base64 text
    answer = chat.invoke([HumanMessage([audio_block, {"type": "text", "text": QUESTION}])])
    print(f"[langchain] {answer.text.strip()}")

    llm = BedrockMistral(MODEL, **connection)
    message = ChatMessage(role="user", blocks=[AudioBlock(audio=audio, format="wav"), TextBlock(text=QUESTION)])
    print(f"[llama-index] {llm.chat([message]).message.content}")

    try:
        ChatBedrockMistral(model="mistral.mistral-large-3-675b-instruct", **connection).invoke(
            [HumanMessage([audio_block, {"type": "text", "text": QUESTION}])]
        )
    except UnsupportedFeatureError as exc:
        print(f"[refused] {exc}")
    else:
        raise RuntimeError("a model without audio input accepted audio")


if __name__ == "__main__":
    run_example(main, __doc__)
