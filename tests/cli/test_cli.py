"""The `bedrock-mistral` command line against the emulator: four commands, and bad input as one-line errors."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from bedrock_mistral.cli import main
from bedrock_mistral.local import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, LocalBedrock

ROOT = Path(__file__).resolve().parents[2]
LARGE_2 = "mistral.mistral-large-2407-v1:0"
MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


# --- models -------------------------------------------------------------------------------------------


def test_models_table_lists_every_model_with_limits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "models")
    assert code == 0 and err == ""
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.startswith("mistral.")}
    assert len(rows) == 14
    assert "131,072" in rows[LARGE_2] and "invoke[chat]*" in rows[LARGE_2] and "tools" in rows[LARGE_2]
    assert "1-200 (50)" in rows[MISTRAL_7B] and "32,768" in rows[MISTRAL_7B]
    assert "converse*" in rows["mistral.pixtral-large-2502-v1:0"]


def test_models_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "--json")
    assert code == 0
    rows = {row["model_id"]: row for row in json.loads(out)}
    assert rows[MISTRAL_7B]["context_window"] == 32_768
    assert rows[MISTRAL_7B]["apis"] == ["invoke", "converse"]
    assert rows["mistral.mistral-large-3-675b-instruct"]["apis"] == ["converse"]


# --- invoke -------------------------------------------------------------------------------------------


def test_invoke_text_completion_with_sampling_parameters(
    capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock
) -> None:
    code, out, err = run(
        capsys, "invoke", MISTRAL_7B, "which llm are you?", "--endpoint-url", local_bedrock.endpoint_url,
        "--max-tokens", "400", "--temperature", "0.7", "--top-p", "0.7", "--top-k", "50", "--stop", "###",
    )  # fmt: skip
    assert code == 0
    assert "Mistral 7B Instruct" in out
    assert re.search(r"\[stop: stop \| tokens: \d+ in, \d+ out", err)
    (request,) = local_bedrock.requests
    assert request.operation == "InvokeModel"
    assert request.body["prompt"] == "<s>[INST] which llm are you? [/INST]"
    assert (
        request.body["top_k"] == 50 and request.body["max_tokens"] == 400 and request.body["stop"] == ["###"]
    )


def test_invoke_converse_stream(capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock) -> None:
    code, out, err = run(
        capsys, "invoke", LARGE_2, "What is the best French cheese?", "--stream", "--api", "converse",
        "--system", "Be brief.", "--endpoint-url", local_bedrock.endpoint_url,
    )  # fmt: skip
    assert code == 0
    assert "French cheese" in out
    assert "[stop: end_turn | tokens:" in err
    (request,) = local_bedrock.requests
    assert request.operation == "ConverseStream"
    assert request.body["system"] == [{"text": "Be brief."}]


def test_invoke_cross_region_profile(capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock) -> None:
    code, out, _ = run(
        capsys, "invoke", f"eu.{LARGE_2}", "hello", "--endpoint-url", local_bedrock.endpoint_url
    )
    assert code == 0 and out.strip()


# --- chat ---------------------------------------------------------------------------------------------


def test_chat_reads_stdin_and_keeps_history(
    capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n\nwhat is 2 + 3?\n/exit\nnever sent\n"))
    code, out, err = run(capsys, "chat", LARGE_2, "--endpoint-url", local_bedrock.endpoint_url)
    assert code == 0
    assert "Hello!" in out and "2 + 3 = 5" in out and "never sent" not in out
    assert err.count("[stop: stop") == 2
    first, second = local_bedrock.requests
    assert first.operation == second.operation == "InvokeModelWithResponseStream"
    assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "user"]
    assert second.body["messages"][1]["content"].startswith("Hello!")


def test_chat_ends_at_eof_and_resets(
    capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n/reset\nwhich llm are you?"))
    code, out, _ = run(capsys, "chat", MISTRAL_7B, "--endpoint-url", local_bedrock.endpoint_url)
    assert code == 0 and "Mistral 7B Instruct" in out
    assert local_bedrock.requests[-1].body["prompt"] == "<s>[INST] which llm are you? [/INST]"


# --- bad input: one line on stderr, exit 2 ------------------------------------------------------------


def test_unknown_model(capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock) -> None:
    code, out, err = run(
        capsys, "invoke", "mistral.no-such-model", "hi", "--endpoint-url", local_bedrock.endpoint_url
    )
    assert_one_line_error(code, err, "unknown model id 'mistral.no-such-model'")
    assert out == "" and local_bedrock.requests == []


def test_temperature_out_of_range(capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock) -> None:
    code, _, err = run(
        capsys, "invoke", LARGE_2, "hi", "--temperature", "1.5", "--endpoint-url", local_bedrock.endpoint_url
    )
    assert_one_line_error(code, err, "temperature=1.5", "0 to 1")
    assert local_bedrock.requests == []


def test_chat_rejects_bad_parameters_before_reading_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n"))
    code, _, err = run(capsys, "chat", LARGE_2, "--top-k", "5", "--region", "us-east-1")
    assert_one_line_error(code, err, "top_k=5")
    assert sys.stdin.read() == "hello\n"


@pytest.mark.parametrize("command", ["invoke", "stream", "chat"])
def test_unreachable_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n"))
    where = ["--endpoint-url", "http://127.0.0.1:9", "--max-retries", "0", "--timeout", "2"]
    argv = {
        "invoke": ["invoke", LARGE_2, "hi", *where],
        "stream": ["invoke", LARGE_2, "hi", "--stream", *where],
        "chat": ["chat", LARGE_2, *where],
    }[command]
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, "127.0.0.1:9")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice"),
        (["invoke", LARGE_2], "required: prompt"),
        (["invoke", LARGE_2, "hi", "--temperature", "warm"], "invalid float value: 'warm'"),
        (["invoke", LARGE_2, "hi", "--api", "rest"], "invalid choice: 'rest'"),
        (["invoke", LARGE_2, "hi", "--max-retries", "-1", "--region", "us-east-1"], "--max-retries"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, fragment)


def test_bedrock_error_is_one_line(capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock) -> None:
    local_bedrock.faults.throttle(1)
    code, _, err = run(
        capsys, "invoke", LARGE_2, "hi", "--max-retries", "0", "--endpoint-url", local_bedrock.endpoint_url
    )
    assert_one_line_error(code, err, "ThrottlingException")


# --- as a program: python -m bedrock_mistral, and serve -----------------------------------------------


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bedrock_mistral", "models"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert LARGE_2 in result.stdout


def test_serve_answers_boto3() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bedrock_mistral", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the banner's first line names the endpoint
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"no endpoint in {line!r}"
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=match.group(0),
            region_name="us-east-1",
            aws_access_key_id=DEFAULT_ACCESS_KEY_ID,
            aws_secret_access_key=DEFAULT_SECRET_ACCESS_KEY,
        )
        response = client.converse(
            modelId=LARGE_2, messages=[{"role": "user", "content": [{"text": "which llm are you?"}]}]
        )
        assert "Mistral Large 2" in response["output"]["message"]["content"][0]["text"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_serve_rejects_a_busy_port(capsys: pytest.CaptureFixture[str], local_bedrock: LocalBedrock) -> None:
    code, _, err = run(capsys, "serve", "--port", str(local_bedrock.port))
    assert_one_line_error(code, err)
