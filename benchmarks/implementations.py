"""One small adapter class per implementation under test: sync invoke, sync stream, async stream.

Every class answers the same three calls for one prompt so that the scenarios never know which library
they time. Raw boto3 (and aiobotocore for async) is the baseline: the least code that can make the call.
A class whose library is missing, or that cannot run a model, is skipped with a note (see `create`).
"""

from __future__ import annotations

import asyncio
import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from benchmarks.emulator import Endpoint
from benchmarks.settings import MISTRAL_LARGE_2

CHAT_BODY_MODELS = frozenset({MISTRAL_LARGE_2})
"""Models whose InvokeModel body is the chat-completion format (the others take text completion)."""
ASYNC_POOL = 1024
"""Connection pool size given to clients we configure ourselves, so the pool never caps concurrency."""


class Implementation(ABC):
    """One way of calling a Mistral model on Bedrock, configured for one model and one max_tokens."""

    key: ClassVar[str]
    label: ClassVar[str]
    wire: ClassVar[str]
    """Bedrock API on the wire: `invoke` (InvokeModel*) or `converse` (Converse*)."""
    requires: ClassVar[tuple[str, ...]]
    """Modules that must import for this implementation to run."""
    ours: ClassVar[bool] = False
    baseline: ClassVar[bool] = False
    floor: ClassVar[bool] = False
    """A framework's fake model (no request): a row of the invoke scenario only."""
    framework: ClassVar[str] = ""
    """The framework whose machinery an adapter runs in (`langchain-chat`, `langchain-llm`, `llamaindex`):
    ties an adapter's row to its framework's floor row."""
    async_path: ClassVar[str] = ""
    """How `astream` works, shown next to the async results."""

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        self.model = model
        self.endpoint = endpoint
        self.max_tokens = max_tokens

    @abstractmethod
    def invoke(self, prompt: str) -> str: ...

    @abstractmethod
    def stream(self, prompt: str) -> Iterator[str]: ...

    @abstractmethod
    def astream(self, prompt: str) -> AsyncIterator[str]: ...

    async def ainvoke(self, prompt: str) -> str:
        """One async call without streaming (None of the async-lag rows for a class without it)."""
        raise NotImplementedError

    calls: ClassVar[dict[str, str]] = {"ainvoke": "ainvoke", "astream": "astream"}
    """The framework's own name of each async call, shown in the loop-lag rows."""

    def async_description(self) -> str:
        return self.async_path

    async def aclose(self) -> None:
        """Release what the running event loop holds (called at the end of every async run)."""
        return None


def _text_of(message: Any) -> str:
    """The text of a LangChain message or chunk, whatever the content shape (str or content blocks)."""
    text = getattr(message, "text", None)
    if text is not None:
        return str(text)  # langchain-core 1.x: a str subclass (calling it is deprecated)
    content = getattr(message, "content", message)
    return content if isinstance(content, str) else ""


# --- the baselines: raw boto3 / aiobotocore ------------------------------------------------------------


class _Boto3Base(Implementation):
    baseline = True
    requires = ("boto3", "aiobotocore")
    async_path = "aiobotocore (native async)"

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        import boto3
        from botocore.config import Config

        self.config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=ASYNC_POOL
        )
        self.client = boto3.client("bedrock-runtime", config=self.config, **endpoint.client_kwargs())
        self._async: tuple[Any, Any] | None = None
        self._async_lock: asyncio.Lock | None = None

    async def _aclient(self) -> Any:
        if self._async is None:
            if self._async_lock is None:
                self._async_lock = asyncio.Lock()
            async with self._async_lock:
                if self._async is None:
                    from aiobotocore.session import get_session

                    context = get_session().create_client(
                        "bedrock-runtime", config=self.config, **self.endpoint.client_kwargs()
                    )
                    self._async = (context, await context.__aenter__())
        return self._async[1]

    async def aclose(self) -> None:
        entry, self._async, self._async_lock = self._async, None, None
        if entry is not None:
            await entry[0].__aexit__(None, None, None)


