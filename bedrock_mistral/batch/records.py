"""Batch records from neutral requests, through the same validation and codecs as on-demand calls.

A record is `{"recordId", "modelInput"}`: `modelInput` is the model's InvokeModel body, or the Converse
request body when the job's invocation type is Converse. The record id carries the input's position, so
answers come back to their row with no lookup table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bedrock_mistral.batch.errors import BatchInputError
from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.types import ChatRequest, CompletionRequest

if TYPE_CHECKING:
    from bedrock_mistral.client import BedrockClient
    from bedrock_mistral.codecs import Encoded

BatchRequest = ChatRequest | CompletionRequest
InvocationType = Literal["InvokeModel", "Converse"]
RECORD_ID_DIGITS = 11
"""Bedrock's examples use 11-character alphanumeric record ids."""


def record_id(index: int) -> str:
    return f"{index:0{RECORD_ID_DIGITS}d}"


def index_of(value: Any) -> int | None:
    """The input position a record id names, or None when it is not one of ours."""
    if isinstance(value, str) and value.isdigit() and len(value) >= RECORD_ID_DIGITS:
        return int(value)
    return None


def invocation_type(client: BedrockClient) -> InvocationType:
    return "Converse" if client.api == "converse" else "InvokeModel"


@dataclass(frozen=True)
class Record:
    """One encoded record: its JSONL line, and the stop sequences the client applies to its answer."""

    index: int
    line: bytes
    client_stop: tuple[str, ...]
    encoded: Encoded


def encode(client: BedrockClient, index: int, request: Any) -> Record:
    """Validate and encode one request; raises BatchInputError naming the index."""
    try:
        if isinstance(request, ChatRequest):
            encoded = client.prepare_chat(request)
        elif isinstance(request, CompletionRequest):
            encoded = client.prepare_completion(request)
        else:
            raise ConfigurationError(
                f"expected a ChatRequest or CompletionRequest, got {type(request).__name__}"
            )
    except ConfigurationError as exc:
        raise BatchInputError(index, str(exc)) from exc
    if encoded.guardrail is not None and encoded.api == "invoke":
        raise BatchInputError(
            index, "a guardrail on InvokeModel travels in request headers, which batch records cannot carry"
        )
    try:
        line = json.dumps(
            {"recordId": record_id(index), "modelInput": encoded.payload}, ensure_ascii=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise BatchInputError(index, f"the request cannot be written as JSON ({exc}); images and "
                              "documents as raw bytes are not supported in batch records") from exc
    return Record(index, line + b"\n", encoded.client_stop, encoded)
