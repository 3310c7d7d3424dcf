"""`bedrock-mistral batch ...` against the emulator and moto's S3 server: every subcommand, and bad input
files as one-line errors (exit 2) with nothing submitted."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bedrock_mistral.cli import main
from bedrock_mistral.local import LocalBedrock

from .conftest import LARGE_2, MISTRAL_7B, RECORDS, ROLE, s3_keys


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def endpoints(bedrock: LocalBedrock) -> list[str]:
    return ["--endpoint-url", bedrock.endpoint_url, "--s3-endpoint-url", str(bedrock.s3_endpoint_url)]


def submit_args(bedrock: LocalBedrock, bucket: str, model: str, path: Path, *extra: str) -> list[str]:
    return ["batch", "submit", model, "--input", str(path), "--s3", f"s3://{bucket}/cli", "--role-arn", ROLE,
            "--poll-interval", "0.05", *endpoints(bedrock), *extra]


def write_inputs(tmp_path: Path, lines: list[object], name: str = "prompts.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def mixed_lines(n: int = RECORDS) -> list[object]:
    lines: list[object] = []
    for i in range(n):
        if i % 3 == 0:
            lines.append(f"What is {i} plus one?")
        elif i % 3 == 1:
            lines.append([{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Name {i}."}])
        else:
            lines.append({"id": f"row-{i}", "prompt": f"Spell {i}."})
    return lines


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0]


def test_submit_wait_writes_answers_in_input_order(capsys, bedrock, bucket, tmp_path):
    path = write_inputs(tmp_path, mixed_lines())
    answers = tmp_path / "answers.jsonl"
    code, out, err = run(capsys, *submit_args(bedrock, bucket, LARGE_2, path, "--wait", "--output", str(answers),
                                              "--max-tokens", "64", "--tag", "team=docs"))
    assert code == 0, err
    assert out.splitlines()[0].startswith("arn:aws:bedrock:us-east-1:")
    assert f"{RECORDS} answers written to {answers}" in out
    assert f"Completed  {RECORDS}/{RECORDS} processed" in err
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [r["index"] for r in rows] == list(range(RECORDS))
    assert rows[2]["key"] == "row-2" and rows[0]["key"] == 0
    assert all(r["text"] and r["usage"]["output_tokens"] > 0 for r in rows)
    input_key = next(k for k in s3_keys(bedrock, bucket) if k.endswith(".jsonl"))
    record = json.loads(bedrock.s3_client().get_object(Bucket=bucket, Key=input_key)["Body"].readline())
    assert record["modelInput"]["max_tokens"] == 64


def test_status_results_list_and_stop(capsys, bedrock, bucket, tmp_path):
    path = write_inputs(tmp_path, [f"Question {i}" for i in range(RECORDS)])
    code, out, _ = run(capsys, *submit_args(bedrock, bucket, MISTRAL_7B, path, "--job-name", "cli-job"))
    assert code == 0
    arn = out.strip()
    for _ in range(1500):  # up to 30 s on a loaded machine
        code, out, _ = run(capsys, "batch", "status", arn, *endpoints(bedrock))
        if "Completed" in out:
            break
        time.sleep(0.02)
    assert code == 0 and f"{arn}  cli-job  {MISTRAL_7B}  Completed  {RECORDS}/{RECORDS} processed" in out
    code, out, _ = run(capsys, "batch", "results", arn, *endpoints(bedrock))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == RECORDS and rows[-1]["index"] == RECORDS - 1
    code, out, _ = run(capsys, "batch", "list", "--name-contains", "cli-job", *endpoints(bedrock))
    assert code == 0 and len(out.splitlines()) == 1
    assert arn in out and "Completed" in out

    bedrock.batch_jobs.faults.slow(per_record_ms=20)
    code, out, _ = run(capsys, *submit_args(bedrock, bucket, MISTRAL_7B, path, "--job-name", "slow-job"))
    slow = out.strip()
    code, out, _ = run(capsys, "batch", "stop", slow, *endpoints(bedrock))
    assert code == 0 and ("Stopping" in out or "Stopped" in out)
    code, out, _ = run(capsys, "batch", "list", "--status", "Completed", *endpoints(bedrock))
    assert arn in out and slow not in out


def test_results_of_a_running_job_and_an_unknown_job_are_one_line_errors(capsys, bedrock, bucket, tmp_path):
    bedrock.batch_jobs.faults.slow(per_record_ms=20)
    path = write_inputs(tmp_path, [f"Question {i}" for i in range(RECORDS)])
    _, out, _ = run(capsys, *submit_args(bedrock, bucket, MISTRAL_7B, path))
    code, _, err = run(capsys, "batch", "results", out.strip(), *endpoints(bedrock))
    assert_one_line_error(code, err, "call wait() before results()")
    run(capsys, "batch", "stop", out.strip(), *endpoints(bedrock))
    code, _, err = run(capsys, "batch", "status", "abcdefabcdef", *endpoints(bedrock))
    assert_one_line_error(code, err, "ResourceNotFoundException")


def test_under_the_minimum_answers_on_demand_or_refuses(capsys, bedrock, bucket, tmp_path):
    path = write_inputs(tmp_path, ["one", "two", "three"])
    code, _, err = run(capsys, *submit_args(bedrock, bucket, MISTRAL_7B, path, "--batch-only"))
    assert_one_line_error(code, err, "3 records is under the minimum of 100")
    code, out, err = run(capsys, *submit_args(bedrock, bucket, MISTRAL_7B, path))
    assert code == 0 and "answered on demand" in err
    assert [json.loads(line)["index"] for line in out.splitlines()] == [0, 1, 2]
    assert s3_keys(bedrock, bucket) == []


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ('"fine"\nnot json at all\n', ["prompts.jsonl line 2: not JSON"]),
        ("", ["prompts.jsonl has no records"]),
        ("\n\n", ["prompts.jsonl has no records"]),
        ('"fine"\n\n[{"role": "system", "content": "only a system prompt"}]\n',
         ["prompts.jsonl line 3:", "at least one user message", "nothing was submitted"]),
        ('"fine"\n[{"role": "robot", "content": "x"}]\n', ["prompts.jsonl line 2: each message must be"]),
        ('"fine"\n42\n', ["prompts.jsonl line 2: expected a prompt string"]),
    ],
)
def test_bad_input_files_fail_on_one_line_and_submit_nothing(capsys, bedrock, bucket, tmp_path, content, fragments):
    path = tmp_path / "prompts.jsonl"
    path.write_text(content + ('"more"\n' * 120 if content.strip() else ""), encoding="utf-8")
    code, out, err = run(capsys, *submit_args(bedrock, bucket, LARGE_2, path))
    assert_one_line_error(code, err, *fragments)
    assert out == "" and s3_keys(bedrock, bucket) == []
    assert bedrock.control_client().list_model_invocation_jobs()["invocationJobSummaries"] == []


def test_a_missing_input_file(capsys, bedrock, bucket, tmp_path):
    code, _, err = run(capsys, *submit_args(bedrock, bucket, LARGE_2, tmp_path / "nope.jsonl"))
    assert_one_line_error(code, err, "cannot read", "nope.jsonl")


def test_serve_s3_starts_an_s3_endpoint_for_batch_jobs():
    from bedrock_mistral.cli import build_parser
    from bedrock_mistral.local.cli import banner, build

    bedrock = build(build_parser().parse_args(["serve", "--port", "0", "--s3"]))
    with bedrock:
        assert bedrock.s3_endpoint_url is not None and bedrock.s3_endpoint_url.startswith("http://127.0.0.1:")
        bedrock.s3_client().create_bucket(Bucket="serve-check")
        assert f"--s3-endpoint-url {bedrock.s3_endpoint_url}" in banner(bedrock)
