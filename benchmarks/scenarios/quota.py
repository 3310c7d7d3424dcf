"""7. Throughput under a quota: the same short prompts through each implementation's batch or concurrent
path against an emulator (own process) that enforces a request quota, then a token quota.

Each implementation gets a fresh emulator, so each starts with a full bucket, and the emulator's own count
of throttled requests is read from what `serve` prints when it stops. The quota refills from a bucket of
`quota_burst_s` seconds, and is sized so the ideal run (everything admitted as soon as the quota allows)
takes `quota_ideal_s`. Prompt i asks "What is 1000 + i?", so a wrong or empty answer in position i shows.
Every implementation runs at the same concurrency with its own default retry settings, as users get it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from benchmarks.emulator import EmulatorProcess, Endpoint
from benchmarks.measure import Row
from benchmarks.scenarios.common import Context, short_error
from benchmarks.settings import MISTRAL_LARGE_2

NAME = "throughput_under_quota"
MODEL = MISTRAL_LARGE_2
MAX_TOKENS = 32
Answers = list[Any]
"""One entry per prompt, in input order: the answer text, or the exception that prompt ended with."""


def prompt(i: int) -> str:
    return f"What is 1000 + {i}?"


def expected(i: int) -> str:
    return f"1000 + {i} = {1000 + i}."


# --- the implementations: each runs every prompt through its batch or concurrent path ------------------


def _text(answer: Any) -> str:
    content = getattr(answer, "content", None)
    if content is None:
        content = getattr(getattr(answer, "message", None), "content", answer)
    return content if isinstance(content, str) else str(content or "")


async def _gathered(call: Callable[[str], Any], prompts: list[str], concurrency: int) -> Answers:
    gate = asyncio.Semaphore(concurrency)

    async def one(text: str) -> Any:
        async with gate:
            return await call(text)

    return list(await asyncio.gather(*(one(p) for p in prompts), return_exceptions=True))


Batch = Callable[[list[str], int], Answers]
"""Runs the prompts at a concurrency; built (library imported, client made) before the clock starts."""


def _langchain_abatch(llm: Any) -> Batch:
    def run(prompts: list[str], concurrency: int) -> Answers:
        config: Any = {"max_concurrency": concurrency}
        return list(asyncio.run(llm.abatch(prompts, config=config, return_exceptions=True)))

    return run


def _llamaindex_gathered(llm: Any, close: Callable[[], Any] | None = None) -> Batch:
    from llama_index.core.llms import ChatMessage

    def run(prompts: list[str], concurrency: int) -> Answers:
        async def go() -> Answers:
            try:
                return await _gathered(
                    lambda text: llm.achat([ChatMessage(role="user", content=text)]), prompts, concurrency
                )
            finally:
                if close is not None:
                    await close()

        return asyncio.run(go())

    return run


def ours_chat(endpoint: Endpoint) -> Batch:
    from langchain_bedrock_mistral import ChatBedrockMistral

    return _langchain_abatch(ChatBedrockMistral(model_id=MODEL, max_tokens=MAX_TOKENS, **endpoint.client_kwargs()))


def ours_llm(endpoint: Endpoint) -> Batch:
    from langchain_bedrock_mistral import BedrockMistralLLM

    return _langchain_abatch(BedrockMistralLLM(model_id=MODEL, max_tokens=MAX_TOKENS, **endpoint.client_kwargs()))


def ours_llamaindex(endpoint: Endpoint) -> Batch:
    from llama_index_bedrock_mistral import BedrockMistral

    llm = BedrockMistral(model=MODEL, max_tokens=MAX_TOKENS, **endpoint.client_kwargs())
    return _llamaindex_gathered(llm, llm.transport.aclose)


def _boto3(mode: str) -> Callable[[Endpoint], Batch]:
    def build(endpoint: Endpoint) -> Batch:
        import boto3
        from botocore.config import Config

        def run(prompts: list[str], concurrency: int) -> Answers:
            config = Config(retries={"mode": mode}, max_pool_connections=concurrency)
            client = boto3.client("bedrock-runtime", config=config, **endpoint.client_kwargs())

            def one(text: str) -> str:
                response = client.converse(
                    modelId=MODEL,
                    messages=[{"role": "user", "content": [{"text": text}]}],
                    inferenceConfig={"maxTokens": MAX_TOKENS},
                )
                return "".join(block.get("text", "") for block in response["output"]["message"]["content"])

            with ThreadPoolExecutor(concurrency) as pool:
                futures = [pool.submit(one, text) for text in prompts]
                return [f.exception() or f.result() for f in futures]

        return run

    return build


def langchain_aws_converse(endpoint: Endpoint) -> Batch:
    from langchain_aws import ChatBedrockConverse

    return _langchain_abatch(ChatBedrockConverse(model=MODEL, max_tokens=MAX_TOKENS, **endpoint.client_kwargs()))


def llamaindex_bedrock_converse(endpoint: Endpoint) -> Batch:
    from llama_index.llms.bedrock_converse import BedrockConverse

    return _llamaindex_gathered(BedrockConverse(model=MODEL, max_tokens=MAX_TOKENS, **endpoint.client_kwargs()))


@dataclass(frozen=True)
class Runner:
    key: str
    label: str
    selected_by: str
    """The `--only` implementation key that selects it."""
    path: str
    """How the prompts go out, shown in the table."""
    build: Callable[[Endpoint], Batch]


RUNNERS = (
    Runner("ours-langchain-chat", "ours: ChatBedrockMistral", "ours-langchain-chat", "abatch", ours_chat),
    Runner("ours-langchain-llm", "ours: BedrockMistralLLM", "ours-langchain-llm", "abatch", ours_llm),
    Runner("ours-llamaindex", "ours: BedrockMistral, LlamaIndex", "ours-llamaindex", "gathered achat",
           ours_llamaindex),
    Runner("boto3-standard", "boto3 converse, standard retries (baseline)", "boto3-converse", "threads",
           _boto3("standard")),
    Runner("boto3-adaptive", "boto3 converse, adaptive retries (baseline)", "boto3-converse", "threads",
           _boto3("adaptive")),
    Runner("langchain-aws-converse", "langchain-aws ChatBedrockConverse", "langchain-aws-converse", "abatch",
           langchain_aws_converse),
    Runner("llamaindex-bedrock-converse", "llama-index-llms-bedrock-converse", "llamaindex-bedrock-converse",
           "gathered achat", llamaindex_bedrock_converse),
)


# --- the scenario --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaKind:
    name: str
    args: tuple[str, ...]
    description: str


def _tokens_per_call() -> int:
    """Input plus output tokens of one prompt's call, as the emulator counts them (all prompts alike)."""
    import boto3

    with EmulatorProcess() as endpoint:
        client = boto3.client("bedrock-runtime", **endpoint.client_kwargs())
        response = client.converse(
            modelId=MODEL,
            messages=[{"role": "user", "content": [{"text": prompt(0)}]}],
            inferenceConfig={"maxTokens": MAX_TOKENS},
        )
        return int(response["usage"]["totalTokens"])


