"""`serve`: run the emulator in the foreground, with faults from flags. Reused by `bedrock-mistral serve`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from bedrock_mistral.local.auth import AUTH_MODES
from bedrock_mistral.local.emulator import LocalBedrock
from bedrock_mistral.local.faults import STREAM_EXCEPTIONS
from bedrock_mistral.local.quotas import Quota
from bedrock_mistral.local.server import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The `serve` options, added to any parser (ours or the top-level CLI's subcommand)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--region", default="us-east-1", help="region clients should sign for")
    parser.add_argument(
        "--auth", choices=AUTH_MODES, default="signed", help="SigV4 checking (default signed)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a Bedrock API key (ABSK...) --auth strict accepts as a bearer token (repeatable)",
    )
    parser.add_argument("--engine", choices=("rules", "openai-compatible"), default="rules")
    parser.add_argument("--upstream-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1")
    parser.add_argument("--upstream-model", help="model name on the upstream server")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="largest request body accepted")
    batch = parser.add_argument_group("batch jobs (the bedrock control plane on the same endpoint)")
    batch.add_argument("--s3", action="store_true", help="start moto's S3 server on loopback for batch jobs")
    batch.add_argument("--s3-endpoint-url", metavar="URL", help="or use this S3 endpoint for batch jobs")
    quotas = parser.add_argument_group("on-demand quotas (429 ThrottlingException when exceeded)")
    quotas.add_argument("--rpm", type=float, metavar="N", help="requests per minute, per model")
    quotas.add_argument(
        "--tpm", type=float, metavar="N", help="tokens per minute (input + max_tokens), per model"
    )
    quotas.add_argument(
        "--quota-model", metavar="ID", help="apply --rpm/--tpm to this model only (default: each model)"
    )
    quotas.add_argument(
        "--quota-burst-s",
        type=float,
        default=60.0,
        metavar="S",
        help="bucket size in seconds of refill (default 60: a minute's quota at once)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        help=f"connections served at once; more get a 503 (default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULT_IDLE_TIMEOUT_S,
        metavar="SECONDS",
        help=f"close connections silent this long (default {DEFAULT_IDLE_TIMEOUT_S:g})",
    )
    faults = parser.add_argument_group("faults")
    faults.add_argument(
        "--throttle", type=int, metavar="N", help="answer the first N requests with 429 ThrottlingException"
    )
    faults.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay before the first byte of every answer"
    )
    faults.add_argument(
        "--token-latency-ms", type=float, default=0.0, help="delay per output token (per stream chunk)"
    )
    faults.add_argument(
        "--stream-error-after", type=int, metavar="K", help="raise an in-stream exception after K chunks"
    )
    faults.add_argument("--stream-error", choices=STREAM_EXCEPTIONS, default="modelStreamErrorException")
    faults.add_argument("--drop-after", type=int, metavar="K", help="drop stream connections after K chunks")
    return parser


def build(args: argparse.Namespace) -> LocalBedrock:
    """The emulator and its faults as the flags describe them (not started)."""
    options: dict[str, Any] = {}
    if args.max_body_bytes is not None:
        options["max_body_bytes"] = args.max_body_bytes
    bedrock = LocalBedrock(
        args.host,
        args.port,
        auth=args.auth,
        api_keys=args.api_key,
        engine=args.engine,
        region_name=args.region,
        upstream_url=args.upstream_url,
        upstream_model=args.upstream_model,
        batch=args.s3,
        s3_endpoint_url=args.s3_endpoint_url,
        max_connections=args.max_connections,
        idle_timeout_s=args.idle_timeout,
        **options,
    )
    if args.rpm is not None or args.tpm is not None:
        bedrock.quotas.set(args.rpm, args.tpm, model=args.quota_model, burst_seconds=args.quota_burst_s)
    elif args.quota_model:
        raise ValueError("--quota-model needs --rpm and/or --tpm")
    if args.throttle:
        bedrock.faults.throttle(args.throttle)
    if args.latency_ms or args.token_latency_ms:
        bedrock.faults.latency(args.latency_ms, args.token_latency_ms, count=None)
    if args.stream_error_after is not None:
        bedrock.faults.stream_error(args.stream_error_after, args.stream_error, count=None)
    if args.drop_after is not None:
        bedrock.faults.drop_connection(args.drop_after, count=None, operation=None)
    return bedrock


def banner(bedrock: LocalBedrock) -> str:
    s3 = (
        [f"Batch jobs read and write S3 at {bedrock.s3_endpoint_url} (bedrock-mistral batch ... "
         f"--endpoint-url {bedrock.endpoint_url} --s3-endpoint-url {bedrock.s3_endpoint_url})"]
        if bedrock.s3_endpoint_url
        else []
    )
    network = bedrock.network_url
    elsewhere = [f"From other machines: {network}"] if network else []
    return "\n".join(
        [
            f"Local Bedrock Runtime listening on {bedrock.endpoint_url} (auth={bedrock.auth}, "
            f"engine={getattr(bedrock.engine, 'name', '?')})",
            *elsewhere,
            "Point clients at it with:",
            f"  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={bedrock.endpoint_url}",
            f"  export AWS_ENDPOINT_URL_BEDROCK={bedrock.endpoint_url}",
            f"  export AWS_DEFAULT_REGION={bedrock.region_name}",
            f"  export AWS_ACCESS_KEY_ID={bedrock.aws_access_key_id}",
            f"  export AWS_SECRET_ACCESS_KEY={bedrock.aws_secret_access_key}",
            *s3,
            *[f"Quota: {_describe(q)}" for q in bedrock.quotas.configured],
            "Press Ctrl-C to stop.",
        ]
    )


def _describe(quota: Quota) -> str:
    limits = [
        f"{quota.requests_per_minute:g} requests" if quota.requests_per_minute else "",
        f"{quota.tokens_per_minute:g} tokens" if quota.tokens_per_minute else "",
    ]
    return f"{' and '.join(x for x in limits if x)} per minute for {quota.model or 'each model'}"
def exposure_warning(bedrock: LocalBedrock) -> str | None:
    """A warning when the emulator is reachable from other machines without checking signatures."""
    if not bedrock.listens_beyond_loopback or bedrock.auth == "strict":
        return None
    checks = "any well-formed signature" if bedrock.auth == "signed" else "requests without any signature"
    return (
        f"warning: listening on {bedrock.host}, reachable beyond this machine, and auth={bedrock.auth} "
        f"accepts {checks}: anyone on the network can use this emulator. Start it with --auth strict to "
        f"require its credentials (or keep the default --host 127.0.0.1)."
    )


def run_serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C/SIGTERM (or until `stop` is set); returns the exit status."""
    try:
        bedrock = build(args)
        bedrock.start()
    except (OSError, ValueError) as exc:  # includes a bad quota (--rpm 0, ...)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    warning = exposure_warning(bedrock)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(banner(bedrock), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        bedrock.stop()
        for line in quota_usage(bedrock):
            print(line, flush=True)
    return 0


def quota_usage(bedrock: LocalBedrock) -> list[str]:
    """What each quota admitted and refused, printed when `serve` stops (benchmarks read it back)."""
    lines = []
    for state in bedrock.quotas.status():
        where = state.model_id + (f" {state.operation}" if state.operation else "")
        lines.append(
            f"Quota usage for {where}: {state.admitted} admitted, {state.throttled} throttled "
            f"({state.throttled_requests} over the request quota, {state.throttled_tokens} over the token quota)"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_mistral.local", description="Local Bedrock Runtime emulator"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_serve_arguments(commands.add_parser("serve", help="run the emulator"))
    args = parser.parse_args(argv)
    return run_serve(args)
