"""`bedrock-mistral batch ...`: Bedrock Batch Inference from the command line. Parsing and printing only;
the jobs are `bedrock_mistral.batch`.

    batch submit MODEL --input prompts.jsonl --s3 s3://bucket/prefix --role-arn ARN [--wait]
    batch status JOB...            Bedrock's status and record counts
    batch results JOB... [--output answers.jsonl]
    batch list [--status S] [--name-contains TEXT]
    batch stop JOB...

An input line is a JSON string (a prompt), a JSON list of {"role", "content"} messages, or an object with
"prompt" or "messages" and an optional "id" (the key its answer carries).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from bedrock_mistral import cli
from bedrock_mistral.batch import BatchInputError, BatchJob, BatchResult, attach, submit_batch
from bedrock_mistral.batch.aws import CONTROL_SERVICE, control_endpoint, service_client
from bedrock_mistral.transport.clients import ClientSettings
from bedrock_mistral.types import ChatRequest, Message

ROLES = ("system", "user", "assistant")


def add_batch_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="batch_command", required=True, metavar="COMMAND")
    submit = commands.add_parser("submit", help="validate, upload and submit a JSONL file of prompts")
    cli.add_model_arguments(submit)
    submit.add_argument("--input", required=True, metavar="FILE", help="one prompt or message list per line")
    submit.add_argument("--s3", required=True, metavar="S3_URI", help="s3://bucket/prefix for input and output")
    submit.add_argument("--role-arn", required=True, metavar="ARN", help="the service role Bedrock assumes")
    submit.add_argument("--job-name", metavar="NAME")
    submit.add_argument("--timeout-hours", type=int, metavar="H", help="24 to 168 (default 168)")
    submit.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="job tag (repeatable)")
    submit.add_argument("--batch-only", action="store_true", help="refuse inputs under the job minimum")
    submit.add_argument("--wait", action="store_true", help="wait for the job, with a progress bar")
    submit.add_argument("--output", metavar="FILE", help="with --wait: write the answers here (default stdout)")
    _add_job_arguments(submit, connection=False)
    for name, text in (("status", "Bedrock's status and record counts"), ("results", "answers as JSONL"),
                       ("stop", "stop running jobs")):
        command = commands.add_parser(name, help=text)
        command.add_argument("jobs", nargs="+", metavar="JOB", help="job ARN (or id)")
        _add_job_arguments(command)
        if name == "results":
            command.add_argument("--output", metavar="FILE", help="write JSONL here (default stdout)")
    listing = commands.add_parser("list", help="batch jobs in this account and region")
    listing.add_argument("--status", help="only jobs in this status (InProgress, Completed, ...)")
    listing.add_argument("--name-contains", metavar="TEXT")
    listing.add_argument("--max", type=int, default=100, metavar="N", help="at most N jobs (default 100)")
    _add_job_arguments(listing)


def _add_job_arguments(parser: argparse.ArgumentParser, *, connection: bool = True) -> None:
    if connection:
        cli.add_connection_arguments(parser)
    parser.add_argument("--s3-endpoint-url", metavar="URL", help="S3 endpoint (the emulator's `serve --s3`)")
    parser.add_argument("--poll-interval", type=float, default=30.0, metavar="SECONDS")


# --- input files ------------------------------------------------------------------------------------


def read_inputs(path: str, system: str | None) -> tuple[list[ChatRequest], list[Any] | None, list[int]]:
    """Requests, their keys (None when no line names one) and their line numbers, or a UserError naming
    the line. Nothing is sent before the whole file has been read."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise cli.UserError(f"cannot read {path}: {exc}") from None
    requests: list[ChatRequest] = []
    keys: list[Any] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise cli.UserError(f"{path} line {number}: not JSON ({exc}); expected a JSON string, a list of "
                                "messages or an object with prompt or messages") from None
        key, messages = _parse_line(value, f"{path} line {number}")
        if system:
            messages = [Message("system", system), *messages]
        requests.append(ChatRequest(tuple(messages)))
        keys.append(key if key is not None else len(keys))
        numbers.append(number)
    if not requests:
        raise cli.UserError(f"{path} has no records: write one prompt or message list per line")
    named = any(not isinstance(k, int) for k in keys)
    return requests, keys if named else None, numbers


def _parse_line(value: Any, where: str) -> tuple[Any, list[Message]]:
    key = None
    if isinstance(value, dict):
        key = value.get("id")
        value = value.get("prompt", value.get("messages"))
    if isinstance(value, str) and value.strip():
        return key, [Message("user", value)]
    if isinstance(value, list) and value:
        messages = []
        for item in value:
            if not (isinstance(item, dict) and item.get("role") in ROLES and isinstance(item.get("content"), str)):
                raise cli.UserError(f"{where}: each message must be {{\"role\": one of {', '.join(ROLES)}, "
                                    f"\"content\": text}}, got {json.dumps(item)[:80]}")
            messages.append(Message(item["role"], item["content"]))
        return key, messages
    raise cli.UserError(f"{where}: expected a prompt string, a list of messages, or an object with prompt or "
                        "messages")


