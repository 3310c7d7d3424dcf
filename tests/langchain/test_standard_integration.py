"""langchain-tests' standard integration suite, every request going boto3 -> HTTP -> the local emulator."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral
from tests.langchain.conftest import LARGE, SEVEN_B, connection

_EMULATOR: dict[str, LocalBedrock] = {}


@pytest.fixture(autouse=True)
def _emulator(local_bedrock: LocalBedrock) -> None:
    """`chat_model_params` is a property, so the suite reads the emulator's address from here."""
    _EMULATOR["bedrock"] = local_bedrock


class _Base(ChatModelIntegrationTests):
    model_id = LARGE
    api: str | None = None
    override = "mistral.mistral-large-2402-v1:0"

    @property
    def chat_model_class(self) -> type[ChatBedrockMistral]:
        return ChatBedrockMistral

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": self.model_id, "api": self.api, **connection(_EMULATOR["bedrock"])}

    @property
    def model_override_value(self) -> str | None:
        return self.override

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True


class TestLarge2Invoke(_Base):
    api = "invoke"


class TestLarge2Converse(_Base):
    api = "converse"


class TestMistral7B(_Base):
    model_id = SEVEN_B
    override = "mistral.mixtral-8x7b-instruct-v0:1"

    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_tool_choice(self) -> bool:
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False  # the suite's Anthropic history binds a tool
