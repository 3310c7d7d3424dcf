"""Construction fields shared by the chat model and the LLM, and the transport client built from them.

Everything a user configures (model, AWS connection, sampling defaults, guardrail) lives here once, so
both classes accept the same arguments and fail the same way: the transport validates at construction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from langchain_core.language_models import LangSmithParams
from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, model_validator
from typing_extensions import Self

from bedrock_mistral import BedrockClient, InferenceParams, ModelSpec
from bedrock_mistral.errors import BedrockMistralError
from bedrock_mistral.options import BedrockOptions, share_in_copies
from bedrock_mistral.service_options import SERVICE_OPTION_NAMES, service_options
from bedrock_mistral.transport.region import region_from_env
from bedrock_mistral.types import ModelResponse
from bedrock_mistral.validation import check_option_types, stop_sequences

if TYPE_CHECKING:
    from bedrock_mistral.batch import BatchJob

CALL_PARAMS = ("temperature", "max_tokens", "top_p", "top_k")
"""Sampling parameters a single call may override (`model.invoke(..., temperature=0.2)`)."""
CALL_OPTIONS = (*CALL_PARAMS, *SERVICE_OPTION_NAMES)
"""Everything both classes take per call (`invoke` / `bind` keyword arguments)."""

_SECRETS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
    "api_key": "AWS_BEARER_TOKEN_BEDROCK",
}


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class BedrockMistralBase(BaseModel):
    """Fields and client construction common to `ChatBedrockMistral` and `BedrockMistralLLM`."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, extra="forbid")

    model: str = Field(alias="model_id")
    """Bedrock model id, cross-region profile (`eu.mistral...`) or inference-profile ARN."""
    api: Literal["invoke", "converse"] | None = None
    """Wire API; None uses the catalog's default for the model."""

    region_name: str | None = Field(default_factory=lambda: region_from_env())
    """AWS region; by default AWS_REGION, then AWS_DEFAULT_REGION, then the profile's (the transport's rule)."""
    endpoint_url: str | None = None
    credentials_profile_name: str | None = None
    aws_access_key_id: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_ACCESS_KEY_ID", default=None), repr=False
    )
    aws_secret_access_key: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_SECRET_ACCESS_KEY", default=None), repr=False
    )
    aws_session_token: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_SESSION_TOKEN", default=None), repr=False
    )
    api_key: SecretStr | None = Field(default=None, repr=False)
    """A Bedrock API key, sent as a bearer token instead of SigV4 credentials. Without it botocore uses
    `AWS_BEARER_TOKEN_BEDROCK` when that variable is set."""
    client: Any = Field(default=None, exclude=True, repr=False)
    """An existing boto3 `bedrock-runtime` client to use instead of building one."""
    config: Any = Field(default=None, exclude=True)
    """A botocore `Config` (pool size, proxies, user agent...); retries and `timeout` stay the transport's."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    streaming: bool = False
    """Stream under the hood even for `invoke` (callbacks get tokens as they arrive)."""
    max_retries: int = 3
    timeout: float | None = None
    """Connect and read timeout in seconds (each socket read)."""
    deadline: float | None = None
    """Seconds a whole call may take, retries included; for a stream, the longest wait for the first
    chunk and between two chunks. Past it: `BedrockTimeoutError`. None: no deadline."""
    rate_limit: Literal["adaptive", "off"] = "adaptive"
    """"adaptive": after Bedrock throttles, calls to this model (from every client in the process with the
    same credentials and region) are paced to what gets through; "off": throttles only back off."""
    requests_per_second: float | None = None
    """A known quota: pace calls to this rate from the first one."""

    guardrail_identifier: str | None = None
    guardrail_version: str | None = None
    guardrail_trace: Literal["enabled", "disabled", "enabled_full"] | None = None
    additional_model_request_fields: dict[str, Any] | None = None
    service_tier: str | dict[str, str] | None = None
    """Bedrock's processing tier: priority, default, flex or reserved (also per call)."""
    request_metadata: dict[str, str] | None = None
    """Up to 16 key/value pairs Bedrock writes to invocation logs (also per call)."""
    performance_config: str | dict[str, str] | None = None
    """`{"latency": "standard" | "optimized"}` (or just the latency); also per call."""

    _transport: BedrockClient | None = PrivateAttr(default=None)
    _other_models: dict[str, BedrockClient] = PrivateAttr(default_factory=dict)

    def __init__(self, **data: Any) -> None:
        # Pydantic wraps errors raised in validators; surface the transport's own error type instead.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            for error in exc.errors():
                cause = (error.get("ctx") or {}).get("error")
                if isinstance(cause, BedrockMistralError):
                    raise cause from exc
            raise

    def __getstate__(self) -> dict[Any, Any]:
        """Pickles never carry credentials. Keys given explicitly, or a boto3 client, make pickling fail
        with a clear TypeError (never a copy with another identity); keys read from the environment are
        left out and read from it again (by boto3's credential chain) after loading."""
        if self.client is not None:
            raise TypeError(
                f"{type(self).__name__} built with client=... cannot be pickled (a boto3 client cannot be); "
                "build it from region_name or credentials_profile_name to pickle it"
            )
        explicit = sorted(name for name in _SECRETS if name in self.model_fields_set and getattr(self, name))
        if explicit:
            raise TypeError(
                f"{type(self).__name__} given {', '.join(explicit)} cannot be pickled: the pickle would carry "
                "the credentials in clear. Use a profile, the environment or a role, or build the model "
                "again after loading"
            )
        state = super().__getstate__()
        state["__dict__"] = {**state["__dict__"], **{name: None for name in _SECRETS}}
        private = dict(state.get("__pydantic_private__") or {})
        private.update(_transport=None, _other_models={})  # rebuilt on first use, from the loaded options
        state["__pydantic_private__"] = private
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy shares what cannot be copied (a given boto3 client, a botocore Config) and gets its
        own connections; configuration and identity are the same."""
        return super().__deepcopy__(share_in_copies(memo, self.client, self.config))

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Credentials serialize as references to their environment variables, never as values."""
        return dict(_SECRETS)

    @model_validator(mode="before")
    @classmethod
    def _check_types(cls, data: Any) -> Any:
        """Types are checked as given, before pydantic would coerce them (`max_tokens=True` -> 1,
        `temperature="0.5"` -> 0.5): the same rule, and the same errors, as the LlamaIndex adapter's."""
        if not isinstance(data, dict):
            return data
        options = dict(data)
        if "stop_sequences" in options and "stop" not in options:
            options["stop"] = options.pop("stop_sequences")
        model = options.get("model", options.get("model_id"))
        check_option_types(str(model), options)
        stop_key = "stop" if "stop" in data else "stop_sequences"
        if isinstance(data.get(stop_key), str):
            data = {**data, stop_key: [data[stop_key]]}  # one stop sequence, not its characters
        return data

    @model_validator(mode="after")
    def _build_client(self) -> Self:
        """Build the transport client now, so bad parameters fail at construction with its message."""
        self._transport = self._new_client(self.model)
        return self

    # --- transport ----------------------------------------------------------------------------------

    def _credentials(self) -> tuple[str | None, str | None, str | None]:
        """Keys given explicitly always count; keys read from the environment only when no other source
        (profile, client) was named, so a profile is not silently overridden by stray variables."""
        names = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
        other_source = self.credentials_profile_name is not None or self.client is not None
        explicit = any(name in self.model_fields_set for name in names)
        if other_source and not explicit:
            return None, None, None
        return (
            _secret(self.aws_access_key_id),
            _secret(self.aws_secret_access_key),
            _secret(self.aws_session_token),
        )

    def _options(self) -> BedrockOptions:
        """LangChain's spelling of the options -> `BedrockOptions`: the one place they are mapped. Every
        field named like an option is forwarded as it is, so a new option is one field on this class."""
        key_id, secret_key, token = self._credentials()
        return BedrockOptions.from_values(
            {name: getattr(self, name) for name in BedrockOptions.names() & set(type(self).model_fields)},
            profile_name=self.credentials_profile_name,
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
            api_key=_secret(self.api_key),
            service=service_options(self.service_tier, self.request_metadata, self.performance_config),
        )

    def _new_client(self, model: str) -> BedrockClient:
        return BedrockClient(model, self._options(), api=self.api, params=self._default_params())

    def _default_params(self) -> InferenceParams:
        return InferenceParams(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            stop=tuple(self.stop or ()),
        )

    @property
    def transport(self) -> BedrockClient:
        """The transport client for the configured model."""
        # Read from pydantic's private store: `self._transport` goes through BaseModel.__getattr__ after a
        # failed lookup, about 3 µs, and a call asks for the transport several times.
        transport = (self.__pydantic_private__ or {}).get("_transport")
        if transport is None:  # only after model_construct(), which skips validators
            transport = self._transport = self._new_client(self.model)
        return transport

    @property
    def spec(self) -> ModelSpec:
        return self.transport.spec

    def _client_for(self, model: str | None) -> BedrockClient:
        """The client for a per-call `model=` override (one cached client per model id)."""
        if model is None or model == self.model:
            return self.transport
        if model not in self._other_models:
            self._other_models[model] = self._new_client(model)
        return self._other_models[model]

    def _call_params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> InferenceParams:
        """The configured sampling parameters with per-call overrides; pops what it uses from kwargs."""
        params = self._default_params().overridden_by({name: kwargs.pop(name, None) for name in CALL_PARAMS})
        return params if stop is None else replace(params, stop=stop_sequences(stop, self.model))

    def _batch_job(
        self,
        inputs: Sequence[Any] | Mapping[Any, Any],
        request: Callable[[Any, list[str] | None, dict[str, Any]], Any],
        output: Callable[[BedrockClient], Callable[[ModelResponse], Any]],
        s3_uri: str,
        role_arn: str,
        kwargs: dict[str, Any],
    ) -> BatchJob:
        """Both classes' `submit_batch_job`: `request` makes one input a neutral request, `output` turns a
        neutral response into the class's own output type."""
        from bedrock_mistral.batch import map_inputs, split_job_options, submit_batch  # loads on first use

        options = split_job_options(kwargs)
        stop = kwargs.pop("stop", None)
        requests = map_inputs(inputs, lambda item: request(item, stop, kwargs))
        client = self._client_for(kwargs.get("model"))
        job = submit_batch(client, requests, s3_uri=s3_uri, role_arn=role_arn, **options)
        return job.with_output(output(client))

    def _attach_batch_job(
        self,
        job_arns: str | Sequence[str],
        output: Callable[[BedrockClient], Callable[[ModelResponse], Any]],
        options: dict[str, Any],
    ) -> BatchJob:
        from bedrock_mistral.batch import attach

        return attach(job_arns, client=self.transport, **options).with_output(output(self.transport))

    _kind: ClassVar[tuple[str, str, str]] = ("", "", "")
    """(module under `langchain_bedrock_mistral`, LangChain's `_llm_type`, LangSmith's model type)."""

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_bedrock_mistral", cls._kind[0]]

    @property
    def _llm_type(self) -> str:
        return self._kind[1]

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = self._ls_common(stop, kwargs)
        return LangSmithParams(ls_model_type=self._kind[2], **params)  # type: ignore[typeddict-item]

    def _ls_common(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        """LangSmith parameters both model types report."""
        params: dict[str, Any] = {
            "ls_provider": "amazon_bedrock",
            "ls_model_name": kwargs.get("model") or self.model,
        }
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        ls_stop = stop if stop is not None else self.stop
        if isinstance(ls_stop, str):
            params["ls_stop"] = [ls_stop]
        elif isinstance(ls_stop, (list, tuple)) and ls_stop:
            params["ls_stop"] = list(ls_stop)  # anything else is refused by the call itself
        return params

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "api": self.transport.api,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": self.stop,
        }

    def get_num_tokens(self, text: str) -> int:
        """Count with the model's own Mistral tokenizer rather than LangChain's GPT-2 default."""
        from bedrock_mistral import tokens

        return tokens.count_tokens(text, self.spec.tokenizer)


def check_call_kwargs(kwargs: dict[str, Any], accepted: tuple[str, ...], owner: str) -> None:
    """Fail loudly on keyword arguments nothing would send, rather than dropping them."""
    if not kwargs:
        return
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"{owner} got unexpected call argument(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}"
        )


__all__ = ["CALL_OPTIONS", "CALL_PARAMS", "BedrockMistralBase", "check_call_kwargs"]
