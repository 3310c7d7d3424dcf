"""Tool calling through the wire: native chat format (Large 2407) and Converse, sync, async and streamed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.llms import ChatMessage, ChatResponse
from llama_index.core.tools import FunctionTool

from bedrock_mistral.errors import UnsupportedFeatureError
from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral
from tests.llama_index.conftest import LARGE_2407, MISTRAL_7B, SMALL_2402

Make = Callable[..., BedrockMistral]


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 degrees in {city}"


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(add)]
APIS = [pytest.param(None, id="invoke"), pytest.param("converse", id="converse")]


def tool_names(body: dict[str, Any]) -> list[str]:
    if "toolConfig" in body:
        return [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]]
    return [t["function"]["name"] for t in body.get("tools", [])]


@pytest.mark.parametrize("api", APIS)
def test_chat_with_tools_and_the_tool_result_round_trip(
    bedrock: LocalBedrock, make_llm: Make, api: Any
) -> None:
    llm = make_llm(LARGE_2407, api=api)
    history = [ChatMessage(role="user", content="What is the weather in Paris?")]
    response = llm.chat_with_tools(TOOLS, chat_history=history)
    assert len(history) == 1  # the caller's list is not appended to
    request = bedrock.requests[-1]
    assert request.operation == ("Converse" if api else "InvokeModel")
    assert tool_names(request.body) == ["get_weather", "add"]

    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("get_weather", {"city": "Paris"})
    if api is None:
        assert re.fullmatch(r"[A-Za-z0-9]{9}", selection.tool_id)  # Mistral's own id format
    assert isinstance(response.message.blocks[-1], ToolCallBlock)
    assert response.message.additional_kwargs["tool_calls"][0]["function"]["name"] == "get_weather"

    result = ChatMessage(
        role="tool",
        content=get_weather(**selection.tool_kwargs),
        additional_kwargs={"tool_call_id": selection.tool_id},
    )
    final = llm.chat_with_tools(TOOLS, chat_history=[*history, response.message, result])
    assert final.message.content == "The result of get_weather is: Sunny and 22 degrees in Paris."
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError):
        llm.get_tool_calls_from_response(final)


def test_native_body_carries_tool_calls_and_results(bedrock: LocalBedrock, make_llm: Make) -> None:
    llm = make_llm(LARGE_2407)
    first = llm.chat_with_tools(TOOLS, user_msg="What is the weather in Paris?")
    (selection,) = llm.get_tool_calls_from_response(first)
    result = ChatMessage(role="tool", content="Sunny", additional_kwargs={"tool_call_id": selection.tool_id})
    llm.chat_with_tools(
        TOOLS,
        chat_history=[
            ChatMessage(role="user", content="What is the weather in Paris?"),
            first.message,
            result,
        ],
    )
    messages = bedrock.requests[-1].body["messages"]
    assert messages[1]["tool_calls"][0]["id"] == selection.tool_id
    assert messages[1]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    }
    assert messages[2] == {
        "role": "tool",
        "tool_call_id": selection.tool_id,
        "content": "Sunny",
        "name": "get_weather",
    }


@pytest.mark.parametrize("api", APIS)
def test_tool_required_and_named_tool_choice(bedrock: LocalBedrock, make_llm: Make, api: Any) -> None:
    llm = make_llm(LARGE_2407, api=api)
    response = llm.chat_with_tools(TOOLS, user_msg="Hello there", tool_required=True)
    body = bedrock.requests[-1].body
    assert (body["toolConfig"]["toolChoice"] if api else body["tool_choice"]) in ({"any": {}}, "any")
    assert llm.get_tool_calls_from_response(response)

    response = llm.chat_with_tools(TOOLS, user_msg="What is the weather in Paris?", tool_choice="add")
    assert tool_names(bedrock.requests[-1].body) == [
        "add"
    ]  # Bedrock has no named choice: offer only that one
    assert [s.tool_name for s in llm.get_tool_calls_from_response(response)] == ["add"]


@pytest.mark.parametrize("api", APIS)
def test_parallel_tool_calls_can_be_limited(bedrock: LocalBedrock, make_llm: Make, api: Any) -> None:
    llm = make_llm(LARGE_2407, api=api)
    question = "What is the weather in Paris and London?"
    both = llm.chat_with_tools(TOOLS, user_msg=question, allow_parallel_tool_calls=True)
    cities = [s.tool_kwargs["city"] for s in llm.get_tool_calls_from_response(both)]
    assert cities == ["Paris", "London"]
    one = llm.chat_with_tools(TOOLS, user_msg=question, allow_parallel_tool_calls=False)
    assert [s.tool_kwargs["city"] for s in llm.get_tool_calls_from_response(one)] == ["Paris"]


@pytest.mark.parametrize(
    ("api", "operation"),
    [
        pytest.param(None, "InvokeModelWithResponseStream", id="invoke-streams-tools-natively"),
        pytest.param("converse", "Converse", id="converse-cannot-stream-tools"),
    ],
)
def test_stream_chat_with_tools(bedrock: LocalBedrock, make_llm: Make, api: Any, operation: str) -> None:
    llm = make_llm(LARGE_2407, api=api)
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="What is the weather in Paris?"))
    assert [r.operation for r in bedrock.requests] == [operation]
    assert chunks
    last = chunks[-1]
    (selection,) = llm.get_tool_calls_from_response(last)
    assert (selection.tool_name, selection.tool_kwargs) == ("get_weather", {"city": "Paris"})
    assert last.raw is not None and last.raw["stop_reason"] == "tool_calls"
    assert last.raw["usage"]["prompt_tokens"] > 0
    for chunk in chunks:  # every chunk, partial or not, is readable without raising
        llm.get_tool_calls_from_response(chunk, error_on_no_tool_call=False)


@pytest.mark.parametrize("api", APIS)
async def test_async_tools(bedrock: LocalBedrock, make_llm: Make, api: Any) -> None:
    llm = make_llm(LARGE_2407, api=api)
    try:
        response = await llm.achat_with_tools(TOOLS, user_msg="What is 2 + 3?")
        (selection,) = llm.get_tool_calls_from_response(response)
        assert (selection.tool_name, selection.tool_kwargs) == ("add", {"a": 2, "b": 3})
        chunks: list[ChatResponse] = [
            c async for c in await llm.astream_chat_with_tools(TOOLS, user_msg="What is 2 + 3?")
        ]
        assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"a": 2, "b": 3}
        output = await llm.apredict_and_call(TOOLS, user_msg="What is 2 + 3?")
        assert output.response == "5"
    finally:
        await llm.aclose()


@pytest.mark.parametrize("api", APIS)
def test_predict_and_call(bedrock: LocalBedrock, make_llm: Make, api: Any) -> None:
    llm = make_llm(LARGE_2407, api=api)
    assert llm.predict_and_call(TOOLS, user_msg="What is 2 + 3?").response == "5"
    output = llm.predict_and_call(
        TOOLS, user_msg="What is the weather in Paris and London?", allow_parallel_tool_calls=True
    )
    assert output.response == "Sunny and 22 degrees in Paris\n\nSunny and 22 degrees in London"
    assert len(output.sources) == 2


def test_small_2402_has_tools_on_converse_only(bedrock: LocalBedrock, make_llm: Make) -> None:
    assert make_llm(SMALL_2402).metadata.is_function_calling_model is False
    llm = make_llm(SMALL_2402, api="converse")
    assert llm.metadata.is_function_calling_model is True
    (selection,) = llm.get_tool_calls_from_response(llm.chat_with_tools(TOOLS, user_msg="What is 2 + 3?"))
    assert selection.tool_name == "add"


def test_tools_on_a_model_without_tools_fail_before_sending(bedrock: LocalBedrock, make_llm: Make) -> None:
    with pytest.raises(UnsupportedFeatureError, match="tools are not supported"):
        make_llm(MISTRAL_7B).chat_with_tools(TOOLS, user_msg="What is 2 + 3?")
    assert bedrock.requests == []
