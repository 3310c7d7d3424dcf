"""botocore / aiohttp exceptions -> the project's typed errors, with Bedrock's code and message kept."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from botocore import exceptions as bce

from bedrock_mistral.errors import (
    BedrockConnectionError,
    BedrockMistralError,
    BedrockTimeoutError,
    CredentialsError,
    InvalidRequestError,
    error_for_code,
)
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
        return error_for_code(
            str(error.get("Code") or "BedrockError"),
            str(error.get("Message") or ""),
            status_code=meta.get("HTTPStatusCode"),
            request_id=meta.get("RequestId"),
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
        return BedrockConnectionError(f"connection to Bedrock failed: {exc!r}", partial_text=partial_text)
    if type(exc).__module__.startswith("urllib3"):
        return BedrockConnectionError(f"connection to Bedrock failed: {exc}", partial_text=partial_text)
    if isinstance(exc, bce.BotoCoreError):
        return BedrockMistralError(f"the AWS SDK failed: {exc}", partial_text=partial_text)
    raise exc


def _is_aiohttp_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("aiohttp")


def mapped_types() -> tuple[type[BaseException], ...]:
    """Exceptions the transport turns into typed errors; anything else is a bug and propagates.

    aiohttp's errors count only once aiohttp is loaded (by the first async call): importing it just to
    name its exception class would add ~0.1 s to every cold start.
    """
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None:
        return (*_BASE_TYPES, aiohttp.ClientError)
    return _BASE_TYPES


def _base_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [bce.BotoCoreError, bce.ClientError, asyncio.TimeoutError, OSError]
    try:
        from urllib3.exceptions import HTTPError

        found.append(HTTPError)
    except ImportError:  # pragma: no cover - urllib3 ships with botocore
        pass
    return tuple(found)


_BASE_TYPES = _base_types()
