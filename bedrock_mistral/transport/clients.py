"""boto3 and aiobotocore client construction from the usual AWS configuration options.

Credentials are held only inside the botocore credential objects; they never appear in a repr.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.tokens import FrozenAuthToken, TokenProviderChain

from bedrock_mistral.errors import ConfigurationError, MalformedResponseError
from bedrock_mistral.options import BedrockOptions
from bedrock_mistral.transport.redaction import protect, protect_credentials
from bedrock_mistral.transport.region import region_from_env, resolve_region

if TYPE_CHECKING:
    import boto3

SERVICE = "bedrock-runtime"
BEARER_VARIABLE = "AWS_BEARER_TOKEN_BEDROCK"
"""Bedrock API key from the environment; botocore (>= 1.39) sends it as a bearer token by itself."""
CONTROL_SERVICE = "bedrock"
_SESSIONS: dict[tuple[Any, ...], boto3.session.Session] = {}
_SESSIONS_LOCK = threading.Lock()


def _session_key(profile_name: str | None, api_key: str | None = None) -> tuple[Any, ...]:
    """Sessions are shared per profile, per API key (by digest: the key itself is not kept here) and per
    AWS environment, so a changed variable is honoured."""
    digest = hashlib.sha256(api_key.encode()).hexdigest() if api_key else None
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    return (profile_name, digest, environment)


class _ApiKeyProvider:
    """A botocore token provider that answers with one Bedrock API key, for bearer authentication."""

    METHOD = "bedrock-mistral-api-key"

    def __init__(self, api_key: str) -> None:
        self._token = FrozenAuthToken(api_key)

    def load_token(self, **kwargs: Any) -> FrozenAuthToken:
        return self._token

    def __repr__(self) -> str:
        return "_ApiKeyProvider(***)"


def _with_api_key(core: Any, api_key: str | None) -> Any:
    """A botocore (or aiobotocore) session whose bearer token is `api_key`, through botocore's own token
    provider chain: the SDK signs with `Authorization: Bearer` (botocore >= 1.39)."""
    if api_key:
        core.register_component("token_provider", TokenProviderChain([_ApiKeyProvider(api_key)]))
    return core


def _shared_session(profile_name: str | None, api_key: str | None = None) -> boto3.session.Session:
    """One boto3 Session per profile (and API key): building one loads botocore's data files (~0.2 s), so
    clients for other models or settings reuse it. Client creation from it is serialized: Sessions are not
    thread-safe."""
    import boto3  # boto3 loads on the first client, not at import
    import botocore.session

    with _SESSIONS_LOCK:
        key = _session_key(profile_name, api_key)
        session = _SESSIONS.get(key)
        if session is None:
            core = _with_api_key(botocore.session.Session(profile=profile_name), api_key)
            session = boto3.session.Session(botocore_session=core)
            _SESSIONS[key] = session
        return session


@dataclass(frozen=True)
class ClientSettings(BedrockOptions):
    """The options with the SDK clients built from them: every field is an option, declared and checked
    once in `BedrockOptions`; this class adds only the behaviour."""

    @classmethod
    def from_options(cls, options: BedrockOptions) -> ClientSettings:
        """Settings for these options (the same object when it already is one)."""
        if isinstance(options, ClientSettings):
            return options
        return cls(**{f.name: getattr(options, f.name) for f in fields(BedrockOptions)})

    def botocore_config(self) -> Config:
        """The user's Config wins for everything (pool size, proxies, user agent...) except what the
        transport owns: retries (our loop governs attempts) and the timeouts given to it explicitly."""
        defaults = Config(max_pool_connections=self.max_pool_connections)
        owned = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            **({"signature_version": "bearer"} if self.api_key else {}),
            **({"connect_timeout": self.connect_timeout} if self.connect_timeout is not None else {}),
            **({"read_timeout": self.read_timeout} if self.read_timeout is not None else {}),
        )
        base = defaults if self.config is None else defaults.merge(self.config)
        return base.merge(owned)

    def limiter_key(self, model_id: str) -> tuple[Any, ...]:
        """What one Bedrock quota is shared by: the model, the credentials' identity, the region and the
        endpoint. The identity is a digest of the access key id (never the key itself), or the client or
        session object the caller passed, or the profile and environment the default chain reads."""
        if self.api_key:
            identity: Any = ("api-key", hashlib.sha256(self.api_key.encode()).hexdigest()[:16])
        elif self.aws_access_key_id is not None:
            identity = ("key", hashlib.sha256(self.aws_access_key_id.encode()).hexdigest()[:16])
        elif self.client is not None:
            identity = ("client", id(self.client))
        elif self.boto3_session is not None:
            identity = ("session", id(self.boto3_session))
        else:
            env_key = os.environ.get("AWS_ACCESS_KEY_ID", "")
            identity = ("chain", self.profile_name or os.environ.get("AWS_PROFILE"), hashlib.sha256(env_key.encode()).hexdigest()[:16])
        endpoint = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") or os.environ.get("AWS_ENDPOINT_URL")
        return (model_id, identity, self.region_name or region_from_env(), endpoint)

    def _explicit_keys(self) -> dict[str, Any]:
        if self.aws_access_key_id is None or self.api_key:
            return {}
        keys = {
            "aws_access_key_id": self.aws_access_key_id,
            "aws_secret_access_key": self.aws_secret_access_key,
        }
        if self.aws_session_token:
            keys["aws_session_token"] = self.aws_session_token
        return keys

    def _protect(self) -> None:
        protect(self.aws_secret_access_key, self.aws_session_token, self.api_key, os.environ.get(BEARER_VARIABLE))

    def sync_client(self) -> Any:
        self._protect()
        if self.client is not None:
            protect_credentials(getattr(self.client._request_signer, "_credentials", None))
            check_converse_bodies(self.client)
            return self.client
        client = self._build(SERVICE, self.endpoint_url, self.region_name, self._explicit_keys())
        check_converse_bodies(client)
        return client

    def control_client(self) -> Any:
        """A `bedrock` (control plane) client with this configuration's region, credentials and Config;
        a runtime endpoint (`bedrock-runtime.` host) is mapped to the control plane's (`bedrock.`)."""
        self._protect()
        endpoint, region, keys = self.endpoint_url, self.region_name, self._explicit_keys()
        if self.client is not None:
            meta = self.client.meta
            endpoint = endpoint or meta.endpoint_url
            region = region or meta.region_name
            keys = keys or _frozen(self.client._request_signer._credentials)
        if endpoint:
            endpoint = endpoint.replace("bedrock-runtime", "bedrock", 1)
        return self._build(CONTROL_SERVICE, endpoint, region, keys)

    def _build(self, service: str, endpoint: str | None, region: str | None, keys: dict[str, Any]) -> Any:
        shared = self.boto3_session is None
        session = _shared_session(self.profile_name, self.api_key) if shared else self.boto3_session
        region = resolve_region(region, session)
        with _SESSIONS_LOCK if shared else _NO_LOCK:
            client = session.client(
                service, region_name=region, endpoint_url=endpoint, config=self.botocore_config(), **keys
            )
        protect_credentials(client._request_signer._credentials)
        return client


