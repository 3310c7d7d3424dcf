"""LlamaIndex adapter: `BedrockMistral`, a `FunctionCallingLLM` for Mistral models on Amazon Bedrock."""

from llama_index_bedrock_mistral.llm import BedrockMistral
from llama_index_bedrock_mistral.messages import MistralTemplate

__all__ = ["BedrockMistral", "MistralTemplate"]