class Boto3Invoke(_Boto3Base):
    """`invoke_model` / `invoke_model_with_response_stream` with the model's native JSON body."""

    key = "boto3-invoke"
    label = "boto3 invoke_model (baseline)"
    wire = "invoke"

    def _body(self, prompt: str) -> bytes:
        if self.model in CHAT_BODY_MODELS:
            body: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}]}
        else:
            body = {"prompt": f"<s>[INST] {prompt} [/INST]"}
        body["max_tokens"] = self.max_tokens
        return json.dumps(body).encode()

    def _text(self, data: dict[str, Any]) -> str:
        if self.model in CHAT_BODY_MODELS:
            return str(data["choices"][0]["message"].get("content") or "")
        return str(data["outputs"][0].get("text") or "")

    def invoke(self, prompt: str) -> str:
        response = self.client.invoke_model(modelId=self.model, body=self._body(prompt))
        return self._text(json.loads(response["body"].read()))

    def stream(self, prompt: str) -> Iterator[str]:
        response = self.client.invoke_model_with_response_stream(modelId=self.model, body=self._body(prompt))
        for event in response["body"]:
            text = self._text(json.loads(event["chunk"]["bytes"]))
            if text:
                yield text

    async def ainvoke(self, prompt: str) -> str:
        client = await self._aclient()
        response = await client.invoke_model(modelId=self.model, body=self._body(prompt))
        async with response["body"] as body:
            return self._text(json.loads(await body.read()))

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        client = await self._aclient()
        response = await client.invoke_model_with_response_stream(modelId=self.model, body=self._body(prompt))
        async for event in response["body"]:
            text = self._text(json.loads(event["chunk"]["bytes"]))
            if text:
                yield text


class Boto3Converse(_Boto3Base):
    """`converse` / `converse_stream`."""

    key = "boto3-converse"
    label = "boto3 converse (baseline)"
    wire = "converse"

    def _kwargs(self, prompt: str) -> dict[str, Any]:
        return {
            "modelId": self.model,
            "messages": [{"role": "user", "content": [{"text": prompt}]}],
            "inferenceConfig": {"maxTokens": self.max_tokens},
        }

    def invoke(self, prompt: str) -> str:
        response = self.client.converse(**self._kwargs(prompt))
        return "".join(block.get("text", "") for block in response["output"]["message"]["content"])

    def stream(self, prompt: str) -> Iterator[str]:
        response = self.client.converse_stream(**self._kwargs(prompt))
        for event in response["stream"]:
            text = event.get("contentBlockDelta", {}).get("delta", {}).get("text")
            if text:
                yield text

    async def ainvoke(self, prompt: str) -> str:
        client = await self._aclient()
        response = await client.converse(**self._kwargs(prompt))
        return "".join(block.get("text", "") for block in response["output"]["message"]["content"])

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        client = await self._aclient()
        response = await client.converse_stream(**self._kwargs(prompt))
        async for event in response["stream"]:
            text = event.get("contentBlockDelta", {}).get("delta", {}).get("text")
            if text:
                yield text


# --- this project -------------------------------------------------------------------------------------


class _OurLangChain(Implementation):
    ours = True
    requires = ("langchain_bedrock_mistral",)
    async_path = "transport's aiobotocore client (native async)"
    api: ClassVar[Literal["invoke", "converse"]]

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        self.llm = self._build()

    def _options(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "api": self.api,
            "max_tokens": self.max_tokens,
            **self.endpoint.client_kwargs(),
        }

    @abstractmethod
    def _build(self) -> Any: ...

    async def aclose(self) -> None:
        transport = getattr(self.llm, "transport", None)
        if transport is not None and hasattr(transport, "aclose"):
            await transport.aclose()


