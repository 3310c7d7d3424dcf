"""A batch job from each adapter, with the framework's own inputs and outputs, against the emulator and
moto's S3 server: LangChain strings / message lists / PromptValues, LlamaIndex prompts / message lists."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse, MessageRole

from bedrock_mistral.batch import BatchMinimumError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import BedrockMistralLLM, ChatBedrockMistral
from llama_index_bedrock_mistral import BedrockMistral

from .conftest import LARGE_2, MISTRAL_7B, MIXTRAL, RECORDS, ROLE


def lc_connection(bedrock: LocalBedrock) -> dict[str, object]:
    kwargs = bedrock.client_kwargs()
    return {
        "endpoint_url": kwargs["endpoint_url"],
        "region_name": kwargs["region_name"],
        "aws_access_key_id": kwargs["aws_access_key_id"],
        "aws_secret_access_key": kwargs["aws_secret_access_key"],
    }


def job_options(bedrock: LocalBedrock, bucket: str) -> dict[str, object]:
    return {"s3_uri": f"s3://{bucket}/adapters", "role_arn": ROLE, "s3_endpoint_url": bedrock.s3_endpoint_url}


def test_chat_model_batch_job_takes_what_batch_takes(bedrock, bucket):
    llm = ChatBedrockMistral(model=LARGE_2, max_tokens=100, **lc_connection(bedrock))
    template = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{q}")])
    inputs = []
    for i in range(RECORDS):
        if i % 3 == 0:
            inputs.append(f"What is {i} times two?")
        elif i % 3 == 1:
            inputs.append([SystemMessage("Be terse."), HumanMessage(f"Name the number {i}.")])
        else:
            inputs.append(template.invoke({"q": f"Is {i} even?"}))
    job = llm.submit_batch_job(inputs, temperature=0.2, **job_options(bedrock, bucket))
    assert job.wait(poll_interval=0.05, progress=False).status == "Completed"
    rows = list(job.results())
    assert [r.index for r in rows] == list(range(RECORDS))
    expected = llm.batch(inputs[:3], temperature=0.2)
    for row, on_demand in zip(rows[:3], expected, strict=True):
        assert isinstance(row.output, AIMessage)
        assert row.output.content == on_demand.content
        assert row.output.usage_metadata["total_tokens"] > 0
        assert row.output.response_metadata["stop_reason"] == on_demand.response_metadata["stop_reason"]
    assert all(isinstance(r.output, AIMessage) and r.output.usage_metadata for r in rows)
    again = llm.attach_batch_job(job.job_arns, s3_endpoint_url=bedrock.s3_endpoint_url)
    assert [r.output.content for r in again.results()][:5] == [r.output.content for r in rows[:5]]


def test_chat_model_batch_job_over_converse(bedrock, bucket):
    llm = ChatBedrockMistral(model=LARGE_2, api="converse", **lc_connection(bedrock))
    job = llm.submit_batch_job([f"Say {i}" for i in range(RECORDS)], **job_options(bedrock, bucket))
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.jobs[0].invocation_type == "Converse"
    rows = list(job.results())
    assert rows[9].output.content == llm.invoke("Say 9").content
    assert rows[9].output.usage_metadata["output_tokens"] > 0


@pytest.mark.parametrize("model", [MISTRAL_7B, MIXTRAL])
def test_llm_batch_job_returns_strings(bedrock, bucket, model):
    llm = BedrockMistralLLM(model=model, max_tokens=64, **lc_connection(bedrock))
    prompts = {f"p{i}": f"Complete the sentence number {i}:" for i in range(RECORDS)}
    job = llm.submit_batch_job(prompts, stop=["\n\n"], **job_options(bedrock, bucket))
    job.wait(poll_interval=0.05, progress=False)
    rows = list(job.results())
    assert [r.key for r in rows] == list(prompts)
    assert all(isinstance(r.output, str) for r in rows)
    assert rows[4].output == llm.invoke(prompts["p4"], stop=["\n\n"])


def test_llm_batch_job_under_the_minimum(bedrock, bucket):
    llm = BedrockMistralLLM(model=MISTRAL_7B, **lc_connection(bedrock))
    with pytest.raises(BatchMinimumError, match="minimum of 100"):
        llm.submit_batch_job(["a", "b"], batch_only=True, **job_options(bedrock, bucket))
    job = llm.submit_batch_job(["a", "b"], **job_options(bedrock, bucket))
    assert job.ran_on_demand and [r.output for r in job.results()] == llm.batch(["a", "b"])


def test_llama_index_batch_job_for_prompts_and_for_message_lists(bedrock, bucket):
    llm = BedrockMistral(LARGE_2, max_tokens=80, **bedrock.client_kwargs())
    prompts = [f"Summarize document {i} in one line." for i in range(RECORDS)]
    completions = llm.submit_batch_job(prompts, **job_options(bedrock, bucket))
    conversations = [
        [ChatMessage(role=MessageRole.SYSTEM, content="Be brief."), ChatMessage(role=MessageRole.USER, content=p)]
        for p in prompts
    ]
    chats = llm.submit_batch_job(conversations, **job_options(bedrock, bucket))
    completions.wait(poll_interval=0.05, progress=False)
    chats.wait(poll_interval=0.05, progress=False)
    done = list(completions.results())
    assert all(isinstance(r.output, CompletionResponse) for r in done)
    assert done[11].output.text == llm.complete(prompts[11]).text
    assert done[11].output.raw["usage"]["prompt_tokens"] > 0
    answered = list(chats.results())
    assert all(isinstance(r.output, ChatResponse) for r in answered)
    assert answered[12].output.message.content == llm.chat(conversations[12]).message.content
    assert answered[12].output.raw["usage"]["completion_tokens"] > 0
    reopened = llm.attach_batch_job(completions.job_arns, completion=True, s3_endpoint_url=bedrock.s3_endpoint_url)
    assert next(iter(reopened.results())).output.text == done[0].output.text


def test_llama_index_rejects_a_mixed_job(bedrock, bucket):
    llm = BedrockMistral(LARGE_2, **bedrock.client_kwargs())
    with pytest.raises(ValueError, match="not both"):
        llm.submit_batch_job(["a", [ChatMessage(role=MessageRole.USER, content="b")]], **job_options(bedrock, bucket))
