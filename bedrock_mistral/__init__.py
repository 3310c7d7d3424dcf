"""Everything that knows Bedrock or Mistral: catalog, validation, prompt template, codecs, transport.

Framework adapters (LangChain, LlamaIndex) build on this package and hold no Bedrock knowledge themselves.
"""

from bedrock_mistral.catalog import MODELS, ModelSpec, resolve
from bedrock_mistral.transport import BedrockClient
from bedrock_mistral.types import (
    ChatRequest,
    ChatResponse,
    CompletionRequest,
    DocumentPart,
    GuardrailConfig,
    ImagePart,
    InferenceParams,
    Message,
    ResponseFormat,
    StreamDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)

__all__ = [
    "MODELS",
    "BedrockClient",
    "ChatRequest",
    "ChatResponse",
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
