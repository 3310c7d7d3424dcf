"""Issue 8, part 3: credentials never leak; the emulator authenticates strictly and stays on loopback."""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import logging
import pickle
import socket
import traceback
from collections.abc import Iterator
from typing import Any

import botocore.auth
import pytest
from botocore.exceptions import ClientError

from bedrock_mistral import BedrockClient, ChatRequest, Message
from bedrock_mistral.errors import (
    AuthenticationError,
    BedrockMistralError,
    BedrockTimeoutError,
    ConfigurationError,
    ModelStreamError,
    ValidationError,
)
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.local.app import redacted
from bedrock_mistral.local.cli import add_serve_arguments
from bedrock_mistral.local.rejections import DEFAULT_MAX_BODY_BYTES
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY, LARGE2, transport_of

ACCESS_KEY = "AKIASENTINEL0000TEST"
SECRET = "Sentinel/Secret+Key/never-leak/0123456789ab"
TOKEN = "SentinelSessionToken//never-leak//FwoGZXIvYXdzEJr"
SECRETS = (SECRET, TOKEN)
QUESTION = "Tell me about the history of French cheese making in a few sentences."


@pytest.fixture(scope="module")
def strict() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET) as bedrock:
        yield bedrock


@pytest.fixture
def secure(strict: LocalBedrock) -> Iterator[LocalBedrock]:
    strict.clear()
    yield strict
    strict.clear()


def sentinel_options(bedrock: LocalBedrock) -> dict[str, Any]:
    return {"aws_session_token": TOKEN, "max_retries": 1}


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential leaked into {where}"
        assert secret.replace("/", "\\/") not in text, f"a credential leaked (JSON-escaped) into {where}"


def build(adapter: str, bedrock: LocalBedrock, **options: Any) -> Any:
    if adapter == "transport":
        return BedrockClient(LARGE2, **bedrock.client_kwargs(), aws_session_token=TOKEN, **options)
    return BY_KEY[adapter].build(bedrock, fresh=True, aws_session_token=TOKEN, **options)


def surfaces(adapter: str, instance: Any) -> dict[str, str]:
    found = {"repr": repr(instance), "str": str(instance)}
    if adapter == "transport":
        found["settings"] = repr(instance.settings)
        return found
    found["model_dump"] = repr(instance.model_dump())
    found["model_dump_json"] = instance.model_dump_json()
    if adapter.startswith("langchain"):
        from langchain_core.load import dumpd, dumps

        found["dumps"] = dumps(instance)
        found["dumpd"] = repr(dumpd(instance))
        found["to_json"] = repr(instance.to_json())
        found["identifying_params"] = repr(instance._identifying_params)
    else:
        found["to_dict"] = repr(instance.to_dict())
        found["to_json"] = instance.to_json()
        found["metadata"] = repr(instance.metadata)
    return found


@pytest.mark.parametrize("adapter", registry.SECRET_SURFACES.params())
def test_credentials_not_in_repr_or_serialization(secure: LocalBedrock, adapter: str) -> None:
    instance = build(adapter, secure)
    # The credentials are really in use: a strict emulator accepts the calls.
    if adapter == "transport":
        assert instance.chat(ChatRequest((Message("user", "hi"),))).text
    else:
        assert BY_KEY[adapter].call(instance, "invoke", "hi").text
    assert secure.requests[-1].access_key == ACCESS_KEY
    headers = {k.lower(): v for k, v in secure.requests[-1].headers.items()}
    assert headers["x-amz-security-token"] == redacted(TOKEN), "the token was sent (and redacted in the log)"
    for where, text in surfaces(adapter, instance).items():
        assert_clean(text, f"{adapter} {where}")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.formatter_ = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record))


