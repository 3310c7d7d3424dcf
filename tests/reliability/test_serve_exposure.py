"""Issue 12 item 16: `serve --host` beyond loopback warns, prints an endpoint clients reach, and takes IPv6."""

from __future__ import annotations

import argparse
import re
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bedrock_mistral.local.cli import add_serve_arguments, run_serve
from tests.reliability import registry

ARGS = {
    "all-interfaces": ("--host", "0.0.0.0"),
    "ipv6-all-interfaces": ("--host", "::"),
    "all-interfaces-strict": ("--host", "0.0.0.0", "--auth", "strict"),
    "default-loopback": (),
}


def serve(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str, threading.Event, threading.Thread]:
    """Runs `serve` in a thread until its banner is out; (stdout, stderr, stop, thread)."""
    args = add_serve_arguments(argparse.ArgumentParser()).parse_args(["--port", "0", *argv])
    stop = threading.Event()
    thread = threading.Thread(target=run_serve, args=(args, stop), daemon=True)
    thread.start()
    out = err = ""
    deadline = time.monotonic() + 10
    while "Ctrl-C" not in out and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
        captured = capsys.readouterr()
        out, err = out + captured.out, err + captured.err
    assert "Ctrl-C" in out, f"no banner: {out!r} {err!r}"
    return out, err, stop, thread


@pytest.mark.parametrize("case", registry.SERVE_EXPOSURE.params())
def test_serve_host(capsys: pytest.CaptureFixture[str], case: str) -> None:
    out, err, stop, thread = serve(capsys, *ARGS[case])
    try:
        env = dict(re.findall(r"export (\w+)=(\S+)", out))
        endpoint = env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
        listening = re.search(r"listening on (\S+)", out)
        assert listening is not None and listening.group(1) == endpoint
        assert "0.0.0.0" not in endpoint and "[::]" not in endpoint
        if case == "ipv6-all-interfaces":
            assert endpoint.startswith("http://[::1]:")
        warned = "reachable beyond this machine" in err and "--auth strict" in err
        assert warned == (case in ("all-interfaces", "ipv6-all-interfaces")), err
        client: Any = boto3.client(
            "bedrock-runtime",
            endpoint_url=endpoint,
            region_name=env.get("AWS_DEFAULT_REGION") or env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"total_max_attempts": 1}),
        )
        body = b'{"prompt": "hi"}'
        assert client.invoke_model(modelId="mistral.mistral-7b-instruct-v0:2", body=body)["body"].read()
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