class OursLangChainChat(_OurLangChain):
    framework = "langchain-chat"
    key = "ours-langchain-chat"
    label = "ours: ChatBedrockMistral (invoke)"
    wire = "invoke"
    api: ClassVar[Literal["invoke", "converse"]] = "invoke"

    def _build(self) -> Any:
        from langchain_bedrock_mistral import ChatBedrockMistral

        return ChatBedrockMistral(**self._options())

    def invoke(self, prompt: str) -> str:
        return _text_of(self.llm.invoke(prompt))

    async def ainvoke(self, prompt: str) -> str:
        return _text_of(await self.llm.ainvoke(prompt))

    def stream(self, prompt: str) -> Iterator[str]:
        for chunk in self.llm.stream(prompt):
            text = _text_of(chunk)
            if text:
                yield text

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        async for chunk in self.llm.astream(prompt):
            text = _text_of(chunk)
            if text:
                yield text


class OursLangChainChatConverse(OursLangChainChat):
    key = "ours-langchain-chat-converse"
    label = "ours: ChatBedrockMistral (converse)"
    wire = "converse"
    api: ClassVar[Literal["invoke", "converse"]] = "converse"


class OursLangChainLLM(_OurLangChain):
    framework = "langchain-llm"
    key = "ours-langchain-llm"
    label = "ours: BedrockMistralLLM (invoke)"
    wire = "invoke"
    api: ClassVar[Literal["invoke", "converse"]] = "invoke"

    def _build(self) -> Any:
        from langchain_bedrock_mistral import BedrockMistralLLM

        return BedrockMistralLLM(**self._options())

    def invoke(self, prompt: str) -> str:
        return str(self.llm.invoke(prompt))

    async def ainvoke(self, prompt: str) -> str:
        return str(await self.llm.ainvoke(prompt))

    def stream(self, prompt: str) -> Iterator[str]:
        for text in self.llm.stream(prompt):
            if text:
                yield str(text)

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        async for text in self.llm.astream(prompt):
            if text:
                yield str(text)


class _LlamaIndexChat(Implementation):
    """Shared LlamaIndex calls: chat / stream_chat / astream_chat with one user message."""

    framework = "llamaindex"
    llm: Any

    @staticmethod
    def _messages(prompt: str) -> list[Any]:
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role="user", content=prompt)]

    calls: ClassVar[dict[str, str]] = {"ainvoke": "achat", "astream": "astream_chat"}

    def invoke(self, prompt: str) -> str:
        return str(self.llm.chat(self._messages(prompt)).message.content or "")

    async def ainvoke(self, prompt: str) -> str:
        return str((await self.llm.achat(self._messages(prompt))).message.content or "")

    def stream(self, prompt: str) -> Iterator[str]:
        for response in self.llm.stream_chat(self._messages(prompt)):
            if response.delta:
                yield response.delta

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        async for response in await self.llm.astream_chat(self._messages(prompt)):
            if response.delta:
                yield response.delta


class OursLlamaIndex(_LlamaIndexChat):
    key = "ours-llamaindex"
    label = "ours: BedrockMistral, LlamaIndex (invoke)"
    wire = "invoke"
    api: ClassVar[Literal["invoke", "converse"]] = "invoke"
    ours = True
    requires = ("llama_index_bedrock_mistral",)
    async_path = "transport's aiobotocore client (native async)"

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from llama_index_bedrock_mistral import BedrockMistral

        self.llm = BedrockMistral(
            model=model, api=self.api, max_tokens=max_tokens, **endpoint.client_kwargs()
        )

    async def aclose(self) -> None:
        transport = getattr(self.llm, "transport", None)
        if transport is not None and hasattr(transport, "aclose"):
            await transport.aclose()


class OursLlamaIndexConverse(OursLlamaIndex):
    key = "ours-llamaindex-converse"
    label = "ours: BedrockMistral, LlamaIndex (converse)"
    wire = "converse"
    api: ClassVar[Literal["invoke", "converse"]] = "converse"