@pytest.fixture
def debug_logs() -> Iterator[Capture]:
    """Every logger at DEBUG (botocore, urllib3, aiobotocore, aiohttp, ours, the frameworks')."""
    capture = Capture()
    root = logging.getLogger()
    saved = (
        root.level,
        {
            name: lg.level
            for name, lg in logging.root.manager.loggerDict.items()
            if isinstance(lg, logging.Logger)
        },
    )
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("adapter, style", registry.SECRET_LOGS.params())
def test_credentials_not_in_debug_logs(
    secure: LocalBedrock, debug_logs: Capture, adapter: str, style: str
) -> None:
    spec = BY_KEY[adapter]
    instance = build(adapter, secure, max_retries=2)
    secure.faults.throttle(1)  # the retry path logs too
    outcome = spec.call(instance, style, QUESTION)
    assert outcome.text
    assert len(secure.requests) == 2
    text = "\n".join(debug_logs.lines)
    assert any(line.startswith("botocore") for line in debug_logs.lines), (
        "botocore DEBUG logs were not captured"
    )
    assert "Authorization" in text or "authorization" in text  # botocore did log the signed request
    assert SECRET not in text, "the secret access key leaked into the DEBUG logs"
    leaked = [line[:120] for line in debug_logs.lines if TOKEN in line]
    assert not leaked, f"the session token leaked into DEBUG logs: {leaked[:2]}"


@pytest.mark.parametrize("style", ["invoke", "astream"])
def test_session_token_not_in_botocore_debug_logs(
    secure: LocalBedrock, debug_logs: Capture, style: str
) -> None:
    spec = BY_KEY["langchain-chat"]
    assert spec.call(build("langchain-chat", secure), style, QUESTION).text
    leaked = [line[:120] for line in debug_logs.lines if TOKEN in line]
    assert not leaked, f"the session token leaked into DEBUG logs: {leaked[:2]}"


def _error(case: str, bedrock: LocalBedrock) -> BaseException:
    if case == "auth":
        client = BedrockClient(
            LARGE2,
            **{**bedrock.client_kwargs(), "aws_secret_access_key": SECRET + "x"},
            aws_session_token=TOKEN,
            max_retries=0,
        )
        with pytest.raises(AuthenticationError) as info:
            client.chat(ChatRequest((Message("user", "hi"),)))
        return info.value
    client = build("transport", bedrock, max_retries=0, read_timeout=0.3)
    if case == "canonical-request":
        # Some AWS front ends quote the canonical request (session token header included) and the
        # Authorization header back in an InvalidSignatureException.
        quoted = (
            "The request signature we calculated does not match the signature you provided. The Canonical "
            f"String for this request should have been\n'POST\n/model/{LARGE2}/invoke\n\n"
            f"host:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20260101T000000Z\n"
            f"x-amz-security-token:{TOKEN}\n\nhost;x-amz-date;x-amz-security-token\n'\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=0123456789abcdef0123456789abcdef"
        )
        bedrock.faults.error(403, "InvalidSignatureException", quoted)
        with pytest.raises(AuthenticationError) as info:
            client.chat(ChatRequest((Message("user", "hi"),)))
        assert "Canonical String" in str(info.value), "the rest of Bedrock's message is kept"
        assert "0123456789abcdef0123456789abcdef" not in str(info.value), "the signature is redacted"
        return info.value
    if case == "bedrock-error":
        bedrock.faults.error(400, "ValidationException", "bad request body")
        with pytest.raises(ValidationError) as info:
            client.chat(ChatRequest((Message("user", "hi"),)))
        return info.value
    if case == "timeout":
        bedrock.faults.latency(first_byte_ms=2000, count=1)
        with pytest.raises(BedrockTimeoutError) as info:
            client.chat(ChatRequest((Message("user", "hi"),)))
        return info.value
    if case == "in-stream":
        bedrock.faults.stream_error(after_chunks=2)
        with pytest.raises(ModelStreamError) as info:
            list(client.stream_chat(ChatRequest((Message("user", QUESTION),))))
        return info.value
    with pytest.raises(ConfigurationError) as info:
        BedrockClient(
            LARGE2,
            aws_access_key_id=None,
            aws_secret_access_key=SECRET,
            aws_session_token=TOKEN,
            region_name="us-east-1",
        )
    return info.value


