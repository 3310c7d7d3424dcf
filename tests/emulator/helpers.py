"""Test helpers: raw signed HTTP calls (to see frame headers boto3 hides), blob decoding, frame decoding."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
from typing import Any
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from bedrock_mistral.local import LocalBedrock


def raw_call(
    bedrock: LocalBedrock,
    path: str,
    body: bytes,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    when: dt.datetime | None = None,
    sign: bool = True,
    extra_headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """POST `body` to `path`, SigV4-signed by botocore, and return status, lower-cased headers and body."""
    url = f"{bedrock.endpoint_url}{path}"
    headers = {"Content-Type": "application/json", **(extra_headers or {})}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    if sign:
        credentials = Credentials(
            access_key or bedrock.aws_access_key_id, secret_key or bedrock.aws_secret_access_key
        )
        signer = SigV4Auth(credentials, "bedrock", bedrock.region_name)
        if when is None:
            signer.add_auth(request)
        else:
            with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
                signer.add_auth(request)
    connection = http.client.HTTPConnection(bedrock.host, bedrock.port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def frames(raw: bytes) -> list[tuple[dict[str, Any], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return [(dict(message.headers), message.payload) for message in buffer]


def blobs(value: Any) -> Any:
    """A recorded Converse body with base64 blob fields turned back into bytes, as boto3 takes them."""
    if isinstance(value, dict):
        out = {k: blobs(v) for k, v in value.items()}
        if isinstance(out.get("source"), dict) and isinstance(out["source"].get("bytes"), str):
            out["source"] = {**out["source"], "bytes": base64.b64decode(out["source"]["bytes"])}
        return out
    if isinstance(value, list):
        return [blobs(v) for v in value]
    return value


def shape(value: Any) -> Any:
    """Keys and value types of a JSON value, for comparing answers with recordings."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__
