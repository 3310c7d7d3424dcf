"""A tiny deterministic embedding for offline demos and tests: hashed bag of words, no model, no download.

Words are lower-cased, hashed into `dimensions` buckets (with a hashed sign), counted and L2-normalized, so
texts that share words get a high cosine similarity. Good enough to retrieve the right passage among a few
documents; use a real embedding model for real work.
"""

from __future__ import annotations

import hashlib
import math
import re

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP_WORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
    )
)


class HashedBagOfWordsEmbedding(BaseEmbedding):
    """Deterministic hashed bag-of-words vectors (the same text gives the same vector in every process)."""

    dimensions: int = Field(default=512, gt=0)

    @classmethod
    def class_name(cls) -> str:
        return "HashedBagOfWordsEmbedding"

    def embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            if word in _STOP_WORDS:
                continue
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "big") % self.dimensions
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self.embed(query)
