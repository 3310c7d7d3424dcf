"""boto3 and aiobotocore client construction from the usual AWS configuration options.

Credentials are held only inside the botocore credential objects; they never appear in a repr.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from bedrock_mistral.errors import ConfigurationError

SERVICE = "bedrock-runtime"


@dataclass
class ClientSettings:
    region_name: str | None = None
    endpoint_url: str | None = None
    profile_name: str | None = None
    aws_access_key_id: str | None = field(default=None, repr=False)
    aws_secret_access_key: str | None = field(default=None, repr=False)
    aws_session_token: str | None = field(default=None, repr=False)
    boto3_session: Any = field(default=None, repr=False)
    client: Any = field(default=None, repr=False)
    config: Config | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_pool_connections: int = 50

    def __post_init__(self) -> None:
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ConfigurationError(
                "aws_access_key_id and aws_secret_access_key must be given together (or neither)"
            )
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")

    def botocore_config(self) -> Config:
        """Our retry loop governs attempts, so botocore's own retries are off."""
        ours = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=self.max_pool_connections,
            **({"connect_timeout": self.connect_timeout} if self.connect_timeout is not None else {}),
            **({"read_timeout": self.read_timeout} if self.read_timeout is not None else {}),
        )
        if self.config is None:
            return ours
        merged = self.config.merge(ours)
        return merged

    def _explicit_keys(self) -> dict[str, Any]:
        if self.aws_access_key_id is None:
            return {}
        keys = {
            "aws_access_key_id": self.aws_access_key_id,
            "aws_secret_access_key": self.aws_secret_access_key,
        }
        if self.aws_session_token:
            keys["aws_session_token"] = self.aws_session_token
        return keys

    def sync_client(self) -> Any:
        if self.client is not None:
            return self.client
        session = self.boto3_session
        if session is None:
            session = boto3.session.Session(profile_name=self.profile_name) if self.profile_name else boto3.session.Session()
        region = self.region_name or session.region_name
        if region is None:
            raise ConfigurationError(
                "no AWS region: pass region_name, set AWS_REGION / AWS_DEFAULT_REGION, or configure a profile"
            )
        return session.client(
            SERVICE,
            region_name=region,
            endpoint_url=self.endpoint_url,
            config=self.botocore_config(),
            **self._explicit_keys(),
        )


class AsyncClientPool:
    """One aiobotocore client per event loop (aiohttp sessions are bound to the loop that made them)."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def _creator(self) -> Any:
        try:
            from aiobotocore.session import get_session
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "async calls need aiobotocore: pip install 'bedrock-mistral[async]'"
            ) from exc
        s = self.settings
        session = get_session()
        if s.profile_name:
            session.set_config_variable("profile", s.profile_name)
        kwargs: dict[str, Any] = {"endpoint_url": s.endpoint_url, "config": s.botocore_config()}
        keys = s._explicit_keys()
        region = s.region_name
        source = s.client
        if not keys and source is not None:
            # Borrow the sync client's resolved configuration and credentials.
            region = region or source.meta.region_name
            kwargs["endpoint_url"] = kwargs["endpoint_url"] or source.meta.endpoint_url
            creds = source._request_signer._credentials
            keys = _frozen(creds)
        elif not keys and s.boto3_session is not None:
            region = region or s.boto3_session.region_name
            keys = _frozen(s.boto3_session.get_credentials())
        if region is None:
            region = session.get_config_variable("region")
        if region is None:
            raise ConfigurationError(
                "no AWS region: pass region_name, set AWS_REGION / AWS_DEFAULT_REGION, or configure a profile"
            )
        return session.create_client(SERVICE, region_name=region, **kwargs, **keys)

    async def get(self) -> Any:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is not None:
            return entry[1]
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            entry = self._clients.get(loop)
            if entry is None:
                context = self._creator()
                client = await context.__aenter__()
                entry = (context, client)
                self._clients[loop] = entry
        return entry[1]

    async def aclose(self) -> None:
        """Close the client of the running loop."""
        loop = asyncio.get_running_loop()
        entry = self._clients.pop(loop, None)
        if entry is not None:
            await entry[0].__aexit__(None, None, None)


def _frozen(credentials: Any) -> dict[str, Any]:
    if credentials is None:
        return {}
    frozen = credentials.get_frozen_credentials() if hasattr(credentials, "get_frozen_credentials") else credentials
    keys = {"aws_access_key_id": frozen.access_key, "aws_secret_access_key": frozen.secret_key}
    if getattr(frozen, "token", None):
        keys["aws_session_token"] = frozen.token
    return keys
