"""The shared shape of stream decoders: feed events in, get deltas out, and refuse an unfinished stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_mistral.codecs.stop_sequences import StopScanner
from bedrock_mistral.errors import StreamIncompleteError
from bedrock_mistral.types import Metrics, StopReason, StreamDelta, Usage


class StreamDecoder:
    """Base for per-format stream decoders; tracks the text received so errors can carry it."""

    def __init__(self, stop: tuple[str, ...] = ()) -> None:
        self.text_parts: list[str] = []
        self.finished = False
        self.usage_sent = False
        self._scanner = StopScanner(stop) if stop else None

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def _text(self, text: str) -> str:
        """Pass text through client-side stop sequences and record it."""
        if self._scanner is not None:
            text = self._scanner.feed(text)
        if text:
            self.text_parts.append(text)
        return text

    @property
    def stopped_by_sequence(self) -> bool:
        return self._scanner is not None and self._scanner.stopped

    def _flush(self) -> str:
        tail = self._scanner.flush() if self._scanner is not None else ""
        if tail:
            self.text_parts.append(tail)
        return tail

    def feed(self, event: Mapping[str, Any]) -> list[StreamDelta]:
        raise NotImplementedError

    def _ending(
        self, raw: str | None, stop_reason: StopReason | None, usage: Usage | None, metrics: Metrics | None
    ) -> list[StreamDelta]:
        """The InvokeModel stream's end: a chunk with a stop reason closes the stream (held-back text
        first), and the invocation metrics give the usage, reported once."""
        deltas: list[StreamDelta] = []
        if raw is not None:
            self.finished = True
            tail = self._flush()
            if tail:
                deltas.append(StreamDelta(text=tail))
            if self.stopped_by_sequence:
                stop_reason = "stop"
            deltas.append(
                StreamDelta(
                    stop_reason=stop_reason,
                    raw_stop_reason=raw,
                    usage=None if self.usage_sent else usage,
                    metrics=metrics,
                )
            )
            self.usage_sent = self.usage_sent or usage is not None
        elif usage is not None and not self.usage_sent:
            self.usage_sent = True
            deltas.append(StreamDelta(usage=usage, metrics=metrics))
        return deltas

    def finish(self) -> list[StreamDelta]:
        """Called when the stream ends; raises if the final chunk never came."""
        if not self.finished:
            raise StreamIncompleteError(
                "the Bedrock stream ended before its final chunk: the answer is incomplete",
                partial_text=self.text,
            )
        return []
