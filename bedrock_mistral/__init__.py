"""Everything that knows Bedrock or Mistral: catalog, validation, prompt template, codecs, transport.

Framework adapters (LangChain, LlamaIndex) build on this package and hold no Bedrock knowledge themselves.
"""

from typing import TYPE_CHECKING, Any

from bedrock_mistral.catalog import MODELS, ModelSpec, resolve
from bedrock_mistral.types import (
    ChatRequest,
    CompletionRequest,
    DocumentPart,
    GuardrailConfig,
    ImagePart,
    InferenceParams,
    Message,
    ModelResponse,
    ResponseFormat,
    StreamDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)

if TYPE_CHECKING:
    from bedrock_mistral.client import BedrockClient


def __getattr__(name: str) -> Any:
    """The transport (and boto3 with it) loads on first use, so the emulator and the catalog import fast."""
    if name == "BedrockClient":
        from bedrock_mistral.client import BedrockClient

        return BedrockClient
    raise AttributeError(f"module 'bedrock_mistral' has no attribute {name!r}")


__all__ = [
    "MODELS",
    "BedrockClient",
    "ChatRequest",
    "ModelResponse",
    "CompletionRequest",
    "DocumentPart",
    "GuardrailConfig",
    "ImagePart",
    "InferenceParams",
    "Message",
    "ModelSpec",
    "ResponseFormat",
    "StreamDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "Usage",
    "resolve",
]
