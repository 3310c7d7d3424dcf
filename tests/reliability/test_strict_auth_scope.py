"""Issue 12 item 16: `auth="strict"` checks the credential scope and the payload hash the way AWS does.

Each request is signed correctly by botocore's own signer, with the emulator's secret, so only the scope
(or the body) is wrong. AWS's messages, as its services answer them:
- "Credential should be scoped to a valid region. " and "Credential should be scoped to correct service:
  'bedrock'. " are AWS's sentences (the second quoted from a real Bedrock Runtime 403 in a public probe
  write-up; AWS joins the sentences, each ending in ". ", when several apply);
- the date sentence is the one AWS's SigV4 documentation gives ("Date in Credential scope does not match
  YYYYMMDD from ISO-8601 version of date from HTTP"), with the details AWS's JSON services append;
- a body swapped after signing fails the signature check itself ("The request signature we calculated
  does not match..."): Bedrock hashes the body it receives, `UNSIGNED-PAYLOAD` is S3's, not Bedrock's. That
  the swapped `UNSIGNED-PAYLOAD` body gets exactly this message is our reading, not a recording.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
from collections.abc import Iterator

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.auth import BAD_SIGNATURE
from tests.reliability import registry

ACCESS_KEY = "AKIASCOPETEST0000000"
SECRET = "scope/test/secret/key/0000000000000000000"
PATH = "/model/mistral.mistral-7b-instruct-v0%3A2/invoke"
BODY = json.dumps({"prompt": "hi"}).encode()


@pytest.fixture(scope="module")
def strict() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET) as bedrock:
        yield bedrock


def post(
    bedrock: LocalBedrock,
    *,
    region: str = "us-east-1",
    service: str = "bedrock",
    claimed_hash: str | None = None,
    send_body: bytes = BODY,
    scope_date: str | None = None,
) -> tuple[int, str, str]:
    """Sign BODY with botocore for `region`/`service`, send `send_body`; (status, error code, message)."""
    headers = {"Content-Type": "application/json"}
    if claimed_hash is not None:
        headers["X-Amz-Content-SHA256"] = claimed_hash  # botocore signs the header's value as the payload
    request = AWSRequest(method="POST", url=f"{bedrock.endpoint_url}{PATH}", data=BODY, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET), service, region).add_auth(request)
    sent = dict(request.headers.items())
    if scope_date is not None:
        sent["Authorization"] = re.sub(r"(Credential=[^/]+/)\d{8}/", rf"\g<1>{scope_date}/", sent["Authorization"])
    conn = http.client.HTTPConnection("127.0.0.1", bedrock.port, timeout=10)
    try:
        conn.request("POST", PATH, body=send_body, headers=sent)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    if response.status == 200:
        return 200, "", ""
    code = (response.getheader("x-amzn-ErrorType") or "").split(":")[0]
    return response.status, code, json.loads(payload)["message"]


def test_a_correct_scope_passes(strict: LocalBedrock) -> None:
    assert post(strict)[0] == 200


@pytest.mark.parametrize("case", registry.STRICT_SCOPE.params())
def test_wrong_scope_or_swapped_body_is_refused(strict: LocalBedrock, case: str) -> None:
    swapped = BODY.replace(b'"hi"', b'"HI"')
    if case.startswith("region-"):
        found = post(strict, region=case.removeprefix("region-"))
        expected = "Credential should be scoped to a valid region. "
    elif case == "service-s3":
        found = post(strict, service="s3")
        expected = "Credential should be scoped to correct service: 'bedrock'. "
    elif case == "scope-date":
        found = post(strict, scope_date="20200101")
        amz_date = strict.requests[-1].headers["x-amz-date"]
        expected = (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'20200101' != '{amz_date[:8]}', from '{amz_date}'. "
        )
    elif case == "unsigned-payload-swapped":
        found = post(strict, claimed_hash="UNSIGNED-PAYLOAD", send_body=swapped)
        expected = BAD_SIGNATURE
    else:  # the header names the signed body's hash; another body is sent
        found = post(strict, claimed_hash=hashlib.sha256(BODY).hexdigest(), send_body=swapped)
        expected = "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert found == (403, "InvalidSignatureException", expected)


def test_every_wrong_part_is_named(strict: LocalBedrock) -> None:
    status, code, message = post(strict, region="mars-1", service="s3")
    assert (status, code) == (403, "InvalidSignatureException")
    assert message == (
        "Credential should be scoped to a valid region. Credential should be scoped to correct service: "
        "'bedrock'. "
    )
