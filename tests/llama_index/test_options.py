"""Construction options that only show on the wire: guardrails, botocore config, extra fields, images."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from botocore.config import Config
from llama_index.core.base.llms.types import ImageBlock, TextBlock
from llama_index.core.llms import ChatMessage

from bedrock_mistral.errors import UnsupportedFeatureError, ValidationError
from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2407, MISTRAL_7B

Make = Callable[..., BedrockMistral]

HI = [ChatMessage(role="user", content="Hi")]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
GUARDRAIL = {"guardrail_identifier": "gr123", "guardrail_version": "1", "guardrail_trace": "enabled"}


def test_guardrail_on_invoke_goes_in_headers(bedrock: LocalBedrock, make_llm: Make) -> None:
    bedrock.guardrails.add("gr123", "1")  # the emulator answers only guardrails it knows, as Bedrock does
    make_llm(LARGE_2407, **GUARDRAIL).chat(HI)
    headers = bedrock.requests[-1].headers
    assert headers["x-amzn-bedrock-guardrailidentifier"] == "gr123"
    assert headers["x-amzn-bedrock-guardrailversion"] == "1"
    assert headers["x-amzn-bedrock-trace"] == "ENABLED"


def test_guardrail_on_converse_goes_in_the_body(bedrock: LocalBedrock, make_llm: Make) -> None:
    bedrock.guardrails.add("gr123", "1")
    make_llm(LARGE_2407, api="converse", **GUARDRAIL).chat(HI)
    assert bedrock.requests[-1].body["guardrailConfig"] == {
        "guardrailIdentifier": "gr123",
        "guardrailVersion": "1",
        "trace": "enabled",
    }


def test_botocore_config_and_timeout_are_used(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(LARGE_2407, botocore_config=Config(user_agent_extra="my-app/1.0"), timeout=7)
    llm.chat(HI)
    assert "my-app/1.0" in bedrock.requests[-1].headers["user-agent"]  # other libraries may append theirs
    config = llm.transport.client.meta.config
    assert (config.read_timeout, config.connect_timeout) == (7, 7)


def test_additional_model_request_fields(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(LARGE_2407, api="converse", additional_model_request_fields={"top_p": 0.5})
    llm.chat(HI)
    assert bedrock.requests[-1].body["additionalModelRequestFields"] == {"top_p": 0.5}
    llm.chat(
        HI, additional_model_request_fields={"response_format": {"type": "text"}}
    )  # per call, replacing the configured ones
    assert bedrock.requests[-1].body["additionalModelRequestFields"] == {"response_format": {"type": "text"}}


def test_bedrock_rejection_of_extra_fields_surfaces(bedrock: LocalBedrock, make_llm: Make) -> None:
    with pytest.raises(ValidationError, match="extraneous key"):
        make_llm(MISTRAL_7B, additional_model_request_fields={"foo": 1}).chat(HI)
    assert bedrock.requests[-1].body["foo"] == 1


def test_images_go_to_a_vision_model_through_converse(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm("mistral.pixtral-large-2502-v1:0")
    llm.chat(
        [ChatMessage(role="user", blocks=[TextBlock(text="What is in this image?"), ImageBlock(image=PNG)])]
    )
    content = bedrock.requests[-1].body["messages"][0]["content"]
    assert content[0] == {"text": "What is in this image?"}
    assert content[1]["image"]["format"] == "png"
    assert base64.b64decode(content[1]["image"]["source"]["bytes"]) == PNG


def test_images_to_a_text_model_fail_before_sending(bedrock: LocalBedrock, make_llm: Make) -> None:
    with pytest.raises(UnsupportedFeatureError, match="image"):
        make_llm(LARGE_2407).chat(
            [ChatMessage(role="user", blocks=[TextBlock(text="?"), ImageBlock(image=PNG)])]
        )
    assert bedrock.requests == []
