"""One emulator with batch jobs over moto's S3 server on loopback, shared by the batch tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.transport import BedrockClient

ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"
MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"
MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1"
LARGE_2 = "mistral.mistral-large-2407-v1:0"
RECORDS = 250
_buckets = itertools.count()


@pytest.fixture(scope="session")
def batch_bedrock() -> Iterator[LocalBedrock]:
    with LocalBedrock(batch=True) as bedrock:
        yield bedrock


@pytest.fixture
def bedrock(batch_bedrock: LocalBedrock) -> Iterator[LocalBedrock]:
    batch_bedrock.clear()
    yield batch_bedrock
    batch_bedrock.clear()


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
