"""botocore / aiohttp exceptions -> the project's typed errors, with Bedrock's code and message kept."""

from __future__ import annotations

import asyncio
import email.utils
import sys
import time
from collections.abc import Mapping
from typing import Any

from botocore import exceptions as bce
from botocore.eventstream import ParserError as EventStreamParserError

from bedrock_mistral.errors import (
    BedrockConnectionError,
    BedrockMistralError,
    BedrockTimeoutError,
    CorruptStreamError,
    CredentialsError,
    InvalidRequestError,
    error_for_code,
)
from bedrock_mistral.transport.redaction import scrub
from bedrock_mistral.transport.region import NO_REGION


def map_exception(exc: BaseException, partial_text: str | None = None) -> BedrockMistralError:
    if isinstance(exc, BedrockMistralError):
        if partial_text and not exc.partial_text:
            exc.partial_text = partial_text
        return exc
    if isinstance(exc, bce.ClientError):
        response: dict[str, Any] = getattr(exc, "response", {}) or {}
        error = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        typed = error_for_code(
            str(error.get("Code") or "BedrockError"),
            # Some AWS front ends quote the canonical request, session token included, in the message.
            scrub(str(error.get("Message") or "")),
            status_code=meta.get("HTTPStatusCode"),
            request_id=meta.get("RequestId"),
            partial_text=partial_text,
        )
        typed.retry_after = retry_after(meta.get("HTTPHeaders") or {})
        return typed
    if isinstance(exc, EventStreamParserError):
        return CorruptStreamError(
            f"a Bedrock event-stream frame is corrupt ({type(exc).__name__}: {exc}); the answer is incomplete",
            partial_text=partial_text,
        )
    if isinstance(exc, (bce.ReadTimeoutError, bce.ConnectTimeoutError, asyncio.TimeoutError, TimeoutError)):
        return BedrockTimeoutError(f"Bedrock did not answer in time: {exc}", partial_text=partial_text)
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return CredentialsError(
            "no AWS credentials found: pass aws_access_key_id/aws_secret_access_key, a profile, or set the "
            "AWS_* environment variables"
        )
    if isinstance(exc, bce.NoRegionError):
        return CredentialsError(NO_REGION)
    if isinstance(exc, bce.ParamValidationError):
        return InvalidRequestError(f"boto3 rejected the request parameters: {exc}")
    if isinstance(
        exc, (bce.ConnectionError, bce.HTTPClientError, bce.ResponseStreamingError, ConnectionError, OSError)
    ):
        return BedrockConnectionError(f"connection to Bedrock failed: {exc}", partial_text=partial_text)
    if _is_aiohttp_error(exc):
        return BedrockConnectionError(
            f"connection to Bedrock failed: {scrub(repr(exc))}", partial_text=partial_text
        )
    if type(exc).__module__.startswith("urllib3"):
        return BedrockConnectionError(f"connection to Bedrock failed: {exc}", partial_text=partial_text)
    if isinstance(exc, bce.BotoCoreError):
        return BedrockMistralError(f"the AWS SDK failed: {scrub(str(exc))}", partial_text=partial_text)
    raise exc


def retry_after(headers: Mapping[str, Any]) -> float | None:
    """The wait a `Retry-After` header asks for (delta-seconds or an HTTP date), None when absent or bad."""
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds or seconds == float("inf"):
        return None
    return max(0.0, seconds)


def _is_aiohttp_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("aiohttp")


def mapped_types() -> tuple[type[BaseException], ...]:
    """Exceptions the transport turns into typed errors; anything else is a bug and propagates.

    aiohttp's errors count only once aiohttp is loaded (by the first async call): importing it just to
    name its exception class would add ~0.1 s to every cold start. While another thread is still
    importing it, `sys.modules` holds a partially initialized module without `ClientError` yet; it
    then does not count (no aiohttp error can have been raised by a module not yet loaded).
    """
    aiohttp = sys.modules.get("aiohttp")
    client_error = getattr(aiohttp, "ClientError", None) if aiohttp is not None else None
    if isinstance(client_error, type) and issubclass(client_error, BaseException):
        return (*_BASE_TYPES, client_error)
    return _BASE_TYPES


def _base_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [
        bce.BotoCoreError,
        bce.ClientError,
        EventStreamParserError,
        asyncio.TimeoutError,
        OSError,
    ]
    try:
        from urllib3.exceptions import HTTPError

        found.append(HTTPError)
    except ImportError:  # pragma: no cover - urllib3 ships with botocore
        pass
    return tuple(found)


_BASE_TYPES = _base_types()
