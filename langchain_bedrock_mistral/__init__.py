"""LangChain adapters for Mistral models on Amazon Bedrock: thin translation over `bedrock_mistral`."""

from langchain_bedrock_mistral.chat_models import ChatBedrockMistral
from langchain_bedrock_mistral.llms import BedrockMistralLLM

__all__ = ["BedrockMistralLLM", "ChatBedrockMistral"]