def kinds(context: Context) -> list[QuotaKind]:
    """Both quotas, sized so that (prompts - one bucket) / refill rate is the ideal wall time."""
    settings = context.settings
    per_s = settings.quota_prompts / (settings.quota_ideal_s + settings.quota_burst_s)
    burst = ("--quota-burst-s", f"{settings.quota_burst_s:g}")
    tokens = _tokens_per_call()
    return [
        QuotaKind("request quota", ("--rpm", f"{per_s * 60:.0f}", *burst), f"{per_s * 60:.0f} requests/min"),
        QuotaKind(
            "token quota",
            ("--tpm", f"{per_s * tokens * 60:.0f}", *burst),
            f"{per_s * tokens * 60:.0f} tokens/min ({tokens} tokens a call, max_tokens {MAX_TOKENS} held "
            "while it runs)",
        ),
    ]


def run(context: Context) -> list[Row]:
    settings = context.settings
    wanted = {cls.key for cls in context.classes}
    runners = [r for r in RUNNERS if r.selected_by in wanted]
    rows: list[Row] = []
    for kind in kinds(context):
        for runner in runners:
            context.log(f"[7] {settings.quota_prompts:,} prompts under a {kind.description}: {runner.label}")
            rows.append(_row(context, kind, runner))
    return rows


def _row(context: Context, kind: QuotaKind, runner: Runner) -> Row:
    settings = context.settings
    scenario = f"{NAME}/{kind.name}"
    prompts = [prompt(i) for i in range(settings.quota_prompts)]
    emulator = EmulatorProcess(extra_args=kind.args)
    endpoint = emulator.start()
    try:
        try:
            batch = runner.build(endpoint)
            cpu, started = time.process_time(), time.perf_counter()
            answers = batch(prompts, settings.quota_concurrency)
        except Exception as exc:  # noqa: BLE001 - a library that cannot run is a row, the run goes on
            context.note(f"{runner.label} failed under the {kind.name}: {short_error(exc)}")
            return Row.skipped(scenario, runner.key, runner.label, short_error(exc), status="error")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        emulator.stop()
    usage = emulator.quota_usage()
    failed = [a for a in answers if isinstance(a, BaseException)]
    completed = sum(1 for i, a in enumerate(answers) if not isinstance(a, BaseException) and _text(a) == expected(i))
    if failed:
        kinds_of = sorted({type(a).__name__ for a in failed})
        context.note(f"{runner.label} under the {kind.name}: {len(failed)} prompts failed ({', '.join(kinds_of)})")
    throttled = usage.get("throttled")
    sent = usage.get("admitted", 0) + (throttled or 0) if usage else None
    return Row.from_samples(
        scenario,
        runner.key,
        runner.label,
        [wall],
        path=runner.path,
        prompts=len(prompts),
        completed=completed,
        failed=len(failed),
        wrong=len(prompts) - completed - len(failed),
        throttled=throttled,
        requests_sent=sent,
        throttled_share=(throttled / sent) if throttled is not None and sent else None,
        ideal_s=settings.quota_ideal_s,
        ratio_to_ideal=wall / settings.quota_ideal_s,
        cpu_s=cpu,
        concurrency=settings.quota_concurrency,
        quota=kind.description,
        model=MODEL,
    )
