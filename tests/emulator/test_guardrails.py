"""Guardrails applied as Bedrock applies them, on both APIs and their streams, through raw boto3 and the adapters.

The model's answers are scripted (`local_bedrock.script`), so what the guardrail sees on output is known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from llama_index.core.llms import ChatMessage

from bedrock_mistral.errors import ValidationError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.guardrails import Guardrail
from langchain_bedrock_mistral import ChatBedrockMistral
from llama_index_bedrock_mistral import BedrockMistral

LARGE_2 = "mistral.mistral-large-2407-v1:0"
SEVEN_B = "mistral.mistral-7b-instruct-v0:2"
BLOCKED_IN = "I can't discuss competitors' pricing."
BLOCKED_OUT = "That answer was withheld."
OPERATIONS = (
    "converse",
    "converse_stream",
    "invoke_chat",
    "invoke_chat_stream",
    "invoke_text",
    "invoke_text_stream",
)


@pytest.fixture
def guardrail(local_bedrock: LocalBedrock) -> Guardrail:
    return local_bedrock.guardrails.add(
        "pricing01",
        "1",
        blocked_input_words=["AcmeCorp"],
        blocked_input_patterns=[r"discount code \w+"],
        blocked_output_words=["confidential"],
        blocked_input_messaging=BLOCKED_IN,
        blocked_outputs_messaging=BLOCKED_OUT,
        pii_entities=["EMAIL", "PHONE"],
    )


@dataclass
class Answer:
    text: str
    intervened: bool
    trace: dict[str, Any] | None
    """The guardrail part of the trace (`trace.guardrail` / `amazon-bedrock-trace.guardrail`)."""
    input_tokens: int


def call(client: Any, operation: str, question: str, guardrail: Guardrail, trace: bool) -> Answer:
    """One request through raw boto3 with the guardrail, read back the same way for every operation."""
    if operation.startswith("converse"):
        config: dict[str, Any] = {
            "guardrailIdentifier": guardrail.guardrail_id,
            "guardrailVersion": guardrail.version,
        }
        if trace:
            config["trace"] = "enabled"
        kwargs = {
            "modelId": LARGE_2,
            "messages": [{"role": "user", "content": [{"text": question}]}],
            "guardrailConfig": config,
        }
        if operation == "converse":
            response = client.converse(**kwargs)
            return Answer(
                response["output"]["message"]["content"][0]["text"],
                response["stopReason"] == "guardrail_intervened",
                response.get("trace", {}).get("guardrail"),
                response["usage"]["inputTokens"],
            )
        events = list(client.converse_stream(**kwargs)["stream"])
        text = "".join(
            e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
        )
        stop = next(e["messageStop"]["stopReason"] for e in events if "messageStop" in e)
        metadata = events[-1]["metadata"]
        return Answer(
            text,
            stop == "guardrail_intervened",
            metadata.get("trace", {}).get("guardrail"),
            metadata["usage"]["inputTokens"],
        )
    chat = "chat" in operation
    model = LARGE_2 if chat else SEVEN_B
    body = (
        {"messages": [{"role": "user", "content": question}]}
        if chat
        else {"prompt": f"<s>[INST] {question} [/INST]"}
    )
    headers: dict[str, Any] = {
        "guardrailIdentifier": guardrail.guardrail_id,
        "guardrailVersion": guardrail.version,
    }
    if trace:
        headers["trace"] = "ENABLED"
    if not operation.endswith("stream"):
        response = client.invoke_model(modelId=model, body=json.dumps(body), **headers)
        out = json.loads(response["body"].read())
        text = out["choices"][0]["message"]["content"] if chat else out["outputs"][0]["text"]
        tokens = int(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"])
        return Answer(text, _action(out), out.get("amazon-bedrock-trace", {}).get("guardrail"), tokens)
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body), **headers)
    chunks = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    pieces = [c["choices"][0]["message"]["content"] if chat else c["outputs"][0]["text"] for c in chunks]
    last = chunks[-1]
    assert all("amazon-bedrock-guardrailAction" not in c for c in chunks[:-1])
    tokens = last["amazon-bedrock-invocationMetrics"]["inputTokenCount"]
    return Answer(
        "".join(pieces), _action(last), last.get("amazon-bedrock-trace", {}).get("guardrail"), tokens
    )


def _action(body: dict[str, Any]) -> bool:
    action = body["amazon-bedrock-guardrailAction"]
    assert action in ("INTERVENED", "NONE")
    return action == "INTERVENED"


def assessment(answer: Answer, operation: str, side: str) -> dict[str, Any]:
    assert answer.trace is not None
    if operation.startswith("converse"):
        return (
            answer.trace["inputAssessment"]["pricing01"]
            if side == "input"
            else answer.trace["outputAssessments"]["pricing01"][0]
        )
    return answer.trace["input"]["pricing01"] if side == "input" else answer.trace["outputs"][0]["pricing01"]


@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_blocked_input(
    local_bedrock: LocalBedrock, guardrail: Guardrail, operation: str, trace: bool
) -> None:
    answer = call(local_bedrock.client(), operation, "How does AcmeCorp price its plans?", guardrail, trace)
    assert (answer.text, answer.intervened, answer.input_tokens) == (BLOCKED_IN, True, 0)
    if not trace:
        assert answer.trace is None
        return
    words = assessment(answer, operation, "input")["wordPolicy"]["customWords"]
    assert words == [{"match": "AcmeCorp", "action": "BLOCKED", "detected": True}]
    assert "outputAssessments" not in answer.trace and "outputs" not in answer.trace


@pytest.mark.parametrize("operation", ["converse", "invoke_chat_stream"])
def test_blocked_input_pattern(local_bedrock: LocalBedrock, guardrail: Guardrail, operation: str) -> None:
    answer = call(local_bedrock.client(), operation, "Apply discount code SPRING24 please", guardrail, True)
    assert answer.text == BLOCKED_IN
    (regex,) = assessment(answer, operation, "input")["sensitiveInformationPolicy"]["regexes"]
    assert (regex["match"], regex["regex"], regex["action"]) == (
        "discount code SPRING24",
        r"discount code \w+",
        "BLOCKED",
    )


@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_blocked_output(
    local_bedrock: LocalBedrock, guardrail: Guardrail, operation: str, trace: bool
) -> None:
    local_bedrock.script.reply("The confidential roadmap ships in May.")
    answer = call(local_bedrock.client(), operation, "What is on the roadmap?", guardrail, trace)
    assert (answer.text, answer.intervened) == (BLOCKED_OUT, True)
    assert answer.input_tokens > 0  # the model ran: its input is billed
    if trace:
        words = assessment(answer, operation, "output")["wordPolicy"]["customWords"]
        assert words == [{"match": "confidential", "action": "BLOCKED", "detected": True}]
        assert answer.trace["modelOutput"] == ["The confidential roadmap ships in May."]  # type: ignore[index]
        assert "wordPolicy" not in assessment(answer, operation, "input")


@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_masked_pii(local_bedrock: LocalBedrock, guardrail: Guardrail, operation: str, trace: bool) -> None:
    local_bedrock.script.reply("Write to jane.doe@example.com or call 555-010-4477 today.")
    answer = call(local_bedrock.client(), operation, "How do I reach support?", guardrail, trace)
    assert (answer.text, answer.intervened) == ("Write to {EMAIL} or call {PHONE} today.", True)
    if trace:
        entities = assessment(answer, operation, "output")["sensitiveInformationPolicy"]["piiEntities"]
        assert [(e["type"], e["match"], e["action"]) for e in entities] == [
            ("EMAIL", "jane.doe@example.com", "ANONYMIZED"),
            ("PHONE", "555-010-4477", "ANONYMIZED"),
        ]


@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_pass_through(local_bedrock: LocalBedrock, guardrail: Guardrail, operation: str, trace: bool) -> None:
    local_bedrock.script.reply("Plans start at ten euros a month.")
    answer = call(local_bedrock.client(), operation, "How much is the basic plan?", guardrail, trace)
    assert (answer.text, answer.intervened) == ("Plans start at ten euros a month.", False)
    if trace:
        for side in ("input", "output"):
            found = assessment(answer, operation, side)
            assert "wordPolicy" not in found and "sensitiveInformationPolicy" not in found
            assert found["invocationMetrics"]["guardrailCoverage"]["textCharacters"]["total"] > 0
        assert "modelOutput" not in answer.trace  # type: ignore[operator]
    else:
        assert answer.trace is None


def test_converse_without_a_guardrail_has_no_trace(local_bedrock: LocalBedrock) -> None:
    response = local_bedrock.client().converse(
        modelId=LARGE_2, messages=[{"role": "user", "content": [{"text": "AcmeCorp?"}]}]
    )
    assert "trace" not in response and response["stopReason"] == "end_turn"


@pytest.mark.parametrize(
    ("identifier", "version"),
    [
        ("nosuchguard", "1"),
        ("pricing01", "2"),
        ("arn:aws:bedrock:us-east-1:123456789012:guardrail/other", "1"),
    ],
)
def test_unknown_guardrail_or_version(
    local_bedrock: LocalBedrock, guardrail: Guardrail, identifier: str, version: str
) -> None:
    """Bedrock's message for both a wrong id and a wrong version (as reported by users calling Bedrock)."""
    client = local_bedrock.client()
    for request in (
        lambda: client.converse(
            modelId=LARGE_2,
            messages=[{"role": "user", "content": [{"text": "Hi"}]}],
            guardrailConfig={"guardrailIdentifier": identifier, "guardrailVersion": version},
        ),
        lambda: client.invoke_model(
            modelId=LARGE_2,
            body=json.dumps({"messages": [{"role": "user", "content": "Hi"}]}),
            guardrailIdentifier=identifier,
            guardrailVersion=version,
        ),
    ):
        with pytest.raises(ClientError) as caught:
            request()
        error = caught.value.response
        assert error["Error"]["Code"] == "ValidationException"
        assert (
            error["Error"]["Message"]
            == "The guardrail identifier or version provided in the request does not exist."
        )


