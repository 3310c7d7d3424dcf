"""Issue 12 items 4, 5 and 6: wrong types and bad arguments get a typed error before any request.

Construction options are checked as given (never coerced), by the one function both adapters call
(`bedrock_mistral.validation.check_option_types`); `stop` is a string (one sequence) or a list of strings.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from bedrock_mistral.errors import ConfigurationError, InvalidRequestError, ParameterError
from bedrock_mistral.local import LocalBedrock
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY

WRONG_TYPES: dict[str, tuple[str, Any, type[Exception]]] = {
    "max_tokens-bool": ("max_tokens", True, ParameterError),
    "temperature-bool": ("temperature", True, ParameterError),
    "temperature-str": ("temperature", "0.5", ParameterError),
    "max_tokens-str": ("max_tokens", "100", ParameterError),
    "timeout-str": ("timeout", "5", ConfigurationError),
    "max_retries-bool": ("max_retries", True, ConfigurationError),
}


@pytest.mark.parametrize("adapter, case", registry.CTOR_TYPES.params())
def test_constructor_types_are_checked_not_coerced(bedrock: LocalBedrock, adapter: str, case: str) -> None:
    name, value, error = WRONG_TYPES[case]
    with pytest.raises(error) as info:
        BY_KEY[adapter].build(bedrock, fresh=True, **{name: value})
    assert type(info.value) is error, "the same error type in every adapter"
    assert name in str(info.value) and repr(value) in str(info.value)
    assert "not a bool or a string" in str(info.value), "the message says what is allowed"
    assert bedrock.requests == []


def _li_messages(content: Any) -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content=content)]


def _call(adapter: str, model: Any, content: Any, **kwargs: Any) -> Any:
    if adapter == "llama-index":
        return model.chat(_li_messages(content), **kwargs)
    return model.invoke(content, **kwargs)


BAD_OPTIONS: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "timeout-inf": ({"timeout": math.inf}, ConfigurationError, "timeout must be a finite number"),
    "timeout-nan": ({"timeout": math.nan}, ConfigurationError, "timeout must be a finite number"),
    "deadline-zero": ({"deadline": 0}, ConfigurationError, "deadline must be a finite number of seconds > 0"),
    "client-object": ({"client": object()}, ConfigurationError, "client must be a boto3 bedrock-runtime client"),
    "config-str": ({"config": "x"}, ConfigurationError, "must be a botocore.config.Config"),
    "stop-int": ({"stop": 5}, ParameterError, "a string (one stop sequence) or a list of strings"),
}


@pytest.mark.parametrize("adapter, case", registry.BAD_ARGUMENTS.params())
def test_bad_arguments_are_typed_before_any_request(bedrock: LocalBedrock, adapter: str, case: str) -> None:
    spec = BY_KEY[adapter]
    if case in BAD_OPTIONS:
        options, error, says = BAD_OPTIONS[case]
        if adapter == "llama-index" and "config" in options:
            options = {"botocore_config": options["config"]}
        with pytest.raises(error) as info:
            spec.build(bedrock, fresh=True, **options)
        assert says in str(info.value)
        assert bedrock.requests == []
        return
    model = spec.build(bedrock, max_retries=0)
    expected: tuple[type[Exception], str]
    if case == "lone-surrogate":
        call = lambda: _call(adapter, model, "bad \ud800 text")  # noqa: E731
        expected = (InvalidRequestError, "lone surrogate")
    elif case == "empty-content":
        call = lambda: _call(adapter, model, "  ")  # noqa: E731
        expected = (InvalidRequestError, "empty content")
    elif case == "tools-int":
        if adapter == "llama-index":
            call = lambda: model.chat_with_tools(tools=[1], user_msg="hi")  # noqa: E731
        else:
            call = lambda: model.bind_tools([1]).invoke("hi")  # noqa: E731
        expected = (InvalidRequestError, "tools[0]=1 (int) is not a")
    elif case == "tool-choice-int":
        call = lambda: model.chat(_li_messages("hi"), tools=[], tool_choice=3)  # noqa: E731
        expected = (InvalidRequestError, "tool_choice=3 (int) is not allowed")
    else:
        content = None if case == "content-none" else b"hello"
        call = lambda: model.chat(_li_messages(content))  # noqa: E731
        expected = (InvalidRequestError, "has no content")
    with pytest.raises(expected[0]) as info:
        call()
    assert expected[1] in str(info.value)
    assert bedrock.requests == [], "nothing may be sent"


@pytest.mark.parametrize("adapter, case", registry.STOP_STRING.params())
def test_stop_string_is_one_sequence(bedrock: LocalBedrock, adapter: str, case: str) -> None:
    spec = BY_KEY[adapter]
    if case in ("int", "list-of-int"):
        model = spec.build(bedrock, max_retries=0)
        bad: Any = 5 if case == "int" else [1]
        with pytest.raises(ParameterError) as info:
            model.invoke("hi", stop=bad)
        assert "stop" in str(info.value) and "list of strings" in str(info.value)
        assert bedrock.requests == []
        return
    model = spec.build(bedrock, fresh=True, max_retries=0, **({"stop": "END"} if case == "constructor" else {}))
    kwargs = {"stop": "END"} if case == "call" else {}
    if adapter == "langchain-llm":
        model.invoke("hi", **kwargs)
        assert bedrock.requests[-1].body["stop"] == ["END"]
        return
    # The chat-completion body has no stop key: the answer is cut on the client at the whole sequence.
    bedrock.script.reply("Every Eagle Nests. The END of the story")
    answer = model.invoke("hi", **kwargs).content
    assert answer == "Every Eagle Nests. The "
