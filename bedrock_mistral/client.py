"""`BedrockClient`: one model, one configuration; sync and async calls, streaming, retries and error mapping.

A request goes: neutral request -> validation -> codec -> boto3 / aiobotocore -> codec -> neutral
response. Async calls use aiobotocore's real non-blocking I/O; nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

from bedrock_mistral import catalog, codecs
from bedrock_mistral.catalog import Api, BodyFormat, ModelSpec
from bedrock_mistral.codecs import Encoded
from bedrock_mistral.errors import MalformedResponseError, ThrottlingError
from bedrock_mistral.options import BedrockOptions, share_in_copies
from bedrock_mistral.service_options import validate_service
from bedrock_mistral.transport import deadline as deadlines
from bedrock_mistral.transport import pacing, profiles
from bedrock_mistral.transport import rate_limit as rate_limit_module
from bedrock_mistral.transport.clients import PARSED_REQUEST_ID, AsyncClientPool, ClientSettings
from bedrock_mistral.transport.error_mapping import map_exception, mapped_types
from bedrock_mistral.transport.rate_limit import Ticket
from bedrock_mistral.transport.redaction import scrub
from bedrock_mistral.transport.retry import RetryPolicy
from bedrock_mistral.transport.stream_call import StreamCall
from bedrock_mistral.types import (
    ChatRequest,
    CompletionRequest,
    GuardrailConfig,
    InferenceParams,
    ModelResponse,
    StreamDelta,
)
from bedrock_mistral.validation import (
    check_text,
    validate_chat_request,
    validate_params,
    validate_reasoning_settings,
)

logger = logging.getLogger("bedrock_mistral")
_Request = TypeVar("_Request", ChatRequest, CompletionRequest)


class BedrockClient:
    """Talks to one Mistral model on Bedrock; reuse one instance for many calls."""

    def __init__(
        self,
        model: str,
        options: BedrockOptions | None = None,
        *,
        api: Api | None = None,
        params: InferenceParams = InferenceParams(),
        guardrail: GuardrailConfig | None = None,
        **option_values: Any,
    ) -> None:
        """`options` holds every connection, auth, retry, guardrail and extra-field option (see
        `bedrock_mistral.options`); keyword arguments by the same names build or change it."""
        if guardrail is not None:  # the neutral guardrail type, spelled as the options spell it
            option_values.update(
                guardrail_identifier=guardrail.identifier,
                guardrail_version=guardrail.version,
                guardrail_trace=guardrail.trace,
            )
        if options is None:
            options = BedrockOptions.from_values({}, **option_values)
        elif option_values:
            options = options.replace(**option_values)
        self.options = options
        self.model_id = model
        self.service = options.service
        self.params = params
        self.guardrail = options.guardrail
        self.additional_model_request_fields = options.additional_model_request_fields
        self.check_context_window = options.check_context_window
        self.retry = RetryPolicy(options.max_retries, options.retry_base_delay, options.retry_max_delay)
        self.deadline = None if options.deadline is None else float(options.deadline)
        """Seconds a call may take in all (retries included); for a stream, the longest wait for the
        first event and between two events. None: only the connect and read timeouts apply."""
        self.settings = ClientSettings.from_options(options)
        self._chosen_api = api
        self._spec: ModelSpec | None = None
        self._api: Api = api or "converse"
        if api is None and profiles.is_application_profile(model):
            # The catalog row comes from the profile's base model. Inside a running event loop the lookup
            # waits for the first async call (which makes it in a worker thread), unless already cached.
            base = profiles.cached(model, self.settings)
            if base is None and not _loop_running():
                base = profiles.resolve(model, self.settings)
            if base is not None:
                self._adopt(catalog.resolve(base))
        else:
            self._adopt(catalog.resolve(model, api))
        self._sync_client: Any = None
        self._async_clients = AsyncClientPool(self.settings)
        self._limiter_key = self.settings.limiter_key(model)

    @property
    def limiter(self) -> rate_limit_module.Limiter:
        """The process-wide limiter of this model, credentials, region and endpoint (looked up, not held,
        so a client stays picklable); `rate_limit="off"` has none."""
        if self.options.rate_limit == "off":
            return rate_limit_module.UNLIMITED
        return rate_limit_module.shared_limiter(self._limiter_key, self.options.requests_per_second)

    def __repr__(self) -> str:
        # Safe on a half-built instance (a constructor that raised, __new__ without __init__).
        api = getattr(self, "_api", None) if getattr(self, "_spec", None) is not None else "unresolved"
        region = getattr(getattr(self, "settings", None), "region_name", None)
        return f"BedrockClient(model={getattr(self, 'model_id', None)!r}, api={api!r}, region={region!r})"

    # --- copies and pickles: the configuration travels (credentials included), connections do not ----

    _CONNECTIONS = ("_sync_client", "_async_clients")

    def __getstate__(self) -> dict[str, Any]:
        """Pickles never carry credentials (a pickle is a serialized object: files, caches, task queues).
        A client given explicit keys, or built on a boto3 client or session, refuses to be pickled
        rather than come back with another identity; one using the default credential chain (profile,
        environment, role) pickles and resolves it again when loaded."""
        settings = self.settings
        if settings.client is not None or settings.boto3_session is not None:
            raise TypeError(
                "a BedrockClient built on an existing boto3 client or session cannot be pickled (boto3 objects "
                "cannot be); build it from region_name or profile_name to pickle it"
            )
        if settings.aws_access_key_id is not None or settings.aws_session_token is not None or settings.api_key:
            raise TypeError(
                "a BedrockClient given explicit AWS keys or an API key cannot be pickled: the pickle would carry "
                "the secret in clear. Use a profile, the environment or a role for credentials, or build the client "
                "again after loading"
            )
        return {k: v for k, v in self.__dict__.items() if k not in self._CONNECTIONS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._sync_client = None
        self._async_clients = AsyncClientPool(self.settings)

    def __deepcopy__(self, memo: dict[int, Any]) -> BedrockClient:
        """A copy with the same configuration and identity; a given boto3 client, session or Config is
        shared (they cannot be copied), connections are made anew on first use."""
        share_in_copies(memo, self.settings.client, self.settings.boto3_session, self.settings.config)
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key not in self._CONNECTIONS:
                setattr(clone, key, copy.deepcopy(value, memo))
        clone._sync_client = None
        clone._async_clients = AsyncClientPool(clone.settings)
        return clone

    # --- the model's catalog row -------------------------------------------------------------------

    def _adopt(self, spec: ModelSpec) -> None:
        """Use a catalog row. The body format is chosen per call (chat or text completion), so this accepts
        what any format of the model and API takes; each call checks its own format again."""
        api = self._chosen_api or spec.default_api
        validate_params(spec, self.params, api, None)
        validate_reasoning_settings(spec, self.additional_model_request_fields)
        self._spec, self._api = spec, api

    @property
    def spec(self) -> ModelSpec:
        """The catalog row (an application inference profile's is looked up on first use if still unknown)."""
        if self._spec is None:
            self._adopt(catalog.resolve(profiles.resolve(self.model_id, self.settings)))
        assert self._spec is not None
        return self._spec

    @property
    def api(self) -> Api:
        if self._spec is None:
            self.spec  # noqa: B018 - resolves the row, which fixes the API
        return self._api

    @property
    def chat_is_templated(self) -> bool:
        """Whether a conversation goes out as a prompt rendered in the Mistral instruct template."""
        return self.api == "invoke" and self.spec.chat_body_format() is BodyFormat.TEXT_COMPLETION

    @property
    def completion_is_templated(self) -> bool:
        """Whether a raw prompt goes out as a text-completion prompt (the template applies to it)."""
        return self.api == "invoke" and self.spec.completion_body_format() is BodyFormat.TEXT_COMPLETION

    @property
    def resolved(self) -> bool:
        """Whether the catalog row is known without a network call."""
        return self._spec is not None

    async def aresolve(self) -> None:
        """Look up an application inference profile's base model without blocking the event loop."""
        if self._spec is None:
            self._adopt(catalog.resolve(await profiles.aresolve(self.model_id, self.settings)))

    # --- preparing requests (pure) -----------------------------------------------------------------

    def _request_defaults(self, request: _Request) -> _Request:
        """Per-call settings over the client's configured ones (the request itself when they change
        nothing, as when an adapter already merged its defaults into the call's parameters)."""
        params = self.params.overridden_by(request.params)
        guardrail = request.guardrail or self.guardrail
        extra = request.additional_model_request_fields or self.additional_model_request_fields
        service = request.service.over(self.service)
        if (
            params == request.params
            and guardrail is request.guardrail
            and extra is request.additional_model_request_fields
            and service is request.service
        ):
            return request
        return replace(
            request, params=params, guardrail=guardrail, additional_model_request_fields=extra, service=service
        )

    def prepare_chat(self, request: ChatRequest) -> Encoded:
        """Validate and encode a conversation; raises before anything is sent."""
        request = self._request_defaults(request)
        validate_chat_request(self.spec, self.api, request)
        validate_service(request.service)
        encoded = codecs.encode_chat(self.spec, self.api, request)
        if self.check_context_window:
            self._check_window(encoded, request.params)
        return encoded

    def prepare_completion(self, request: CompletionRequest) -> Encoded:
        """Validate and encode a raw prompt; raises before anything is sent."""
        check_text("prompt", request.prompt)
        request = self._request_defaults(request)
        validate_params(self.spec, request.params, self.api, self.spec.completion_body_format())
        validate_reasoning_settings(self.spec, request.additional_model_request_fields)
        validate_service(request.service)
        encoded = codecs.encode_completion(self.spec, self.api, request)
        if self.check_context_window:
            self._check_window(encoded, request.params)
        return encoded

    def _check_window(self, encoded: Encoded, params: InferenceParams) -> None:
        max_tokens = params.max_tokens or int(self.spec.max_tokens.default or 0)
        # A request this short cannot overflow the window, so counting its tokens is skipped.
        if encoded.text_size() + max_tokens <= self.spec.context_window:
            return
        from bedrock_mistral import tokens  # only for long requests: counting can load a tokenizer

        prompt = encoded.payload.get("prompt")
        counted = (
            prompt
            if isinstance(prompt, str)
            else json.dumps(encoded.payload, ensure_ascii=False, default=lambda _: "")
        )
        tokens.check_context_window(
            self.spec, tokens.count_tokens(counted, self.spec.tokenizer), max_tokens
        )

    # --- sync ----------------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._sync_client is None:
            self._sync_client = self.settings.sync_client()
        return self._sync_client

    def _kwargs(self, encoded: Encoded) -> dict[str, Any]:
        if encoded.api == "converse":
            return {"modelId": self.model_id, **encoded.payload}
        # contentType and accept are left to Bedrock's default, application/json (as the AWS examples do).
        kwargs: dict[str, Any] = {"modelId": self.model_id, "body": encoded.body_bytes()}
        kwargs.update(encoded.service_parameters)
        if encoded.guardrail is not None:
            kwargs["guardrailIdentifier"] = encoded.guardrail.identifier
            kwargs["guardrailVersion"] = encoded.guardrail.version
            if encoded.guardrail.trace:
                kwargs["trace"] = encoded.guardrail.trace.upper()
        return kwargs

    def _retry_delay(self, exc: Exception, attempt: int, operation: str, ticket: Ticket) -> float:
        """The wait before the next attempt; raises the typed error when the failure is final. A throttled
        attempt is reported to the rate limiter, and its retry waits for the limiter rather than a backoff."""
        if not isinstance(exc, mapped_types()):
            raise exc
        error = map_exception(exc)
        throttled = isinstance(error, ThrottlingError)
        if throttled:
            self.limiter.throttled(ticket)
        if not self.retry.should_retry(error, attempt):
            error.record_attempts(attempt + 1)
            if scrub(str(exc)) != str(exc):
                raise error from None  # the SDK's exception quotes a secret: keep it out of tracebacks
            raise error
        retry_after = getattr(error, "retry_after", None)
        if throttled and retry_after is None and self.limiter.rate is not None:
            delay = self.limiter.retry_wait()  # then the limiter paces the retry
        else:
            delay = self.retry.delay(attempt, retry_after)
        logger.info("bedrock %s retry in %.2fs after %s", operation, delay, type(error).__name__)
        return delay

    def _with_retries(self, call: Any, operation: str) -> Any:
        attempt = 0
        while True:
            logger.debug("bedrock %s model=%s attempt=%d", operation, self.model_id, attempt + 1)
            ticket = self.limiter.acquire()
            try:
                result = call()
            except Exception as exc:
                delay = self._retry_delay(exc, attempt, operation, ticket)
            else:
                self.limiter.succeeded(ticket)
                return result
            if delay:
                time.sleep(delay)
            attempt += 1

    def send(self, encoded: Encoded) -> ModelResponse:
        if self.deadline is None:
            return self._send(encoded)
        return deadlines.call_within(lambda: self._send(encoded), self.deadline, "the whole call", _ignore)

    def _send(self, encoded: Encoded) -> ModelResponse:
        kwargs = self._kwargs(encoded)
        if encoded.api == "converse":
            response = self._with_retries(lambda: _parsed(self.client.converse, kwargs), "converse")
            return codecs.decode(encoded, response, {})

        def invoke() -> tuple[Any, dict[str, Any]]:
            raw = self.client.invoke_model(**kwargs)
            headers = raw["ResponseMetadata"].get("HTTPHeaders", {})
            return parse_body(raw["body"].read(), headers), headers

        body, headers = self._with_retries(invoke, "invoke")
        return codecs.decode(encoded, body, headers)

    def send_stream(self, encoded: Encoded) -> Iterator[StreamDelta]:
        if not encoded.can_stream:
            yield from codecs.response_to_deltas(self.send(encoded))
            return
        call = StreamCall(encoded, self._kwargs(encoded))

        def start() -> tuple[Iterator[Any], Any]:
            iterator = iter(call.opened(call.method(self.client)(**call.kwargs)))
            # The first event may already be an in-stream error: read it inside the retry loop.
            try:
                return iterator, next(iterator, None)
            except BaseException:
                call.close()
                raise

        limit = self.deadline
        if limit is None:
            iterator, event = self._with_retries(start, call.operation)
        else:
            iterator, event = deadlines.call_within(
                lambda: self._with_retries(start, call.operation),
                limit,
                "waiting for the first stream event",
                lambda _: deadlines.abort(call.events),
            )
            iterator = deadlines.events_within(call.events, iterator, limit)
        with call:
            yield from call.first_deltas()
            while event is not None:
                yield from call.feed(event)
                event = next(iterator, None)
            yield from call.finish()

    def chat(self, request: ChatRequest) -> ModelResponse:
        return self.send(self.prepare_chat(request))

    def stream_chat(self, request: ChatRequest) -> Iterator[StreamDelta]:
        """Validation happens here, before the first delta is asked for."""
        return self.send_stream(self.prepare_chat(request))

    def complete(self, request: CompletionRequest) -> ModelResponse:
        return self.send(self.prepare_completion(request))

    def stream_complete(self, request: CompletionRequest) -> Iterator[StreamDelta]:
        return self.send_stream(self.prepare_completion(request))

    # --- async ---------------------------------------------------------------------------------------

    async def _awith_retries(self, call: Any, operation: str) -> Any:
        attempt = 0
        while True:
            logger.debug("bedrock async %s model=%s attempt=%d", operation, self.model_id, attempt + 1)
            ticket = await self.limiter.aacquire()
            await pacing.turn()  # the SDK serializes and signs before its first wait: one start at a time
            try:
                result = await call()
            except Exception as exc:
                delay = self._retry_delay(exc, attempt, operation, ticket)
            else:
                self.limiter.succeeded(ticket)
                return result
            if delay:
                await asyncio.sleep(delay)
            attempt += 1

    async def asend(self, encoded: Encoded) -> ModelResponse:
        if self.deadline is None:
            return await self._asend(encoded)
        return await deadlines.awaited_within(self._asend(encoded), self.deadline, "the whole call")

    async def _asend(self, encoded: Encoded) -> ModelResponse:
        kwargs = self._kwargs(encoded)
        client = await self._async_clients.get()
        if encoded.api == "converse":
            response = await self._awith_retries(lambda: _aparsed(client.converse, kwargs), "converse")
            await pacing.turn()  # answers arriving together are decoded a slice per loop iteration
            return codecs.decode(encoded, response, {})

        async def invoke() -> tuple[Any, dict[str, Any]]:
            raw = await client.invoke_model(**kwargs)
            async with raw["body"] as stream:
                data = await stream.read()
            headers = raw["ResponseMetadata"].get("HTTPHeaders", {})
            return parse_body(data, headers), headers

        body, headers = await self._awith_retries(invoke, "invoke")
        await pacing.turn()
        return codecs.decode(encoded, body, headers)

    async def asend_stream(self, encoded: Encoded) -> AsyncIterator[StreamDelta]:
        if not encoded.can_stream:
            for delta in codecs.response_to_deltas(await self.asend(encoded)):
                yield delta
            return
        call = StreamCall(encoded, self._kwargs(encoded))
        client = await self._async_clients.get()

        async def start() -> tuple[AsyncIterator[Any], Any]:
            iterator = call.opened(await call.method(client)(**call.kwargs)).__aiter__()
            try:
                return iterator, await _next_event(iterator)
            except BaseException:
                call.close()
                raise

        limit = self.deadline
        opening = self._awith_retries(start, call.operation)
        if limit is None:
            iterator, event = await opening
        else:
            iterator, event = await deadlines.awaited_within(opening, limit, "waiting for the first stream event")
        with call:
            for delta in call.first_deltas():
                yield delta
            while event is not None:
                await pacing.turn()  # many streams' events arriving together: a slice per loop iteration
                for delta in call.feed(event):
                    yield delta
                if limit is None:
                    event = await _next_event(iterator)
                else:
                    event = await deadlines.awaited_within(
                        _next_event(iterator), limit, "waiting for the next stream event", call.text
                    )
            for delta in call.finish():
                yield delta

    @staticmethod
    async def aturn() -> None:
        """Wait, if need be, for the running loop to have time to start one more call. Every async call
        waits for it before preparing; an adapter awaits it before its own request building, so that many
        calls started at once share the loop with its other tasks (see `transport.pacing`)."""
        await pacing.turn()

    async def achat(self, request: ChatRequest) -> ModelResponse:
        return await self._asent(lambda: self.prepare_chat(request))

    def astream_chat(self, request: ChatRequest) -> AsyncIterator[StreamDelta]:
        return self._astreamed(lambda: self.prepare_chat(request))

    async def acomplete(self, request: CompletionRequest) -> ModelResponse:
        return await self._asent(lambda: self.prepare_completion(request))

    def astream_complete(self, request: CompletionRequest) -> AsyncIterator[StreamDelta]:
        return self._astreamed(lambda: self.prepare_completion(request))

    async def _asent(self, prepare: Callable[[], Encoded]) -> ModelResponse:
        """The model row looked up first (off the loop), then the loop's turn, then validated and sent."""
        await self.aresolve()
        await pacing.turn()
        return await self.asend(prepare())

    def _astreamed(self, prepare: Callable[[], Encoded]) -> AsyncIterator[StreamDelta]:
        """Validated before the first delta is asked for when the model row is known; otherwise the row
        is looked up first (off the loop)."""
        if self._spec is None:
            return self._resolved_stream(prepare)
        return self.asend_stream(prepare())

    async def _resolved_stream(self, prepare: Callable[[], Encoded]) -> AsyncIterator[StreamDelta]:
        await self.aresolve()
        async for delta in self.asend_stream(prepare()):
            yield delta

    async def aclose(self) -> None:
        await self._async_clients.aclose()


async def _next_event(iterator: AsyncIterator[Any]) -> Any:
    """The stream's next event, or None at its end."""
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return None


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def parse_body(data: bytes, headers: dict[str, Any]) -> dict[str, Any]:
    """An InvokeModel answer body as a JSON object; anything else is a MalformedResponseError."""
    request_id = headers.get("x-amzn-requestid")
    if not data or not data.strip():
        raise MalformedResponseError("the body is empty", missing="a JSON object", request_id=request_id)
    try:
        value = json.loads(data)
    except RecursionError:
        raise MalformedResponseError(
            "the JSON body is nested too deep to parse", missing="a JSON object", request_id=request_id
        ) from None
    except ValueError as exc:
        raise MalformedResponseError(
            f"the body is not JSON ({exc})", missing="a JSON object", request_id=request_id
        ) from None
    if not isinstance(value, dict):
        raise MalformedResponseError(
            f"the body is a JSON {type(value).__name__}, not an object", missing="a JSON object",
            request_id=request_id,
        )
    return value


def _parsed(call: Any, kwargs: dict[str, Any]) -> Any:
    """A Converse call; botocore's JSON parser meets a too-deep body as a RecursionError."""
    try:
        return call(**kwargs)
    except RecursionError:
        raise _too_deep() from None


async def _aparsed(call: Any, kwargs: dict[str, Any]) -> Any:
    try:
        return await call(**kwargs)
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> MalformedResponseError:
    return MalformedResponseError(
        "the JSON body is nested too deep to parse", missing="a JSON object", request_id=PARSED_REQUEST_ID.get()
    )


def _ignore(_: object) -> None:
    return None
