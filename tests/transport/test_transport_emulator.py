"""The transport through boto3 / aiobotocore over HTTP against the local emulator: retries, errors,
streams, credentials and pass-through options."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_mistral import (
    BedrockClient,
    ChatRequest,
    CompletionRequest,
    GuardrailConfig,
    Message,
    ToolSpec,
)
from bedrock_mistral.errors import (
    AccessDeniedError,
    BedrockConnectionError,
    BedrockMistralError,
    BedrockTimeoutError,
    InternalServerError,
    ModelNotReadyError,
    ModelStreamError,
    ServiceUnavailableError,
    StreamIncompleteError,
    ThrottlingError,
    ValidationError,
)
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.app import redacted

LARGE2 = "mistral.mistral-large-2407-v1:0"
M7B = "mistral.mistral-7b-instruct-v0:2"
QUESTION = ChatRequest(
    (Message("user", "Tell me about the history of French cheese making in a few sentences."),)
)
WEATHER = ToolSpec(
    "get_weather",
    "Get the current weather in a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture
def bedrock(local_bedrock: LocalBedrock) -> LocalBedrock:
    """The package's own pytest fixture: a session emulator, cleared around each test."""
    return local_bedrock


def make(bedrock: LocalBedrock, model: str = LARGE2, **kwargs: Any) -> BedrockClient:
    options: dict[str, Any] = {"retry_base_delay": 0.01, "retry_max_delay": 0.05, **kwargs}
    return BedrockClient(model, **bedrock.client_kwargs(), **options)


CALL_STYLES = ["invoke", "stream", "ainvoke", "astream"]
APIS = [(LARGE2, "invoke"), (LARGE2, "converse"), (M7B, "invoke")]


def run(client: BedrockClient, style: str, request: ChatRequest = QUESTION) -> tuple[str, list[str]]:
    """One call in the given style; returns the text and the text pieces received before any error."""
    received: list[str] = []
    if style == "invoke":
        return client.chat(request).text, received
    if style == "stream":
        for delta in client.stream_chat(request):
            received.append(delta.text)
        return "".join(received), received

    async def go() -> str:
        try:
            if style == "ainvoke":
                return (await client.achat(request)).text
            async for delta in client.astream_chat(request):
                received.append(delta.text)
            return "".join(received)
        finally:
            await client.aclose()

    return asyncio.run(go()), received


@pytest.mark.parametrize("style", CALL_STYLES)
@pytest.mark.parametrize("model, api", APIS)
def test_plain_call(bedrock: LocalBedrock, style: str, model: str, api: str) -> None:
    text, _ = run(make(bedrock, model, api=api), style)
    assert text.strip()
    assert [r.operation for r in bedrock.requests] == [
        {
            ("invoke", False): "InvokeModel",
            ("invoke", True): "InvokeModelWithResponseStream",
            ("converse", False): "Converse",
            ("converse", True): "ConverseStream",
        }[(api, "stream" in style)]
    ]


@pytest.mark.parametrize("style", CALL_STYLES)
def test_throttling_within_budget_is_retried(bedrock: LocalBedrock, style: str) -> None:
    bedrock.faults.throttle(2)
    text, _ = run(make(bedrock, max_retries=3), style)
    assert text.strip()
    assert len(bedrock.requests) == 3


@pytest.mark.parametrize("style", CALL_STYLES)
def test_throttling_beyond_budget_raises_typed(bedrock: LocalBedrock, style: str) -> None:
    bedrock.faults.throttle(10)
    with pytest.raises(ThrottlingError) as info:
        run(make(bedrock, max_retries=2), style)
    assert info.value.code == "ThrottlingException" and info.value.status_code == 429
    assert len(bedrock.requests) == 3


@pytest.mark.parametrize(
    "status, code, error",
    [
        (500, "InternalServerException", InternalServerError),
        (503, "ServiceUnavailableException", ServiceUnavailableError),
        (429, "ModelNotReadyException", ModelNotReadyError),
    ],
)
def test_transient_errors_are_retried(bedrock: LocalBedrock, status: int, code: str, error: type) -> None:
    bedrock.faults.error(status, code, "transient trouble", count=1)
    assert make(bedrock, max_retries=1).chat(QUESTION).text
    assert len(bedrock.requests) == 2
    bedrock.clear()
    bedrock.faults.error(status, code, "transient trouble", count=5)
    with pytest.raises(error):
        make(bedrock, max_retries=1).chat(QUESTION)


