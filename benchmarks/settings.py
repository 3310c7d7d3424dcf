"""Run sizes: the full run, `--quick` (under two minutes) and `--tiny` (a smoke run for the test suite)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

MISTRAL_LARGE_2 = "mistral.mistral-large-2407-v1:0"
MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"
MODEL_NAMES = {MISTRAL_LARGE_2: "Mistral Large 2", MISTRAL_7B: "Mistral 7B"}
SCENARIOS = ("invoke", "stream", "concurrency", "import", "capacity", "batch", "loop_rss", "quota")


@dataclass(frozen=True)
class Settings:
    """Every size and knob of a run; the presets below differ only in these numbers."""

    mode: str
    scenarios: tuple[str, ...] = SCENARIOS
    implementations: tuple[str, ...] | None = None
    """Implementation keys to run (None: all)."""

    # 1. invoke overhead
    invoke_models: tuple[str, ...] = (MISTRAL_LARGE_2, MISTRAL_7B)
    invoke_calls: int = 300
    invoke_warmup: int = 20
    invoke_max_tokens: int = 16

    # 2. streaming
    stream_model: str = MISTRAL_LARGE_2
    stream_chunks: int = 2000
    stream_runs: int = 10
    stream_warmup: int = 1

    # 3. async concurrency
    concurrency_model: str = MISTRAL_LARGE_2
    concurrency: int = 256
    concurrency_tokens: int = 20
    token_latency_ms: float = 20.0
    concurrency_runs: int = 3
    concurrency_timeout_s: float = 240.0
    lag_levels: tuple[int, ...] = (64, 256)
    """Concurrent calls at which the event-loop lag rows measure ainvoke and astream."""
    lag_runs: int = 2

    # 4. cold import
    import_runs: int = 7
    import_warmup: int = 1
    import_cases: tuple[str, ...] | None = None
    """Keys of `scenarios.cold_import.CASES` to time (None: all)."""

    # 5. emulator capacity
    capacity_model: str = MISTRAL_LARGE_2
    capacity_clients: int = 16
    capacity_seconds: float = 10.0
    stream_levels: tuple[int, ...] = (250, 500, 1000, 2000)
    stream_level_tokens: int = 20
    stream_level_latency_ms: float = 100.0
    stream_level_timeout_s: float = 60.0

    # 6. batch inference
    batch_records: int = 10_000
    batch_memory_records: int = 100_000
    batch_on_demand_concurrency: int = 64
    batch_on_demand_rpm: float = 6000.0
    loop_rss_calls: int = 1000
    """`asyncio.run(ainvoke)` calls on one instance in the loop_rss scenario."""
    """The on-demand comparison's request quota (the emulator's --rpm; a minute's worth may burst)."""

    # 7. throughput under a quota
    quota_prompts: int = 2000
    quota_ideal_s: float = 10.0
    """The quotas are sized so that the ideal run (every prompt admitted as soon as the quota allows)
    takes this long."""
    quota_burst_s: float = 1.0
    """The emulator's bucket holds this many seconds of refill (`serve --quota-burst-s`)."""
    quota_concurrency: int = 64

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


FULL = Settings(mode="full")
QUICK = Settings(
    mode="quick",
    invoke_calls=40,
    invoke_warmup=5,
    stream_runs=2,
    concurrency=64,
    concurrency_runs=1,
    concurrency_timeout_s=90.0,
    lag_runs=1,
    import_runs=2,
    import_warmup=0,  # the invoke scenario has already imported (and byte-compiled) every library
    capacity_seconds=2.0,
    stream_levels=(250, 1000),
    batch_records=2_000,
    batch_memory_records=20_000,
    batch_on_demand_rpm=1500.0,
    loop_rss_calls=200,
    quota_prompts=400,
    quota_ideal_s=4.0,
)
TINY = Settings(
    mode="tiny",
    invoke_calls=3,
    invoke_warmup=1,
    stream_chunks=40,
    stream_runs=1,
    stream_warmup=0,
    concurrency=8,
    concurrency_tokens=4,
    token_latency_ms=5.0,
    concurrency_runs=1,
    concurrency_timeout_s=60.0,
    lag_levels=(8,),
    lag_runs=1,
    import_runs=1,
    import_warmup=0,
    import_cases=("python", "boto3"),
    capacity_seconds=0.3,
    stream_levels=(8,),
    stream_level_tokens=4,
    stream_level_latency_ms=5.0,
    stream_level_timeout_s=30.0,
    batch_records=150,
    batch_memory_records=300,
    batch_on_demand_concurrency=16,
    loop_rss_calls=10,
    quota_prompts=40,
    quota_ideal_s=0.5,
    quota_burst_s=0.25,
    quota_concurrency=16,
)
PRESETS = {"full": FULL, "quick": QUICK, "tiny": TINY}
