"""LlamaIndex tools <-> neutral tool specs, tool choices, and tool selections read from responses.

Bedrock's own tool rules (named choices, id formats, streaming with tools) are the transport's; this
module only translates LlamaIndex's spellings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.tool_choice import parse_tool_choice
from bedrock_mistral.types import ToolChoice, ToolSpec
from llama_index_bedrock_mistral.messages import tool_calls_of

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

def tool_spec(tool: BaseTool, index: int = 0) -> ToolSpec:
    metadata = getattr(tool, "metadata", None)
    if metadata is None or not hasattr(metadata, "get_parameters_dict"):
        raise InvalidRequestError(
            f"tools[{index}]={tool!r} ({type(tool).__name__}) is not a LlamaIndex tool: pass FunctionTool / "
            "QueryEngineTool objects (BaseTool)"
        )
    return ToolSpec(
        name=metadata.get_name(),
        description=metadata.description or "",
        parameters=metadata.get_parameters_dict(),
    )


def tool_specs(tools: Sequence[BaseTool]) -> tuple[ToolSpec, ...]:
    if isinstance(tools, (str, Mapping)) or not isinstance(tools, Sequence):
        raise InvalidRequestError(f"tools must be a list of LlamaIndex tools, got {type(tools).__name__}")
    return tuple(tool_spec(t, i) for i, t in enumerate(tools))


def tool_choice(choice: str | Mapping[str, Any] | None, tool_required: bool = False) -> ToolChoice | None:
    """LlamaIndex's `tool_choice` / `tool_required` as the transport's auto | any | none | tool name."""
    return parse_tool_choice(choice, tool_required)


def _kwargs(value: dict[str, Any] | str, partial: bool) -> dict[str, Any]:
    """Arguments as an object. Mid-stream, partial JSON is completed as far as it can be; in a finished
    answer, text that is not a JSON object gives {} (the call then fails on its missing arguments rather
    than running with invented ones)."""
    if isinstance(value, dict):
        return value
    text = value.strip()
    if not partial:
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    while text:
        try:
            parsed = parse_partial_json(text)
        except ValueError:  # includes json.JSONDecodeError
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        # A half-written key or literal at the end: drop the last member and try again.
        cut = text.rfind(",")
        text = text[:cut] if cut > 0 else ""
    return {}


def is_finished(response: ChatResponse) -> bool:
    """Our responses carry `raw["stop_reason"]` once the answer is complete (stream chunks only at the end)."""
    return isinstance(response.raw, Mapping) and "stop_reason" in response.raw


def tool_selections(response: ChatResponse, error_on_no_tool_call: bool = True) -> list[ToolSelection]:
    partial = not is_finished(response)
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        selections = [
            ToolSelection(
                tool_id=b.tool_call_id or "",
                tool_name=b.tool_name,
                tool_kwargs=_kwargs(b.tool_kwargs, partial),
            )
            for b in blocks
        ]
    else:
        selections = [
            ToolSelection(
                tool_id=c.id,
                tool_name=c.name,
                tool_kwargs=c.arguments if not c.invalid else _kwargs(c.raw_arguments or "", partial),
            )
            for c in tool_calls_of(response.message)
        ]
    if not selections and error_on_no_tool_call:
        raise ValueError("Expected at least one tool call, but the model answered without calling a tool.")
    return selections


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """`allow_parallel_tool_calls=False`: Bedrock's Mistral formats cannot ask for one call, so trim here."""
    message = response.message
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if len(blocks) > 1:
        first = blocks[0]
        message.blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock) or b is first]
    calls = message.additional_kwargs.get("tool_calls")
    if isinstance(calls, list) and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]
    return response