def test_guardrail_by_arn(local_bedrock: LocalBedrock, guardrail: Guardrail) -> None:
    response = local_bedrock.client().converse(
        modelId=LARGE_2,
        messages=[{"role": "user", "content": [{"text": "AcmeCorp?"}]}],
        guardrailConfig={"guardrailIdentifier": guardrail.arn, "guardrailVersion": "1"},
    )
    assert response["stopReason"] == "guardrail_intervened"


def test_registration_rejects_what_the_emulator_cannot_apply(local_bedrock: LocalBedrock) -> None:
    with pytest.raises(ValueError, match="PII entities \\['NAME'\\] are not detected by the emulator"):
        local_bedrock.guardrails.add(pii_entities=["NAME"])
    with pytest.raises(ValueError, match="version must be 'DRAFT' or a number"):
        local_bedrock.guardrails.add("abc", "v2")


# --- through the adapters ------------------------------------------------------------------------------


def guardrail_options(guardrail: Guardrail, trace: bool) -> dict[str, Any]:
    options = {"guardrail_identifier": guardrail.guardrail_id, "guardrail_version": guardrail.version}
    if trace:
        options["guardrail_trace"] = "enabled"
    return options


@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_langchain_adapter(local_bedrock: LocalBedrock, guardrail: Guardrail, api: str, trace: bool) -> None:
    llm = ChatBedrockMistral(
        model=LARGE_2,
        api=api,
        max_retries=0,
        **guardrail_options(guardrail, trace),
        **local_bedrock.client_kwargs(),
    )
    assert llm.invoke("Is AcmeCorp cheaper?").content == BLOCKED_IN
    assert "".join(str(c.content) for c in llm.stream("Is AcmeCorp cheaper?")) == BLOCKED_IN
    local_bedrock.script.reply("Mail jane.doe@example.com for the confidential deck.", times=2)
    assert llm.invoke("Where is the deck?").content == BLOCKED_OUT
    assert "".join(str(c.content) for c in llm.stream("Where is the deck?")) == BLOCKED_OUT
    local_bedrock.script.reply("Mail jane.doe@example.com.", times=2)
    assert llm.invoke("Who do I mail?").content == "Mail {EMAIL}."
    assert "".join(str(c.content) for c in llm.stream("Who do I mail?")) == "Mail {EMAIL}."
    local_bedrock.script.reply("Ten euros.", times=2)
    assert llm.invoke("Price?").content == "Ten euros."
    assert "".join(str(c.content) for c in llm.stream("Price?")) == "Ten euros."
    sent = local_bedrock.requests[0]
    if api == "converse":
        assert sent.body["guardrailConfig"]["guardrailIdentifier"] == "pricing01"
    else:
        assert sent.headers["x-amzn-bedrock-guardrailidentifier"] == "pricing01"


