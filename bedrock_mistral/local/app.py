"""The Bedrock Runtime application: one HTTP request in, one response (or a frame stream) out.

HTTP mechanics live in `server.py`; wire formats in `wire/`; answers come from an engine. This module
orders the steps Bedrock takes: authenticate, route, faults, resolve the model, validate, answer.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from bedrock_mistral import catalog
from bedrock_mistral.catalog import BodyFormat, ModelSpec
from bedrock_mistral.local import eventstream, rejections, service_options
from bedrock_mistral.local.auth import Authenticator, SignedRequest
from bedrock_mistral.local.control import ControlPlane
from bedrock_mistral.local.conversation import Conversation, Delta
from bedrock_mistral.local.engines.base import Engine
from bedrock_mistral.local.faults import Faults, Plan
from bedrock_mistral.local.guardrails import Guardrails
from bedrock_mistral.local.http_types import DROP, Frame, HttpRequest, HttpResponse, Pause
from bedrock_mistral.local.quotas import Charge, QuotaExceeded, Quotas
from bedrock_mistral.local.scripts import Script
from bedrock_mistral.local.service_errors import INVALID_MODEL, ServiceError, malformed, unknown_operation
from bedrock_mistral.local.wire import chat_completion, converse, text_completion
from bedrock_mistral.local.wire.common import Exchange

_ROUTE = re.compile(
    r"^/model/(?P<model>[^/?]+)/(?P<op>invoke|invoke-with-response-stream|converse|converse-stream)/?(?:\?.*)?$"
)


OPERATIONS = {
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse-stream": "ConverseStream",
}


EVENTSTREAM = "application/vnd.amazon.eventstream"


NESTED_TOO_DEEP = "#: the JSON document is nested too deeply"
"""Our wording (no recording of Bedrock's answer to a body nested thousands deep)."""


_IN_STREAM = {
    "ThrottlingException": "throttlingException",
    "ValidationException": "validationException",
    "ModelTimeoutException": "modelTimeoutException",
    "InternalServerException": "internalServerException",
    "ServiceUnavailableException": "serviceUnavailableException",
}


@dataclass


class RecordedRequest:
    """What the emulator received, for assertions in tests."""

    operation: str
    model_id: str
    """As sent (URL-decoded)."""
    base_model_id: str
    body: Any
    headers: dict[str, str]
    request_id: str = ""
    access_key: str | None = None


_SIGNATURE = re.compile(r"(Signature=)[0-9a-fA-F]+")


def redacted(value: str) -> str:
    """How the request log shows a session token: `***` and 8 hex digits of its SHA-256, so a test can
    still check which token was sent while a log (or a failure's output) holds no credential."""
    return "***" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]