@pytest.mark.parametrize("case", registry.SECRET_ERRORS.params())
def test_credentials_not_in_exceptions(secure: LocalBedrock, case: str) -> None:
    error = _error(case, secure)
    assert isinstance(error, BedrockMistralError)
    formatted = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    for where, text in {"str": str(error), "repr": repr(error), "traceback": formatted}.items():
        assert_clean(text, f"{case} error {where}")


@pytest.mark.parametrize("style", registry.REQUEST_LOG.params())
def test_request_log_redacts_token_and_authorization(secure: LocalBedrock, style: str) -> None:
    client = build("transport", secure)
    request = ChatRequest((Message("user", "hi"),))
    if style == "invoke":
        assert client.chat(request).text
    else:
        assert "".join(d.text or "" for d in client.stream_chat(request))
    recorded = secure.requests[-1]
    assert recorded.access_key == ACCESS_KEY, "the emulator still authenticated the request"
    headers = {k.lower(): v for k, v in recorded.headers.items()}
    assert headers["x-amz-security-token"] == redacted(TOKEN)
    assert headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert headers["authorization"].endswith("Signature=***")
    assert_clean(repr(recorded), "the emulator's request log")


# --- strict SigV4 -----------------------------------------------------------------------------------------


def _raw_post(bedrock: LocalBedrock, headers: dict[str, str], body: bytes = b"{}") -> tuple[int, str, bytes]:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST /model/{LARGE2.replace(':', '%3A')}/invoke HTTP/1.1\r\nHost: 127.0.0.1:{bedrock.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", bedrock.port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head_bytes, _, payload = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    error_type = next(
        (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("x-amzn-errortype")), ""
    )
    return int(lines[0].split()[1]), error_type, payload


def _shift_clock(monkeypatch: pytest.MonkeyPatch, minutes: int) -> None:
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() + dt.timedelta(minutes=minutes))


