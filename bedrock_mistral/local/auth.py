"""SigV4 checks: `strict` recomputes the signature with botocore's own signer, `signed` checks the form.

No HMAC is written here: the request is rebuilt as a botocore `AWSRequest` from the headers the client
says it signed, and `SigV4Auth` computes the signature the client should have sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bedrock_mistral.local.service_errors import ServiceError

AuthMode = Literal["signed", "strict", "none"]
AUTH_MODES: tuple[str, ...] = ("signed", "strict", "none")
SKEW = dt.timedelta(minutes=5)
_AUTH_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
INVALID_TOKEN = "The security token included in the request is invalid."
SERVICE = "bedrock"
"""The signing name of both Bedrock endpoints (runtime and control plane)."""
WRONG_REGION = "Credential should be scoped to a valid region. "
WRONG_SERVICE = f"Credential should be scoped to correct service: '{SERVICE}'. "
API_KEY_PREFIX = "ABSK"
"""Bedrock API keys start with this; a bearer token that does not is refused for its format."""
API_KEY_FORMAT = "Invalid API Key format: Must start with pre-defined prefix"
API_KEY_INVALID = "Authentication failed: Please make sure your API Key is valid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class SignedRequest:
    """The parts of a received request the signature covers."""

    method: str
    raw_path: str
    headers: Mapping[str, str]
    """Lower-cased names."""
    body: bytes


@dataclass(frozen=True)
class Authorization:
    access_key: str
    date: str
    """X-Amz-Date."""
    scope_date: str
    """The credential scope's YYYYMMDD."""
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _fail(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, 400 if code == "IncompleteSignatureException" else 403)


def parse_authorization(headers: Mapping[str, str]) -> Authorization | None:
    """The parsed SigV4 header; None for a bearer token (Bedrock API keys). Raises when absent or malformed."""
    value = headers.get("authorization")
    if value is None:
        raise _fail("MissingAuthenticationTokenException", "Missing Authentication Token")
    if value.startswith("Bearer ") and value[7:].strip():
        return None
    match = _AUTH_HEADER.match(value.strip())
    if match is None:
        raise _fail(
            "IncompleteSignatureException",
            f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. "
            f"Authorization={value.split(' ')[0]}",
        )
    parts = match.group("credential").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise _fail("IncompleteSignatureException", f"Credential is malformed: {match.group('credential')}")
    amz_date = headers.get("x-amz-date")
    if amz_date is None:
        raise _fail(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    signed = tuple(match.group("signed").split(";"))
    if "host" not in signed:
        raise _fail(
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    return Authorization(parts[0], amz_date, parts[1], parts[2], parts[3], signed, match.group("signature"))


def _check_clock(amz_date: str, now: dt.datetime) -> None:
    try:
        when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise _fail(
            "IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
        ) from None
    fmt = "%Y%m%dT%H%M%SZ"
    if when < now - SKEW:
        raise _fail(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {(now - SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} - 5 min.)",
        )
    if when > now + SKEW:
        raise _fail(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than {(now + SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} + 5 min.)",
        )


def scope_errors(auth: Authorization, region: str) -> str:
    """AWS's sentences for a credential scope that is not this endpoint's region, service and request date
    (each one ends with ". ", and AWS joins them when several apply); empty when the scope is right."""
    errors = []
    if auth.region != region:
        errors.append(WRONG_REGION)
    if auth.service != SERVICE:
        errors.append(WRONG_SERVICE)
    if auth.scope_date != auth.date[:8]:
        errors.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{auth.scope_date}' != '{auth.date[:8]}', from '{auth.date}'. "
        )
    return "".join(errors)


def expected_signature(request: SignedRequest, auth: Authorization, secret_key: str) -> str:
    """The signature botocore computes for this request with `secret_key`, over the body as received.

    The payload hash is always the body's own SHA-256, as Bedrock computes it: `x-amz-content-sha256`
    (including `UNSIGNED-PAYLOAD`) is only a signed header, so a body swapped after signing never verifies.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = request.headers.get("host", "localhost")
    signed = {name: request.headers.get(name, "") for name in auth.signed_headers}
    aws_request = AWSRequest(
        method=request.method, url=f"http://{host}{request.raw_path}", data=request.body, headers=signed
    )
    aws_request.context["timestamp"] = auth.date
    signer = SigV4Auth(Credentials(auth.access_key, secret_key), auth.service, auth.region)
    lines = signer.canonical_request(aws_request).split("\n")
    lines[-1] = hashlib.sha256(request.body).hexdigest()  # the payload line, whatever the header claims
    canonical = "\n".join(lines)
    return str(signer.signature(signer.string_to_sign(aws_request, canonical), aws_request))


class Authenticator:
    """Checks one request according to the mode; raises ServiceError with Bedrock's code and message."""

    def __init__(
        self,
        mode: AuthMode,
        credentials: Mapping[str, str],
        region: str = "us-east-1",
        api_keys: Iterable[str] = (),
    ) -> None:
        if mode not in AUTH_MODES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, got {mode!r}")
        self.mode = mode
        self.credentials = dict(credentials)
        self.region = region
        """`strict` accepts only credentials scoped to this region."""
        self.api_keys = tuple(api_keys)
        """Bedrock API keys `strict` accepts as bearer tokens."""

    def __repr__(self) -> str:
        return f"Authenticator(mode={self.mode!r}, keys={len(self.credentials)}, api_keys={len(self.api_keys)})"

    def _check_api_key(self, token: str) -> None:
        """`strict`: a bearer token must be one of the configured API keys (compared in constant time)."""
        if not token.startswith(API_KEY_PREFIX):
            raise _fail("AccessDeniedException", API_KEY_FORMAT)
        if not any(hmac.compare_digest(token.encode(), key.encode()) for key in self.api_keys):
            raise _fail("AccessDeniedException", API_KEY_INVALID)

    def check(self, request: SignedRequest, now: dt.datetime | None = None) -> str | None:
        """Returns the caller's access key id (None for `none` mode or bearer tokens)."""
        if self.mode == "none":
            return None
        auth = parse_authorization(request.headers)
        if auth is None:  # a bearer token: a Bedrock API key
            if self.mode == "strict":
                self._check_api_key(request.headers.get("authorization", "")[7:].strip())
            return None
        if self.mode == "signed":
            return auth.access_key
        secret = self.credentials.get(auth.access_key)
        if secret is None:
            raise _fail("UnrecognizedClientException", INVALID_TOKEN)
        _check_clock(auth.date, now or dt.datetime.now(dt.timezone.utc))
        wrong_scope = scope_errors(auth, self.region)
        if wrong_scope:
            raise _fail("InvalidSignatureException", wrong_scope)
        claimed = request.headers.get("x-amz-content-sha256")
        if claimed not in (None, "UNSIGNED-PAYLOAD") and claimed != hashlib.sha256(request.body).hexdigest():
            raise _fail(
                "InvalidSignatureException",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        if not hmac.compare_digest(expected_signature(request, auth, secret), auth.signature):
            raise _fail("InvalidSignatureException", BAD_SIGNATURE)
        return auth.access_key
