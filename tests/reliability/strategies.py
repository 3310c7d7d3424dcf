"""Hypothesis strategies: JSON-like values biased toward the keys Bedrock bodies use, and messages."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from bedrock_mistral.types import DocumentPart, ImagePart, Message, TextPart, ToolCall

KEYS = (
    "outputs",
    "text",
    "stop_reason",
    "finish_reason",
    "choices",
    "index",
    "message",
    "delta",
    "role",
    "content",
    "tool_calls",
    "id",
    "function",
    "name",
    "arguments",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "output",
    "stopReason",
    "toolUse",
    "toolUseId",
    "input",
    "reasoningContent",
    "reasoningText",
    "metrics",
    "latencyMs",
    "messageStart",
    "contentBlockStart",
    "start",
    "contentBlockIndex",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "amazon-bedrock-invocationMetrics",
    "inputTokenCount",
    "outputTokenCount",
    "invocationLatency",
    "firstByteLatency",
    "ResponseMetadata",
    "RequestId",
    "chunk",
    "bytes",
    "prompt",
    "max_tokens",
    "stop",
    "temperature",
    "top_p",
    "top_k",
    "messages",
    "tools",
    "tool_choice",
    "type",
    "parameters",
    "system",
    "inferenceConfig",
    "maxTokens",
    "topP",
    "stopSequences",
    "toolConfig",
    "toolSpec",
    "inputSchema",
    "json",
    "toolChoice",
    "auto",
    "any",
    "tool",
    "toolResult",
    "status",
    "image",
    "format",
    "source",
    "document",
    "additionalModelRequestFields",
    "guardrailConfig",
    "outputConfig",
    "tool_call_id",
    "response_format",
)
# Kept small on purpose: Hypothesis spends most of a fuzz run generating values, and CI has two cores.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(
        [
            "stop",
            "length",
            "tool_calls",
            "end_turn",
            "tool_use",
            "user",
            "assistant",
            "system",
            "tool",
            "{",
            '{"a": 1}',
            "[]",
            "",
        ]
    )
)
keys = st.sampled_from(KEYS)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=10,
)
json_objects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(keys, json_values, max_size=4)
headers = st.dictionaries(
    st.sampled_from(
        [
            "X-Amzn-Bedrock-Input-Token-Count",
            "X-Amzn-Bedrock-Output-Token-Count",
            "X-Amzn-Bedrock-Invocation-Latency",
            "x-amzn-requestid",
            "content-type",
        ]
    )
    | st.text(max_size=8),
    st.text(max_size=10) | st.sampled_from(["12", "-1", "1e3", "", "NaN"]),
    max_size=4,
)

roles = st.sampled_from(["system", "user", "assistant", "tool"]) | st.sampled_from(["robot", "", "USER"])
text = st.text(max_size=30) | st.sampled_from(
    ["[INST]", "[/INST]", "</s>", "<s>", "\n\n", " ", "Tool call (x): {"]
)
parts = st.one_of(
    st.builds(TextPart, text),
    st.builds(ImagePart, st.binary(max_size=8), st.sampled_from(["png", "jpeg", "bmp", ""])),
    st.builds(
        DocumentPart, st.binary(max_size=8), st.sampled_from(["txt", "pdf", "exe"]), st.text(max_size=8)
    ),
)
tool_calls = st.builds(
    ToolCall,
    id=st.text(max_size=12),
    name=st.text(max_size=10),
    arguments=st.dictionaries(st.text(max_size=5), scalars, max_size=3),
    raw_arguments=st.none() | st.text(max_size=10),
    invalid=st.none() | st.just("bad json"),
)
messages = st.builds(
    Message,
    role=roles,
    content=text | st.lists(parts, max_size=3),
    tool_calls=st.lists(tool_calls, max_size=2).map(tuple),
    tool_call_id=st.none() | st.text(max_size=10),
    name=st.none() | st.text(max_size=8),
    is_error=st.booleans(),
)