@pytest.mark.parametrize("case", registry.STRICT_AUTH.params())
def test_strict_mode_rejects_bad_signatures(
    secure: LocalBedrock, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    body = b'{"messages": [{"role": "user", "content": "hi"}]}'
    expected = {
        "wrong-secret": "InvalidSignatureException",
        "unknown-key": "UnrecognizedClientException",
        "tampered-body": "InvalidSignatureException",
        "expired": "InvalidSignatureException",
        "future": "InvalidSignatureException",
        "missing": "MissingAuthenticationTokenException",
        "malformed": "IncompleteSignatureException",
    }
    if case in ("missing", "malformed"):
        headers = (
            {}
            if case == "missing"
            else {"Authorization": "AWS4-HMAC-SHA256 Credential=garbage", "X-Amz-Date": "20240101T000000Z"}
        )
        status, error_type, payload = _raw_post(secure, headers, body)
        assert status == (403 if case == "missing" else 400) and error_type.startswith(expected[case])
        assert b'"message"' in payload
        return
    options: dict[str, Any] = {}
    if case == "wrong-secret":
        options["aws_secret_access_key"] = SECRET[:-1] + "X"
    if case == "unknown-key":
        options["aws_access_key_id"] = "AKIAUNKNOWN000000000"
    client = secure.client(**options)
    if case == "tampered-body":

        def tamper(request: Any, **_: Any) -> None:
            request.body = request.body.replace(b'"hi"', b'"HI"')

        client.meta.events.register("before-send.bedrock-runtime.InvokeModel", tamper)
    if case in ("expired", "future"):
        _shift_clock(monkeypatch, -10 if case == "expired" else 10)
    if case == "right-key":
        assert client.invoke_model(modelId=LARGE2, body=body)["ResponseMetadata"]["HTTPStatusCode"] == 200
        return
    with pytest.raises(ClientError) as info:
        client.invoke_model(modelId=LARGE2, body=body)
    error = info.value.response["Error"]
    assert error["Code"] == expected[case], error
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    if case in ("expired", "future"):
        assert "Signature expired" in error["Message"] or "not yet current" in error["Message"]
    assert len(secure.requests) == 1 and secure.requests[0].access_key is None  # refused, not answered


def test_strict_mode_errors_map_to_authentication_error(secure: LocalBedrock) -> None:
    client = BedrockClient(
        LARGE2, **{**secure.client_kwargs(), "aws_secret_access_key": "wrong"}, max_retries=3
    )
    with pytest.raises(AuthenticationError) as info:
        client.chat(ChatRequest((Message("user", "hi"),)))
    assert info.value.status_code == 403 and len(secure.requests) == 1  # auth errors are not retried


# --- loopback and size limits ---------------------------------------------------------------------------


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _raw_exchange(bedrock: LocalBedrock, data: list[bytes]) -> tuple[int, str, bytes]:
    with socket.create_connection(("127.0.0.1", bedrock.port), timeout=10) as conn:
        try:
            for piece in data:
                conn.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the whole body is sent
        response = b""
        try:
            while chunk := conn.recv(65536):
                response += chunk
        except ConnectionResetError:
            pass
    head, _, payload = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    error_type = next(
        (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("x-amzn-errortype")), ""
    )
    return int(lines[0].split()[1]), error_type, payload


@pytest.mark.parametrize("case", registry.LOOPBACK.params())
def test_loopback_and_body_limit(bedrock: LocalBedrock, case: str) -> None:
    path = f"/model/{LARGE2.replace(':', '%3A')}/invoke"
    if case == "listen-address":
        assert LocalBedrock().host == "127.0.0.1"
        assert bedrock._server is not None and bedrock._server._listener.getsockname()[0] == "127.0.0.1"
        other = _non_loopback_address()
        if other is not None:
            with pytest.raises(OSError), socket.create_connection((other, bedrock.port), timeout=2):
                pass
        return
    if case == "cli-default":
        args = add_serve_arguments(argparse.ArgumentParser()).parse_args([])
        assert args.host == "127.0.0.1"
        return
    too_big = DEFAULT_MAX_BODY_BYTES + 1
    if case == "content-length":
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {too_big}\r\n\r\n".encode()
        status, error_type, payload = _raw_exchange(bedrock, [head])  # no body sent: refused on the header
        assert status == 400 and error_type.startswith("ValidationException") and b"bytes" in payload
        return
    if case == "chunked":
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        piece = b"x" * (1 << 20)
        chunks = [b"%x\r\n" % len(piece) + piece + b"\r\n"] * (too_big // len(piece) + 1)
        status, error_type, payload = _raw_exchange(bedrock, [head, *chunks, b"0\r\n\r\n"])
        assert status == 400 and error_type.startswith("ValidationException") and b"bytes" in payload
        return
    client = bedrock.client()
    with pytest.raises(ClientError) as info:
        client.invoke_model(modelId=LARGE2, body=b" " * too_big)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert str(DEFAULT_MAX_BODY_BYTES) in info.value.response["Error"]["Message"]


def test_transport_keeps_no_secret_attribute_in_repr_of_pool(secure: LocalBedrock) -> None:
    client = build("transport", secure)
    assert_clean(repr(vars(client)).replace(repr(client.settings), ""), "BedrockClient attributes")
    assert transport_of(BY_KEY["langchain-chat"].build(secure, fresh=True)).settings is not None


# --- copies and pickles keep the identity they were given ------------------------------------------------


@pytest.mark.parametrize("adapter, case", registry.COPIES.params())
def test_copies_and_pickles_keep_identity(
    secure: LocalBedrock, monkeypatch: pytest.MonkeyPatch, adapter: str, case: str
) -> None:
    # Another identity in the environment: a copy that lost its explicit keys would sign with this one.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret-key")
    if case == "half-built-repr":
        assert "BedrockClient(" in repr(BedrockClient.__new__(BedrockClient))
        return
    spec = BY_KEY[adapter]
    if case == "pickle-boto3-client":
        model = spec.build(secure, fresh=True, client=secure.client())
        with pytest.raises(TypeError) as info:
            pickle.dumps(model)
        assert "boto3 client" in str(info.value) and "cannot be pickled" in str(info.value)
        clone = copy.deepcopy(model)
        assert transport_of(clone).client is transport_of(model).client, "a deep copy shares the boto3 client"
        assert spec.call(clone, "invoke", "hi").text
        assert secure.requests[-1].access_key == ACCESS_KEY
        return
    if case == "pickle-environment-keys":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        model = spec.build_fn(spec.model, endpoint_url=secure.endpoint_url, region_name=secure.region_name,
                              **({"api": spec.api} if spec.api else {}))
    else:
        model = spec.build(secure, fresh=True)
    for style in ("invoke", "ainvoke"):  # copies are made after use, with clients on both paths
        assert spec.call(model, style, "hi").text
    if case == "pickle-explicit-keys":
        with pytest.raises(TypeError) as info:
            pickle.dumps(model)
        assert "cannot be pickled" in str(info.value) and "in clear" in str(info.value)
        assert_clean(str(info.value), "the refusal")
        return
    if case == "pickle-environment-keys":
        data = pickle.dumps(model)
        assert_clean(data.decode("latin-1"), f"{adapter} pickle")
        clone = pickle.loads(data)
    elif case == "deepcopy":
        clone = copy.deepcopy(model)
    else:
        clone = model.model_copy(deep=True)
    assert transport_of(clone) is not transport_of(model)
    secure.clear()
    for style in ("invoke", "stream", "ainvoke"):
        assert spec.call(clone, style, "hi").text
    assert [r.access_key for r in secure.requests] == [ACCESS_KEY] * 3, "the copy signs as the original"
    assert_clean(repr(clone), f"{adapter} {case} repr")


API_KEY = "ABSKU2VudGluZWwtQVBJLWtleS1uZXZlci1sZWFrLTAwMDk="


@pytest.fixture(scope="module")
def keyed() -> Iterator[LocalBedrock]:
    with LocalBedrock(auth="strict", api_keys=[API_KEY]) as bedrock:
        yield bedrock


def _keyed_instance(adapter: str, bedrock: LocalBedrock, key: str) -> Any:
    if adapter == "transport":
        return BedrockClient(
            LARGE2, endpoint_url=bedrock.endpoint_url, region_name=bedrock.region_name, api_key=key, max_retries=0
        )
    return BY_KEY[adapter].build(bedrock, fresh=True, api_key=key, max_retries=0)


def _keyed_call(adapter: str, instance: Any) -> str:
    if adapter == "transport":
        return instance.chat(ChatRequest((Message("user", "hi"),))).text
    return BY_KEY[adapter].call(instance, "invoke", "hi").text


@pytest.mark.parametrize("adapter, where", registry.API_KEY_HYGIENE.params())
def test_api_key_never_leaks(
    keyed: LocalBedrock, debug_logs: Capture, hermetic_aws_env: None, adapter: str, where: str
) -> None:
    keyed.clear()
    if where == "errors":
        wrong = API_KEY[:-8] + "WRONGKEY"
        with pytest.raises(BedrockMistralError) as info:
            _keyed_call(adapter, _keyed_instance(adapter, keyed, wrong))
        error = info.value
        formatted = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        for text in (str(error), repr(error), formatted):
            assert wrong not in text, f"the API key leaked into a {adapter} error"
        return
    instance = _keyed_instance(adapter, keyed, API_KEY)
    assert _keyed_call(adapter, instance)  # the key is really in use: the strict emulator accepted it
    assert keyed.requests[-1].headers["authorization"].startswith("Bearer ***")
    if where == "surfaces":
        texts = surfaces(adapter, instance)
        if adapter == "transport":
            texts["settings"] = repr(instance.settings)
        for name, text in texts.items():
            assert API_KEY not in text, f"the API key leaked into {adapter} {name}"
    else:
        lines = [line for line in debug_logs.lines if API_KEY in line]
        assert any(line.startswith("botocore") for line in debug_logs.lines), "botocore logs were not captured"
        assert not lines, f"the API key leaked into DEBUG logs: {[line[:100] for line in lines[:2]]}"
    for request in keyed.requests:
        assert API_KEY not in repr(request), "the API key is in the emulator's request log"
