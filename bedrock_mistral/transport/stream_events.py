"""Reading boto3's stream events: the model JSON inside each event, and closing a stream safely."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("bedrock_mistral")


def event_payload(event: Any, converse: bool) -> dict[str, Any]:
    """InvokeModelWithResponseStream wraps model JSON in `chunk.bytes`; Converse events are already dicts."""
    if converse:
        return event if isinstance(event, dict) else {}
    chunk = event.get("chunk") if isinstance(event, dict) else None
    if not isinstance(chunk, dict):
        return {}
    data = chunk.get("bytes")
    try:
        value = json.loads(data) if data else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def close_stream(events: Any) -> None:
    close = getattr(events, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001 - closing a finished stream must not mask the real outcome
            logger.debug("closing a Bedrock stream failed", exc_info=True)
