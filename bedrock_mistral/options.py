"""Every connection, auth, retry, guardrail and extra-field option, declared once.

Each option is one field of `BedrockOptions`: its type, its default, the rule its value must meet and a
one-line description. `BedrockClient(model, options=...)` takes the object; the LangChain and LlamaIndex
adapters map their frameworks' spellings onto it in one function each and forward every other option by
its name, so a new option is one field here (plus, where a framework needs a declared constructor
argument, one line per adapter).

Values are checked, never coerced: `timeout="5"`, `max_retries=True` or `deadline=float("inf")` raise a
`ConfigurationError` naming the option and what it takes. Secrets never appear in a repr or an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.service_options import validate_service
from bedrock_mistral.types import NO_SERVICE_OPTIONS, GuardrailConfig, ServiceOptions
from bedrock_mistral.validation import check_botocore_config, check_client, check_retries, check_seconds

Check = Callable[[str, Any], None]
"""Raises `ConfigurationError` when a value does not meet the option's rule."""

GUARDRAIL_TRACES = ("enabled", "disabled", "enabled_full")


def _refuse(name: str, value: Any, allowed: str, secret: bool = False) -> ConfigurationError:
    shown = f"a value of type {type(value).__name__}" if secret else repr(value)
    return ConfigurationError(f"{name} must be {allowed}, got {shown}")


