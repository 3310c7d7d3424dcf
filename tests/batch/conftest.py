"""The batch tests' emulator (the package's `local_bedrock_batch` fixture), buckets and clients."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.local import LocalBedrock

ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"
MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"
MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1"
LARGE_2 = "mistral.mistral-large-2407-v1:0"
RECORDS = 250
_buckets = itertools.count()


@pytest.fixture
def bedrock(local_bedrock_batch: LocalBedrock) -> LocalBedrock:
    """The package's own fixture: the emulator with batch jobs over moto's S3 server, cleared per test."""
    return local_bedrock_batch


@pytest.fixture
def bucket(bedrock: LocalBedrock, worker_id: str) -> str:
    name = f"batch-{worker_id}-{next(_buckets)}".lower()
    bedrock.s3_client().create_bucket(Bucket=name)
    return name


def make_client(bedrock: LocalBedrock, model: str, **kwargs: Any) -> BedrockClient:
    return BedrockClient(model, max_retries=0, **bedrock.client_kwargs(), **kwargs)


def s3_keys(bedrock: LocalBedrock, bucket: str) -> list[str]:
    listing = bedrock.s3_client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listing.get("Contents", [])]
