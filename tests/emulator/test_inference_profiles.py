"""Inference profiles on the emulator's control plane (the `bedrock` service), through raw boto3 and the adapters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from llama_index.core.llms import ChatMessage

from bedrock_mistral.errors import ValidationError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral
from llama_index_bedrock_mistral import BedrockMistral

LARGE_2 = "mistral.mistral-large-2407-v1:0"
PIXTRAL = "mistral.pixtral-large-2502-v1:0"
LARGE_2_ARN = f"arn:aws:bedrock:us-east-1::foundation-model/{LARGE_2}"


@pytest.fixture
def control(local_bedrock: LocalBedrock) -> Any:
    return local_bedrock.control_client()


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def all_profiles(control: Any, **kwargs: Any) -> list[dict[str, Any]]:
    pages = control.get_paginator("list_inference_profiles").paginate(**kwargs)
    return [summary for page in pages for summary in page["inferenceProfileSummaries"]]


def create(control: Any, name: str, source: str = LARGE_2_ARN) -> str:
    return str(
        control.create_inference_profile(inferenceProfileName=name, modelSource={"copyFrom": source})[
            "inferenceProfileArn"
        ]
    )


# --- listing system-defined profiles -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "prefixes"),
    [
        ("us-east-1", {"us", "global"}),
        ("eu-west-3", {"eu", "global"}),
        ("ap-northeast-1", {"apac", "global"}),
    ],
)
def test_a_region_lists_its_geography_and_global_profiles(region: str, prefixes: set[str]) -> None:
    with LocalBedrock(region_name=region) as bedrock:
        summaries = all_profiles(bedrock.control_client(), typeEquals="SYSTEM_DEFINED")
    assert {s["inferenceProfileId"].split(".", 1)[0] for s in summaries} == prefixes
    assert {s["type"] for s in summaries} == {"SYSTEM_DEFINED"}
    pixtral = next(
        s for s in summaries if s["inferenceProfileId"] == f"{min(prefixes - {'global'})}.{PIXTRAL}"
    )
    assert (
        pixtral["inferenceProfileArn"]
        == f"arn:aws:bedrock:{region}:123456789012:inference-profile/{pixtral['inferenceProfileId']}"
    )
    assert pixtral["status"] == "ACTIVE" and pixtral["models"]
    assert all(m["modelArn"].endswith(f"::foundation-model/{PIXTRAL}") for m in pixtral["models"])


def test_list_pages_and_filters_by_type(control: Any) -> None:
    first = control.list_inference_profiles(maxResults=3)
    assert len(first["inferenceProfileSummaries"]) == 3 and first["nextToken"]
    second = control.list_inference_profiles(maxResults=3, nextToken=first["nextToken"])
    ids = [
        s["inferenceProfileId"]
        for s in first["inferenceProfileSummaries"] + second["inferenceProfileSummaries"]
    ]
    assert len(set(ids)) == 6
    paged = all_profiles(control, PaginationConfig={"PageSize": 5})
    assert [s["inferenceProfileId"] for s in paged] == [
        s["inferenceProfileId"] for s in all_profiles(control)
    ]
    assert control.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"] == []


def test_list_rejects_a_bad_type_and_page_size(control: Any) -> None:
    """Messages in AWS's request-validation format; the constraint texts are the service model's."""
    code, _, message = error_of(control.list_inference_profiles, typeEquals="CUSTOM")
    assert message == (
        "1 validation error detected: Value 'CUSTOM' at 'typeEquals' failed to satisfy constraint: Member must "
        "satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]"
    )
    code, status, message = error_of(control.list_inference_profiles, maxResults=1001)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have "
        "value less than or equal to 1000"
    )


# --- application profiles: create, get, use, delete ---------------------------------------------------


def test_create_get_and_list_an_application_profile(control: Any) -> None:
    arn = create(control, "support-bot", LARGE_2_ARN)
    assert arn.startswith("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/")
    profile_id = arn.rsplit("/", 1)[1]
    by_arn = control.get_inference_profile(inferenceProfileIdentifier=arn)
    by_id = control.get_inference_profile(inferenceProfileIdentifier=profile_id)
    assert {
        k: by_arn[k] for k in ("inferenceProfileName", "inferenceProfileId", "type", "status", "models")
    } == {
        "inferenceProfileName": "support-bot",
        "inferenceProfileId": profile_id,
        "type": "APPLICATION",
        "status": "ACTIVE",
        "models": [{"modelArn": LARGE_2_ARN}],
    }
    assert by_id["inferenceProfileArn"] == arn
    listed = control.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert [s["inferenceProfileArn"] for s in listed] == [arn]


def test_copy_from_a_system_defined_profile_takes_its_models(control: Any) -> None:
    system = control.get_inference_profile(inferenceProfileIdentifier=f"us.{PIXTRAL}")
    arn = create(control, "vision", system["inferenceProfileArn"])
    assert control.get_inference_profile(inferenceProfileIdentifier=arn)["models"] == system["models"]


def test_create_rejections(control: Any) -> None:
    """The first message is AWS's request-validation format with the service model's pattern; the others are
    the emulator's wording (no recording of them)."""
    code, _, message = error_of(
        control.create_inference_profile,
        inferenceProfileName="bad name!",
        modelSource={"copyFrom": LARGE_2_ARN},
    )
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'bad name!' at 'inferenceProfileName' failed to"
    )
    create(control, "twice")
    code, status, message = error_of(create, control, "twice")
    assert (code, status, message) == (
        "ConflictException",
        409,
        "An inference profile named twice already exists.",
    )
    unknown = "arn:aws:bedrock:us-east-1::foundation-model/mistral.no-such-model-v1:0"
    code, status, _ = error_of(create, control, "ghost", unknown)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_idempotent_create_with_a_client_token(control: Any) -> None:
    kwargs = {
        "inferenceProfileName": "same",
        "modelSource": {"copyFrom": LARGE_2_ARN},
        "clientRequestToken": "tok-1",
    }
    assert (
        control.create_inference_profile(**kwargs)["inferenceProfileArn"]
        == control.create_inference_profile(**kwargs)["inferenceProfileArn"]
    )


