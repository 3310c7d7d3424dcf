"""`python -m bedrock_mistral.local serve`: flags, banner, faults from flags."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError

from bedrock_mistral.local.cli import add_serve_arguments, build, run_serve


def parse(*argv: str) -> argparse.Namespace:
    return add_serve_arguments(argparse.ArgumentParser()).parse_args(list(argv))


def test_defaults() -> None:
    args = parse()
    assert (args.host, args.port, args.auth, args.engine) == ("127.0.0.1", 8000, "signed", "rules")


def test_fault_flags_become_faults() -> None:
    bedrock = build(
        parse(
            "--port",
            "0",
            "--throttle",
            "2",
            "--latency-ms",
            "5",
            "--token-latency-ms",
            "1",
            "--stream-error-after",
            "3",
            "--stream-error",
            "throttlingException",
            "--drop-after",
            "4",
        )
    )
    kinds = [(f.kind, f.remaining) for f in bedrock.faults.pending]
    assert kinds == [("error", 2), ("latency", None), ("stream_error", None), ("drop", None)]


def test_run_serve_in_a_thread(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    args = parse("--port", "0", "--throttle", "1", "--stream-error-after", "1")
    thread = threading.Thread(target=run_serve, args=(args, stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    out = ""
    while "Ctrl-C" not in out and time.monotonic() < deadline:
        time.sleep(0.02)
        out += capsys.readouterr().out
    env = dict(re.findall(r"export (\w+)=(\S+)", out))
    client: Any = boto3.client(
        "bedrock-runtime",
        endpoint_url=env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=boto3.session.Config(retries={"total_max_attempts": 1}),
    )
    body = json.dumps({"prompt": "hi"})
    try:
        with pytest.raises(ClientError) as error:
            client.invoke_model(modelId="mistral.mistral-7b-instruct-v0:2", body=body)
        assert error.value.response["Error"]["Code"] == "ThrottlingException"
        assert (
            client.invoke_model(modelId="mistral.mistral-7b-instruct-v0:2", body=body)["ResponseMetadata"][
                "HTTPStatusCode"
            ]
            == 200
        )
        with pytest.raises(EventStreamError):
            list(
                client.invoke_model_with_response_stream(
                    modelId="mistral.mistral-7b-instruct-v0:2", body=body
                )["body"]
            )
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_module_entry_point_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bedrock_mistral.local", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--stream-error-after" in result.stdout and "--upstream-url" in result.stdout


def test_bad_engine_setup_exits_with_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_serve(parse("--port", "0", "--engine", "openai-compatible")) == 2
    assert "upstream" in capsys.readouterr().err