# --- the alternatives users would otherwise pick -------------------------------------------------------


class _LangChainAws(Implementation):
    framework = "langchain-chat"
    requires = ("langchain_aws",)
    async_path = "LangChain default: sync stream in the loop's thread pool"
    llm: Any

    def invoke(self, prompt: str) -> str:
        return _text_of(self.llm.invoke(prompt))

    def stream(self, prompt: str) -> Iterator[str]:
        for chunk in self.llm.stream(prompt):
            text = _text_of(chunk)
            if text:
                yield text

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        async for chunk in self.llm.astream(prompt):
            text = _text_of(chunk)
            if text:
                yield text


class LangChainAwsConverse(_LangChainAws):
    key = "langchain-aws-converse"
    label = "langchain-aws ChatBedrockConverse"
    wire = "converse"

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from langchain_aws import ChatBedrockConverse

        self.llm = ChatBedrockConverse(model=model, max_tokens=max_tokens, **endpoint.client_kwargs())


class LangChainAwsChat(_LangChainAws):
    key = "langchain-aws-chat"
    label = "langchain-aws ChatBedrock"
    wire = "invoke"

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from langchain_aws import ChatBedrock

        self.llm = ChatBedrock(
            model=model, model_kwargs={"max_tokens": max_tokens}, **endpoint.client_kwargs()
        )


class LangChainAwsLLM(_LangChainAws):
    framework = "langchain-llm"
    key = "langchain-aws-llm"
    label = "langchain-aws BedrockLLM"
    wire = "invoke"
    async_path = "BedrockLLM._astream: boto3 calls in the loop's thread pool"

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from langchain_aws import BedrockLLM

        self.llm = BedrockLLM(
            model=model, model_kwargs={"max_tokens": max_tokens}, **endpoint.client_kwargs()
        )


class LlamaIndexBedrockConverse(_LlamaIndexChat):
    key = "llamaindex-bedrock-converse"
    label = "llama-index-llms-bedrock-converse"
    wire = "converse"
    requires = ("llama_index.llms.bedrock_converse",)

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from llama_index.llms.bedrock_converse import BedrockConverse

        self.llm = BedrockConverse(
            model=model, max_tokens=max_tokens, max_retries=1, **endpoint.client_kwargs()
        )

    def async_description(self) -> str:
        if getattr(self.llm, "_asession", None) is not None:
            return "aioboto3 (native async)"
        return "no aioboto3 installed: sync stream in the loop's thread pool"


# --- framework floors: each framework's own per-call machinery, answered at once ---------------------


class _Floor(Implementation):
    """A framework's fake model that answers at once, with no request: what the framework's own per-call
    machinery costs (callbacks, run tracking, message and result objects). An adapter's overhead over raw
    boto3 is read against it; the floor itself sends nothing, so it has no ratio to a baseline."""

    floor = True
    wire = "none"
    async_path = "no I/O"
    answer = "Hello! How can I help you today?"

    def stream(self, prompt: str) -> Iterator[str]:
        yield self.invoke(prompt)

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        yield self.invoke(prompt)


class FloorLangChainChat(_Floor):
    key = "floor-langchain-chat"
    label = "floor: langchain-core fake chat model"
    framework = "langchain-chat"
    requires = ("langchain_core",)

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from langchain_core.language_models import BaseChatModel
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration, ChatResult

        answer = self.answer

        class FixedChatModel(BaseChatModel):
            """The least a LangChain chat model can be: `_generate` returns one fixed message."""

            @property
            def _llm_type(self) -> str:
                return "fixed-chat"

            def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
                return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])

        self.llm = FixedChatModel()

    def invoke(self, prompt: str) -> str:
        return _text_of(self.llm.invoke(prompt))


