"""Batch jobs end to end: the batch layer uploads to moto's S3 server, the emulator runs the job, the
results come back through the codecs, one row per input, in input order."""

from __future__ import annotations

import json
import time

import pytest

from bedrock_mistral.batch import (
    BatchInputError,
    BatchJobError,
    BatchMinimumError,
    BatchRecordError,
    attach,
    record_id,
    submit_batch,
)
from bedrock_mistral.catalog import BatchLimits
from bedrock_mistral.errors import ConfigurationError, UnsupportedFeatureError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.types import ChatRequest, CompletionRequest, InferenceParams, Message, ToolSpec

from .conftest import LARGE_2, MISTRAL_7B, MIXTRAL, RECORDS, ROLE, make_client, s3_keys


def prompts(n: int = RECORDS) -> list[str]:
    return [f"Question {i}: what is {i} plus {i}?" for i in range(n)]


def submit(bedrock: LocalBedrock, bucket: str, client, requests, **kwargs):  # type: ignore[no-untyped-def]
    return submit_batch(
        client, requests, s3_uri=f"s3://{bucket}/jobs", role_arn=ROLE, s3_endpoint_url=bedrock.s3_endpoint_url,
        **kwargs,
    )


@pytest.mark.parametrize("model", [MISTRAL_7B, MIXTRAL])
def test_text_completion_job_answers_every_prompt_in_input_order(bedrock, bucket, model):
    client = make_client(bedrock, model)
    requests = [CompletionRequest(p, InferenceParams(max_tokens=64)) for p in prompts()]
    job = submit(bedrock, bucket, client, requests)
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.status == "Completed" and (state.total, state.success, state.errors) == (RECORDS, RECORDS, 0)
    results = list(job.results())
    assert [r.index for r in results] == list(range(RECORDS))
    assert [r.key for r in results] == list(range(RECORDS))
    for i in (0, 17, RECORDS - 1):
        on_demand = client.complete(requests[i])
        assert results[i].response.text == on_demand.text
        assert results[i].response.stop_reason == on_demand.stop_reason
        assert results[i].response.usage == on_demand.usage
    assert all(r.response.usage.input_tokens > 0 and r.response.usage.output_tokens > 0 for r in results)
    record = json.loads(bedrock.s3_client().get_object(Bucket=bucket, Key=_input_key(bedrock, bucket))["Body"]
                        .readline())
    assert record["recordId"] == record_id(0)
    assert record["modelInput"]["prompt"].startswith("<s>[INST]") and record["modelInput"]["max_tokens"] == 64


def _input_key(bedrock: LocalBedrock, bucket: str) -> str:
    return next(k for k in s3_keys(bedrock, bucket) if k.endswith(".jsonl"))


def test_chat_job_on_large_2_keeps_mapping_keys_and_tool_calls(bedrock, bucket):
    client = make_client(bedrock, LARGE_2)
    weather = ToolSpec("get_weather", "Weather for a city", {"type": "object", "properties": {
        "city": {"type": "string"}}, "required": ["city"]})
    requests = {
        f"doc-{i}": ChatRequest(
            (Message("system", "Be brief."), Message("user", f"What is the weather in city {i}?")),
            tools=(weather,) if i % 50 == 0 else (),
        )
        for i in range(RECORDS)
    }
    job = submit(bedrock, bucket, client, requests)
    assert job.wait(poll_interval=0.05, progress=False).status == "Completed"
    results = list(job.results())
    assert [r.key for r in results] == list(requests)
    line = json.loads(bedrock.s3_client().get_object(Bucket=bucket, Key=_input_key(bedrock, bucket))["Body"]
                      .readline())
    assert line["modelInput"]["messages"][0] == {"role": "system", "content": "Be brief."}
    tool_rows = [r for r in results if r.index % 50 == 0]
    assert all(r.response.tool_calls and r.response.tool_calls[0].name == "get_weather" for r in tool_rows)
    assert results[3].response.text == client.chat(requests["doc-3"]).text
    assert all(r.response.usage is not None for r in results)


def test_converse_job(bedrock, bucket):
    client = make_client(bedrock, LARGE_2, api="converse")
    requests = [ChatRequest((Message("user", p),), InferenceParams(max_tokens=80)) for p in prompts()]
    job = submit(bedrock, bucket, client, requests)
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.status == "Completed" and state.jobs[0].invocation_type == "Converse"
    results = list(job.results())
    assert len(results) == RECORDS
    assert results[5].response.text == client.chat(requests[5]).text
    assert results[5].response.api == "converse"
    assert all(r.response.usage and r.response.usage.output_tokens > 0 for r in results)
    line = json.loads(bedrock.s3_client().get_object(Bucket=bucket, Key=_input_key(bedrock, bucket))["Body"]
                      .readline())
    assert line["modelInput"]["inferenceConfig"] == {"maxTokens": 80}


