"""Command line: `python -m benchmarks [--quick | --tiny] [--out DIR] [--scenarios ...] [--only ...]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.implementations import BY_KEY
from benchmarks.runner import RESULTS_DIR, SCENARIOS, run
from benchmarks.settings import FULL, QUICK, TINY


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark this project's adapters against raw boto3 and the alternatives, on the local emulator.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="smaller sizes: the whole run in under two minutes"
    )
    size.add_argument(
        "--tiny", action="store_true", help="smoke-test sizes (seconds); numbers are meaningless"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help=f"output directory (default {RESULTS_DIR})"
    )
    parser.add_argument(
        "--scenarios", type=_names, default=None, help=f"comma-separated subset of: {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--only", type=_names, default=None, help=f"comma-separated implementation keys: {', '.join(BY_KEY)}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = TINY if args.tiny else QUICK if args.quick else FULL
    if args.scenarios:
        unknown = sorted(set(args.scenarios) - set(SCENARIOS))
        if unknown:
            print(f"unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        settings = settings.with_overrides(scenarios=args.scenarios)
    if args.only:
        unknown = sorted(set(args.only) - set(BY_KEY))
        if unknown:
            print(f"unknown implementation(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        settings = settings.with_overrides(implementations=args.only)
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    outcome = run(settings, args.out, command.strip())
    failed = [row for row in outcome.rows if row.status == "error"]
    print(
        f"wrote {outcome.json_path}, {outcome.markdown_path}, {outcome.chart_path} in {outcome.seconds:.0f} s"
        + (f" ({len(failed)} rows with errors)" if failed else ""),
        file=sys.stderr,
    )
    return 0
