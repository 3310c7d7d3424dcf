"""One streamed call minus its I/O: shared by the sync and async stream loops of `BedrockClient`.

The loops differ only in how they call the SDK and wait for the next event; the request, the choice of
operation, decoding, the service-tier delta, error mapping and closing the stream live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from bedrock_mistral import codecs
from bedrock_mistral.codecs import Encoded
from bedrock_mistral.errors import BedrockMistralError
from bedrock_mistral.transport.error_mapping import map_exception, mapped_types
from bedrock_mistral.transport.stream_events import close_stream, event_payload
from bedrock_mistral.types import StreamDelta


class StreamCall:
    """The state of one streamed call; `with call:` around reading maps errors and closes the stream."""

    __slots__ = ("kwargs", "converse", "operation", "decoder", "events", "tier")

    def __init__(self, encoded: Encoded, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self.converse = encoded.api == "converse"
        self.operation = "converse_stream" if self.converse else "invoke_with_response_stream"
        self.decoder = codecs.stream_decoder(encoded)
        self.events: Any = None
        self.tier: str | None = None

    def method(self, sdk_client: Any) -> Callable[..., Any]:
        """The SDK method this call uses (boto3 and aiobotocore spell them alike)."""
        return sdk_client.converse_stream if self.converse else sdk_client.invoke_model_with_response_stream

    def opened(self, response: Any) -> Any:
        """The event stream of the SDK's answer; notes the tier InvokeModelWithResponseStream reports in
        its response header (Converse reports it in `metadata`)."""
        self.events = response["stream" if self.converse else "body"]
        tier = response.get("serviceTier") if isinstance(response, dict) else None
        self.tier = tier if isinstance(tier, str) and tier else None
        return self.events

    def first_deltas(self) -> list[StreamDelta]:
        return [StreamDelta(service_tier=self.tier)] if self.tier else []

    def feed(self, event: Any) -> Iterable[StreamDelta]:
        return self.decoder.feed(event_payload(event, self.converse))

    def finish(self) -> Iterable[StreamDelta]:
        return self.decoder.finish()

    @property
    def text(self) -> str:
        """The text received so far (what a failure carries as `partial_text`)."""
        return self.decoder.text

    def close(self) -> None:
        close_stream(self.events)

    def __enter__(self) -> StreamCall:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Closes the stream; an SDK or transport failure leaves as the typed error with the text so far."""
        self.close()
        if exc is None or not isinstance(exc, Exception):
            return
        if isinstance(exc, BedrockMistralError):
            raise map_exception(exc, self.decoder.text) from None
        if isinstance(exc, mapped_types()):
            raise map_exception(exc, self.decoder.text) from exc
