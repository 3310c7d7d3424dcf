"""The I/O under `BedrockClient`: boto3 / aiobotocore clients, retries, stream events and error mapping.

`BedrockClient` itself lives in `bedrock_mistral.client`; it is importable from here as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bedrock_mistral.client import BedrockClient


def __getattr__(name: str) -> Any:
    """`BedrockClient` loads lazily: `bedrock_mistral.client` imports this package's modules."""
    if name == "BedrockClient":
        from bedrock_mistral.client import BedrockClient

        return BedrockClient
    raise AttributeError(f"module 'bedrock_mistral.transport' has no attribute {name!r}")


__all__ = ["BedrockClient"]
