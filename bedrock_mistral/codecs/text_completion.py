"""Mistral text completion on InvokeModel: `{"prompt", ...}` in, `{"outputs": [...]}` out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.codecs.json_instruction import schema_instruction
from bedrock_mistral.codecs.native_params import native_params
from bedrock_mistral.codecs.stop_reasons import normalize_stop_reason
from bedrock_mistral.codecs.stream import StreamDecoder
from bedrock_mistral.codecs.usage import (
    metrics_from_headers,
    usage_from_headers,
    usage_from_invocation_metrics,
)
from bedrock_mistral.codecs.values import require_answer
from bedrock_mistral.prompt import render_prompt, wrap_prompt
from bedrock_mistral.types import (
    ChatRequest,
    CompletionRequest,
    Message,
    ModelResponse,
    StreamDelta,
)


def encode_chat(spec: ModelSpec, request: ChatRequest) -> dict[str, Any]:
    """A conversation rendered through the model's instruct template; a requested JSON answer becomes a
    system instruction, the only place this format can carry it. A conversation the caller rendered
    itself (`ChatRequest.own_prompt`) goes out as a raw prompt would."""
    if request.own_prompt is not None:
        return encode_completion(spec, CompletionRequest(request.own_prompt, request.params))
    messages = request.messages
    if request.response_format is not None:
        messages = (*messages, Message("system", schema_instruction(request.response_format.schema)))
    prompt = render_prompt(messages, spec.tokenizer or "v1")
    return {"prompt": prompt, **native_params(request.params, text_completion=True)}


def encode_completion(spec: ModelSpec, request: CompletionRequest) -> dict[str, Any]:
    """A raw prompt: sent as given when it already carries [INST], wrapped in the template otherwise."""
    return {"prompt": wrap_prompt(request.prompt, tokenizer_version=spec.tokenizer or "v1"), **native_params(request.params, text_completion=True)}


def _first_output(body: Mapping[str, Any]) -> Mapping[str, Any]:
    outputs = body.get("outputs")
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], Mapping):
        return outputs[0]
    return {}


def decode(body: Mapping[str, Any], headers: Mapping[str, Any], model_id: str) -> ModelResponse:
    require_answer(body, "outputs", headers)
    output = _first_output(body)
    raw = output.get("stop_reason")
    text = output.get("text")
    return ModelResponse(
        text=text if isinstance(text, str) else "",
        stop_reason=normalize_stop_reason(raw),
        raw_stop_reason=raw,
        usage=usage_from_headers(headers),
        metrics=metrics_from_headers(headers),
        model_id=model_id,
        request_id=headers.get("x-amzn-requestid") or headers.get("x-amzn-RequestId"),
        api="invoke",
    )


class TextStreamDecoder(StreamDecoder):
    """Chunks `{"outputs":[{"text","stop_reason"}]}`; the last carries the stop reason and the metrics."""

    def feed(self, event: Mapping[str, Any]) -> list[StreamDelta]:
        output = _first_output(event)
        deltas: list[StreamDelta] = []
        text = output.get("text")
        if isinstance(text, str) and text:
            emitted = self._text(text)
            if emitted:
                deltas.append(StreamDelta(text=emitted))
        raw = output.get("stop_reason")
        raw = raw if isinstance(raw, str) else None
        usage, metrics = usage_from_invocation_metrics(event.get("amazon-bedrock-invocationMetrics"))
        deltas.extend(self._ending(raw, normalize_stop_reason(raw), usage, metrics))
        return deltas
