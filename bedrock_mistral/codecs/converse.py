"""Converse / ConverseStream: neutral types <-> the keyword arguments and results of boto3's calls.

Mistral's rules on Converse are applied here: conversations start with a user turn and alternate; an
assistant turn holds text or toolUse blocks, not both; tool results stand in their own user turn; the
system prompt is folded into the first user turn for models that take none; a toolConfig is present
whenever the history holds tool blocks.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.codecs.json_instruction import schema_instruction
from bedrock_mistral.codecs.stop_reasons import normalize_stop_reason
from bedrock_mistral.codecs.stream import StreamDecoder
from bedrock_mistral.codecs.tool_ids import converse_tool_use_id
from bedrock_mistral.codecs.values import as_mapping, require_answer, to_int
from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.service_options import converse_fields
from bedrock_mistral.types import (
    AudioPart,
    ChatRequest,
    DocumentPart,
    ImagePart,
    Message,
    Metrics,
    ModelResponse,
    ReasoningPart,
    StreamDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)

_DOC_NAME = re.compile(r"[^A-Za-z0-9 \-()\[\]]")


def reasoning_block(part: ReasoningPart) -> dict[str, Any]:
    """Converse's form of a reasoning block, signature and redacted content returned unmodified."""
    if part.redacted is not None:
        return {"reasoningContent": {"redactedContent": part.redacted}}
    text: dict[str, Any] = {"text": part.text}
    if part.signature:
        text["signature"] = part.signature
    return {"reasoningContent": {"reasoningText": text}}


def _reasoning_blocks(spec: ModelSpec, message: Message) -> list[dict[str, Any]]:
    """An assistant turn's reasoning, sent back to models that reason (a catalog model that does not
    would be sent blocks it never produced)."""
    if message.role != "assistant" or (spec.known and not spec.reasoning):
        return []
    return [
        reasoning_block(p)
        for p in message.parts
        if isinstance(p, ReasoningPart) and (p.text or p.redacted is not None)
    ]


