"""Connection options: an existing client, botocore Config, named profiles, environment credentials,
guardrails and additional request fields, each checked on the emulator's side of the wire."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.config import Config

from bedrock_mistral.errors import ValidationError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import BedrockMistralLLM, ChatBedrockMistral
from tests.langchain.conftest import LARGE, SEVEN_B


def test_existing_boto3_client_and_config(bedrock: LocalBedrock) -> None:
    model = ChatBedrockMistral(
        model=LARGE, client=bedrock.client(), config=Config(user_agent_extra="lc-test")
    )
    assert model.invoke("Hello").text
    assert bedrock.requests[-1].access_key == bedrock.aws_access_key_id


async def test_existing_client_also_serves_async_calls(bedrock: LocalBedrock) -> None:
    model = ChatBedrockMistral(model=LARGE, client=bedrock.client())
    assert (await model.ainvoke("Hello")).text
    await model.transport.aclose()


def test_named_profile(bedrock: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[emulator]\n"
        f"aws_access_key_id = {bedrock.aws_access_key_id}\n"
        f"aws_secret_access_key = {bedrock.aws_secret_access_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    model = ChatBedrockMistral(
        model=LARGE,
        credentials_profile_name="emulator",
        endpoint_url=bedrock.endpoint_url,
        region_name="us-east-1",
    )
    assert model.invoke("Hello").text
    assert bedrock.requests[-1].access_key == bedrock.aws_access_key_id


def test_credentials_and_region_from_the_environment(
    bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", bedrock.aws_access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", bedrock.aws_secret_access_key)
    monkeypatch.setenv("AWS_REGION", bedrock.region_name)
    llm = BedrockMistralLLM(model=SEVEN_B, endpoint_url=bedrock.endpoint_url)
    assert llm.invoke("Hello")
    assert bedrock.requests[-1].access_key == bedrock.aws_access_key_id


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_guardrail_settings_reach_bedrock(bedrock: LocalBedrock, conn: dict, api: str) -> None:
    bedrock.guardrails.add("gr1", "2")  # the emulator answers only guardrails it knows, as Bedrock does
    model = ChatBedrockMistral(
        model=LARGE,
        api=api,
        guardrail_identifier="gr1",
        guardrail_version="2",
        guardrail_trace="enabled",
        **conn,
    )
    model.invoke("Hello")
    request = bedrock.requests[-1]
    if api == "invoke":
        assert request.headers["x-amzn-bedrock-guardrailidentifier"] == "gr1"
        assert request.headers["x-amzn-bedrock-guardrailversion"] == "2"
        assert request.headers["x-amzn-bedrock-trace"] == "ENABLED"
    else:
        assert request.body["guardrailConfig"] == {
            "guardrailIdentifier": "gr1",
            "guardrailVersion": "2",
            "trace": "enabled",
        }


def test_additional_model_request_fields(bedrock: LocalBedrock, conn: dict) -> None:
    extra = {"response_format": {"type": "text"}}  # a key of the model's native body
    ChatBedrockMistral(model=LARGE, api="converse", additional_model_request_fields=extra, **conn).invoke(
        "Hi"
    )
    assert bedrock.requests[-1].body["additionalModelRequestFields"] == extra
    # Bedrock's own validation still applies, and its message comes back unchanged.
    model = ChatBedrockMistral(model=LARGE, api="converse", additional_model_request_fields={"k": 1}, **conn)
    with pytest.raises(ValidationError, match="extraneous key \\[k\\]"):
        model.invoke("Hi")
    model = ChatBedrockMistral(model=LARGE, api="invoke", additional_model_request_fields={"nope": 1}, **conn)
    with pytest.raises(ValidationError, match="extraneous key \\[nope\\]"):
        model.invoke("Hi")