# --- commands ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.batch_command == "submit":
            return cmd_submit(args, out, err)
        if args.batch_command == "list":
            return cmd_list(args, out)
        job = attach(args.jobs, **_attach_options(args))
        if args.batch_command == "status":
            return cmd_status(job, out)
        if args.batch_command == "stop":
            job.stop()
            return cmd_status(job, out)
        return cmd_results(job, args.output, out)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise cli.UserError(f"{error.get('Code', 'Error')}: {error.get('Message', exc)}") from None


def _settings(args: argparse.Namespace) -> ClientSettings:
    region, key_id, secret = cli.connection(args)
    return ClientSettings(region_name=region, endpoint_url=args.endpoint_url, profile_name=args.profile,
                          aws_access_key_id=key_id, aws_secret_access_key=secret)


def _attach_options(args: argparse.Namespace) -> dict[str, Any]:
    settings = _settings(args)
    return {
        "control_client": service_client(settings, CONTROL_SERVICE, control_endpoint(args.endpoint_url)),
        "s3_client": service_client(settings, "s3", args.s3_endpoint_url),
    }


def cmd_submit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    requests, keys, numbers = read_inputs(args.input, args.system)
    client = cli.client_from_args(args)
    tags = {}
    for tag in args.tag:
        name, sep, value = tag.partition("=")
        if not sep or not name:
            raise cli.UserError(f"--tag {tag!r}: expected KEY=VALUE")
        tags[name] = value
    batch: Any = dict(zip(keys, requests, strict=True)) if keys is not None else requests
    try:
        job = submit_batch(
            client, batch, s3_uri=args.s3, role_arn=args.role_arn, job_name=args.job_name,
            timeout_hours=args.timeout_hours, tags=tags, batch_only=args.batch_only,
            s3_endpoint_url=args.s3_endpoint_url,
        )  # fmt: skip
    except BatchInputError as exc:
        raise cli.UserError(f"{args.input} line {numbers[exc.index]}: {exc.reason}; nothing was submitted") from None
    if job.ran_on_demand:
        err.write(f"{len(requests)} records is under the batch minimum: answered on demand\n")
        return cmd_results(job, args.output, out)
    for arn in job.job_arns:
        out.write(arn + "\n")
    out.flush()
    if not args.wait:
        return 0
    state = job.wait(poll_interval=args.poll_interval, progress=True)
    err.write(_status_line(state.status, state.processed, state.total, state.success, state.errors, state.message))
    return cmd_results(job, args.output, out)


def _status_line(status: str, processed: int, total: int | None, ok: int, errors: int, message: str | None) -> str:
    line = f"{status}  {processed}/{total if total is not None else '?'} processed  ok={ok}  errors={errors}"
    return line + (f"  {message}" if message else "") + "\n"


def cmd_status(job: BatchJob, out: TextIO) -> int:
    state = job.status()
    for item in state.jobs:
        out.write(f"{item.arn}  {item.name}  {item.model_id}  "
                  + _status_line(item.status, item.processed, item.total, item.success, item.errors, item.message))
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    control = service_client(_settings(args), CONTROL_SERVICE, control_endpoint(args.endpoint_url))
    query: dict[str, Any] = {"PaginationConfig": {"MaxItems": args.max}}
    if args.status:
        query["statusEquals"] = args.status
    if args.name_contains:
        query["nameContains"] = args.name_contains
    for page in control.get_paginator("list_model_invocation_jobs").paginate(**query):
        for job in page.get("invocationJobSummaries", []):
            submitted = job["submitTime"].isoformat(timespec="seconds")
            out.write(f"{job['jobArn']}  {job['jobName']}  {job.get('status')}  {submitted}  "
                      f"{job.get('processedRecordCount', 0)}/{job.get('totalRecordCount', '?')}\n")
    return 0


def cmd_results(job: BatchJob, output: str | None, out: TextIO) -> int:
    if output is None:
        for row in _rows(job):
            out.write(row)
        return 0
    with open(output, "w", encoding="utf-8") as file:
        count = sum(file.write(row) > 0 for row in _rows(job))
    out.write(f"{count} answers written to {output}\n")
    return 0


def _rows(job: BatchJob) -> Iterator[str]:
    for result in job.results():
        yield json.dumps(_row(result), ensure_ascii=False) + "\n"


def _row(result: BatchResult) -> dict[str, Any]:
    row: dict[str, Any] = {"index": result.index, "key": result.key}
    if result.error is not None:
        row["error"] = {"code": result.error.code, "message": result.error.reason}
        return row
    response = result.response
    assert response is not None
    row["text"] = response.text
    row["stop_reason"] = response.raw_stop_reason or response.stop_reason
    if response.usage is not None:
        row["usage"] = {"input_tokens": response.usage.input_tokens, "output_tokens": response.usage.output_tokens}
    if response.tool_calls:
        row["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in response.tool_calls]
    return row