class FloorLangChainLLM(_Floor):
    key = "floor-langchain-llm"
    label = "floor: langchain-core fake LLM"
    framework = "langchain-llm"
    requires = ("langchain_core",)

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from langchain_core.language_models import LLM

        answer = self.answer

        class FixedLLM(LLM):
            """The least a LangChain LLM can be: `_call` returns one fixed string."""

            @property
            def _llm_type(self) -> str:
                return "fixed-llm"

            def _call(self, prompt: str, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> str:
                return answer

        self.llm = FixedLLM()

    def invoke(self, prompt: str) -> str:
        return str(self.llm.invoke(prompt))


class FloorLlamaIndex(_Floor, _LlamaIndexChat):
    key = "floor-llamaindex"
    label = "floor: llama-index-core fake LLM (chat)"
    framework = "llamaindex"
    requires = ("llama_index.core",)

    def __init__(self, model: str, endpoint: Endpoint, max_tokens: int) -> None:
        super().__init__(model, endpoint, max_tokens)
        from llama_index.core.llms import (
            ChatMessage,
            ChatResponse,
            CompletionResponse,
            CustomLLM,
            LLMMetadata,
        )
        from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

        answer = self.answer

        class FixedLLM(CustomLLM):
            """The least a LlamaIndex LLM can be: `chat` (under LlamaIndex's own callback decorator, as every
            LLM's is) returns one fixed message."""

            @property
            def metadata(self) -> LLMMetadata:
                return LLMMetadata(is_chat_model=True)

            @llm_chat_callback()
            def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
                return ChatResponse(message=ChatMessage(role="assistant", content=answer))

            @llm_completion_callback()
            def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
                return CompletionResponse(text=answer)

            @llm_completion_callback()
            def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
                yield CompletionResponse(text=answer, delta=answer)

        self.llm = FixedLLM()


IMPLEMENTATIONS: tuple[type[Implementation], ...] = (
    Boto3Invoke,
    Boto3Converse,
    OursLangChainChat,
    OursLangChainChatConverse,
    OursLangChainLLM,
    OursLlamaIndex,
    OursLlamaIndexConverse,
    LangChainAwsConverse,
    LangChainAwsChat,
    LangChainAwsLLM,
    LlamaIndexBedrockConverse,
    FloorLangChainChat,
    FloorLangChainLLM,
    FloorLlamaIndex,
)
BY_KEY = {cls.key: cls for cls in IMPLEMENTATIONS}
PROBE_PROMPT = "Say hello"


@dataclass(frozen=True)
class Unavailable:
    """Why an implementation is left out of a scenario."""

    key: str
    label: str
    reason: str


def missing_module(cls: type[Implementation]) -> str | None:
    """The first required module that does not import, with the error, or None."""
    for name in cls.requires:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - any import failure means "skip with a note"
            return f"{name} does not import ({type(exc).__name__}: {exc})"
    return None


def create(
    cls: type[Implementation], model: str, endpoint: Endpoint, max_tokens: int
) -> Implementation | Unavailable:
    """Build and probe one implementation for one model; a failure becomes a note, never an abort."""
    missing = missing_module(cls)
    if missing is not None:
        return Unavailable(cls.key, cls.label, f"not installed: {missing}")
    try:
        impl = cls(model, endpoint, max_tokens)
        text = impl.invoke(PROBE_PROMPT)
    except Exception as exc:  # noqa: BLE001 - an implementation that cannot run the model is skipped
        return Unavailable(cls.key, cls.label, f"cannot run {model}: {type(exc).__name__}: {_short(exc)}")
    if not text:
        return Unavailable(cls.key, cls.label, f"cannot run {model}: empty answer to the probe")
    return impl


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def selected(keys: tuple[str, ...] | None) -> tuple[type[Implementation], ...]:
    if keys is None:
        return IMPLEMENTATIONS
    unknown = sorted(set(keys) - set(BY_KEY))
    if unknown:
        raise ValueError(f"unknown implementation(s) {', '.join(unknown)}; known: {', '.join(BY_KEY)}")
    return tuple(cls for cls in IMPLEMENTATIONS if cls.key in keys)
