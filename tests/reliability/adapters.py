"""The three framework adapters behind one small interface, so every fault scenario runs on each of them.

Each adapter is built exactly as a user would build it (constructor options only). The only thing
changed afterwards is the backoff delay of the transport client it built, so retries take milliseconds
in CI; `max_retries` and the timeout go through the adapter's own constructor and are checked.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.transport.retry import RetryPolicy

LARGE2 = "mistral.mistral-large-2407-v1:0"
M7B = "mistral.mistral-7b-instruct-v0:2"
STYLES: tuple[str, ...] = ("invoke", "stream", "ainvoke", "astream")
STREAM_STYLES: tuple[str, ...] = ("stream", "astream")


@dataclass(frozen=True)
class RecordingRetryPolicy(RetryPolicy):
    """The transport's retry policy with tiny delays, recording every backoff the transport asks for."""

    delays: list[float] = field(default_factory=list, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        value = super().delay(attempt, retry_after)
        self.delays.append(value)
        return value


@dataclass
class Outcome:
    """What reached the caller: the answer text, and for streams every text chunk in order."""

    text: str = ""
    chunks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Adapter:
    """One framework adapter: how to build it, and how to call it in each of the four call styles."""

    key: str
    label: str
    model: str
    api: str | None
    wire: str
    """Which wire format its calls use (the matrix covers all three across the adapters)."""
    build_fn: Callable[..., Any]
    call_fn: Callable[[Any, str, str, Outcome], Any]

    def build(self, bedrock: LocalBedrock, *, fresh: bool = False, **options: Any) -> Any:
        """The adapter for these options; instances are reused across tests (as users reuse them) unless
        `fresh`, each time with a new recording retry policy."""
        key = (self.key, bedrock.endpoint_url, tuple(sorted(options.items())))
        instance = None if fresh else _CACHE.get(key)
        if instance is None:
            instance = self._construct(bedrock, **options)
            if not fresh:
                _CACHE[key] = instance
        client = transport_of(instance)
        client.retry = RecordingRetryPolicy(
            max_retries=client.retry.max_retries, base_delay=0.01, max_delay=0.04
        )
        return instance

    def _construct(self, bedrock: LocalBedrock, **options: Any) -> Any:
        kwargs: dict[str, Any] = {
            "endpoint_url": bedrock.endpoint_url,
            "region_name": bedrock.region_name,
            "aws_access_key_id": bedrock.aws_access_key_id,
            "aws_secret_access_key": bedrock.aws_secret_access_key,
            **options,
        }
        if self.api is not None:
            kwargs.setdefault("api", self.api)
        instance = self.build_fn(self.model, **kwargs)
        client = transport_of(instance)
        if "max_retries" in options:
            assert client.retry.max_retries == options["max_retries"], (
                "max_retries not passed to the transport"
            )
        if "timeout" in options:
            assert client.settings.read_timeout == options["timeout"], "timeout not passed to the transport"
        return instance

    def call(self, instance: Any, style: str, prompt: str, outcome: Outcome | None = None) -> Outcome:
        """One call; `outcome.chunks` holds what arrived even when the call then raises."""
        outcome = outcome if outcome is not None else Outcome()
        if style in ("invoke", "stream"):
            self.call_fn(instance, style, prompt, outcome)
            return outcome

        # One event loop for the suite: the aiobotocore client of a reused instance is reused too.
        loop().run_until_complete(self.call_fn(instance, style, prompt, outcome))
        return outcome

    async def acall(self, instance: Any, style: str, prompt: str, outcome: Outcome | None = None) -> Outcome:
        """An async call inside a running loop (for concurrency); the caller closes the client."""
        outcome = outcome if outcome is not None else Outcome()
        await self.call_fn(instance, style, prompt, outcome)
        return outcome


_CACHE: dict[tuple[Any, ...], Any] = {}
_LOOP: list[asyncio.AbstractEventLoop] = []


def loop() -> asyncio.AbstractEventLoop:
    if not _LOOP:
        _LOOP.append(asyncio.new_event_loop())
    return _LOOP[0]


def close_all() -> None:
    """Close the async clients of the cached instances and the suite's event loop."""
    if _LOOP:
        for instance in _CACHE.values():
            _LOOP[0].run_until_complete(transport_of(instance).aclose())
        # Any other transport's async client on this loop closes with its holder generator.
        _LOOP[0].run_until_complete(_LOOP[0].shutdown_asyncgens())
        _LOOP.pop().close()
    _CACHE.clear()


def transport_of(instance: Any) -> BedrockClient:
    client = getattr(instance, "bedrock", None)
    if isinstance(client, BedrockClient):
        return client
    client = getattr(instance, "transport", None)
    if isinstance(client, BedrockClient):
        return client
    raise AssertionError(f"{type(instance).__name__} exposes no BedrockClient")


def retry_delays(instance: Any) -> list[float]:
    policy = transport_of(instance).retry
    assert isinstance(policy, RecordingRetryPolicy)
    return policy.delays


# --- LangChain chat -----------------------------------------------------------------------------------


def _lc_chat_build(model: str, **kwargs: Any) -> Any:
    from langchain_bedrock_mistral import ChatBedrockMistral

    return ChatBedrockMistral(model=model, **kwargs)


def _lc_text(content: Any) -> str:
    return (
        content
        if isinstance(content, str)
        else "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    )


def _lc_chat_call(model: Any, style: str, prompt: str, out: Outcome) -> Any:
    if style == "invoke":
        out.text = _lc_text(model.invoke(prompt).content)
        return None
    if style == "stream":
        for chunk in model.stream(prompt):
            piece = _lc_text(chunk.content)
            if piece:
                out.chunks.append(piece)
        out.text = "".join(out.chunks)
        return None

    async def go() -> None:
        if style == "ainvoke":
            out.text = _lc_text((await model.ainvoke(prompt)).content)
            return
        async for chunk in model.astream(prompt):
            piece = _lc_text(chunk.content)
            if piece:
                out.chunks.append(piece)
        out.text = "".join(out.chunks)

    return go()


# --- LangChain LLM -----------------------------------------------------------------------------------


def _lc_llm_build(model: str, **kwargs: Any) -> Any:
    from langchain_bedrock_mistral import BedrockMistralLLM

    return BedrockMistralLLM(model=model, **kwargs)


def _lc_llm_call(llm: Any, style: str, prompt: str, out: Outcome) -> Any:
    if style == "invoke":
        out.text = llm.invoke(prompt)
        return None
    if style == "stream":
        for piece in llm.stream(prompt):
            if piece:
                out.chunks.append(piece)
        out.text = "".join(out.chunks)
        return None

    async def go() -> None:
        if style == "ainvoke":
            out.text = await llm.ainvoke(prompt)
            return
        async for piece in llm.astream(prompt):
            if piece:
                out.chunks.append(piece)
        out.text = "".join(out.chunks)

    return go()


# --- LlamaIndex ----------------------------------------------------------------------------------------


def _li_build(model: str, **kwargs: Any) -> Any:
    from llama_index_bedrock_mistral import BedrockMistral

    return BedrockMistral(model=model, **kwargs)


def _li_messages(prompt: str) -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    return [ChatMessage(role=MessageRole.USER, content=prompt)]


def _li_call(llm: Any, style: str, prompt: str, out: Outcome) -> Any:
    if style == "invoke":
        out.text = llm.chat(_li_messages(prompt)).message.content or ""
        return None
    if style == "stream":
        for response in llm.stream_chat(_li_messages(prompt)):
            if response.delta:
                out.chunks.append(response.delta)
        out.text = "".join(out.chunks)
        return None

    async def go() -> None:
        if style == "ainvoke":
            out.text = (await llm.achat(_li_messages(prompt))).message.content or ""
            return
        async for response in await llm.astream_chat(_li_messages(prompt)):
            if response.delta:
                out.chunks.append(response.delta)
        out.text = "".join(out.chunks)

    return go()


ADAPTERS: tuple[Adapter, ...] = (
    Adapter(
        "langchain-chat",
        "LangChain ChatBedrockMistral",
        LARGE2,
        None,
        "chat completion (InvokeModel)",
        _lc_chat_build,
        _lc_chat_call,
    ),
    Adapter(
        "langchain-llm",
        "LangChain BedrockMistralLLM",
        M7B,
        None,
        "text completion (InvokeModel)",
        _lc_llm_build,
        _lc_llm_call,
    ),
    Adapter("llama-index", "LlamaIndex BedrockMistral", LARGE2, "converse", "Converse", _li_build, _li_call),
)
BY_KEY = {adapter.key: adapter for adapter in ADAPTERS}


def replace_options(adapter: Adapter, **changes: Any) -> Adapter:
    return dataclasses.replace(adapter, **changes)