def check_converse_bodies(client: Any) -> None:
    """botocore reads a 200 Converse body that is not a JSON object as an empty answer (or fails with
    an AttributeError on an array): refuse it before botocore parses it."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is not None:
        events.register(
            "before-parse.bedrock-runtime.Converse", _refuse_non_object_body, unique_id="bedrock-mistral-body"
        )


PARSED_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("parsed_request_id", default=None)
"""The request id of the Converse answer botocore is parsing, for an error raised inside its parser."""


def _refuse_non_object_body(response_dict: dict[str, Any], **_: Any) -> None:
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, (bytes, bytearray)):
        return
    headers = response_dict.get("headers") or {}
    request_id = headers.get("x-amzn-requestid") or headers.get("x-amzn-RequestId")
    PARSED_REQUEST_ID.set(request_id)
    start = bytes(body).lstrip()[:1]
    if start == b"{":
        return
    if not start:
        problem = "the body is empty"
    elif start == b"[":
        problem = "the body is a JSON array, not an object"
    else:
        problem = "the body is not JSON"
    raise MalformedResponseError(problem, missing="a JSON object", request_id=request_id)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_LOCK = _NoLock()


class AsyncClientPool:
    """One aiobotocore client per event loop (aiohttp sessions are bound to the loop that made them).

    Each client is held open by an async generator. asyncio closes unfinished async generators when a
    loop shuts down (`asyncio.run`, pytest-asyncio), which closes the client cleanly with its loop.
    """

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def _creator(self, session: Any) -> Any:
        s = self.settings
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
            region = resolve_region(region, s.boto3_session)
            keys = _frozen(s.boto3_session.get_credentials())
        region = resolve_region(region, session)
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
                session = await _warm_aio_session(self.settings.profile_name, self.settings.api_key)
                self.settings._protect()
                holder = _hold(self._creator(session), _releaser(self, loop))
                client = await holder.__anext__()
                entry = (holder, client)
                self._clients[loop] = entry
        return entry[1]

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Forget a loop whose client has closed: the client references its loop, so an entry kept
        after the loop ends would keep the loop (and everything on it) alive for the pool's lifetime."""
        self._clients.pop(loop, None)
        self._locks.pop(loop, None)

    async def aclose(self) -> None:
        """Close the client of the running loop now (otherwise it closes with the loop)."""
        loop = asyncio.get_running_loop()
        entry = self._clients.pop(loop, None)
        if entry is not None:
            await entry[0].aclose()


