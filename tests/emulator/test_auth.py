"""SigV4 in both modes, as boto3 clients see it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.auth import BAD_SIGNATURE, INVALID_TOKEN

from .helpers import raw_call

MODEL = "mistral.mistral-7b-instruct-v0:2"
BODY = json.dumps({"prompt": "<s>[INST] hi [/INST]"})
PATH = "/model/mistral.mistral-7b-instruct-v0%3A2/invoke"


def auth_error(client: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        client.invoke_model(modelId=MODEL, body=BODY)
    response = error.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return dict(response["Error"])


@pytest.fixture(scope="module")
def strict() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict", credentials={"AKIASECONDKEY0000000": "second-secret"}) as bedrock:
        yield bedrock


def test_strict_accepts_configured_credentials(strict: LocalBedrock) -> None:
    assert strict.client().invoke_model(modelId=MODEL, body=BODY)["ResponseMetadata"]["HTTPStatusCode"] == 200
    second = strict.client(aws_access_key_id="AKIASECONDKEY0000000", aws_secret_access_key="second-secret")
    assert second.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])[
        "stopReason"
    ]
    with_token = strict.client(aws_session_token="session-token-value")
    assert with_token.invoke_model(modelId=MODEL, body=BODY)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_strict_wrong_secret(strict: LocalBedrock) -> None:
    client = strict.client(aws_secret_access_key="not-the-secret")
    assert auth_error(client) == {"Code": "InvalidSignatureException", "Message": BAD_SIGNATURE}


def test_strict_unknown_key(strict: LocalBedrock) -> None:
    client = strict.client(aws_access_key_id="AKIANOTKNOWN00000000")
    assert auth_error(client) == {"Code": "UnrecognizedClientException", "Message": INVALID_TOKEN}


def test_strict_tampered_body(strict: LocalBedrock) -> None:
    client = strict.client()

    def tamper(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b"hi", b"yo")

    client.meta.events.register("before-send.bedrock-runtime.InvokeModel", tamper)
    assert auth_error(client) == {"Code": "InvalidSignatureException", "Message": BAD_SIGNATURE}


def test_strict_payload_hash_header_must_match(strict: LocalBedrock) -> None:
    wrong = hashlib.sha256(b"something else").hexdigest()
    status, headers, body = raw_call(
        strict, PATH, BODY.encode(), extra_headers={"X-Amz-Content-SHA256": wrong}
    )
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("InvalidSignatureException:")
    assert "x-amz-content-sha256" in json.loads(body)["message"]
    right = hashlib.sha256(BODY.encode()).hexdigest()
    assert raw_call(strict, PATH, BODY.encode(), extra_headers={"X-Amz-Content-SHA256": right})[0] == 200


@pytest.mark.parametrize(
    ("minutes", "prefix"), [(-10, "Signature expired: "), (10, "Signature not yet current: ")]
)
def test_strict_signature_clock(strict: LocalBedrock, minutes: int, prefix: str) -> None:
    client = strict.client()
    skewed = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(minutes=minutes)
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        error = auth_error(client)
    assert error["Code"] == "InvalidSignatureException"
    assert error["Message"].startswith(prefix + skewed.strftime("%Y%m%dT%H%M%SZ"))


def test_strict_rejects_bearer_tokens_it_was_not_given(strict: LocalBedrock) -> None:
    status, headers, body = raw_call(
        strict, PATH, BODY.encode(), sign=False, extra_headers={"Authorization": "Bearer abc"}
    )
    assert status == 403 and headers["x-amzn-errortype"].startswith("AccessDeniedException:")
    assert json.loads(body)["message"] == "Invalid API Key format: Must start with pre-defined prefix"
    status, headers, body = raw_call(
        strict, PATH, BODY.encode(), sign=False, extra_headers={"Authorization": "Bearer ABSKnot-configured"}
    )
    assert status == 403 and headers["x-amzn-errortype"].startswith("AccessDeniedException:")
    assert json.loads(body)["message"] == "Authentication failed: Please make sure your API Key is valid."


def test_signed_mode_accepts_any_key(bedrock: LocalBedrock) -> None:
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock.endpoint_url,
        region_name="eu-west-3",
        aws_access_key_id="ASIAANYKEYATALL00000",
        aws_secret_access_key="whatever",
        aws_session_token="token",
    )
    assert client.invoke_model(modelId=MODEL, body=BODY)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert bedrock.requests[-1].access_key == "ASIAANYKEYATALL00000"


def test_signed_mode_requires_a_signature(bedrock: LocalBedrock) -> None:
    unsigned = boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock.endpoint_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED),
    )
    assert auth_error(unsigned) == {
        "Code": "MissingAuthenticationTokenException",
        "Message": "Missing Authentication Token",
    }
    status, headers, _ = raw_call(
        bedrock, PATH, BODY.encode(), sign=False, extra_headers={"Authorization": "AWS4-HMAC-SHA256 nonsense"}
    )
    assert status == 400 and headers["x-amzn-errortype"].startswith("IncompleteSignatureException:")
    assert (
        raw_call(bedrock, PATH, BODY.encode(), sign=False, extra_headers={"Authorization": "Bearer api-key"})[
            0
        ]
        == 200
    )


def test_auth_none_mode() -> None:
    with LocalBedrock(auth="none") as bedrock:
        status, _, _ = raw_call(bedrock, PATH, BODY.encode(), sign=False)
        assert status == 200


def test_unknown_auth_mode() -> None:
    with pytest.raises(ValueError):
        LocalBedrock(auth="loose")  # type: ignore[arg-type]