@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_llama_index_adapter(
    local_bedrock: LocalBedrock, guardrail: Guardrail, api: str, trace: bool
) -> None:
    llm = BedrockMistral(
        model=LARGE_2,
        api=api,
        max_retries=0,
        **guardrail_options(guardrail, trace),
        **local_bedrock.client_kwargs(),
    )

    def both(question: str) -> tuple[str, str]:
        messages = [ChatMessage(role="user", content=question)]
        whole = str(llm.chat(messages).message.content)
        return whole, "".join(c.delta or "" for c in llm.stream_chat(messages))

    assert both("Is AcmeCorp cheaper?") == (BLOCKED_IN, BLOCKED_IN)
    local_bedrock.script.reply("It is confidential.", times=2)
    assert both("Roadmap?") == (BLOCKED_OUT, BLOCKED_OUT)
    local_bedrock.script.reply("Call 555-010-4477.", times=2)
    assert both("Phone?") == ("Call {PHONE}.", "Call {PHONE}.")
    local_bedrock.script.reply("Ten euros.", times=2)
    assert both("Price?") == ("Ten euros.", "Ten euros.")


def test_adapter_with_an_unknown_guardrail(local_bedrock: LocalBedrock) -> None:
    llm = ChatBedrockMistral(
        model=LARGE_2,
        guardrail_identifier="missing",
        guardrail_version="1",
        max_retries=0,
        **local_bedrock.client_kwargs(),
    )
    with pytest.raises(
        ValidationError, match="guardrail identifier or version provided in the request does not exist"
    ):
        llm.invoke("Hi")
