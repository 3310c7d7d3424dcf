"""Tools and structured output: LangChain tool forms -> neutral ToolSpecs, tool_choice spellings ->
the transport's choices, and `with_structured_output` as bind + parser.

How Bedrock carries a tool, a named choice or a JSON schema (tool configuration, output schema,
instructions) is
the transport's business; this module only normalizes what LangChain users pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, TypeAlias

from langchain_core.language_models import LanguageModelInput
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.base import OutputParserLike
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import TypeBaseModel, is_basemodel_subclass

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.response_formats import parse_response_format, schema_format
from bedrock_mistral.tool_choice import parse_tool_choice
from bedrock_mistral.types import ResponseFormat, ToolSpec

ToolLike: TypeAlias = Mapping[str, Any] | type | Callable[..., Any] | BaseTool
ToolChoiceLike: TypeAlias = str | bool | Mapping[str, Any] | None
StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]

def format_tools(tools: Sequence[ToolLike]) -> list[dict[str, Any]]:
    """Any LangChain tool form (function, @tool, pydantic, TypedDict, JSON schema, OpenAI, Anthropic or
    Converse dict) in OpenAI form, which is what gets bound (and traced)."""
    if isinstance(tools, (str, Mapping)) or not isinstance(tools, Sequence):
        raise InvalidRequestError(f"tools must be a list of tools, got {type(tools).__name__}")
    for index, tool in enumerate(tools):
        if not isinstance(tool, (Mapping, type, BaseTool)) and not callable(tool):
            raise InvalidRequestError(
                f"tools[{index}]={tool!r} ({type(tool).__name__}) is not a tool: pass a function, a @tool, a "
                "pydantic model, a TypedDict or a JSON-schema / OpenAI tool dict"
            )
    return [convert_to_openai_tool(t) for t in tools]


def tool_specs(tools: Sequence[Mapping[str, Any]]) -> tuple[ToolSpec, ...]:
    """Bound OpenAI-form tools as the transport's ToolSpecs (per-call `tools=` arrive here unformatted)."""
    specs = []
    for tool in format_tools(tools) if any(not isinstance(t, Mapping) for t in tools) else tools:
        function = tool.get("function", tool)
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        specs.append(
            ToolSpec(
                name=function["name"], description=function.get("description") or "", parameters=parameters
            )
        )
    return tuple(specs)


def tool_choice(choice: ToolChoiceLike) -> str | None:
    """LangChain's tool_choice spellings -> "auto", "any", "none" or a tool name."""
    return parse_tool_choice(choice)


def response_format(value: Any) -> ResponseFormat | None:
    """A bound `response_format` (OpenAI-style dict, JSON schema, ResponseFormat, or a pydantic model or
    TypedDict, as OpenAI's client also accepts) as the transport's type."""
    if isinstance(value, type):
        return schema_format(convert_to_json_schema(value))
    return parse_response_format(value)


def _json_schema_format(schema: Any) -> dict[str, Any]:
    json_schema = convert_to_json_schema(schema)
    spec: dict[str, Any] = {"name": str(json_schema.get("title") or "response"), "schema": json_schema}
    if json_schema.get("description"):
        spec["description"] = json_schema["description"]
    return {"type": "json_schema", "json_schema": spec}


def structured_runnable(
    model: Any,
    schema: Mapping[str, Any] | TypeBaseModel | type | None,
    method: StructuredMethod,
    include_raw: bool,
) -> Runnable[LanguageModelInput, Any]:
    """`with_structured_output` for a chat model with `bind_tools` and a `response_format` call kwarg."""
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    parser: OutputParserLike
    if method == "function_calling":
        if schema is None:
            raise InvalidRequestError("method='function_calling' needs a schema")
        name = convert_to_openai_tool(schema)["function"]["name"]
        bound = model.bind_tools(
            [schema],
            tool_choice=name,
            ls_structured_output_format={"kwargs": {"method": method}, "schema": schema},
        )
        if is_pydantic:
            parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
        else:
            parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    elif method in ("json_schema", "json_mode"):
        if method == "json_schema" and schema is None:
            raise InvalidRequestError("method='json_schema' needs a schema")
        fmt = _json_schema_format(schema) if method == "json_schema" else {"type": "json_object"}
        ls_format = {"kwargs": {"method": method}, "schema": schema} if schema is not None else None
        bound = model.bind(response_format=fmt, ls_structured_output_format=ls_format)
        parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
    else:
        raise InvalidRequestError(
            f"method={method!r} is not one of 'function_calling', 'json_schema', 'json_mode'"
        )
    if not include_raw:
        return bound | parser
    with_parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    without = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=bound) | with_parsed.with_fallbacks([without], exception_key="parsing_error")


__all__ = [
    "format_tools",
    "response_format",
    "structured_runnable",
    "tool_choice",
    "tool_specs",
]
