"""Pure functions between neutral types and Bedrock bodies, one module per wire format.

`encode_chat` / `encode_completion` choose the wire format from the catalog row and the API and return an
`Encoded` request; `decode` and `stream_decoder` read the answer back with the same format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bedrock_mistral.catalog import Api, BodyFormat, ModelSpec
from bedrock_mistral.codecs import chat_completion, converse, text_completion
from bedrock_mistral.codecs.stream import StreamDecoder
from bedrock_mistral.service_options import invoke_parameters
from bedrock_mistral.types import (
    ChatRequest,
    CompletionRequest,
    GuardrailConfig,
    Message,
    ModelResponse,
    StreamDelta,
    ToolCallDelta,
)

CONVERSE = "converse"


@dataclass(frozen=True)


class Encoded:
    """A request ready for the transport.

    `payload` is the InvokeModel JSON body, or the Converse keyword arguments. `client_stop` holds stop
    sequences the format cannot carry (applied to the answer instead). `can_stream` is False when the
    API cannot stream this request (tools on ConverseStream): the transport then makes one non-streamed
    call and delivers it as chunks.
    """

    api: Api
    format: str
    payload: dict[str, Any]
    model_id: str
    client_stop: tuple[str, ...] = ()
    can_stream: bool = True
    guardrail: GuardrailConfig | None = None
    service_parameters: Mapping[str, Any] = field(default_factory=dict)
    """InvokeModel parameters sent as X-Amzn-Bedrock-* headers (service tier, request metadata, latency)."""

    def body_bytes(self) -> bytes:
        """The InvokeModel body, serialized once (the size check and the request both need it)."""
        cached: bytes | None = self.__dict__.get("_body")
        if cached is None:
            cached = json.dumps(self.payload, ensure_ascii=False).encode("utf-8")
            object.__setattr__(self, "_body", cached)
        return cached

    def text_size(self) -> int:
        """Bytes of request text: an upper bound on its token count (a token is at least one byte)."""
        if self.api == "invoke":
            return len(self.body_bytes())
        return len(json.dumps(self.payload, ensure_ascii=False, default=lambda _: "").encode("utf-8"))


def encode_chat(spec: ModelSpec, api: Api, request: ChatRequest) -> Encoded:
    if api == "converse":
        payload = converse.encode(spec, request)
        streamable = not ("toolConfig" in payload and not spec.supports_tool_streaming("converse"))
        return Encoded("converse", CONVERSE, payload, spec.model_id, can_stream=streamable)
    body_format = spec.chat_body_format(rendered=request.own_prompt is not None)
    if body_format is BodyFormat.CHAT_COMPLETION:
        payload = chat_completion.encode(request)
        _merge_additional(payload, request.additional_model_request_fields)
        streamable = not ("tools" in payload and not spec.supports_tool_streaming("invoke"))
        return Encoded(
            "invoke",
            body_format.value,
            payload,
            spec.model_id,
            request.params.stop,
            can_stream=streamable,
            guardrail=request.guardrail,
            service_parameters=invoke_parameters(request.service),
        )
    return _text_completion(spec, text_completion.encode_chat(spec, request), request)


def encode_completion(spec: ModelSpec, api: Api, request: CompletionRequest) -> Encoded:
    """A raw prompt. Models without a text-completion body get it as a single user message."""
    if api == "invoke" and spec.completion_body_format() is BodyFormat.TEXT_COMPLETION:
        return _text_completion(spec, text_completion.encode_completion(spec, request), request)
    chat = ChatRequest(
        messages=(Message("user", request.prompt),),
        params=request.params,
        guardrail=request.guardrail,
        additional_model_request_fields=request.additional_model_request_fields,
        service=request.service,
    )
    return encode_chat(spec, api, chat)


def _text_completion(spec: ModelSpec, payload: dict[str, Any], request: ChatRequest | CompletionRequest) -> Encoded:
    """A text-completion body with the request's extra fields, guardrail and service settings."""
    _merge_additional(payload, request.additional_model_request_fields)
    return Encoded(
        "invoke",
        BodyFormat.TEXT_COMPLETION.value,
        payload,
        spec.model_id,
        guardrail=request.guardrail,
        service_parameters=invoke_parameters(request.service),
    )


def _merge_additional(payload: dict[str, Any], extra: Mapping[str, Any] | None) -> None:
    for key, value in (extra or {}).items():
        payload.setdefault(key, value)


def decode(encoded: Encoded, body: Mapping[str, Any], headers: Mapping[str, Any]) -> ModelResponse:
    """`body` is the parsed InvokeModel JSON body, or the boto3 Converse response."""
    if encoded.format == CONVERSE:
        return converse.decode(body, encoded.model_id)
    if encoded.format == BodyFormat.CHAT_COMPLETION.value:
        response = chat_completion.decode(body, headers, encoded.model_id, encoded.client_stop)
    else:
        response = text_completion.decode(body, headers, encoded.model_id)
    tier = service_tier_header(headers)
    return replace(response, service_tier=tier) if tier else response


def service_tier_header(headers: Mapping[str, Any]) -> str | None:
    """The tier InvokeModel reports in `X-Amzn-Bedrock-Service-Tier`."""
    value = headers.get("x-amzn-bedrock-service-tier")  # botocore lower-cases response header names
    return value if isinstance(value, str) and value else None


def stream_decoder(encoded: Encoded) -> StreamDecoder:
    if encoded.format == CONVERSE:
        return converse.ConverseStreamDecoder()
    if encoded.format == BodyFormat.CHAT_COMPLETION.value:
        return chat_completion.ChatStreamDecoder(encoded.client_stop)
    return text_completion.TextStreamDecoder()


def response_to_deltas(response: ModelResponse) -> list[StreamDelta]:
    """One non-streamed answer as stream deltas: for requests the API cannot stream (tools on Converse)."""
    deltas = [StreamDelta(role="assistant")]
    deltas.extend(
        StreamDelta(reasoning=part.text, reasoning_signature=part.signature, redacted_reasoning=part.redacted)
        for part in response.reasoning_parts
    )
    if response.reasoning and not response.reasoning_parts:
        deltas.append(StreamDelta(reasoning=response.reasoning))
    deltas.extend(StreamDelta(text=piece) for piece in re.findall(r"\s*\S+|\s+$", response.text))
    for index, call in enumerate(response.tool_calls):
        arguments = call.raw_arguments if call.invalid and call.raw_arguments else json.dumps(call.arguments)
        deltas.append(StreamDelta(tool_call=ToolCallDelta(index, call.id, call.name, arguments)))
    deltas.append(
        StreamDelta(
            stop_reason=response.stop_reason,
            raw_stop_reason=response.raw_stop_reason,
            usage=response.usage,
            metrics=response.metrics,
        )
    )
    return deltas