def _releaser(pool: AsyncClientPool, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """What the holder calls when its client closes; weak references only, so the holder still keeps
    neither the pool nor the loop alive."""
    pool_ref, loop_ref = weakref.ref(pool), weakref.ref(loop)

    def release() -> None:
        owner, closed_loop = pool_ref(), loop_ref()
        if owner is not None and closed_loop is not None:
            owner._release(closed_loop)

    return release


async def _hold(context: Any, release: Callable[[], None]) -> AsyncIterator[Any]:
    """Keeps one aiobotocore client open until the generator is closed: by `aclose()`, by the loop's
    shutdown, or by garbage collection of its pool, which hands it to the loop to close. It references
    nothing but the client (and weak references), so dropping a pool frees it at once (no reference
    cycle to wait for); once closed it removes its entry from the pool."""
    try:
        async with context as client:
            check_converse_bodies(client)
            credentials = getattr(client._request_signer, "_credentials", None)
            if credentials is not None:
                frozen = credentials.get_frozen_credentials()
                protect_credentials(await frozen if asyncio.iscoroutine(frozen) else frozen)
            yield client
    finally:
        release()


_AIO_SESSIONS: dict[tuple[Any, ...], Any] = {}
_WARMED: set[int] = set()


def _aio_session(profile_name: str | None, api_key: str | None = None) -> Any:
    try:
        from aiobotocore.session import AioSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigurationError("async calls need aiobotocore: pip install 'bedrock-mistral[async]'") from exc
    with _SESSIONS_LOCK:
        key = _session_key(profile_name, api_key)
        session = _AIO_SESSIONS.get(key)
        if session is None:
            session = _with_api_key(AioSession(profile=profile_name) if profile_name else AioSession(), api_key)
            _AIO_SESSIONS[key] = session
        return session


def _load_service_data(session: Any) -> None:
    """Read botocore's JSON data files (the service model, endpoint rules) into the loader's cache."""
    loader = session.get_component("data_loader")
    for kind in ("service-2", "endpoint-rule-set-1"):
        loader.load_service_model(SERVICE, kind)
    for name in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        loader.load_data(name)


async def _warm_aio_session(profile_name: str | None, api_key: str | None = None) -> Any:
    """The first client of a session would read ~2 MB of JSON on the event loop (about 0.1-0.25 s of a
    blocked loop); reading it in a worker thread first keeps the loop responsive."""
    session = _aio_session(profile_name, api_key)
    if id(session) not in _WARMED:
        await asyncio.to_thread(_load_service_data, session)
        _WARMED.add(id(session))
    return session


def _frozen(credentials: Any) -> dict[str, Any]:
    if credentials is None:
        return {}
    frozen = credentials.get_frozen_credentials() if hasattr(credentials, "get_frozen_credentials") else credentials
    keys = {"aws_access_key_id": frozen.access_key, "aws_secret_access_key": frozen.secret_key}
    if getattr(frozen, "token", None):
        keys["aws_session_token"] = frozen.token
    return keys
