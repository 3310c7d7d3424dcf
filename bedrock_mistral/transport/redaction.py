"""Keeps secret keys and session tokens out of log records, ours and the SDK's.

botocore prints the signed request (with the `X-Amz-Security-Token` header) at DEBUG. A filter on the
SDK's loggers replaces every registered secret with `***` before any handler sees the record. Filters run
only for records that pass the level check, so this costs nothing when DEBUG is off.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

REDACTED = "***"
_PREFIXES = ("botocore", "aiobotocore", "boto3", "urllib3", "aiohttp", "bedrock_mistral")


class SecretRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, *secrets: str | None) -> None:
        fresh = {s for s in secrets if s and len(s) >= 4}
        if fresh - self._secrets:
            with self._lock:
                self._secrets = self._secrets | fresh

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the logging module's business
            return True
        redacted = message
        for secret in secrets:
            if secret in redacted:
                redacted = redacted.replace(secret, REDACTED)
        if redacted is not message:
            record.msg, record.args = redacted, None
        return True


REDACTOR = SecretRedactor()

_SIGNED_VALUES = re.compile(
    r"(?i)(x-amz-security-token[:=]\s*|x-amz-signature=|signature=|authorization[:=]\s*)([^\s&,;'\"]+)"
)
"""Signature parts an AWS error may quote from the canonical request (header lines and query strings)."""


def scrub(text: str) -> str:
    """`text` with every registered secret and every quoted token, signature or Authorization value
    replaced by `***`: for service messages that echo the request back (InvalidSignatureException)."""
    for secret in REDACTOR._secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SIGNED_VALUES.sub(lambda m: m.group(1) + REDACTED, text)


def _install() -> None:
    names = [name for name in list(logging.root.manager.loggerDict) if name.startswith(_PREFIXES)]
    for name in (*_PREFIXES, *names):
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)


def protect(*secrets: str | None) -> None:
    """Register secrets and make sure every SDK logger created so far filters them."""
    REDACTOR.add(*secrets)
    _install()


def protect_credentials(credentials: Any) -> None:
    """Register resolved botocore credentials (from a profile, the environment, a role...)."""
    if credentials is None:
        return
    frozen = credentials.get_frozen_credentials() if hasattr(credentials, "get_frozen_credentials") else credentials
    protect(getattr(frozen, "secret_key", None), getattr(frozen, "token", None))
