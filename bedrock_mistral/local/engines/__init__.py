"""Answer engines: a deterministic rule-based one and a forwarder to an OpenAI-compatible server."""

from bedrock_mistral.local.engines.base import Engine, stream_reply

__all__ = ["Engine", "stream_reply"]