def test_a_record_failing_validation_is_named_and_nothing_is_uploaded_or_submitted(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    requests = [CompletionRequest(p) for p in prompts()]
    requests[42] = CompletionRequest("too hot", InferenceParams(temperature=1.5))
    with pytest.raises(BatchInputError, match=r"batch record 42: temperature=1.5") as info:
        submit(bedrock, bucket, client, requests)
    assert info.value.index == 42
    assert s3_keys(bedrock, bucket) == []
    assert bedrock.control_client().list_model_invocation_jobs()["invocationJobSummaries"] == []


def test_per_record_errors_are_rows_at_their_index(bedrock, bucket):
    """A record the emulator's parameter rules reject (written without the client's validation) and a record
    the fault injector fails both come back as typed errors in their own row; the job goes on."""
    s3 = bedrock.s3_client()
    lines = []
    for i in range(RECORDS):
        body = {"prompt": f"<s>[INST] Question {i} [/INST]", "max_tokens": 32}
        if i == 7:
            body["top_p"] = 3.0
        lines.append(json.dumps({"recordId": record_id(i), "modelInput": body}))
    s3.put_object(Bucket=bucket, Key="raw/input.jsonl", Body="\n".join(lines).encode())
    bedrock.batch_jobs.faults.fail_record(record_id(99), 424, "The model crashed on this record.")
    control = bedrock.control_client()
    arn = control.create_model_invocation_job(
        jobName="raw-records", roleArn=ROLE, modelId=MISTRAL_7B,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/raw/input.jsonl"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/raw/out/"}},
    )["jobArn"]
    job = attach(arn, control_client=control, s3_client=s3)
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.status == "PartiallyCompleted" and (state.success, state.errors) == (RECORDS - 2, 2)
    results = list(job.results())
    assert len(results) == RECORDS and [r.index for r in results] == list(range(RECORDS))
    failed = {r.index: r.error for r in results if not r.ok}
    assert set(failed) == {7, 99}
    assert failed[7].code == "400" and "top_p" in failed[7].reason
    assert failed[99].code == "424" and failed[99].reason == "The model crashed on this record."
    with pytest.raises(BatchRecordError):
        results[99].unwrap()
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"raw/out/{arn.rsplit('/', 1)[1]}/manifest.json.out")
                          ["Body"].read())
    assert manifest["totalRecordCount"] == RECORDS and manifest["errorRecordCount"] == 2


def test_stop_mid_run_still_yields_every_row(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    bedrock.batch_jobs.faults.slow(per_record_ms=20)
    job = submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts()])
    while job.status().processed < 5:
        time.sleep(0.01)
    job.stop()
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.status == "Stopped"
    assert 0 < state.processed < RECORDS
    results = list(job.results())
    assert len(results) == RECORDS
    answered = [r for r in results if r.ok]
    assert len(answered) == state.processed
    assert [r.index for r in answered] == list(range(len(answered)))
    missing = results[-1].error
    assert missing is not None and missing.code == "NotProcessed" and "Stopped" in missing.reason


