"""Credentials never leave the model: not in repr, str, serialized forms, callbacks or error messages."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load

from bedrock_mistral.errors import AuthenticationError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import BedrockMistralLLM, ChatBedrockMistral
from tests.langchain.conftest import LARGE, SEVEN_B

SENTINEL = "SENTINEL-secret-4f9a1c"
TOKEN = "SENTINEL-token-77b2e0"


def build(cls: type, bedrock: LocalBedrock, **kwargs: Any) -> Any:
    return cls(
        model=LARGE if cls is ChatBedrockMistral else SEVEN_B,
        endpoint_url=bedrock.endpoint_url,
        region_name=bedrock.region_name,
        aws_access_key_id=bedrock.aws_access_key_id,
        aws_secret_access_key=SENTINEL,
        aws_session_token=TOKEN,
        **kwargs,
    )


def assert_clean(text: str) -> None:
    assert SENTINEL not in text and TOKEN not in text


@pytest.mark.parametrize("cls", [ChatBedrockMistral, BedrockMistralLLM])
def test_no_secret_in_repr_str_or_serialized_forms(bedrock: LocalBedrock, cls: type) -> None:
    model = build(cls, bedrock)
    for text in (repr(model), str(model), dumps(model), dumps(model, pretty=True), model.model_dump_json()):
        assert_clean(text)
    assert_clean(repr(model.bind(stop=["x"])))
    assert_clean(repr(model.transport))
    serialized = dumpd(model)
    assert serialized["kwargs"]["aws_secret_access_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["AWS_SECRET_ACCESS_KEY"],
    }
    assert serialized["kwargs"]["aws_session_token"]["id"] == ["AWS_SESSION_TOKEN"]


@pytest.mark.parametrize("cls", [ChatBedrockMistral, BedrockMistralLLM])
def test_serialization_round_trip_takes_secrets_from_the_loader(bedrock: LocalBedrock, cls: type) -> None:
    model = build(cls, bedrock, temperature=0.2, stop=["END"])
    revived = load(
        dumpd(model),
        valid_namespaces=["langchain_bedrock_mistral"],
        allowed_objects=[cls],
        secrets_map={
            "AWS_ACCESS_KEY_ID": bedrock.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": SENTINEL,
            "AWS_SESSION_TOKEN": TOKEN,
        },
    )
    assert isinstance(revived, cls)
    assert (revived.model, revived.temperature, revived.stop) == (model.model, 0.2, ["END"])
    assert revived.aws_secret_access_key.get_secret_value() == SENTINEL


def test_no_secret_reaches_callbacks_or_errors() -> None:
    seen: list[str] = []

    class Record(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            seen.append(repr(serialized) + repr(kwargs))

    with LocalBedrock(auth="strict") as strict:
        model = build(ChatBedrockMistral, strict)
        with pytest.raises(AuthenticationError) as info:  # the emulator does not know this secret
            model.invoke("Hello", config={"callbacks": [Record()]})
    assert seen
    for text in [*seen, str(info.value), repr(info.value)]:
        assert_clean(text)
