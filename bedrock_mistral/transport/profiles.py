"""Application inference profiles: an `arn:...:application-inference-profile/...` resolved to its base model.

The ARN names no model, so the catalog cannot read it. The control plane's GetInferenceProfile says which
model it copies; that answer is cached for the process (per ARN and endpoint), looked up at most once even
when many threads or tasks ask together, and looked up from async code in a worker thread so the event loop
never waits on it. A denied or failed lookup raises InferenceProfileError, which names `api=` as the way
round it (the ARN is then used as an unknown model, without the catalog's limits).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Any

from bedrock_mistral import catalog
from bedrock_mistral.errors import (
    AccessDeniedError,
    BedrockMistralError,
    CredentialsError,
    InferenceProfileError,
)
from bedrock_mistral.transport.clients import ClientSettings
from bedrock_mistral.transport.error_mapping import map_exception, mapped_types

logger = logging.getLogger("bedrock_mistral")

APPLICATION_PROFILE = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:application-inference-profile/[a-zA-Z0-9]+$"
)
_Key = tuple[str, "str | None"]
_CACHE: dict[_Key, str] = {}
_LOCKS: dict[_Key, threading.Lock] = {}
_GUARD = threading.Lock()
WORKAROUND = "name the API (api='converse' or api='invoke') to use the profile without resolving it"


def is_application_profile(model_id: str) -> bool:
    return bool(APPLICATION_PROFILE.match(model_id.strip()))


def _key(arn: str, settings: ClientSettings) -> _Key:
    return arn, settings.endpoint_url


def cached(arn: str, settings: ClientSettings) -> str | None:
    """The base model id already resolved in this process, or None."""
    return _CACHE.get(_key(arn, settings))


def resolve(arn: str, settings: ClientSettings) -> str:
    """The base model id of an application inference profile (one GetInferenceProfile per process)."""
    key = _key(arn, settings)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # callers asking together wait for the first lookup instead of repeating it
        hit = _CACHE.get(key)
        if hit is None:
            hit = _lookup(arn, settings)
            _CACHE[key] = hit
        return hit


async def aresolve(arn: str, settings: ClientSettings) -> str:
    """`resolve` from async code: a cache hit costs nothing; a lookup runs in a worker thread."""
    hit = cached(arn, settings)
    if hit is not None:
        return hit
    return await asyncio.to_thread(resolve, arn, settings)


def _lookup(arn: str, settings: ClientSettings) -> str:
    logger.debug("resolving application inference profile %s with GetInferenceProfile", arn)
    try:
        answer: dict[str, Any] = settings.control_client().get_inference_profile(inferenceProfileIdentifier=arn)
    except CredentialsError:
        raise
    except Exception as exc:
        if not isinstance(exc, (*mapped_types(), BedrockMistralError)):
            raise
        error = map_exception(exc)
        what = "was denied" if isinstance(error, AccessDeniedError) else "failed"
        raise InferenceProfileError(
            f"cannot resolve application inference profile {arn!r} to its base model: GetInferenceProfile "
            f"{what} ({error}). Allow bedrock:GetInferenceProfile, or {WORKAROUND} (the catalog's limits then "
            "do not apply)",
            cause=error,
        ) from None
    models = [m.get("modelArn") for m in answer.get("models") or [] if isinstance(m, dict)]
    for model_arn in models:
        if isinstance(model_arn, str) and catalog.find(model_arn) is not None:
            return catalog.base_model_id(model_arn)
    raise InferenceProfileError(
        f"application inference profile {arn!r} routes to {', '.join(map(str, models)) or 'no model'}, which "
        f"is not a Mistral model in the catalog; {WORKAROUND}"
    )


def forget() -> None:
    """Drop every cached resolution (for tests that delete and recreate profiles)."""
    with _GUARD:
        _CACHE.clear()
        _LOCKS.clear()