@pytest.mark.parametrize(
    "status, code, error",
    [(400, "ValidationException", ValidationError), (403, "AccessDeniedException", AccessDeniedError)],
)
@pytest.mark.parametrize("style", CALL_STYLES)
def test_client_errors_are_not_retried(
    bedrock: LocalBedrock, status: int, code: str, error: type, style: str
) -> None:
    bedrock.faults.error(status, code, "You shall not pass", count=5)
    with pytest.raises(error) as info:
        run(make(bedrock, max_retries=3), style)
    assert "You shall not pass" in str(info.value)
    assert len(bedrock.requests) == 1


@pytest.mark.parametrize("style", ["stream", "astream"])
@pytest.mark.parametrize(
    "exception, error",
    [("modelStreamErrorException", ModelStreamError), ("throttlingException", ThrottlingError)],
)
@pytest.mark.parametrize("model, api", APIS)
def test_in_stream_exception_keeps_partial_text(
    bedrock: LocalBedrock, style: str, exception: str, error: type, model: str, api: str
) -> None:
    full, _ = run(make(bedrock, model, api=api), "invoke")
    bedrock.clear()
    bedrock.faults.stream_error(after_chunks=4, exception=exception)
    with pytest.raises(error) as info:
        run(make(bedrock, model, api=api, max_retries=3), style)
    partial = info.value.partial_text
    assert partial and full.startswith(partial) and partial != full
    assert len(bedrock.requests) == 1  # text was already delivered: never silently restarted


@pytest.mark.parametrize("style", ["stream", "astream"])
@pytest.mark.parametrize("model, api", APIS)
def test_dropped_stream_is_an_error_not_a_short_answer(
    bedrock: LocalBedrock, style: str, model: str, api: str
) -> None:
    bedrock.faults.drop_connection(after_chunks=3)
    received: list[str] = []
    with pytest.raises((BedrockConnectionError, StreamIncompleteError)) as info:
        client = make(bedrock, model, api=api, max_retries=0)
        if style == "stream":
            for delta in client.stream_chat(QUESTION):
                received.append(delta.text)
        else:
            run(client, style)
    assert isinstance(info.value, BedrockMistralError)


@pytest.mark.parametrize("style", CALL_STYLES)
def test_read_timeout_is_typed(bedrock: LocalBedrock, style: str) -> None:
    bedrock.faults.latency(first_byte_ms=3000, count=1)
    with pytest.raises(BedrockTimeoutError):
        run(make(bedrock, read_timeout=0.3, max_retries=0), style)


def test_tools_stream_on_converse_falls_back_to_one_call(bedrock: LocalBedrock) -> None:
    request = ChatRequest(
        (Message("user", "What is the weather in Paris?"),), tools=(WEATHER,), tool_choice="any"
    )
    deltas = list(make(bedrock, api="converse").stream_chat(request))
    calls = [d.tool_call for d in deltas if d.tool_call]
    assert calls and calls[0] is not None and calls[0].name == "get_weather"
    assert [r.operation for r in bedrock.requests] == ["Converse"]
    assert sum(1 for d in deltas if d.usage) == 1


def test_tools_stream_natively_on_invoke_chat_format(bedrock: LocalBedrock) -> None:
    request = ChatRequest(
        (Message("user", "What is the weather in Paris?"),), tools=(WEATHER,), tool_choice="any"
    )
    deltas = list(make(bedrock).stream_chat(request))
    assert [r.operation for r in bedrock.requests] == ["InvokeModelWithResponseStream"]
    call = next(d.tool_call for d in deltas if d.tool_call)
    assert call.name == "get_weather" and "Paris" in call.arguments


