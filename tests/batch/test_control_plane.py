"""The emulator's batch-job operations through raw boto3 `bedrock` clients: Bedrock's validation, error
codes, statuses, list filters and pagination, and the output layout on S3."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from bedrock_mistral.batch import record_id
from bedrock_mistral.local import LocalBedrock

from .conftest import LARGE_2, MISTRAL_7B, ROLE


def upload_records(bedrock: LocalBedrock, bucket: str, key: str, n: int) -> str:
    lines = (json.dumps({"recordId": record_id(i), "modelInput": {"prompt": f"[INST] q{i} [/INST]"}}) for i in range(n))
    bedrock.s3_client().put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode())
    return f"s3://{bucket}/{key}"


def create(bedrock: LocalBedrock, bucket: str, input_uri: str, **overrides):  # type: ignore[no-untyped-def]
    request = {
        "jobName": "job-1",
        "roleArn": ROLE,
        "modelId": MISTRAL_7B,
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": input_uri}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/out/"}},
        **overrides,
    }
    return bedrock.control_client().create_model_invocation_job(**request)["jobArn"]


def wait(bedrock: LocalBedrock, arn: str) -> dict:  # type: ignore[type-arg]
    control = bedrock.control_client()
    for _ in range(1500):  # up to 30 s on a loaded machine
        job = control.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] in ("Completed", "PartiallyCompleted", "Failed", "Stopped"):
            return job
        time.sleep(0.02)
    raise AssertionError("job did not end")


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return info.value.response["Error"]["Code"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"jobName": "bad name!"}, "at 'jobName' failed to satisfy constraint"),
        ({"roleArn": "arn:aws:iam::123:user/x"}, "at 'roleArn'"),
        ({"modelId": "mistral.nope-v1:0"}, "The provided model identifier is invalid."),
        ({"modelId": "mistral.pixtral-large-2502-v1:0"}, "doesn't support batch inference"),
        ({"timeoutDurationInHours": 200}, "at 'timeoutDurationInHours'"),
        ({"outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://B/x"}}}, "s3OutputDataConfig.s3Uri"),
    ],
)
def test_create_validates_like_bedrock(bedrock, bucket, overrides, fragment):
    with pytest.raises(ClientError) as info:
        create(bedrock, bucket, f"s3://{bucket}/in.jsonl", **overrides)
    assert error_code(info) == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]


def test_job_runs_through_bedrock_statuses_and_writes_bedrock_layout(bedrock, bucket):
    bedrock.batch_jobs.faults.slow(status_step_ms=30)
    arn = create(bedrock, bucket, upload_records(bedrock, bucket, "in/records.jsonl", 120), timeoutDurationInHours=24,
                 tags=[{"key": "team", "value": "a"}])
    control = bedrock.control_client()
    seen = []
    while not seen or seen[-1] not in ("Completed", "Failed"):
        status = control.get_model_invocation_job(jobIdentifier=arn)["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.005)
    assert seen[-1] == "Completed"
    assert set(seen) <= {"Submitted", "Validating", "Scheduled", "InProgress", "Completed"}
    assert "Validating" in seen or "Scheduled" in seen
    job = control.get_model_invocation_job(jobIdentifier=arn.rsplit("/", 1)[1])
    assert job["timeoutDurationInHours"] == 24 and job["totalRecordCount"] == 120
    assert job["endTime"] >= job["submitTime"]
    job_id = arn.rsplit("/", 1)[1]
    keys = {o["Key"] for o in bedrock.s3_client().list_objects_v2(Bucket=bucket, Prefix="out/")["Contents"]}
    assert keys == {f"out/{job_id}/records.jsonl.out", f"out/{job_id}/manifest.json.out"}
    body = bedrock.s3_client().get_object(Bucket=bucket, Key=f"out/{job_id}/records.jsonl.out")["Body"].read()
    first = json.loads(body.splitlines()[0])
    assert set(first) == {"recordId", "modelInput", "modelOutput"}
    assert first["modelOutput"]["outputs"][0]["stop_reason"] in ("stop", "length")


def test_under_the_minimum_the_job_fails_validation(bedrock, bucket):
    arn = create(bedrock, bucket, upload_records(bedrock, bucket, "small.jsonl", 10))
    job = wait(bedrock, arn)
    assert job["status"] == "Failed" and "minimum of 100 records" in job["message"]


def test_an_input_that_is_not_jsonl_fails_the_job(bedrock, bucket):
    bedrock.s3_client().put_object(Bucket=bucket, Key="in/records.csv", Body=b"a,b\n")
    job = wait(bedrock, create(bedrock, bucket, f"s3://{bucket}/in/records.csv"))
    assert job["status"] == "Failed" and "must be a .jsonl file" in job["message"]


def test_unknown_job_and_stopping_a_finished_job(bedrock, bucket):
    control = bedrock.control_client()
    with pytest.raises(ClientError) as info:
        control.get_model_invocation_job(jobIdentifier="abcdefabcdef")
    assert error_code(info) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        control.get_model_invocation_job(jobIdentifier="NOT-AN-ID")
    assert error_code(info) == "ValidationException"
    arn = create(bedrock, bucket, upload_records(bedrock, bucket, "in.jsonl", 100))
    wait(bedrock, arn)
    with pytest.raises(ClientError) as info:
        control.stop_model_invocation_job(jobIdentifier=arn)
    assert error_code(info) == "ValidationException"


def test_list_filters_and_pagination(bedrock, bucket):
    uri = upload_records(bedrock, bucket, "in.jsonl", 100)
    arns = [create(bedrock, bucket, uri, jobName=f"report-{i}") for i in range(3)]
    arns.append(create(bedrock, bucket, uri, jobName="other", modelId=LARGE_2, modelInvocationType="Converse"))
    for arn in arns:
        wait(bedrock, arn)
    control = bedrock.control_client()
    named = control.list_model_invocation_jobs(nameContains="report")["invocationJobSummaries"]
    assert sorted(j["jobName"] for j in named) == ["report-0", "report-1", "report-2"]
    pages = list(control.get_paginator("list_model_invocation_jobs").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["invocationJobSummaries"]) for p in pages] == [3, 1]
    failed = control.list_model_invocation_jobs(statusEquals="Failed")["invocationJobSummaries"]
    assert [j["jobName"] for j in failed] == ["other"]  # prompt bodies are not Converse requests
    ascending = control.list_model_invocation_jobs(sortOrder="Ascending")["invocationJobSummaries"]
    assert [j["jobArn"] for j in ascending] == arns


def test_without_s3_create_says_how_to_enable_batch():
    with LocalBedrock() as plain, pytest.raises(ClientError) as info:
        plain.control_client().create_model_invocation_job(
            jobName="x", roleArn=ROLE, modelId=MISTRAL_7B,
            inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://bucket/in.jsonl"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}},
        )
    assert "LocalBedrock(batch=True)" in info.value.response["Error"]["Message"]
