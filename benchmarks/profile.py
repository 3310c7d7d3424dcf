"""Where the time goes, for one implementation: `python -m benchmarks.profile invoke|stream|astream|import ...`.

- `invoke KEY` / `stream KEY` / `astream KEY`: runs the calls under cProfile against the emulator (in its own
  process) and prints the profiled CPU time per call (or per chunk) summed by package, then the top
  functions. cProfile inflates absolute numbers roughly 2-3x; compare packages and implementations.
- `import MODULE`: `python -X importtime -c "import MODULE"` and the biggest imports under it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence

from benchmarks.emulator import EmulatorProcess
from benchmarks.implementations import BY_KEY, Implementation, Unavailable, create
from benchmarks.scenarios.streaming import long_prompt
from benchmarks.settings import MISTRAL_7B, MISTRAL_LARGE_2

PACKAGES = (
    "langchain_bedrock_mistral",
    "llama_index_bedrock_mistral",
    "bedrock_mistral",
    "langchain_core",
    "langchain_aws",
    "langsmith",
    "llama_index",
    "aiobotocore",
    "botocore",
    "boto3",
    "aiohttp",
    "urllib3",
    "pydantic",
    "asyncio",
    "benchmarks",
)
MODELS = {"large2": MISTRAL_LARGE_2, "7b": MISTRAL_7B}


def package_of(path: str) -> str:
    for name in PACKAGES:
        if f"/{name}/" in path:
            return name
    return "builtins" if path.startswith(("~", "<")) else "stdlib/other"


def report(stats: pstats.Stats, per: int, unit: str, top: int) -> None:
    totals: Counter[str] = Counter()
    for (path, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(path)] += tottime
    print(f"profiled CPU time per {unit}, by package:")
    for name, seconds in totals.most_common():
        print(f"  {name:30s} {seconds / per * 1e6:9.1f} µs")
    stats.sort_stats("tottime").print_stats(top)


def _build(key: str, model: str, max_tokens: int, endpoint: object) -> Implementation:
    impl = create(BY_KEY[key], model, endpoint, max_tokens)  # type: ignore[arg-type]
    if isinstance(impl, Unavailable):
        raise SystemExit(f"{key}: {impl.reason}")
    return impl


def profile_sync(kind: str, key: str, model: str, count: int, top: int) -> None:
    chunks = 2000
    with EmulatorProcess() as endpoint:
        impl = _build(key, model, 16 if kind == "invoke" else chunks, endpoint)
        prompt = long_prompt(chunks)

        def work() -> int:
            if kind == "invoke":
                for _ in range(count):
                    impl.invoke("Say hello")
                return count
            return sum(sum(1 for _ in impl.stream(prompt)) for _ in range(max(1, count // 100)))

        work()
        profiler = cProfile.Profile(timer=time.thread_time)
        profiler.enable()
        units = work()
        profiler.disable()
    report(pstats.Stats(profiler), units, "call" if kind == "invoke" else "chunk", top)


def profile_async(key: str, model: str, concurrency: int, latency_ms: float, top: int) -> None:
    tokens = 20
    with EmulatorProcess(token_latency_ms=latency_ms) as endpoint:
        impl = _build(key, model, tokens, endpoint)
        prompt = long_prompt(tokens)

        async def one() -> int:
            return sum([1 async for _ in impl.astream(prompt)])

        async def main() -> pstats.Stats:
            await asyncio.gather(*(one() for _ in range(4)))
            profiler = cProfile.Profile(timer=time.thread_time)  # CPU only: waiting on sockets is not cost
            start = time.perf_counter()
            profiler.enable()
            await asyncio.gather(*(one() for _ in range(concurrency)))
            profiler.disable()
            print(f"wall {time.perf_counter() - start:.3f} s for {concurrency} streams (profiled)")
            await impl.aclose()
            return pstats.Stats(profiler)

        stats = asyncio.run(main())
    report(stats, concurrency, "stream", top)


def profile_import(module: str, top: int) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    rows: list[tuple[int, int, str]] = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)) // 2, match.group(4)))
    print(f"python -X importtime -c 'import {module}': cumulative ms, nesting level, module")
    for cumulative, level, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative / 1000:8.1f} ms  {'  ' * level}{name}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=("invoke", "stream", "astream", "import"))
    parser.add_argument("target", help=f"implementation key ({', '.join(BY_KEY)}) or, for import, a module")
    parser.add_argument("--model", choices=tuple(MODELS), default="large2")
    parser.add_argument(
        "--count", type=int, default=300, help="invokes (stream: 100 per stream of 2,000 chunks)"
    )
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--token-latency-ms", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    if args.kind == "import":
        profile_import(args.target, args.top)
    elif args.kind == "astream":
        profile_async(args.target, MODELS[args.model], args.concurrency, args.token_latency_ms, args.top)
    else:
        profile_sync(args.kind, args.target, MODELS[args.model], args.count, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