def _loggable(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers as recorded: the session token and a bearer API key fingerprinted, the Authorization
    header's signature replaced by `***` (its credential scope, which names the key id, region and service,
    is kept). Names are lower-cased (`HttpRequest.headers`), so the two are looked up, not searched for."""
    out = dict(headers)
    token = out.get("x-amz-security-token")
    if token is not None:
        out["x-amz-security-token"] = redacted(token)
    value = out.get("authorization")
    if value is not None and value.startswith("Bearer "):
        out["authorization"] = "Bearer " + redacted(value[7:].strip())  # a Bedrock API key, fingerprinted
    elif value is not None:
        out["authorization"] = _SIGNATURE.sub(r"\1***", value)
    return out


MAX_RECORDED_REQUESTS = 10_000
"""Requests kept for inspection: a long-running `serve` must not grow without bound (~3 KB each)."""


@dataclass


class RequestLog:
    """Thread-safe record of the most recent requests received."""

    _items: deque[RecordedRequest] = field(default_factory=lambda: deque(maxlen=MAX_RECORDED_REQUESTS))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def error_response(error: ServiceError, request_id: str) -> HttpResponse:
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", error.error_type),
    ]
    return HttpResponse(error.status, headers, json.dumps({"message": error.message}).encode())


def in_stream_exception(error: ServiceError) -> bytes:
    kind = _IN_STREAM.get(error.code, "modelStreamErrorException")
    extra = {"originalStatusCode": error.status} if kind == "modelStreamErrorException" else None
    return eventstream.exception_frame(kind, error.message, extra)


class BedrockApp:
    """Handles requests; called from the server's event loops and its worker threads (state is behind locks).

    `handle` never sleeps: latency is returned as data (`HttpResponse.delay_s`, `Pause` frames) for the
    server to wait on, so only an engine can block, and `blocks` tells the server when one might.
    """

    def __init__(
        self,
        engine: Engine,
        authenticator: Authenticator,
        faults: Faults,
        *,
        max_body_bytes: int,
        script: Script | None = None,
        control: ControlPlane | None = None,
        guardrails: Guardrails | None = None,
        quotas: Quotas | None = None,
    ) -> None:
        self.engine = engine
        self.quotas = quotas if quotas is not None else Quotas()
        self.authenticator = authenticator
        self.faults = faults
        self.script = script or Script()
        self.control = control or ControlPlane("us-east-1")
        self.guardrails = guardrails or Guardrails(self.control.region_name, self.control.account_id)
        self.max_body_bytes = max_body_bytes
        self.log = RequestLog()
        self._engine_blocks = bool(getattr(engine, "blocking", True))

    def blocks(self, request: HttpRequest) -> bool:
        """Whether handling `request` may wait on I/O (an upstream model, the control plane's S3), so it
        belongs on a worker thread. Runtime operations answered by a local engine (`blocking = False`)
        are pure computation."""
        return self._engine_blocks or _ROUTE.match(request.target) is None

    # --- entry point ------------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        try:
            return self._handle(request, request_id)
        except ServiceError as error:
            return error_response(error, request_id)
        except RecursionError:  # a body nested deeper than the parser or a rule can walk
            return error_response(malformed(NESTED_TOO_DEEP), request_id)
        except Exception as exc:  # an engine bug must still answer like Bedrock, not hang up
            message = f"The emulator failed to handle the request: {type(exc).__name__}: {exc}"
            return error_response(ServiceError("InternalServerException", message, 500), request_id)

    def _handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        route = _ROUTE.match(request.target)
        if route is None:
            return self._control_plane(request, request_id)
        if request.method != "POST":
            raise unknown_operation()
        operation = OPERATIONS[route.group("op")]
        model_id = _decoded(route.group("model"))
        spec = self._model(model_id)
        record = RecordedRequest(
            operation,
            model_id,
            spec.model_id if spec else catalog.base_model_id(model_id),
            None,
            _loggable(request.headers),
            request_id,
        )
        self.log.add(record)
        record.access_key = self.authenticator.check(
            SignedRequest(request.method, request.target, request.headers, request.body)
        )
        body = record.body = _json_or_none(request.body)  # parsed only once the caller is authenticated
        return self.answer(operation, model_id, body, request_id, request.headers, metered=True)

    def answer(
        self,
        operation: str,
        model_id: str,
        body: Any,
        request_id: str,
        headers: Mapping[str, str] | None = None,
        *,
        metered: bool = False,
    ) -> HttpResponse:
        """An authenticated runtime request: faults, model, quotas, validation, engine. Batch jobs run each
        record through here (unmetered: on-demand quotas do not apply to them), so a record gets exactly the
        answer the same on-demand request gets. `headers` are lower-cased (InvokeModel's guardrail headers
        are read from them)."""
        try:
            return self._answer(operation, model_id, body, request_id, headers, metered)
        except QuotaExceeded as error:
            if operation in ("InvokeModelWithResponseStream", "ConverseStream"):
                # Bedrock refuses a stream over quota with a `throttlingException` frame in the stream.
                headers_out = [("Content-Type", EVENTSTREAM), ("x-amzn-RequestId", request_id)]
                return HttpResponse(200, headers_out, stream=iter([in_stream_exception(error)]))
            return error_response(error, request_id)

    def _answer(
        self,
        operation: str,
        model_id: str,
        body: Any,
        request_id: str,
        headers: Mapping[str, str] | None,
        metered: bool,
    ) -> HttpResponse:
        spec = self._model(model_id)
        plan = self.faults.take(operation, model_id)
        drop_now = plan.drop is not None and operation in ("InvokeModel", "Converse")
        if plan.error is not None or drop_now:
            if plan.error is None:
                return HttpResponse(0, [], drop=True, delay_s=plan.first_byte_ms / 1000)
            error = ServiceError(plan.error.code, plan.error.message, plan.error.status)
            response = error_response(error, request_id)
            response.delay_s = plan.first_byte_ms / 1000
            return response
        if spec is None:
            raise ServiceError("ValidationException", INVALID_MODEL)
        if metered and self.quotas:
            self.quotas.admit_request(operation, model_id)
        if not isinstance(body, dict):
            # A body that is not JSON at all is read as a String; a JSON array as a JSONArray, ...
            found = "String" if body is None else rejections.java_type(body)
            raise malformed(f"#: expected type: JSONObject, found: {found}")
        metering = _Metering(self.quotas, operation, metered and bool(self.quotas))
        if operation in ("InvokeModel", "InvokeModelWithResponseStream"):
            headers = headers or {}
            guard = _guard_settings(
                headers.get("x-amzn-bedrock-guardrailidentifier"),
                headers.get("x-amzn-bedrock-guardrailversion"),
                headers.get("x-amzn-bedrock-trace"),
            )
            tier = service_options.invoke_tier(headers)
            return self._invoke(operation, model_id, spec, body, request_id, plan, guard, metering, tier)
        config = body.get("guardrailConfig")
        guard = None
        if isinstance(config, dict):
            guard = (config.get("guardrailIdentifier"), config.get("guardrailVersion"), config.get("trace"))
        tier = service_options.converse_tier(body)
        return self._converse(operation, model_id, spec, body, request_id, plan, guard, metering, tier)

    def _model(self, model_id: str) -> ModelSpec | None:
        """The catalog row a runtime model id names: a model id, a cross-region profile, an ARN, or an
        application inference profile ARN registered on the control plane. The path is decoded once, as
        Bedrock decodes it: an id that still holds `%XX` is taken literally, so it names no model."""
        if "%" in model_id:
            return None
        base = self.control.inference_profiles.base_model_id(model_id)
        return catalog.find(base or model_id)

    def _control_plane(self, request: HttpRequest, request_id: str) -> HttpResponse:
        """A `bedrock` control-plane call (inference profiles, ...): authenticated like the runtime."""
        operation = self.control.operation(request.method, request.target) or "Unknown"
        record = RecordedRequest(operation, "", "", None, dict(request.headers), request_id)
        self.log.add(record)
        record.access_key = self.authenticator.check(
            SignedRequest(request.method, request.target, request.headers, request.body)
        )
        record.body = _json_or_none(request.body)
        answer = self.control.handle(request.method, request.target, request.body)
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
        return HttpResponse(answer.status, headers, json.dumps(answer.body).encode())

    # --- operations -------------------------------------------------------------------------------

    def _invoke(
        self,
        operation: str,
        model_id: str,
        spec: ModelSpec,
        body: dict[str, Any],
        request_id: str,
        plan: Plan,
        guard: GuardSettings | None,
        metering: _Metering,
        tier: str | None = None,
    ) -> HttpResponse:
        chat = "messages" in body and BodyFormat.CHAT_COMPLETION in spec.invoke_formats
        if not spec.invoke_formats:
            chat = True  # Converse-first models: the chat body is the only one they could take
        elif BodyFormat.TEXT_COMPLETION not in spec.invoke_formats:
            chat = True
        wire: Any = chat_completion if chat else text_completion
        conversation = wire.parse(body, spec, model_id)
        exchange = self._exchange(request_id, model_id, spec, conversation)
        charge = metering.admit(exchange)
        engine = self._engine_for(operation, exchange, guard)
        tier_header = [("X-Amzn-Bedrock-Service-Tier", tier)] if tier else []
        if operation == "InvokeModel":
            reason, delay = self._complete(engine, exchange, plan)
            charge.settle(exchange.output_tokens)
            headers = [
                ("Content-Type", "application/json"),
                ("x-amzn-RequestId", request_id),
                ("X-Amzn-Bedrock-Invocation-Latency", str(exchange.latency_ms())),
                ("X-Amzn-Bedrock-Output-Token-Count", str(exchange.output_tokens)),
                ("X-Amzn-Bedrock-Input-Token-Count", str(exchange.input_tokens)),
                *tier_header,
            ]
            return HttpResponse(200, headers, wire.response_body(exchange, reason), delay_s=delay)
        pacer = _Pacer()
        frames = _settled(wire.stream(self._deltas(engine, conversation, plan, pacer), exchange), exchange, charge)
        headers = [
            ("Content-Type", EVENTSTREAM),
            ("x-amzn-RequestId", request_id),
            ("X-Amzn-Bedrock-Content-Type", "application/json"),
            *tier_header,
        ]
        return self._stream_response(headers, frames, plan, pacer)

    def _converse(
        self,
        operation: str,
        model_id: str,
        spec: ModelSpec,
        body: dict[str, Any],
        request_id: str,
        plan: Plan,
        guard: GuardSettings | None,
        metering: _Metering,
        tier: str | None = None,
    ) -> HttpResponse:
        streaming = operation == "ConverseStream"
        conversation = converse.parse(body, spec, model_id, streaming=streaming)
        exchange = self._exchange(request_id, model_id, spec, conversation)
        charge = metering.admit(exchange)
        exchange.service_tier = tier
        engine = self._engine_for(operation, exchange, guard)
        if not streaming:
            reason, delay = self._complete(engine, exchange, plan)
            charge.settle(exchange.output_tokens)
            headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
            return HttpResponse(200, headers, converse.response_body(exchange, reason), delay_s=delay)
        pacer = _Pacer()
        frames = _settled(converse.stream(self._deltas(engine, conversation, plan, pacer), exchange), exchange, charge)
        return self._stream_response(
            [("Content-Type", EVENTSTREAM), ("x-amzn-RequestId", request_id)], frames, plan, pacer
        )

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _exchange(request_id: str, model_id: str, spec: ModelSpec, conversation: Conversation) -> Exchange:
        exchange = Exchange(request_id, model_id, spec, conversation)
        rejections.check_context(exchange.input_tokens, spec)
        return exchange

    def _engine_for(self, operation: str, exchange: Exchange, guard: GuardSettings | None) -> Engine:
        """A scripted reply when one matches the request, else the emulator's engine; behind the request's
        guardrail when it names one (its verdict goes to the exchange, for the wire format to write)."""
        scripted = self.script.engine_for(
            operation,
            exchange.model_id,
            exchange.spec.model_id,
            exchange.conversation,
            exchange.request_id,
        )
        engine: Engine = scripted if scripted is not None else self.engine
        if guard is None:
            return engine
        guarded = self.guardrails.guard(engine, *guard)
        exchange.guardrail = guarded.outcome
        return guarded

    @staticmethod
    def _complete(engine: Engine, exchange: Exchange, plan: Plan) -> tuple[str, float]:
        """The engine's reply absorbed into the exchange; the stop reason and the latency to wait first."""
        reply = engine.reply(exchange.conversation)
        exchange.absorb(
            Delta(
                reply.text,
                reply.tool_calls,
                reply.stop_reason,
                reply.input_tokens,
                reply.output_tokens,
                reply.reasoning,
            )
        )
        delay = (plan.first_byte_ms + plan.per_token_ms * exchange.output_tokens) / 1000
        exchange.pending_latency_s = delay
        return reply.stop_reason, delay

    @staticmethod
    def _deltas(engine: Engine, conversation: Conversation, plan: Plan, pacer: _Pacer) -> Iterator[Delta]:
        """The engine's stream, started now so that a failure to start is an HTTP error, not a frame.
        Per-token latency is owed for each delta that carries text or tool calls, not per frame:
        frames such as messageStart or metadata cost a model no generation time."""
        deltas = iter(engine.stream(conversation))
        first = next(deltas, Delta(stop_reason="stop"))
        stream = itertools.chain([first], deltas)
        return pacer.pace(stream, plan.per_token_ms / 1000) if plan.per_token_ms else stream

    @staticmethod
    def _stream_response(
        headers: list[tuple[str, str]], frames: Iterator[bytes], plan: Plan, pacer: _Pacer
    ) -> HttpResponse:
        stream = _with_faults(frames, plan, pacer)
        if plan.first_byte_ms:
            stream = itertools.chain([Pause(plan.first_byte_ms / 1000)], stream)
        return HttpResponse(200, headers, stream=stream)


@dataclass


class _Metering:
    """Charges a parsed request to the token quotas (a no-op for unmetered requests)."""

    quotas: Quotas
    operation: str
    active: bool

    def admit(self, exchange: Exchange) -> Charge:
        if not self.active:
            return Charge(self.quotas)
        max_tokens = exchange.conversation.max_tokens or int(exchange.spec.max_tokens.default or 0)
        return self.quotas.admit_tokens(self.operation, exchange.model_id, exchange.input_tokens, max_tokens)


def _settled(frames: Iterator[bytes], exchange: Exchange, charge: Charge) -> Iterator[bytes]:
    """The frames, then the unused part of `max_tokens` given back to the token quota."""
    try:
        yield from frames
    finally:
        charge.settle(exchange.output_tokens)


class _Pacer:
    """Per-token latency owed by the deltas a wire format has consumed, paid as a `Pause` before its frames."""

    def __init__(self) -> None:
        self.owed = 0.0

    def pace(self, deltas: Iterator[Delta], per_token_s: float) -> Iterator[Delta]:
        for delta in deltas:
            if delta.text or delta.tool_calls:
                self.owed += per_token_s
            yield delta

    def settle(self) -> Pause | None:
        owed, self.owed = self.owed, 0.0
        return Pause(owed) if owed else None


def _with_faults(frames: Iterator[bytes], plan: Plan, pacer: _Pacer) -> Iterator[Frame]:
    """Frames with an injected exception or a dropped connection, and engine errors as frames."""
    sent = 0
    try:
        for frame in frames:
            if plan.stream_error is not None and sent >= plan.stream_error.after_chunks:
                break
            if plan.drop is not None and sent >= plan.drop.after_chunks:
                break
            pause = pacer.settle()
            if pause is not None:
                yield pause
            yield frame
            sent += 1
    except ServiceError as error:
        yield in_stream_exception(error)
        return
    except Exception as exc:  # an engine failing mid-stream becomes an exception frame, as on Bedrock
        yield in_stream_exception(
            ServiceError("InternalServerException", f"{type(exc).__name__}: {exc}", 500)
        )
        return
    if plan.stream_error is not None:
        fault = plan.stream_error
        extra = {"originalStatusCode": 500} if fault.code == "modelStreamErrorException" else None
        yield eventstream.exception_frame(fault.code, fault.message, extra)
    elif plan.drop is not None:
        yield DROP


GuardSettings = tuple[Any, Any, Any]
"""A request's guardrail identifier, version and trace setting, as sent."""


def _guard_settings(identifier: str | None, version: str | None, trace: str | None) -> GuardSettings | None:
    """InvokeModel's guardrail headers; None when the request names no guardrail."""
    if identifier is None and version is None:
        return None
    return identifier, version, trace


@functools.lru_cache(maxsize=1024)
def _decoded(path_model_id: str) -> str:
    """The model id in a request path, URL-decoded (boto3 sends `:` as `%3A`): the same few ids every time."""
    return unquote(path_model_id)


def _json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
