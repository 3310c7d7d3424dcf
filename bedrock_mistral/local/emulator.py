"""`LocalBedrock`: the emulator as a Python object, started on a free port in a background thread."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from bedrock_mistral.local import addresses
from bedrock_mistral.local.app import BedrockApp, RecordedRequest, error_response
from bedrock_mistral.local.auth import Authenticator, AuthMode
from bedrock_mistral.local.control import ControlPlane
from bedrock_mistral.local.control.batch_jobs import BatchJobs
from bedrock_mistral.local.control.s3_server import s3_url, start_s3_server
from bedrock_mistral.local.engines.base import Engine
from bedrock_mistral.local.faults import Faults
from bedrock_mistral.local.guardrails import Guardrails
from bedrock_mistral.local.quotas import Quota, Quotas
from bedrock_mistral.local.rejections import DEFAULT_MAX_BODY_BYTES
from bedrock_mistral.local.scripts import Script
from bedrock_mistral.local.server import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS, HttpServer

DEFAULT_ACCESS_KEY_ID = "AKIALOCALBEDROCK0000"
DEFAULT_SECRET_ACCESS_KEY = "local/bedrock/emulator/secret/key/000000"


def make_engine(
    engine: str | Engine, upstream_url: str | None = None, upstream_model: str | None = None
) -> Engine:
    """An engine from its name (`rules`, `openai-compatible`) or an Engine object as is."""
    if not isinstance(engine, str):
        return engine
    if engine == "rules":
        from bedrock_mistral.local.engines.rules import RulesEngine

        return RulesEngine()
    if engine in ("openai-compatible", "openai", "upstream"):
        from bedrock_mistral.local.engines.upstream import UpstreamEngine

        url = upstream_url or os.environ.get("LOCAL_BEDROCK_UPSTREAM_URL")
        model = upstream_model or os.environ.get("LOCAL_BEDROCK_UPSTREAM_MODEL")
        if not url or not model:
            raise ValueError("engine 'openai-compatible' needs upstream_url and upstream_model")
        return UpstreamEngine(url, model, api_key=os.environ.get("LOCAL_BEDROCK_UPSTREAM_API_KEY"))
    raise ValueError(f"unknown engine {engine!r}; use 'rules' or 'openai-compatible'")


class LocalBedrock:
    """A local Bedrock Runtime endpoint for boto3 and anything built on it.

    >>> with LocalBedrock() as bedrock:
    ...     client = bedrock.client()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        auth: AuthMode = "signed",
        engine: str | Engine = "rules",
        region_name: str = "us-east-1",
        aws_access_key_id: str = DEFAULT_ACCESS_KEY_ID,
        aws_secret_access_key: str = DEFAULT_SECRET_ACCESS_KEY,
        credentials: Mapping[str, str] | None = None,
        api_keys: Iterable[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        upstream_url: str | None = None,
        upstream_model: str | None = None,
        strict: bool = False,
        batch: bool = False,
        s3_endpoint_url: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        quotas: Quota | Iterable[Quota] = (),
    ) -> None:
        """`strict`: a request no scripted reply matches fails instead of reaching the engine.
        `quotas`: on-demand quotas (`Quota(requests_per_minute=..., tokens_per_minute=..., model=...)`).
        `api_keys`: the Bedrock API keys `auth="strict"` accepts as bearer tokens (`signed` accepts any)."""
        self.host = host
        self.port = port
        self.region_name = region_name
        self.aws_access_key_id = aws_access_key_id
        self.aws_secret_access_key = aws_secret_access_key
        keys = {aws_access_key_id: aws_secret_access_key, **(credentials or {})}
        self.faults = Faults()
        self.quotas = Quotas([quotas] if isinstance(quotas, Quota) else quotas)
        """On-demand quotas: `quotas.set(requests_per_minute=..., model=...)`, `quotas.status()`."""
        self.script = Script(strict=strict)
        """Scripted replies: `script.reply(...)`, `script.when(...).reply(...)`; see `scripts.py`."""
        self.engine = make_engine(engine, upstream_url, upstream_model)
        self.control = ControlPlane(region_name)
        """The `bedrock` control plane on the same endpoint (inference profiles, ...)."""
        self.inference_profiles = self.control.inference_profiles
        self.guardrails = Guardrails(region_name, self.control.account_id)
        """Guardrails requests can name: `guardrails.add(blocked_input_words=[...], pii_entities=[...])`."""
        self._app = BedrockApp(
            self.engine,
            Authenticator(auth, keys, region_name, api_keys),
            self.faults,
            max_body_bytes=max_body_bytes,
            script=self.script,
            control=self.control,
            guardrails=self.guardrails,
            quotas=self.quotas,
        )
        self.auth = auth
        self.max_body_bytes = max_body_bytes
        self.max_connections = max_connections
        self.idle_timeout_s = idle_timeout_s
        self._server: HttpServer | None = None
        self._start_s3 = batch and s3_endpoint_url is None
        self._s3_server: Any = None
        self.batch_jobs = BatchJobs(
            self._app.answer, region=region_name, account_id=self.control.account_id, s3_endpoint_url=s3_endpoint_url
        )
        """Batch Inference jobs (`batch_jobs.faults` scripts their failures)."""
        self.control.add_routes(self.batch_jobs.routes())

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> LocalBedrock:
        if self._start_s3 and self._s3_server is None:
            self._s3_server = start_s3_server(self.host if self.host in ("127.0.0.1", "::1") else "127.0.0.1")
            self.batch_jobs.s3_endpoint_url = s3_url(self._s3_server)
        if self._server is None:
            self._server = HttpServer(
                self._app.handle,
                self.host,
                self.port,
                max_body_bytes=self.max_body_bytes,
                error_handler=lambda error: error_response(error, "00000000-0000-0000-0000-000000000000"),
                blocking=self._app.blocks,
                max_connections=self.max_connections,
                idle_timeout_s=self.idle_timeout_s,
            )
            self.port = self._server.port
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.batch_jobs.shutdown()
        if self._s3_server is not None:
            self._s3_server.stop()
            self._s3_server = None

    def __enter__(self) -> LocalBedrock:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # --- what clients need ------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError(
                "LocalBedrock is not started: use `with LocalBedrock() as bedrock:` or .start()"
            )
        return addresses.url(addresses.connect_host(self._server.host), self.port)

    @property
    def listens_beyond_loopback(self) -> bool:
        """Whether other machines can reach the emulator (bound to a wildcard or a network address)."""
        return self._server is not None and addresses.beyond_loopback(self._server.host)

    @property
    def network_url(self) -> str | None:
        """The URL other machines use, when the emulator listens beyond loopback (None otherwise)."""
        if self._server is None or not self.listens_beyond_loopback:
            return None
        host = addresses.network_host(self._server.host)
        return addresses.url(host, self.port) if host else None

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `boto3.client("bedrock-runtime", **kwargs)` (and langchain/llama-index clients)."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region_name,
            "aws_access_key_id": self.aws_access_key_id,
            "aws_secret_access_key": self.aws_secret_access_key,
        }

    def client(self, **kwargs: Any) -> Any:
        """A boto3 `bedrock-runtime` client pointed here; retries off unless `config` says otherwise."""
        import boto3
        from botocore.config import Config

        options = self.client_kwargs()
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=64)
        if "config" in kwargs:
            config = config.merge(kwargs.pop("config"))
        options.update(kwargs)
        return boto3.client("bedrock-runtime", config=config, **options)

    @property
    def s3_endpoint_url(self) -> str | None:
        """The S3 API batch jobs read and write (moto's server on loopback with `batch=True`)."""
        return self.batch_jobs.s3_endpoint_url

    def control_client(self, **kwargs: Any) -> Any:
        """A boto3 `bedrock` (control plane) client pointed here: inference profiles, batch jobs."""
        import boto3

        options = self.client_kwargs()
        options.update(kwargs)
        return boto3.client("bedrock", **options)

    def s3_client(self, **kwargs: Any) -> Any:
        """A boto3 S3 client for the emulator's S3 endpoint."""
        import boto3

        if self.s3_endpoint_url is None:
            raise RuntimeError("no S3 endpoint: use LocalBedrock(batch=True) or s3_endpoint_url=...")
        options: dict[str, Any] = {
            "endpoint_url": self.s3_endpoint_url,
            "region_name": self.region_name,
            "aws_access_key_id": self.aws_access_key_id,
            "aws_secret_access_key": self.aws_secret_access_key,
        }
        options.update(kwargs)
        return boto3.client("s3", **options)

    # --- observation ------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far (a snapshot)."""
        return self._app.log.snapshot()

    def clear(self) -> None:
        """Forget received requests and finished batch jobs; remove faults, quotas, scripted replies,
        guardrails and application inference profiles."""
        self._app.log.clear()
        self.faults.clear()
        self.quotas.clear()
        self.script.clear()
        self.control.clear()
        self.batch_jobs.clear()
        self.guardrails.clear()

    def __repr__(self) -> str:
        where = self.endpoint_url if self._server else "stopped"
        return (
            f"LocalBedrock({where}, auth={self.auth!r}, engine={getattr(self.engine, 'name', self.engine)!r})"
        )
