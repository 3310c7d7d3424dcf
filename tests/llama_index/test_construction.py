"""Construction: options validated by the transport, metadata from the catalog, credentials kept secret."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.callbacks.schema import CBEventType
from llama_index.core.llms import ChatMessage
from pydantic import SecretStr

from bedrock_mistral.errors import ConfigurationError, ParameterError, UnknownModelError
from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2402, LARGE_2407, MISTRAL_7B, MIXTRAL, SMALL_2402

SENTINEL_KEY_ID = "AKIASENTINEL00000000"
SENTINEL_SECRET = "sentinel-secret-never-shown-0123456789"
SENTINEL_TOKEN = "sentinel-session-token-never-shown"


def offline(model: str = LARGE_2407, **kwargs: Any) -> BedrockMistral:
    """No call is made: construction alone must not need the network."""
    return BedrockMistral(model, region_name="us-east-1", **kwargs)


@pytest.mark.parametrize(
    ("model", "api", "context_window", "num_output", "tools"),
    [
        (MISTRAL_7B, None, 32_768, 512, False),
        (MIXTRAL, None, 32_768, 512, False),
        (SMALL_2402, None, 32_768, 8_192, False),
        (SMALL_2402, "converse", 32_768, 8_192, True),
        (LARGE_2402, None, 32_768, 8_192, True),
        (LARGE_2407, None, 131_072, 8_192, True),
        (LARGE_2407, "converse", 131_072, 8_192, True),
        ("mistral.pixtral-large-2502-v1:0", None, 131_072, 8_192, True),
        ("mistral.voxtral-mini-3b-2507", None, 32_768, 8_192, False),
    ],
)
def test_metadata_comes_from_the_catalog(
    model: str, api: Any, context_window: int, num_output: int, tools: bool
) -> None:
    metadata = offline(model, api=api).metadata
    assert metadata.context_window == context_window
    assert metadata.num_output == num_output
    assert metadata.is_function_calling_model is tools
    assert metadata.is_chat_model is True
    assert metadata.model_name == model


@pytest.mark.parametrize(
    "model",
    [
        "eu.mistral.mistral-large-2407-v1:0",
        "us.mistral.mistral-large-2407-v1:0",
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.mistral.mistral-large-2407-v1:0",
    ],
)
def test_region_prefixed_ids_and_arns_resolve_to_the_base_model(model: str) -> None:
    llm = offline(model)
    assert llm.spec.model_id == LARGE_2407
    assert llm.metadata.context_window == 131_072
    assert llm.model == model  # sent as given


def test_max_tokens_sets_num_output() -> None:
    assert offline(MISTRAL_7B, max_tokens=100).metadata.num_output == 100


def test_model_id_alias() -> None:
    assert BedrockMistral(model_id=MIXTRAL, region_name="us-east-1").model == MIXTRAL
    with pytest.raises(ValueError, match="disagree"):
        BedrockMistral(MIXTRAL, model_id=MISTRAL_7B, region_name="us-east-1")
    with pytest.raises(ValueError, match="required"):
        BedrockMistral(region_name="us-east-1")


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "match"),
    [
        (MISTRAL_7B, {"temperature": 1.5}, ParameterError, "temperature"),
        (MIXTRAL, {"max_tokens": 5000}, ParameterError, "max_tokens"),
        (LARGE_2407, {"top_k": 10}, ParameterError, "top_k"),
        (MISTRAL_7B, {"stop": [str(i) for i in range(11)]}, ParameterError, "stop"),
        ("mistral.no-such-model", {}, UnknownModelError, "unknown model"),
        ("mistral.pixtral-large-2502-v1:0", {"api": "invoke"}, UnknownModelError, "does not support api"),
        (LARGE_2407, {"guardrail_identifier": "gr-1"}, ConfigurationError, "guardrail"),
        (LARGE_2407, {"aws_access_key_id": "AKIA"}, ConfigurationError, "together"),
    ],
)
def test_invalid_options_raise_the_transports_value_error(
    model: str, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match) as info:
        offline(model, **kwargs)
    assert isinstance(info.value, ValueError)


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="tempurature") as info:
        offline(MISTRAL_7B, tempurature=0.5)
    assert "temperature" in str(info.value)  # the accepted names are listed


def test_unknown_model_is_accepted_with_an_api() -> None:
    llm = offline("mistral.some-future-model-v1:0", api="converse")
    assert llm.metadata.is_function_calling_model is True


def test_a_single_stop_string_is_one_sequence() -> None:
    assert offline(MISTRAL_7B, stop="###").stop == ["###"]


# --- credentials -------------------------------------------------------------------------------------


class _PayloadRecorder(BaseCallbackHandler):
    """Keeps every callback payload, to check none carries a credential."""

    def __init__(self) -> None:
        super().__init__([], [])
        self.payloads: list[Any] = []

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: Any = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        self.payloads.append(payload)
        return event_id

    def on_event_end(
        self, event_type: CBEventType, payload: Any = None, event_id: str = "", **kwargs: Any
    ) -> None:
        self.payloads.append(payload)

    def start_trace(self, trace_id: str | None = None) -> None:
        return None

    def end_trace(self, trace_id: str | None = None, trace_map: Any = None) -> None:
        return None


@pytest.fixture(scope="module")
def sentinel_bedrock() -> Any:
    """An emulator that knows the sentinel keys, so the call really signs with them."""
    with LocalBedrock(credentials={SENTINEL_KEY_ID: SENTINEL_SECRET}) as bedrock:
        yield bedrock


@pytest.mark.parametrize("secret", [SENTINEL_SECRET, SecretStr(SENTINEL_SECRET)], ids=["str", "SecretStr"])
def test_credentials_never_appear_in_repr_or_serialization(
    sentinel_bedrock: LocalBedrock, secret: Any
) -> None:
    recorder = _PayloadRecorder()
    llm = BedrockMistral(
        LARGE_2407,
        endpoint_url=sentinel_bedrock.endpoint_url,
        region_name=sentinel_bedrock.region_name,
        aws_access_key_id=SENTINEL_KEY_ID,
        aws_secret_access_key=secret,
        aws_session_token=SENTINEL_TOKEN,
        callback_manager=CallbackManager([recorder]),
    )
    llm.chat([ChatMessage(role="user", content="Hello")])
    assert sentinel_bedrock.requests[-1].access_key == SENTINEL_KEY_ID  # the keys were really used

    renderings: list[Callable[[], Any]] = [
        lambda: repr(llm),
        lambda: str(llm),
        lambda: llm.to_dict(),
        lambda: llm.to_json(),
        lambda: llm.model_dump(),
        lambda: llm.model_dump_json(),
        lambda: llm.dict(),
        lambda: llm.to_payload(),
        lambda: repr(llm.transport),
        lambda: recorder.payloads,
    ]
    for render in renderings:
        text = render()
        text = text.decode("latin-1") if isinstance(text, bytes) else str(text)
        assert SENTINEL_SECRET not in text
        assert SENTINEL_TOKEN not in text
    json.loads(llm.to_json())  # and the JSON form is valid
    with pytest.raises(TypeError) as info:  # a pickle would carry the keys: refused, saying why
        pickle.dumps(llm)
    assert "cannot be pickled" in str(info.value) and SENTINEL_SECRET not in str(info.value)


def test_serialized_form_rebuilds_the_llm() -> None:
    llm = offline(MISTRAL_7B, temperature=0.2, stop=["###"], max_tokens=64)
    again = BedrockMistral.from_dict(llm.to_dict())
    assert (again.model, again.temperature, again.stop, again.max_tokens) == (MISTRAL_7B, 0.2, ["###"], 64)
    unpickled = pickle.loads(pickle.dumps(llm))  # rebuilt through __init__ (credentials are not carried)
    assert (unpickled.model, unpickled.temperature, unpickled.transport.spec) == (MISTRAL_7B, 0.2, llm.spec)
