"""`BedrockMistral`: Mistral models on Amazon Bedrock as a LlamaIndex `FunctionCallingLLM`.

The class only maps LlamaIndex calls onto `bedrock_mistral.BedrockClient`; templates, system-prompt
folding, tool streaming, stop sequences, usage and retries are the transport's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import PydanticProgramMode

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.client import BedrockClient
from bedrock_mistral.errors import ConfigurationError
from bedrock_mistral.options import BedrockOptions, share_in_copies
from bedrock_mistral.service_options import SERVICE_OPTION_NAMES, service_options
from bedrock_mistral.types import (
    ChatRequest,
    InferenceParams,
    ServiceOptions,
    StreamDelta,
    ToolChoice,
    ToolSpec,
)
from bedrock_mistral.validation import check_option_types
from llama_index_bedrock_mistral import messages as convert
from llama_index_bedrock_mistral import settings
from llama_index_bedrock_mistral import tools as tooling

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool

    from bedrock_mistral.batch import BatchJob

logger = logging.getLogger(__name__)

CALL_KEYWORDS = frozenset(
    {
        "tools",
        "tool_choice",
        "tool_required",
        "response_format",
        "additional_model_request_fields",
        *settings.PARAM_NAMES,
        *SERVICE_OPTION_NAMES,
    }
)
"""Keyword arguments `chat` / `complete` understand; the rest is ignored."""

_CREDENTIALS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "api_key"})


def _option(name: str) -> Any:
    """The field of an option spelled as `BedrockOptions` spells it: its default and description from there."""
    return Field(default=BedrockOptions.default(name), description=BedrockOptions.doc(name))


class BedrockMistral(FunctionCallingLLM):
    """Mistral on Amazon Bedrock (InvokeModel or Converse), with limits and capabilities from the catalog.

    Credentials are handed to the transport and never stored as fields, so they stay out of `repr`,
    `to_dict()`, `to_json()` and instrumentation payloads.
    """

    model: str = Field(description="Bedrock model id, cross-region inference profile id, or ARN.")
    api: Literal["invoke", "converse"] | None = Field(
        default=None,
        description="Bedrock API: 'invoke' (InvokeModel) or 'converse'; default from the catalog.",
    )
    region_name: str | None = _option("region_name")
    endpoint_url: str | None = _option("endpoint_url")
    profile_name: str | None = _option("profile_name")
    temperature: float | None = Field(default=None, description="Sampling temperature; None: model default.")
    max_tokens: int | None = Field(default=None, description="Maximum output tokens; None: model default.")
    top_p: float | None = Field(default=None, description="Nucleus sampling; None: model default.")
    top_k: int | None = Field(default=None, description="Top-k (text-completion models on InvokeModel only).")
    stop: list[str] | None = Field(default=None, description="Stop sequences (at most 10).")
    timeout: float | None = Field(default=None, description="Connect and read timeout in seconds.")
    deadline: float | None = _option("deadline")
    max_retries: int = _option("max_retries")
    rate_limit: Literal["adaptive", "off"] = _option("rate_limit")
    requests_per_second: float | None = _option("requests_per_second")
    guardrail_identifier: str | None = _option("guardrail_identifier")
    guardrail_version: str | None = _option("guardrail_version")
    guardrail_trace: Literal["enabled", "disabled", "enabled_full"] | None = _option("guardrail_trace")
    additional_model_request_fields: dict[str, Any] | None = _option("additional_model_request_fields")
    service_tier: str | dict[str, str] | None = Field(
        default=None, description="Bedrock processing tier: priority, default, flex or reserved (also per call)."
    )
    request_metadata: dict[str, str] | None = Field(
        default=None, description="Up to 16 key/value pairs for Bedrock's invocation logs (also per call)."
    )
    performance_config: str | dict[str, str] | None = Field(
        default=None, description='{"latency": "standard" | "optimized"} (also per call).'
    )
    client: Any = Field(default=None, exclude=True, repr=False, description="A boto3 bedrock-runtime client.")
    botocore_config: Any = Field(default=None, exclude=True, repr=False, description="A botocore Config.")

    _transport: BedrockClient = PrivateAttr()

    def __init__(self, model: str | None = None, *, model_id: str | None = None, **kwargs: Any) -> None:
        """Every documented argument is a field of this class (or a credential, never stored) and is
        forwarded by name: the options to `BedrockOptions` through `settings.bedrock_options`, the
        sampling parameters to `InferenceParams`, all fields to pydantic. A new option is one field."""
        fields = set(type(self).model_fields)
        unknown = sorted(set(kwargs) - fields - _CREDENTIALS)
        if unknown:
            raise ConfigurationError(
                f"BedrockMistral got unknown option(s) {', '.join(unknown)}; "
                f"options are: {', '.join(sorted(fields | _CREDENTIALS | {'model_id'}))}"
            )
        if model is not None and model_id is not None and model != model_id:
            raise ConfigurationError(f"model={model!r} and model_id={model_id!r} disagree: give one of them")
        model = model if model is not None else model_id
        if model is None:
            raise ConfigurationError(
                "model (or model_id) is required, e.g. 'mistral.mistral-large-2407-v1:0'"
            )
        check_option_types(str(model), kwargs)
        kwargs["stop"] = list(settings.stop_tuple(kwargs.get("stop"), str(model))) or None
        transport = BedrockClient(
            model,
            settings.bedrock_options(**kwargs),
            api=kwargs.get("api"),
            params=settings.inference_params(**{name: kwargs.get(name) for name in settings.PARAM_NAMES}),
        )
        messages_to_prompt, completion_to_prompt = kwargs.get("messages_to_prompt"), kwargs.get("completion_to_prompt")
        if transport.resolved and transport.completion_is_templated and transport.spec.tokenizer:
            # LlamaIndex's own helpers (and users) may call these; they render what the transport sends.
            template = convert.MistralTemplate(transport.spec.tokenizer)
            messages_to_prompt = messages_to_prompt or (
                template.messages_to_prompt if transport.chat_is_templated else None
            )
            completion_to_prompt = completion_to_prompt or template.completion_to_prompt
        given = {name: value for name, value in kwargs.items() if name in fields}
        given.update(messages_to_prompt=messages_to_prompt, completion_to_prompt=completion_to_prompt)
        super().__init__(model=model, **given)
        self._transport = transport

    def __getstate__(self) -> dict[str, Any]:
        """Pickles never carry credentials. A model given explicit keys (or a boto3 client) refuses to be
        pickled with a clear TypeError; LlamaIndex would otherwise rebuild it on loading without them,
        signing as whatever identity the environment holds. Without explicit keys it pickles, and the
        loaded model resolves the same credential chain again."""
        self._transport.__getstate__()  # raises the clear TypeError
        state = super().__getstate__()
        state.get("__pydantic_private__", {}).pop("_transport", None)  # rebuilt by __init__ on loading
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> BedrockMistral:
        """A deep copy shares what cannot be copied (a given boto3 client, a botocore Config)."""
        return super().__deepcopy__(share_in_copies(memo, self.client, self.botocore_config))

    @classmethod
    def class_name(cls) -> str:
        return "BedrockMistral"

    @property
    def spec(self) -> ModelSpec:
        """The catalog row of the model (limits, capabilities, tokenizer)."""
        return self.transport.spec

    @property
    def transport(self) -> BedrockClient:
        # Read from pydantic's private store: `self._transport` goes through BaseModel.__getattr__ after a
        # failed lookup, about 3 µs, and a call asks for the transport several times.
        transport: BedrockClient | None = (self.__pydantic_private__ or {}).get("_transport")
        return transport if transport is not None else self._transport  # unset: pydantic's own error

    @property
    def metadata(self) -> LLMMetadata:
        # Always a chat model: the transport renders the instruct template for text-completion models,
        # which keeps the system prompt inside [INST] (LlamaIndex's completion path would prepend it).
        spec = self.spec
        default_output = spec.max_tokens.default or spec.max_output_tokens
        return LLMMetadata(
            context_window=spec.context_window,
            num_output=int(self.max_tokens or default_output),
            is_chat_model=True,
            is_function_calling_model=spec.supports_tools(self.transport.api),
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    # --- requests ----------------------------------------------------------------------------------

    def _params(self, kwargs: Mapping[str, Any]) -> InferenceParams:
        configured = settings.inference_params(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            stop=self.stop,
        )
        return configured.overridden_by(kwargs)

    def _with_system(self, messages: Sequence[ChatMessage]) -> list[ChatMessage]:
        """`system_prompt` first, unless the caller already put that same system message in."""
        out = list(messages)
        if self.system_prompt and not any(
            m.role in (MessageRole.SYSTEM, MessageRole.DEVELOPER) and m.content == self.system_prompt
            for m in out
        ):
            out.insert(0, ChatMessage(role=MessageRole.SYSTEM, content=self.system_prompt))
        return out

    def _chat_request(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any], prompt: str | None = None
    ) -> ChatRequest:
        """The one request of every call: `prompt` is the conversation as the caller rendered it, which
        the transport sends where the model takes a text-completion prompt (and not otherwise)."""
        ignored = set(kwargs) - CALL_KEYWORDS
        if ignored:  # LlamaIndex passes framework keywords down (verbose, ...): never send them to Bedrock
            logger.debug("BedrockMistral ignores keyword arguments %s", sorted(ignored))
        offered: tuple[ToolSpec, ...] = tuple(
            t if isinstance(t, ToolSpec) else tooling.tool_spec(t) for t in kwargs.get("tools") or ()
        )
        choice: ToolChoice | None = None
        if kwargs.get("tool_choice") is not None or kwargs.get("tool_required"):
            choice = tooling.tool_choice(kwargs.get("tool_choice"), bool(kwargs.get("tool_required")))
        return ChatRequest(
            messages=convert.to_neutral_messages(messages),
            params=self._params(kwargs),
            tools=offered,
            tool_choice=choice if offered else None,
            response_format=convert.response_format(kwargs.get("response_format")),
            additional_model_request_fields=kwargs.get("additional_model_request_fields"),
            service=_service(kwargs),
            prompt=prompt,
        )

    def _request_for_chat(self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]) -> ChatRequest:
        """`chat`'s request: the system prompt first; a `messages_to_prompt` the user supplied renders it."""
        messages = self._with_system(messages)
        return self._chat_request(messages, kwargs, _rendered(self.messages_to_prompt, messages))

    def _completion_request(self, prompt: str, formatted: bool, kwargs: Mapping[str, Any]) -> ChatRequest:
        """`complete`'s request: a formatted prompt goes out as given (no system prompt, tools or response
        format); otherwise as one user turn after the system prompt, rendered by a `completion_to_prompt`
        the user supplied."""
        if formatted:
            plain = {k: v for k, v in kwargs.items() if k not in _CHAT_ONLY}
            return self._chat_request([ChatMessage(role=MessageRole.USER, content=prompt)], plain, prompt)
        messages = self._with_system([ChatMessage(role=MessageRole.USER, content=prompt)])
        return self._chat_request(messages, kwargs, _rendered(self.completion_to_prompt, prompt))

    def _accumulator(self) -> convert.StreamAccumulator:
        return convert.StreamAccumulator(raw={"model_id": self.model, "api": self.transport.api})

    def _chunks(self, deltas: Iterator[StreamDelta], chat: bool) -> Generator[Any, None, None]:
        acc = self._accumulator()
        for delta in deltas:
            step = acc.feed(delta)
            if step is not None:
                yield acc.chat_chunk(*step) if chat else acc.completion_chunk(step[0])

    async def _achunks(self, deltas: AsyncIterator[StreamDelta], chat: bool) -> AsyncGenerator[Any, None]:
        acc = self._accumulator()
        async for delta in deltas:
            step = acc.feed(delta)
            if step is not None:
                yield acc.chat_chunk(*step) if chat else acc.completion_chunk(step[0])

    # --- chat and completion: each builds its one request, then sends it sync, async or streamed -------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return convert.to_chat_response(self.transport.chat(self._request_for_chat(messages, kwargs)))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # The request is validated here, before the generator is handed out.
        return self._chunks(self.transport.stream_chat(self._request_for_chat(messages, kwargs)), chat=True)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        request = self._completion_request(prompt, formatted, kwargs)
        return convert.to_completion_response(self.transport.chat(request))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        request = self._completion_request(prompt, formatted, kwargs)
        return self._chunks(self.transport.stream_chat(request), chat=False)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        await BedrockClient.aturn()
        return convert.to_chat_response(await self.transport.achat(self._request_for_chat(messages, kwargs)))

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        await BedrockClient.aturn()
        return self._achunks(self.transport.astream_chat(self._request_for_chat(messages, kwargs)), chat=True)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        await BedrockClient.aturn()
        request = self._completion_request(prompt, formatted, kwargs)
        return convert.to_completion_response(await self.transport.achat(request))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        await BedrockClient.aturn()
        request = self._completion_request(prompt, formatted, kwargs)
        return self._achunks(self.transport.astream_chat(request), chat=False)

    async def aclose(self) -> None:
        """Close the async HTTP client of the running event loop."""
        await self.transport.aclose()

    # --- Bedrock Batch Inference -------------------------------------------------------------------

    def submit_batch_job(
        self,
        inputs: Sequence[str | Sequence[ChatMessage]] | Mapping[Any, str | Sequence[ChatMessage]],
        *,
        s3_uri: str,
        role_arn: str,
        **kwargs: Any,
    ) -> BatchJob:
        """Run many prompts (as `complete`) or message lists (as `chat`) as a Bedrock Batch Inference job:
        half the on-demand price, outside the on-demand quotas. `job.wait()`, then `job.results()` yields
        one row per input, in input order, whose `output` is a `CompletionResponse` (prompts) or a
        `ChatResponse` (message lists), with `raw["usage"]`, or whose `error` says why that record failed.
        Job options: job_name, timeout_hours, tags, client_request_token, batch_only, s3_endpoint_url, ...;
        other keyword arguments are call arguments (temperature, max_tokens, tools, ...)."""
        from bedrock_mistral.batch import map_inputs, split_job_options, submit_batch  # loads on first use

        options = split_job_options(kwargs)
        items = list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)
        prompts = all(isinstance(item, str) for item in items)
        if not prompts and any(isinstance(item, str) for item in items):
            raise ConfigurationError("submit_batch_job takes prompts or message lists, not both in one job")

        def request(item: Any) -> ChatRequest:
            if prompts:
                return self._completion_request(item, False, kwargs)
            return self._request_for_chat(item, kwargs)

        job = submit_batch(self.transport, map_inputs(inputs, request), s3_uri=s3_uri, role_arn=role_arn, **options)
        return job.with_output(convert.to_completion_response if prompts else convert.to_chat_response)

    def attach_batch_job(
        self, job_arns: str | Sequence[str], *, completion: bool = False, **options: Any
    ) -> BatchJob:
        """Re-open jobs submitted earlier (from any process); `completion=True` for prompt jobs."""
        from bedrock_mistral.batch import attach

        job = attach(job_arns, client=self.transport, **options)
        return job.with_output(convert.to_completion_response if completion else convert.to_chat_response)

    # --- tools -------------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Arguments for `chat`; the caller's history list is copied, never appended to."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = tooling.tool_specs(tools)
        choice = tooling.tool_choice(tool_choice, tool_required) if specs else None
        return {"messages": messages, "tools": specs, "tool_choice": choice, **kwargs}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            return tooling.keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        return tooling.tool_selections(response, error_on_no_tool_call)

    # --- structured output -------------------------------------------------------------------------

    def _json_kwargs(
        self, output_cls: type[BaseModel], llm_kwargs: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Models without tools get the JSON path: the schema goes to Bedrock as a response format."""
        if (
            self.metadata.is_function_calling_model
            or self.pydantic_program_mode != PydanticProgramMode.DEFAULT
        ):
            return llm_kwargs
        return {"response_format": output_cls, **(llm_kwargs or {})}

    def structured_predict(
        self,
        output_cls: type[Any],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        return super().structured_predict(
            output_cls, prompt, llm_kwargs=self._json_kwargs(output_cls, llm_kwargs), **prompt_args
        )

    async def astructured_predict(
        self,
        output_cls: type[Any],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        return await super().astructured_predict(
            output_cls, prompt, llm_kwargs=self._json_kwargs(output_cls, llm_kwargs), **prompt_args
        )


def _service(kwargs: Mapping[str, Any]) -> ServiceOptions:
    """Per-call service settings (`llm.chat(messages, service_tier="flex")`); the configured ones fill in."""
    return service_options(*(kwargs.get(name) for name in SERVICE_OPTION_NAMES))


_CHAT_ONLY = frozenset({"tools", "tool_choice", "tool_required", "response_format"})
"""What a formatted prompt does not carry: it is sent as given."""


def _rendered(template: Any, value: Any) -> str | None:
    """The caller's own template applied (ours and LlamaIndex's generic default render nothing extra)."""
    return template(value) if convert.is_custom_template(template) else None