def test_guardrails_and_additional_fields_pass_through(bedrock: LocalBedrock) -> None:
    bedrock.guardrails.add("gr123", "1")  # the emulator answers only guardrails it knows, as Bedrock does
    guardrail = GuardrailConfig("gr123", "1", "enabled")
    make(bedrock, api="converse", guardrail=guardrail).chat(QUESTION)
    body = bedrock.requests[-1].body
    assert body["guardrailConfig"] == {
        "guardrailIdentifier": "gr123",
        "guardrailVersion": "1",
        "trace": "enabled",
    }
    make(bedrock, M7B, guardrail=guardrail, additional_model_request_fields={"top_k": 7}).complete(
        CompletionRequest("hi")
    )
    recorded = bedrock.requests[-1]
    headers = {k.lower(): v for k, v in recorded.headers.items()}
    assert headers["x-amzn-bedrock-guardrailidentifier"] == "gr123"
    assert headers["x-amzn-bedrock-guardrailversion"] == "1"
    assert recorded.body["top_k"] == 7


def test_client_from_session_client_profile_and_token(
    bedrock: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwargs = bedrock.client_kwargs()
    session = boto3.session.Session(
        aws_access_key_id=kwargs["aws_access_key_id"],
        aws_secret_access_key=kwargs["aws_secret_access_key"],
        region_name="us-east-1",
    )
    assert (
        BedrockClient(M7B, boto3_session=session, endpoint_url=kwargs["endpoint_url"])
        .complete(CompletionRequest("hi"))
        .text
    )
    assert BedrockClient(M7B, client=bedrock.client()).complete(CompletionRequest("hi")).text
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[emulator]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    via_profile = BedrockClient(
        M7B, profile_name="emulator", region_name="us-east-1", endpoint_url=kwargs["endpoint_url"]
    )
    assert via_profile.complete(CompletionRequest("hi")).text
    assert bedrock.requests[-1].access_key == "AKIDPROFILE"

    async def async_profile() -> str:
        try:
            return (await via_profile.acomplete(CompletionRequest("hi"))).text
        finally:
            await via_profile.aclose()

    assert asyncio.run(async_profile())
    assert bedrock.requests[-1].access_key == "AKIDPROFILE"
    with_token = make(bedrock, M7B, aws_session_token="session-token-value")
    with_token.complete(CompletionRequest("hi"))
    sent = {k.lower(): v for k, v in bedrock.requests[-1].headers.items()}["x-amz-security-token"]
    assert sent == redacted("session-token-value")  # the request log keeps only a fingerprint


def test_async_streams_share_one_thread(bedrock: LocalBedrock) -> None:
    """Concurrent async streams run on the event loop, not one thread per call."""
    bedrock.faults.latency(per_token_ms=5)
    client = make(bedrock)
    before = {t.ident for t in threading.enumerate()}
    peak = 0

    def client_threads() -> int:
        """Threads started since the test began, leaving out the in-process emulator's own."""
        return sum(
            1
            for t in threading.enumerate()
            if t.ident not in before and "_serve" not in t.name and not t.name.startswith("bedrock-local")
        )

    async def one() -> str:
        nonlocal peak
        text = ""
        async for delta in client.astream_chat(QUESTION):
            text += delta.text
            peak = max(peak, client_threads())
        return text

    async def main() -> list[str]:
        try:
            return await asyncio.gather(*(one() for _ in range(40)))
        finally:
            await client.aclose()

    answers = asyncio.run(main())
    assert len(answers) == 40 and all(a.strip() for a in answers) and len(set(answers)) == 1
    assert peak < 10


def test_unreachable_endpoint_is_a_typed_connection_error(tmp_path: Path) -> None:
    client = BedrockClient(
        M7B,
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        max_retries=1,
        retry_base_delay=0.01,
        connect_timeout=1,
    )
    with pytest.raises(BedrockConnectionError) as info:
        client.complete(CompletionRequest("hi"))
    assert "127.0.0.1:9" in str(info.value)


def test_missing_credentials_are_not_a_value_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LlamaIndex's synthesizers swallow ValueErrors: a missing credential must not look like bad input."""
    from bedrock_mistral.errors import CredentialsError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = BedrockClient(M7B, region_name="us-east-1", endpoint_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(CredentialsError) as info:
        client.complete(CompletionRequest("hi"))
    assert not isinstance(info.value, ValueError)
    assert "credentials" in str(info.value)
