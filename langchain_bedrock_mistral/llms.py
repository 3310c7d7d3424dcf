"""BedrockMistralLLM: a LangChain text-completion LLM over `bedrock_mistral.BedrockClient`.

The prompt goes out as given when it already carries `[INST]` and wrapped in the model's instruct
template otherwise; `stop` goes out as `stop` (the transport's CompletionRequest does both).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM, LanguageModelInput
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_core.runnables import Runnable, RunnableConfig

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.service_options import pop_service
from bedrock_mistral.stream_summary import StreamSummary
from bedrock_mistral.types import CompletionRequest, ModelResponse, StreamDelta
from langchain_bedrock_mistral import messages as convert
from langchain_bedrock_mistral._client import CALL_OPTIONS, BedrockMistralBase, check_call_kwargs

if TYPE_CHECKING:
    from bedrock_mistral.batch import BatchJob

_CALL_KWARGS = (*CALL_OPTIONS, "model")


def _info(response: ModelResponse | None, deltas: _StreamInfo | None = None) -> dict[str, Any]:
    """`generation_info`: normalized and raw stop reason, token usage and latency."""
    source = response if response is not None else deltas
    assert source is not None
    info: dict[str, Any] = {
        "finish_reason": source.stop_reason,
        "stop_reason": source.raw_stop_reason,
        "model_name": source.model_id,
    }
    if source.usage is not None:
        info["usage"] = dict(convert.usage_metadata(source.usage))
    if source.metrics is not None and source.metrics.latency_ms is not None:
        info["latency_ms"] = source.metrics.latency_ms
    if source.service_tier is not None:
        info["service_tier"] = source.service_tier
    return info


class _StreamInfo(StreamSummary):
    """The end-of-stream summary, plus the model id `generation_info` names."""

    def __init__(self, model_id: str) -> None:
        super().__init__()
        self.model_id = model_id

    def feed(self, delta: StreamDelta) -> GenerationChunk | None:
        self.observe(delta)
        return GenerationChunk(text=delta.text) if delta.text else None

    def final(self) -> GenerationChunk:
        return GenerationChunk(text="", generation_info=_info(None, self))


class BedrockMistralLLM(BedrockMistralBase, BaseLLM):
    """Mistral text-completion models on Amazon Bedrock (7B Instruct, Mixtral, Small, Large 2402).

    Example:
        ```python
        from langchain_bedrock_mistral import BedrockMistralLLM

        llm = BedrockMistralLLM(model="mistral.mistral-7b-instruct-v0:2", region_name="us-west-2")
        llm.invoke("Write a haiku about the sea.")
        ```
    """

    model_config = BedrockMistralBase.model_config  # BaseLLM's config would otherwise win

    _kind = ("llms", "bedrock-mistral-llm", "llm")

    def _request(
        self, prompt: str, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[BedrockClient, CompletionRequest]:
        kwargs = dict(kwargs)
        check_call_kwargs(kwargs, _CALL_KWARGS, type(self).__name__)
        client = self._client_for(kwargs.pop("model", None))
        service = pop_service(kwargs)
        return client, CompletionRequest(prompt=prompt, params=self._call_params(stop, kwargs), service=service)

    def submit_batch_job(
        self,
        inputs: Sequence[LanguageModelInput] | Mapping[Any, LanguageModelInput],
        *,
        s3_uri: str,
        role_arn: str,
        **kwargs: Any,
    ) -> BatchJob:
        """Run what `batch` takes (strings, PromptValues; a list or a dict of them) as a Bedrock Batch
        Inference job. `job.wait()`, then `job.results()` yields one row per input, in input order, whose
        `output` is the completion text (`str`) or whose `error` says why that record failed."""
        return self._batch_job(inputs, self._batch_request, lambda _: _text, s3_uri, role_arn, kwargs)

    def attach_batch_job(self, job_arns: str | Sequence[str], **options: Any) -> BatchJob:
        """Re-open jobs submitted earlier (from any process); results come back as strings."""
        return self._attach_batch_job(job_arns, lambda _: _text, options)

    def _batch_request(
        self, item: LanguageModelInput, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> CompletionRequest:
        return self._request(self._convert_input(item).to_string(), stop, kwargs)[1]

    # BaseLLM batches by handing chunks of `max_concurrency` prompts to one `generate` call: the chunk's
    # prompts run one after another, and one failed prompt (a throttle) fails every position of its chunk.
    # Batches here run per input as chat models' do: concurrent up to max_concurrency, errors in place.

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[str]:
        return Runnable.batch(self, inputs, config, return_exceptions=return_exceptions, **kwargs)

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[str]:
        return await Runnable.abatch(self, inputs, config, return_exceptions=return_exceptions, **kwargs)

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming:
            generations = [_joined(list(self._stream(p, stop, run_manager, **kwargs))) for p in prompts]
        else:
            generations = [_generation(self._complete(p, stop, kwargs)) for p in prompts]
        return _result(generations, self.model)

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        await BedrockClient.aturn()
        generations = []
        for prompt in prompts:  # one after the other, as `_generate` does
            if self.streaming:
                generations.append(_joined([c async for c in self._astream(prompt, stop, run_manager, **kwargs)]))
            else:
                generations.append(_generation(await self._acomplete(prompt, stop, kwargs)))
        return _result(generations, self.model)

    def _complete(self, prompt: str, stop: list[str] | None, kwargs: dict[str, Any]) -> ModelResponse:
        client, request = self._request(prompt, stop, kwargs)
        return client.complete(request)

    async def _acomplete(self, prompt: str, stop: list[str] | None, kwargs: dict[str, Any]) -> ModelResponse:
        client, request = self._request(prompt, stop, kwargs)
        return await client.acomplete(request)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        client, request = self._request(prompt, stop, kwargs)
        state = _StreamInfo(client.model_id)
        for delta in client.stream_complete(request):
            chunk = state.feed(delta)
            if chunk is not None:
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        yield state.final()

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        await BedrockClient.aturn()
        client, request = self._request(prompt, stop, kwargs)
        state = _StreamInfo(client.model_id)
        async for delta in client.astream_complete(request):
            chunk = state.feed(delta)
            if chunk is not None:
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        yield state.final()


def _text(response: ModelResponse) -> str:
    return response.text


def _generation(response: ModelResponse) -> Generation:
    return Generation(text=response.text, generation_info=_info(response))


def _joined(chunks: list[GenerationChunk]) -> Generation:
    """A streamed answer as one generation: the text joined, the last chunk's info (stop reason, usage)."""
    info = chunks[-1].generation_info if chunks else None
    return Generation(text="".join(chunk.text for chunk in chunks), generation_info=info)


def _result(generations: list[Generation], model: str) -> LLMResult:
    """One generation per prompt, and the token usage summed over them, as LangChain's callbacks read it."""
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for generation in generations:
        usage = (generation.generation_info or {}).get("usage") or {}
        for key in totals:
            totals[key] += int(usage.get(key) or 0)
    return LLMResult(
        generations=[[generation] for generation in generations],
        llm_output={"model_name": model, "token_usage": totals},
    )


__all__ = ["BedrockMistralLLM"]
