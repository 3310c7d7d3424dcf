"""Fixtures for the LlamaIndex adapter: the emulator, an LLM factory and an offline embedding.

Every LLM here talks to the local emulator through boto3 and HTTP; nothing is mocked.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from bedrock_mistral.local import LocalBedrock
from llama_index_bedrock_mistral import BedrockMistral

MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"
MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1"
LARGE_2402 = "mistral.mistral-large-2402-v1:0"
LARGE_2407 = "mistral.mistral-large-2407-v1:0"
SMALL_2402 = "mistral.mistral-small-2402-v1:0"

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "which",
        "with",
    ]
)


class HashEmbedding(BaseEmbedding):
    """Hashed bag-of-words embedding: deterministic, offline, and good enough to rank by shared words."""

    dim: int = 256

    @classmethod
    def class_name(cls) -> str:
        return "HashEmbedding"

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in _WORD.findall(text.lower()):
            if word in _STOP:
                continue
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture
def bedrock(local_bedrock: LocalBedrock) -> LocalBedrock:
    """The session emulator, with no faults and an empty request log."""
    return local_bedrock


@pytest.fixture
def make_llm(bedrock: LocalBedrock) -> Iterator[Callable[..., BedrockMistral]]:
    """Build BedrockMistral instances pointed at the emulator (retries fast, so faults stay cheap)."""

    def make(model: str = LARGE_2407, **kwargs: Any) -> BedrockMistral:
        options: dict[str, Any] = {**bedrock.client_kwargs(), "max_retries": 0}
        options.update(kwargs)
        return BedrockMistral(model, **options)

    yield make


@pytest.fixture
def embed_model() -> HashEmbedding:
    return HashEmbedding()
