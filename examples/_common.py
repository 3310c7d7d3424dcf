"""Shared plumbing for the examples: where Bedrock is.

By default every example starts the local Bedrock emulator in-process, so it runs with no AWS account and no
network. `--endpoint-url URL` uses an emulator you started yourself (`bedrock-mistral serve`), and `--aws`
uses real Amazon Bedrock with the standard AWS credential chain (environment, `--profile`, SSO, roles).

`connect(args)` yields the keyword arguments that `BedrockClient`, `ChatBedrockMistral`, `BedrockMistralLLM`
and `BedrockMistral` all accept (`region_name`, `endpoint_url`, `aws_access_key_id`, `aws_secret_access_key`).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Connection = dict[str, Any]
"""Keyword arguments for the transport and the adapters."""

AWS_DEFAULT_REGION = "us-west-2"
"""Where the AWS documentation runs Mistral Large 2 (used with --aws when no region is configured)."""


def parser(description: str | None) -> argparse.ArgumentParser:
    """The options every example accepts."""
    p = argparse.ArgumentParser(description=description.strip().splitlines()[0] if description else None)
    p.add_argument("--aws", action="store_true", help="use Amazon Bedrock (standard AWS credential chain)")
    p.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="use a running emulator (e.g. http://127.0.0.1:8000), or with --aws a"
        " custom Bedrock Runtime endpoint",
    )
    p.add_argument(
        "--region", help=f"AWS region (with --aws: default from your AWS config, else {AWS_DEFAULT_REGION})"
    )
    p.add_argument("--profile", help="AWS profile (implies --aws)")
    return p


@contextmanager
def connect(args: argparse.Namespace) -> Iterator[Connection]:
    """Connection settings for the target the arguments name; starts (and stops) the emulator if needed."""
    if args.aws or args.profile:
        if args.profile:
            os.environ["AWS_PROFILE"] = args.profile  # picked up by boto3's credential chain
        region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region is None:
            import boto3

            region = boto3.session.Session().region_name or AWS_DEFAULT_REGION
        print(f"[target] Amazon Bedrock in {region}")
        yield {"region_name": region, **({"endpoint_url": args.endpoint_url} if args.endpoint_url else {})}
        return

    from bedrock_mistral.local import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, LocalBedrock

    if args.endpoint_url:
        print(f"[target] Bedrock emulator at {args.endpoint_url}")
        yield {
            "endpoint_url": args.endpoint_url,
            "region_name": args.region or "us-east-1",
            "aws_access_key_id": DEFAULT_ACCESS_KEY_ID,
            "aws_secret_access_key": DEFAULT_SECRET_ACCESS_KEY,
        }
        return

    with LocalBedrock(region_name=args.region or "us-east-1") as bedrock:
        print(
            f"[target] local Bedrock emulator started at {bedrock.endpoint_url} (pass --aws for Amazon Bedrock)"
        )
        yield bedrock.client_kwargs()


def run_example(main: Callable[[Connection], Any], description: str | None) -> None:
    """Parse the common options, connect, run `main(connection)` and exit 0, or 1 with the error."""
    args = parser(description).parse_args()
    try:
        with connect(args) as connection:
            main(connection)
    except Exception as exc:  # an example reports any failure and exits non-zero
        if os.environ.get("EXAMPLES_TRACEBACK"):
            traceback.print_exc()
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