def _blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text.strip():
                blocks.append({"text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append({"image": {"format": part.format, "source": {"bytes": part.data}}})
        elif isinstance(part, DocumentPart):
            name = _DOC_NAME.sub(" ", part.name).strip() or "document"
            blocks.append({"document": {"format": part.format, "name": name, "source": {"bytes": part.data}}})
        elif isinstance(part, AudioPart):
            blocks.append({"audio": {"format": part.format, "source": {"bytes": part.data}}})
    return blocks


def _tool_result(message: Message) -> dict[str, Any]:
    text = message.text
    if message.is_error and not text.lower().startswith("error"):
        text = f"Error: {text}"
    return {
        "toolResult": {
            "toolUseId": converse_tool_use_id(message.tool_call_id or ""),
            "content": [{"text": text if text.strip() else "(no output)"}],
        }
    }


def encode_messages(spec: ModelSpec, messages: Sequence[Message], system_text: str) -> tuple[list[dict], bool]:
    """Returns Converse messages and whether the history holds tool blocks."""
    turns: list[dict[str, Any]] = []
    has_tool_blocks = False
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            has_tool_blocks = True
            block = _tool_result(message)
            last = turns[-1] if turns else None
            if last is not None and last["role"] == "user" and "toolResult" in last["content"][-1]:
                last["content"].append(block)
            else:
                turns.append({"role": "user", "content": [block]})
            continue
        reasoning = _reasoning_blocks(spec, message)
        if message.role == "assistant" and message.tool_calls:
            has_tool_blocks = True
            blocks = reasoning + [
                {
                    "toolUse": {
                        "toolUseId": converse_tool_use_id(c.id),
                        "name": c.name,
                        "input": c.arguments,
                    }
                }
                for c in message.tool_calls
            ]
        else:
            blocks = reasoning + _blocks(message)
        if not blocks:
            continue
        last = turns[-1] if turns else None
        if last is not None and last["role"] == message.role:
            if message.role == "assistant" and (
                any("toolUse" in b for b in last["content"]) or any("toolUse" in b for b in blocks)
            ):
                # An assistant turn may not mix text and toolUse: the tool calls (and reasoning) win.
                keep = [b for b in last["content"] + blocks if "toolUse" in b or "reasoningContent" in b]
                last["content"] = keep
            elif message.role == "user" and any("toolResult" in b for b in last["content"]):
                # Text after tool results rides inside the last result: a toolResult stands alone.
                last["content"][-1]["toolResult"]["content"].extend(b for b in blocks if "text" in b)
                others = [b for b in blocks if "text" not in b]
                if others:
                    raise InvalidRequestError(
                        "an image or document directly after a tool result cannot be sent to Mistral on "
                        "Converse: put it in the tool result or in a later user turn"
                    )
            else:
                last["content"].extend(blocks)
        else:
            turns.append({"role": message.role, "content": blocks})
    if not turns or turns[0]["role"] != "user":
        raise InvalidRequestError(
            f"a conversation with {spec.model_id!r} on Converse must start with a user message"
        )
    if system_text:
        first = turns[0]["content"]
        if "text" in first[0]:
            first[0] = {"text": f"{system_text}\n\n{first[0]['text']}"}
        else:
            first.insert(0, {"text": system_text})
    return turns, has_tool_blocks


def _tool_spec(tool: ToolSpec) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": tool.name, "inputSchema": {"json": tool.parameters}}
    if tool.description:
        spec["description"] = tool.description
    return {"toolSpec": spec}


def _tool_config(request: ChatRequest, messages: Sequence[Message], has_tool_blocks: bool) -> dict | None:
    tools = list(request.tools)
    choice = request.tool_choice
    if choice == "none" and not has_tool_blocks:
        return None
    if tools and choice not in (None, "auto", "any", "none"):
        tools = [t for t in tools if t.name == choice]
        choice = "any"
    if has_tool_blocks:
        # Bedrock requires a toolConfig whenever the history holds tool blocks.
        offered = {t.name for t in tools}
        for name in dict.fromkeys(c.name for m in messages for c in m.tool_calls):
            if name not in offered:
                tools.append(ToolSpec(name=name, description=f"Tool {name}"))
        if choice == "none":
            choice = "auto"
    if not tools:
        return None
    config: dict[str, Any] = {"tools": [_tool_spec(t) for t in tools]}
    if choice == "any":
        config["toolChoice"] = {"any": {}}
    elif choice == "auto":
        config["toolChoice"] = {"auto": {}}
    return config


def encode(spec: ModelSpec, request: ChatRequest) -> dict[str, Any]:
    """boto3 `converse` / `converse_stream` keyword arguments, without `modelId`."""
    system = [m.text for m in request.messages if m.role == "system" and m.text]
    fmt = request.response_format
    output_config = None
    if fmt is not None:
        if fmt.schema is not None and spec.structured_output:
            schema: dict[str, Any] = {"name": fmt.name, "schema": json.dumps(fmt.schema)}
            if fmt.description:
                schema["description"] = fmt.description
            output_config = {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": schema}}}
        else:
            system.append(schema_instruction(fmt.schema))
    system_text = "\n\n".join(system)
    folded = system_text if not spec.system_prompt_converse else ""
    messages, has_tool_blocks = encode_messages(spec, request.messages, folded)
    kwargs: dict[str, Any] = {"messages": messages}
    if system_text and spec.system_prompt_converse:
        kwargs["system"] = [{"text": system_text}]
    params = request.params
    inference: dict[str, Any] = {}
    if params.max_tokens is not None:
        inference["maxTokens"] = params.max_tokens
    if params.temperature is not None:
        inference["temperature"] = params.temperature
    if params.top_p is not None:
        inference["topP"] = params.top_p
    if params.stop:
        inference["stopSequences"] = list(params.stop)
    if inference:
        kwargs["inferenceConfig"] = inference
    tool_config = _tool_config(request, request.messages, has_tool_blocks)
    if tool_config is not None:
        kwargs["toolConfig"] = tool_config
    if output_config is not None:
        kwargs["outputConfig"] = output_config
    if request.guardrail is not None:
        guardrail = {
            "guardrailIdentifier": request.guardrail.identifier,
            "guardrailVersion": request.guardrail.version,
        }
        if request.guardrail.trace:
            guardrail["trace"] = request.guardrail.trace
        kwargs["guardrailConfig"] = guardrail
    if request.additional_model_request_fields:
        kwargs["additionalModelRequestFields"] = dict(request.additional_model_request_fields)
    kwargs.update(converse_fields(request.service))
    return kwargs


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, Mapping):
        return None
    inp, out = to_int(raw.get("inputTokens")), to_int(raw.get("outputTokens"))
    return Usage(inp or 0, out or 0) if inp is not None or out is not None else None


def _tool_call(block: Mapping[str, Any]) -> ToolCall:
    return ToolCall.from_raw(str(block.get("toolUseId") or ""), str(block.get("name") or ""), block.get("input"))


def _reasoning_part(block: Mapping[str, Any]) -> ReasoningPart | None:
    """`reasoningText{text, signature}` or `redactedContent` (bytes; base64 text if a caller decoded JSON)."""
    redacted = block.get("redactedContent")
    if isinstance(redacted, (bytes, bytearray)):
        return ReasoningPart(redacted=bytes(redacted))
    if isinstance(redacted, str):
        return ReasoningPart(redacted=_b64(redacted))
    text_block = as_mapping(block.get("reasoningText"))
    text, signature = text_block.get("text"), text_block.get("signature")
    if not isinstance(text, str):
        return None
    return ReasoningPart(text=text, signature=signature if isinstance(signature, str) and signature else None)


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value.encode("utf-8")


def decode(response: Mapping[str, Any], model_id: str) -> ModelResponse:
    meta = as_mapping(response.get("ResponseMetadata"))
    require_answer(response, "output", {"x-amzn-requestid": meta.get("RequestId")})
    output = as_mapping(response.get("output"))
    message = as_mapping(output.get("message"))
    texts: list[str] = []
    calls: list[ToolCall] = []
    reasoning: list[ReasoningPart] = []
    for block in message.get("content") or []:
        if not isinstance(block, Mapping):
            continue
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block.get("toolUse"), Mapping):
            calls.append(_tool_call(block["toolUse"]))
        elif isinstance(block.get("reasoningContent"), Mapping):
            part = _reasoning_part(block["reasoningContent"])
            if part is not None:
                reasoning.append(part)
    raw = response.get("stopReason") if isinstance(response.get("stopReason"), str) else None
    metrics = as_mapping(response.get("metrics"))
    return ModelResponse(
        text="".join(texts),
        tool_calls=tuple(calls),
        stop_reason=normalize_stop_reason(raw),
        raw_stop_reason=raw,
        usage=_usage(response.get("usage")),
        metrics=Metrics(latency_ms=to_int(metrics.get("latencyMs"))),
        model_id=model_id,
        request_id=meta.get("RequestId"),
        api="converse",
        reasoning="".join(p.text for p in reasoning) or None,
        reasoning_parts=tuple(reasoning),
        service_tier=_tier(response),
    )


def _tier(body: Mapping[str, Any]) -> str | None:
    """The `serviceTier.type` a Converse response or ConverseStream metadata event reports."""
    tier = as_mapping(body.get("serviceTier")).get("type")
    return tier if isinstance(tier, str) and tier else None


class ConverseStreamDecoder(StreamDecoder):
    """ConverseStream events; tool calls get a stable index in order of appearance."""

    def __init__(self, stop: tuple[str, ...] = ()) -> None:
        super().__init__(stop)
        self.tool_index: dict[int, int] = {}

    def _index(self, body: Mapping[str, Any]) -> int:
        block = to_int(body.get("contentBlockIndex")) or 0
        return self.tool_index.setdefault(block, len(self.tool_index))

    def feed(self, event: Mapping[str, Any]) -> list[StreamDelta]:
        if "messageStart" in event:
            role = as_mapping(event["messageStart"]).get("role")
            return [StreamDelta(role=role if isinstance(role, str) else "assistant")]
        if "contentBlockStart" in event:
            body = as_mapping(event["contentBlockStart"])
            tool = as_mapping(as_mapping(body.get("start")).get("toolUse"))
            if not tool:
                return []
            call_id, name = tool.get("toolUseId"), tool.get("name")
            return [
                StreamDelta(
                    tool_call=ToolCallDelta(
                        index=self._index(body),
                        id=call_id if isinstance(call_id, str) else None,
                        name=name if isinstance(name, str) else None,
                    )
                )
            ]
        if "contentBlockDelta" in event:
            body = as_mapping(event["contentBlockDelta"])
            delta = as_mapping(body.get("delta"))
            if isinstance(delta.get("text"), str):
                text = self._text(delta["text"])
                return [StreamDelta(text=text)] if text else []
            tool_delta = as_mapping(delta.get("toolUse"))
            if tool_delta:
                fragment = tool_delta.get("input") or ""
                if not isinstance(fragment, str):
                    fragment = json.dumps(fragment, default=str)
                return [StreamDelta(tool_call=ToolCallDelta(index=self._index(body), arguments=fragment))]
            return _reasoning_delta(as_mapping(delta.get("reasoningContent")))
        if "messageStop" in event:
            self.finished = True
            raw = as_mapping(event["messageStop"]).get("stopReason")
            raw = raw if isinstance(raw, str) else None
            tail = self._flush()
            out = [StreamDelta(text=tail)] if tail else []
            out.append(StreamDelta(stop_reason=normalize_stop_reason(raw), raw_stop_reason=raw))
            return out
        if "metadata" in event:
            body = as_mapping(event["metadata"])
            usage = None if self.usage_sent else _usage(body.get("usage"))
            self.usage_sent = self.usage_sent or usage is not None
            latency = to_int(as_mapping(body.get("metrics")).get("latencyMs"))
            return [StreamDelta(usage=usage, metrics=Metrics(latency_ms=latency), service_tier=_tier(body))]
        return []


def _reasoning_delta(body: Mapping[str, Any]) -> list[StreamDelta]:
    """A ConverseStream reasoning delta: a piece of text, the block's signature, or redacted content."""
    text, signature, redacted = body.get("text"), body.get("signature"), body.get("redactedContent")
    if isinstance(redacted, str):
        redacted = _b64(redacted)
    delta = StreamDelta(
        reasoning=text if isinstance(text, str) else "",
        reasoning_signature=signature if isinstance(signature, str) and signature else None,
        redacted_reasoning=bytes(redacted) if isinstance(redacted, (bytes, bytearray)) else None,
    )
    has = delta.reasoning or delta.reasoning_signature or delta.redacted_reasoning is not None
    return [delta] if has else []
