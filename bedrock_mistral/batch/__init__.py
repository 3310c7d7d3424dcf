"""Bedrock Batch Inference: records on S3, `CreateModelInvocationJob`, results back in input order.

    job = submit_batch(client, requests, s3_uri="s3://bucket/prefix", role_arn="arn:aws:iam::...:role/x")
    job.wait()
    for result in job.results():
        print(result.key, result.response.text if result.ok else result.error)

No LangChain or LlamaIndex here: the adapters wrap `submit_batch` and convert the responses.
"""

from bedrock_mistral.batch.errors import (
    BatchInputError,
    BatchJobError,
    BatchMinimumError,
    BatchOutputError,
    BatchRecordError,
)
from bedrock_mistral.batch.jobs import TERMINAL, BatchJob, BatchStatus, JobStatus
from bedrock_mistral.batch.output import BatchResult, decode_line
from bedrock_mistral.batch.records import BatchRequest, record_id
from bedrock_mistral.batch.submit import JOB_OPTIONS, attach, map_inputs, split_job_options, submit_batch

__all__ = [
    "JOB_OPTIONS",
    "TERMINAL",
    "BatchInputError",
    "BatchJob",
    "BatchJobError",
    "BatchMinimumError",
    "BatchOutputError",
    "BatchRecordError",
    "BatchRequest",
    "BatchResult",
    "BatchStatus",
    "JobStatus",
    "attach",
    "decode_line",
    "map_inputs",
    "record_id",
    "split_job_options",
    "submit_batch",
]