def test_the_arn_works_on_all_four_operations(local_bedrock: LocalBedrock, control: Any) -> None:
    arn = create(control, "all-ops")
    client = local_bedrock.client()
    body = json.dumps({"messages": [{"role": "user", "content": "Hi"}]})
    invoked = json.loads(client.invoke_model(modelId=arn, body=body)["body"].read())
    assert invoked["choices"][0]["message"]["content"]
    chunks = list(client.invoke_model_with_response_stream(modelId=arn, body=body)["body"])
    assert json.loads(chunks[-1]["chunk"]["bytes"])["amazon-bedrock-invocationMetrics"]
    messages = [{"role": "user", "content": [{"text": "Hi"}]}]
    assert client.converse(modelId=arn, messages=messages)["output"]["message"]["content"][0]["text"]
    events = list(client.converse_stream(modelId=arn, messages=messages)["stream"])
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    recorded = [r for r in local_bedrock.requests if r.model_id == arn]
    assert [r.operation for r in recorded] == [
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "Converse",
        "ConverseStream",
    ]
    assert {r.base_model_id for r in recorded} == {LARGE_2}


def test_the_profile_answers_as_its_base_model(local_bedrock: LocalBedrock, control: Any) -> None:
    """Mistral Large 2 rejects `top_k` in a chat body: so does a profile made from it."""
    arn = create(control, "strict-rules")
    body = json.dumps({"messages": [{"role": "user", "content": "Hi"}], "top_k": 5})
    code, _, message = error_of(local_bedrock.client().invoke_model, modelId=arn, body=body)
    assert code == "ValidationException" and "extraneous key [top_k] is not permitted" in message


def test_deleted_profile_is_rejected(local_bedrock: LocalBedrock, control: Any) -> None:
    """After deletion the ARN is an unknown model id (the runtime's message is Bedrock's for an invalid id;
    the control plane's not-found message is the emulator's wording)."""
    arn = create(control, "short-lived")
    assert (
        control.delete_inference_profile(inferenceProfileIdentifier=arn)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    code, status, _ = error_of(control.get_inference_profile, inferenceProfileIdentifier=arn)
    assert (code, status) == ("ResourceNotFoundException", 404)
    messages = [{"role": "user", "content": [{"text": "Hi"}]}]
    code, status, message = error_of(local_bedrock.client().converse, modelId=arn, messages=messages)
    assert (code, status, message) == (
        "ValidationException",
        400,
        "The provided model identifier is invalid.",
    )
    code, _, _ = error_of(control.delete_inference_profile, inferenceProfileIdentifier=f"us.{LARGE_2}")
    assert code == "ValidationException"


def test_an_unregistered_application_arn_is_invalid(local_bedrock: LocalBedrock) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcdefabcdef"
    code, _, message = error_of(
        local_bedrock.client().converse, modelId=arn, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
    )
    assert (code, message) == ("ValidationException", "The provided model identifier is invalid.")


# --- through the adapters ------------------------------------------------------------------------------


@pytest.fixture
def profile_arn(local_bedrock: LocalBedrock) -> Iterator[str]:
    yield local_bedrock.inference_profiles.create("adapters", LARGE_2_ARN)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_langchain_with_the_arn(local_bedrock: LocalBedrock, profile_arn: str, api: str) -> None:
    llm = ChatBedrockMistral(model=profile_arn, api=api, max_retries=0, **local_bedrock.client_kwargs())
    assert str(llm.invoke("Name a French cheese.").content)
    assert "".join(str(c.content) for c in llm.stream("Name a French cheese."))
    operations = [r.operation for r in local_bedrock.requests if r.model_id == profile_arn]
    expected = (
        ["InvokeModel", "InvokeModelWithResponseStream"]
        if api == "invoke"
        else ["Converse", "ConverseStream"]
    )
    assert operations == expected


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_llama_index_with_the_arn(local_bedrock: LocalBedrock, profile_arn: str, api: str) -> None:
    llm = BedrockMistral(model=profile_arn, api=api, max_retries=0, **local_bedrock.client_kwargs())
    messages = [ChatMessage(role="user", content="Name a French cheese.")]
    assert llm.chat(messages).message.content
    assert "".join(c.delta or "" for c in llm.stream_chat(messages))
    assert {r.base_model_id for r in local_bedrock.requests if r.model_id == profile_arn} == {LARGE_2}


def test_adapters_after_deletion(local_bedrock: LocalBedrock, profile_arn: str) -> None:
    local_bedrock.control_client().delete_inference_profile(inferenceProfileIdentifier=profile_arn)
    llm = ChatBedrockMistral(
        model=profile_arn, api="converse", max_retries=0, **local_bedrock.client_kwargs()
    )
    with pytest.raises(ValidationError, match="The provided model identifier is invalid"):
        llm.invoke("Hi")