def test_attach_from_a_second_client_restores_keys(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    requests = {f"id-{i}": CompletionRequest(p) for i, p in enumerate(prompts())}
    arn = submit(bedrock, bucket, client, requests).job_arns[0]
    other = attach(arn, **bedrock.client_kwargs(), s3_endpoint_url=bedrock.s3_endpoint_url)
    assert other.wait(poll_interval=0.05, progress=False).status == "Completed"
    results = list(other.results())
    assert [r.key for r in results] == list(requests)
    assert results[10].response.text == client.complete(requests["id-10"]).text


def test_same_token_resubmission_creates_no_second_job(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    requests = [CompletionRequest(p) for p in prompts()]
    first = submit(bedrock, bucket, client, requests)
    again = submit(bedrock, bucket, client, requests)
    assert again.job_arns == first.job_arns
    named = submit(bedrock, bucket, client, requests, client_request_token="my-token-1", job_name="named")
    named_again = submit(bedrock, bucket, client, requests, client_request_token="my-token-1", job_name="named")
    assert named.job_arns == named_again.job_arns != first.job_arns
    jobs = bedrock.control_client().list_model_invocation_jobs()["invocationJobSummaries"]
    assert len(jobs) == 2


def test_input_over_the_per_job_maximum_is_split_into_balanced_jobs(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    limits = BatchLimits(min_records=50, max_records=100)
    bedrock.batch_jobs.limits = limits
    try:
        job = submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts()], limits=limits)
        assert len(job.job_arns) == 3
        state = job.wait(poll_interval=0.05, progress=False)
        assert [j.total for j in state.jobs] == [84, 84, 82]
        assert state.status == "Completed" and state.total == RECORDS
        results = list(job.results())
        assert [r.index for r in results] == list(range(RECORDS))
        assert all(r.ok for r in results)
    finally:
        bedrock.batch_jobs.limits = None


def test_under_the_minimum_runs_on_demand_or_refuses_when_batch_only(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    requests = [CompletionRequest(p) for p in prompts(12)]
    with pytest.raises(BatchMinimumError, match="minimum of 100 records"):
        submit(bedrock, bucket, client, requests, batch_only=True)
    job = submit(bedrock, bucket, client, requests)
    assert job.ran_on_demand and job.job_arns == []
    assert job.status().status == "Completed"
    results = list(job.results())
    assert [r.response.text for r in results] == [client.complete(r).text for r in requests]
    assert s3_keys(bedrock, bucket) == []
    invokes = [r for r in bedrock.requests if r.operation == "InvokeModel"]
    assert len(invokes) == 2 * len(requests)


def test_under_the_minimum_without_aiobotocore_runs_on_threads(bedrock, bucket, monkeypatch):
    from bedrock_mistral.batch import ondemand

    monkeypatch.setattr(ondemand, "has_async_io", lambda: False)
    client = make_client(bedrock, MISTRAL_7B)
    bedrock.faults.error(424, "ModelErrorException", "boom", count=1)
    results = list(submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts(6)]).results())
    assert [r.index for r in results] == list(range(6))
    assert sum(1 for r in results if r.ok) == 5
    assert next(r.error for r in results if not r.ok).code == "ModelErrorException"


def test_an_on_demand_failure_is_a_row_too(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    bedrock.faults.error(424, "ModelErrorException", "boom", count=1)
    results = list(submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts(5)]).results())
    assert len(results) == 5 and sum(1 for r in results if not r.ok) == 1
    assert next(r.error for r in results if not r.ok).code == "ModelErrorException"


def test_a_failed_job_says_so_and_every_row_is_an_error(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    bedrock.batch_jobs.faults.fail_job("Capacity unavailable.")
    job = submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts()])
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.status == "Failed" and "Capacity unavailable." in (state.message or "")
    results = list(job.results())
    assert len(results) == RECORDS and not any(r.ok for r in results)
    assert results[0].error.code == "NotProcessed" and "Failed" in results[0].error.reason


def test_results_before_the_job_ends_and_wait_timeout(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    bedrock.batch_jobs.faults.slow(per_record_ms=50)
    job = submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts()])
    with pytest.raises(BatchJobError, match="call wait"):
        next(job.results())
    with pytest.raises(BatchJobError, match="still"):
        job.wait(poll_interval=0.01, timeout=0.05, progress=False)
    job.stop()


def test_job_settings_are_checked_before_anything_is_sent(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    requests = [CompletionRequest(p) for p in prompts()]
    with pytest.raises(ConfigurationError, match="role_arn"):
        submit_batch(client, requests, s3_uri=f"s3://{bucket}/x", role_arn="not-a-role")
    with pytest.raises(ConfigurationError, match="timeout_hours=12"):
        submit(bedrock, bucket, client, requests, timeout_hours=12)
    with pytest.raises(ConfigurationError, match="not an S3 URI"):
        submit_batch(client, requests, s3_uri="https://bucket", role_arn=ROLE)
    with pytest.raises(UnsupportedFeatureError, match="not listed for Bedrock Batch Inference"):
        submit(bedrock, bucket, make_client(bedrock, "mistral.pixtral-large-2502-v1:0"), requests)
    assert s3_keys(bedrock, bucket) == []


def test_progress_bar_reports_records(bedrock, bucket, capsys):
    client = make_client(bedrock, MISTRAL_7B)
    job = submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts()], tags={"team": "docs"})
    job.wait(poll_interval=0.05, progress=True)
    err = capsys.readouterr().err
    assert f"{RECORDS}/{RECORDS}" in err and f"ok={RECORDS}" in err


def test_an_expired_job_says_so_and_yields_what_it_has(bedrock, bucket):
    client = make_client(bedrock, MISTRAL_7B)
    bedrock.batch_jobs.faults.expire(after_records=100)
    job = submit(bedrock, bucket, client, [CompletionRequest(p) for p in prompts()], timeout_hours=24)
    state = job.wait(poll_interval=0.05, progress=False)
    assert state.status == "Expired" and "timeout of 24 hours" in (state.message or "")
    results = list(job.results())
    assert len(results) == RECORDS
    assert all(r.ok for r in results[:100]) and not any(r.ok for r in results[100:])
    assert results[100].error.code == "NotProcessed" and "Expired" in results[100].error.reason
