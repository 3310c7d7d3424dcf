"""The engine protocol: a neutral conversation in, a reply (or a stream of deltas) out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from bedrock_mistral.local import token_counts
from bedrock_mistral.local.conversation import Conversation, Delta, Reply


@runtime_checkable
class Engine(Protocol):
    """Answers conversations. `reply` must honour max_tokens and stop; `stream` yields word-sized deltas.

    An engine may also set `blocking = False` to say it never waits on I/O: the emulator then calls it on
    its event loop instead of a worker thread (faster). Without it, the engine is treated as blocking.
    """

    name: str

    def reply(self, conversation: Conversation) -> Reply: ...

    def stream(self, conversation: Conversation) -> Iterator[Delta]: ...


def stream_reply(reply: Reply) -> Iterator[Delta]:
    """A complete reply as deltas: reasoning first, then one per word (with its leading space), tool calls
    whole, stop at the end."""
    for piece in token_counts.pieces(reply.reasoning):
        yield Delta(reasoning=piece)
    parts = token_counts.pieces(reply.text)
    for part in parts[:-1]:
        yield Delta(text=part)
    yield Delta(
        text=parts[-1] if parts else "",
        tool_calls=list(reply.tool_calls),
        stop_reason=reply.stop_reason,
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
    )