def text(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise _refuse(name, value, "a string (or None)")


def secret(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise _refuse(name, value, "a string (or None)", secret=True)


def delay(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise _refuse(name, value, "a finite number of seconds >= 0")


def flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _refuse(name, value, "True or False")


def count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _refuse(name, value, "an integer >= 1")


def seconds(name: str, value: Any) -> None:
    check_seconds(name, value)


def retries(name: str, value: Any) -> None:
    check_retries(value)


def botocore_config(name: str, value: Any) -> None:
    check_botocore_config(name, value)


def boto3_client(name: str, value: Any) -> None:
    check_client(value)


def service_settings(name: str, value: Any) -> None:
    if not isinstance(value, ServiceOptions):
        raise _refuse(name, value, "a ServiceOptions")
    validate_service(value)


def positive_rate(name: str, value: Any) -> None:
    from bedrock_mistral.transport.rate_limit import check_options

    check_options("adaptive", value)


def one_of(*choices: str) -> Check:
    def check(name: str, value: Any) -> None:
        if value is not None and value not in choices:
            raise _refuse(name, value, f"one of {', '.join(map(repr, choices))} (or None)")

    return check


def json_object(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value)):
        raise _refuse(name, value, "a dict with string keys (or None)")


def boto3_session(name: str, value: Any) -> None:
    if value is not None and not callable(getattr(value, "client", None)):
        raise ConfigurationError(f"{name} must be a boto3 Session (or None), got a {type(value).__name__}")


def option(default: Any, check: Check, doc: str, *, hidden: bool = False) -> Any:
    """A field of `BedrockOptions`: default, rule and one-line description; `hidden` keeps it out of reprs."""
    return field(default=default, repr=not hidden, metadata={"check": check, "doc": doc})


@dataclass(frozen=True)
class BedrockOptions:
    """How to reach Bedrock and what to add to every request (sampling parameters are per model: see
    `InferenceParams`)."""

    # --- connection and auth -------------------------------------------------------------------------
    region_name: str | None = option(
        None, text, "AWS region; else AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region"
    )
    endpoint_url: str | None = option(None, text, "another endpoint, e.g. the emulator or a VPC endpoint")
    profile_name: str | None = option(None, text, "a named profile from ~/.aws/config")
    aws_access_key_id: str | None = option(None, secret, "explicit access key id", hidden=True)
    aws_secret_access_key: str | None = option(None, secret, "explicit secret access key", hidden=True)
    aws_session_token: str | None = option(None, secret, "explicit session token", hidden=True)
    api_key: str | None = option(None, secret, "a Bedrock API key, sent as a bearer token instead of SigV4", hidden=True)
    boto3_session: Any = option(None, boto3_session, "a boto3 Session to build clients from", hidden=True)
    client: Any = option(None, boto3_client, "an existing boto3 bedrock-runtime client", hidden=True)
    config: Any = option(None, botocore_config, "a botocore Config (proxies, pool size, user agent...)")
    connect_timeout: float | None = option(None, seconds, "seconds to wait for a connection")
    read_timeout: float | None = option(None, seconds, "seconds to wait for each socket read")
    max_pool_connections: int = option(
        1000,
        count,
        "connections kept per client: async calls run concurrently up to this many, and threads sharing a "
        "sync client never wait for one",
    )

    # --- retries and deadlines -----------------------------------------------------------------------
    max_retries: int = option(3, retries, "retries of throttled or failed calls; 0 disables")
    retry_base_delay: float = option(0.5, delay, "first backoff step in seconds (doubles per retry)")
    retry_max_delay: float = option(20.0, delay, "longest wait between two attempts, Retry-After included")
    deadline: float | None = option(
        None,
        seconds,
        "seconds a whole call may take, retries included; for a stream, the longest wait for the first "
        "chunk and between two chunks",
    )

    # --- rate limiting -------------------------------------------------------------------------------
    rate_limit: str = option(
        "adaptive",
        one_of("adaptive", "off"),
        "'adaptive': after Bedrock throttles, calls to the model from the whole process (same credentials, "
        "region, endpoint) are paced to what gets through; 'off': throttles only back off",
    )
    requests_per_second: float | None = option(
        None, positive_rate, "a known quota: pace calls to this many requests a second from the first one"
    )

    # --- what every request carries ------------------------------------------------------------------
    guardrail_identifier: str | None = option(None, text, "Bedrock guardrail id or ARN")
    guardrail_version: str | None = option(None, text, "Bedrock guardrail version (a number or DRAFT)")
    guardrail_trace: str | None = option(
        None, one_of(*GUARDRAIL_TRACES), "guardrail trace mode (needs a guardrail)"
    )
    additional_model_request_fields: dict[str, Any] | None = option(
        None, json_object, "extra model-specific request fields, sent as given"
    )
    check_context_window: bool = option(True, flag, "refuse a prompt that cannot fit the model's window")
    service: ServiceOptions = option(
        NO_SERVICE_OPTIONS, service_settings, "service tier, request metadata and performance config"
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            f.metadata["check"](f.name, getattr(self, f.name))
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ConfigurationError(
                "aws_access_key_id and aws_secret_access_key must be given together (or neither)"
            )
        if self.api_key is not None and not self.api_key.strip():
            raise ConfigurationError("api_key must be a non-empty string (a Bedrock API key)")
        if self.api_key and (self.client is not None or self.boto3_session is not None):
            raise ConfigurationError(
                "api_key cannot be combined with client= or boto3_session=: the key is set on a session of its own"
            )
        if (self.guardrail_identifier is None) != (self.guardrail_version is None):
            raise ConfigurationError("guardrail_identifier and guardrail_version must be given together")
        if self.guardrail_trace is not None and self.guardrail_identifier is None:
            raise ConfigurationError(
                "guardrail_trace was given without guardrail_identifier/guardrail_version: "
                "a trace needs a guardrail to trace"
            )

    @property
    def guardrail(self) -> GuardrailConfig | None:
        if self.guardrail_identifier is None or self.guardrail_version is None:
            return None
        return GuardrailConfig(self.guardrail_identifier, self.guardrail_version, self.guardrail_trace)

    def replace(self, **changes: Any) -> BedrockOptions:
        """A copy with some options changed (checked like a new object)."""
        _refuse_unknown(changes)
        return replace(self, **changes)

    @classmethod
    def names(cls) -> frozenset[str]:
        return _NAMES

    @classmethod
    def doc(cls, name: str) -> str:
        """The one-line description of an option (adapters reuse it for their own fields)."""
        return _DOCS[name]

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of an option (adapters declaring a field of the same name reuse it)."""
        return _DEFAULTS[name]

    @classmethod
    def check(cls, name: str, value: Any) -> None:
        """Check one option's value alone (before a framework would coerce it)."""
        _CHECKS[name](name, value)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], **spelled: Any) -> BedrockOptions:
        """Options from a framework's values: every key that names an option is taken, the rest ignored;
        `spelled` gives the options the framework spells differently (they win)."""
        taken = {k: v for k, v in values.items() if k in _NAMES}
        taken.update(spelled)
        _refuse_unknown(spelled)
        return cls(**taken)


def share_in_copies(memo: dict[int, Any] | None, *values: Any) -> dict[int, Any]:
    """A deep-copy memo in which the options that cannot be copied (a boto3 client or session, a botocore
    Config) stand for themselves: a copy of a client or a model shares them and keeps its identity."""
    memo = {} if memo is None else memo
    for value in values:
        if value is not None:
            memo[id(value)] = value
    return memo


_NAMES = frozenset(f.name for f in fields(BedrockOptions))
_DOCS = {f.name: str(f.metadata["doc"]) for f in fields(BedrockOptions)}
_DEFAULTS = {f.name: f.default for f in fields(BedrockOptions)}
_CHECKS: dict[str, Check] = {f.name: f.metadata["check"] for f in fields(BedrockOptions)}


def _refuse_unknown(values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - _NAMES)
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(unknown)}; options are: {', '.join(sorted(_NAMES))}"
        )


__all__ = ["GUARDRAIL_TRACES", "BedrockOptions", "share_in_copies"]
