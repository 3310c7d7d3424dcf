"""ChatBedrockMistral: a LangChain chat model over `bedrock_mistral.BedrockClient`.

It translates LangChain calls into the transport's neutral ChatRequest and back. Async calls use the
transport's non-blocking async client, not LangChain's thread-pool fallback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.service_options import pop_service
from bedrock_mistral.types import ChatRequest, ModelResponse
from langchain_bedrock_mistral import messages as convert
from langchain_bedrock_mistral import tools as tooling
from langchain_bedrock_mistral._client import CALL_OPTIONS, BedrockMistralBase, check_call_kwargs

if TYPE_CHECKING:
    from bedrock_mistral.batch import BatchJob

_CALL_KWARGS = (*CALL_OPTIONS, "model", "tools", "tool_choice", "response_format")


class ChatBedrockMistral(BedrockMistralBase, BaseChatModel):
    """Mistral models on Amazon Bedrock (InvokeModel or Converse) as a LangChain chat model.

    Example:
        ```python
        from langchain_bedrock_mistral import ChatBedrockMistral

        llm = ChatBedrockMistral(model="mistral.mistral-large-2407-v1:0", region_name="us-west-2")
        llm.invoke("Hello")
        ```
    """

    model_config = BedrockMistralBase.model_config  # BaseChatModel's config would otherwise win

    _kind = ("chat_models", "bedrock-mistral-chat", "chat")

    def _resolve_model_profile(self) -> ModelProfile | None:
        """Capabilities from the catalog row, for the API this instance uses."""
        client = self.transport
        if not client.resolved:  # an application profile met inside an event loop: looked up on first call
            return None
        spec, api = client.spec, client.api
        tools = spec.supports_tools(api)
        return ModelProfile(
            name=spec.name,
            max_input_tokens=spec.context_window,
            max_output_tokens=spec.max_output_tokens,
            text_inputs=True,
            image_inputs=spec.takes("image", api),
            image_url_inputs=False,
            pdf_inputs=False,
            audio_inputs=spec.takes("audio", api),
            video_inputs=False,
            image_tool_message=False,
            pdf_tool_message=False,
            text_outputs=True,
            reasoning_output=spec.reasoning,
            tool_calling=tools,
            tool_choice=tools,
            tool_call_streaming=tools,
            structured_output=spec.supports_structured_output(api),
            temperature=True,
        )

    # --- requests --------------------------------------------------------------------------------

    def _request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[BedrockClient, ChatRequest]:
        kwargs = dict(kwargs)
        check_call_kwargs(kwargs, _CALL_KWARGS, type(self).__name__)
        client = self._client_for(kwargs.pop("model", None))
        params = self._call_params(stop, kwargs)
        bound_tools = kwargs.get("tools") or []
        request = ChatRequest(
            messages=convert.to_messages(messages),
            params=params,
            tools=tooling.tool_specs(bound_tools),
            tool_choice=tooling.tool_choice(kwargs.get("tool_choice")),
            response_format=tooling.response_format(kwargs.get("response_format")),
            service=pop_service(kwargs),
        )
        return client, request

    def _result(self, response: ModelResponse, client: BedrockClient) -> ChatResult:
        message = convert.from_response(response, client.model_id)
        info = {"finish_reason": response.stop_reason, "stop_reason": response.raw_stop_reason}
        # LangChain copies llm_output into response_metadata: keep it to what is not already there.
        llm_output = {"model_name": client.model_id}
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=info)], llm_output=llm_output
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client, request = self._request(messages, stop, kwargs)
        return self._result(client.chat(request), client)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        await BedrockClient.aturn()
        client, request = self._request(messages, stop, kwargs)
        return self._result(await client.achat(request), client)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client, request = self._request(messages, stop, kwargs)
        assembler = convert.ChunkAssembler(client.model_id, client.api)
        for delta in client.stream_chat(request):
            message = assembler.feed(delta)
            if message is not None:
                chunk = ChatGenerationChunk(message=message)
                if run_manager is not None:
                    run_manager.on_llm_new_token(_token(message), chunk=chunk)
                yield chunk
        yield self._last(assembler)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        await BedrockClient.aturn()
        client, request = self._request(messages, stop, kwargs)
        assembler = convert.ChunkAssembler(client.model_id, client.api)
        async for delta in client.astream_chat(request):
            message = assembler.feed(delta)
            if message is not None:
                chunk = ChatGenerationChunk(message=message)
                if run_manager is not None:
                    await run_manager.on_llm_new_token(_token(message), chunk=chunk)
                yield chunk
        yield self._last(assembler)

    @staticmethod
    def _last(assembler: convert.ChunkAssembler) -> ChatGenerationChunk:
        final = assembler.final()
        end = assembler.summary
        info = {"finish_reason": end.stop_reason, "stop_reason": end.raw_stop_reason}
        return ChatGenerationChunk(message=final, generation_info=info)

    # --- Bedrock Batch Inference ---------------------------------------------------------------------

    def submit_batch_job(
        self,
        inputs: Sequence[LanguageModelInput] | Mapping[Any, LanguageModelInput],
        *,
        s3_uri: str,
        role_arn: str,
        **kwargs: Any,
    ) -> BatchJob:
        """Run what `batch` takes (strings, message lists, PromptValues; a list or a dict of them) as a
        Bedrock Batch Inference job: half the on-demand price, outside the on-demand quotas.

        `job.wait()` then `job.results()` yields one row per input, in input order, whose `output` is an
        `AIMessage` (with `usage_metadata`) or whose `error` says why that record failed. Job options:
        job_name, timeout_hours, tags, client_request_token, batch_only, s3_endpoint_url, ...; other
        keyword arguments are call arguments (temperature, max_tokens, stop, tools, ...).
        """
        return self._batch_job(inputs, self._batch_request, self._batch_output, s3_uri, role_arn, kwargs)

    def attach_batch_job(self, job_arns: str | Sequence[str], **options: Any) -> BatchJob:
        """Re-open jobs submitted earlier (from any process); results come back as `AIMessage`s."""
        return self._attach_batch_job(job_arns, self._batch_output, options)

    def _batch_request(self, item: LanguageModelInput, stop: list[str] | None, kwargs: dict[str, Any]) -> ChatRequest:
        return self._request(self._convert_input(item).to_messages(), stop, kwargs)[1]

    @staticmethod
    def _batch_output(client: BedrockClient) -> Callable[[ModelResponse], AIMessage]:
        return lambda response: convert.from_response(response, client.model_id)

    # --- tools and structured output -------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[tooling.ToolLike],
        *,
        tool_choice: tooling.ToolChoiceLike = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer tools in any LangChain form; tool_choice is "auto", "any", "none", True, a tool name or
        the OpenAI {"type": "function", "function": {"name": ...}} form."""
        check_call_kwargs(kwargs, (*_CALL_KWARGS, "ls_structured_output_format"), "bind_tools")
        formatted = tooling.format_tools(tools)
        choice = tooling.tool_choice(tool_choice)
        if choice is not None:
            kwargs["tool_choice"] = choice
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: tooling.StructuredMethod | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Structured output by forced tool call, JSON schema or JSON mode.

        The default is function calling where the model has tools on this API, else JSON schema.
        `strict` is accepted for signature compatibility: Bedrock has no strict flag, and enforcement
        (a schema Bedrock enforces, or an instruction plus JSON mode) is the transport's decision.
        """
        if kwargs:
            raise TypeError(f"with_structured_output got unexpected argument(s): {', '.join(sorted(kwargs))}")
        if method is None:
            method = "function_calling" if self.spec.supports_tools(self.transport.api) else "json_schema"
        return tooling.structured_runnable(self, schema, method, include_raw)


def _token(message: AIMessageChunk) -> str:
    return message.content if isinstance(message.content, str) else ""


__all__ = ["ChatBedrockMistral"]
