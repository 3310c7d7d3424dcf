"""Issue 13, adapters: batches of 500 prompts through each framework's batch or concurrent path against an
emulator quota, every answer delivered, in input order, with the shared rate limiter pacing the calls.

Prompt i is "What is 1000 + i?" and the rules engine answers "1000 + i = 1000+i.", so an answer delivered
to the wrong position is caught. The quotas refill at 200 requests (or 2,000 tokens) a second from a small
bucket, so 500 calls take two to three seconds and meet the quota many times; nothing here is timed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from bedrock_mistral.errors import ThrottlingError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.transport.rate_limit import RateLimiter
from langchain_bedrock_mistral import BedrockMistralLLM, ChatBedrockMistral
from llama_index_bedrock_mistral import BedrockMistral
from tests.reliability.adapters import LARGE2, M7B

PROMPTS = 500
CONCURRENCY = 50
REQUESTS_PER_MINUTE = 12_000
"""200 requests a second."""
TOKENS_PER_MINUTE = 120_000
"""2,000 tokens a second: a call charges 5 input tokens plus max_tokens (32) and gives back what its
5-token answer did not use, so about 200 calls a second."""
BURST_S = 0.25
"""The request bucket holds a quarter second of refill: 50 requests."""
TOKEN_BURST_S = 1.0
"""The token bucket holds a second of refill, 2,000 tokens: 50 calls in flight hold up to 1,850."""
RETRIES = 6
"""The retry budget of these batches. The emulator shares this process (and a loaded CI machine) with the
client, so answers come back late at times, and a pacing that is right still meets a throttle now and
then; the benchmark (`python -m benchmarks --scenarios quota`) counts failures at the default budget."""


def prompts(n: int = PROMPTS) -> list[str]:
    return [f"What is 1000 + {i}?" for i in range(n)]


def expected(i: int) -> str:
    return f"1000 + {i} = {1000 + i}."


def connection(bedrock: LocalBedrock, **options: Any) -> dict[str, Any]:
    return {"max_tokens": 32, "max_retries": RETRIES, **bedrock.client_kwargs(), **options}


def assert_in_order(answers: Sequence[Any]) -> None:
    """Every position holds its own prompt's answer (no failure, no empty answer, no swap)."""
    assert len(answers) == PROMPTS
    wrong = [(i, a) for i, a in enumerate(answers) if text_of(a) != expected(i)]
    assert not wrong, f"{len(wrong)} answers missing or misplaced, first: {wrong[:3]}"


def text_of(answer: Any) -> str:
    if isinstance(answer, BaseException):
        return repr(answer)
    content = getattr(answer, "content", None)  # a LangChain message
    if content is None:
        content = getattr(getattr(answer, "message", None), "content", answer)  # a LlamaIndex ChatResponse
    return str(content)


def assert_quota_accounting(bedrock: LocalBedrock, model: str, limiter: Any) -> int:
    """Each prompt admitted exactly once; every throttle the quota gave reached the shared limiter and cost
    a retry, not an answer. Returns the throttled count."""
    state = bedrock.quotas.state(model)
    assert state is not None and state.admitted == PROMPTS
    assert isinstance(limiter, RateLimiter)
    assert limiter.throttles == state.throttled
    assert state.throttled == 0 or limiter.rate is not None
    return state.throttled


def test_chat_abatch_500_at_max_concurrency_50_under_a_request_quota(bedrock: LocalBedrock) -> None:
    bedrock.quotas.set(requests_per_minute=REQUESTS_PER_MINUTE, burst_seconds=BURST_S)
    llm = ChatBedrockMistral(model_id=LARGE2, **connection(bedrock))
    answers = asyncio.run(llm.abatch(prompts(), config={"max_concurrency": CONCURRENCY}))  # type: ignore[arg-type]
    assert_in_order(answers)
    throttled = assert_quota_accounting(bedrock, LARGE2, llm.transport.limiter)
    assert throttled < PROMPTS  # the limiter paced the batch; see also test_unbounded_abatch...


def test_chat_abatch_500_under_a_token_quota(bedrock: LocalBedrock) -> None:
    bedrock.quotas.set(tokens_per_minute=TOKENS_PER_MINUTE, burst_seconds=TOKEN_BURST_S)
    llm = ChatBedrockMistral(model_id=LARGE2, api="converse", **connection(bedrock))
    answers = asyncio.run(llm.abatch(prompts(), config={"max_concurrency": CONCURRENCY}))  # type: ignore[arg-type]
    assert_in_order(answers)
    state = bedrock.quotas.state(LARGE2)
    assert state is not None and state.throttled_requests == 0  # only tokens were metered
    assert assert_quota_accounting(bedrock, LARGE2, llm.transport.limiter) == state.throttled_tokens


def test_llm_abatch_500_at_max_concurrency_50_under_a_request_quota(bedrock: LocalBedrock) -> None:
    bedrock.quotas.set(requests_per_minute=REQUESTS_PER_MINUTE, burst_seconds=BURST_S)
    llm = BedrockMistralLLM(model_id=M7B, **connection(bedrock))
    answers = asyncio.run(llm.abatch(prompts(), config={"max_concurrency": CONCURRENCY}))  # type: ignore[arg-type]
    assert_in_order(answers)
    assert_quota_accounting(bedrock, M7B, llm.transport.limiter)


def test_llamaindex_500_gathered_achat_bounded_to_50_under_a_request_quota(bedrock: LocalBedrock) -> None:
    from llama_index.core.llms import ChatMessage

    bedrock.quotas.set(requests_per_minute=REQUESTS_PER_MINUTE, burst_seconds=BURST_S)
    llm = BedrockMistral(model=LARGE2, **connection(bedrock))

    async def run() -> list[Any]:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(prompt: str) -> Any:
            async with gate:
                return await llm.achat([ChatMessage(role="user", content=prompt)])

        try:
            return await asyncio.gather(*(one(p) for p in prompts()))
        finally:
            await llm.transport.aclose()

    assert_in_order(asyncio.run(run()))
    assert_quota_accounting(bedrock, LARGE2, llm.transport.limiter)


def test_chat_batch_in_threads_under_a_request_quota(bedrock: LocalBedrock) -> None:
    bedrock.quotas.set(requests_per_minute=REQUESTS_PER_MINUTE, burst_seconds=BURST_S)
    llm = ChatBedrockMistral(model_id=LARGE2, **connection(bedrock))
    answers = llm.batch(prompts(), config={"max_concurrency": CONCURRENCY})  # type: ignore[arg-type]
    assert_in_order(answers)
    assert_quota_accounting(bedrock, LARGE2, llm.transport.limiter)


def test_unbounded_abatch_does_not_retry_the_whole_herd(bedrock: LocalBedrock) -> None:
    """abatch without max_concurrency starts all 500 calls at once, past a limiter that has not yet seen a
    throttle; against a bucket of 10 requests most of the first wave could be refused. The first throttle
    must slow every waiting call (throttled retries wait for the limiter), so far fewer attempts are
    throttled than there are prompts, and every prompt is answered in its place."""
    bedrock.quotas.set(requests_per_minute=REQUESTS_PER_MINUTE, burst_seconds=0.05)
    llm = ChatBedrockMistral(model_id=LARGE2, **connection(bedrock))
    answers = asyncio.run(llm.abatch(prompts()))  # type: ignore[arg-type]
    assert_in_order(answers)
    throttled = assert_quota_accounting(bedrock, LARGE2, llm.transport.limiter)
    assert throttled < PROMPTS


@pytest.mark.parametrize("cls", [ChatBedrockMistral, BedrockMistralLLM])
def test_quota_too_small_returns_typed_errors_in_place(bedrock: LocalBedrock, cls: type[Any]) -> None:
    """A quota that admits one request in the whole batch: that prompt's answer is in its place, every
    other position holds a ThrottlingError with its attempt count, never an empty answer."""
    bedrock.quotas.set(requests_per_minute=1)
    llm = cls(model_id=LARGE2, **connection(bedrock, max_retries=1))
    batch = prompts(8)
    answers = asyncio.run(llm.abatch(batch, config={"max_concurrency": 4}, return_exceptions=True))
    assert len(answers) == len(batch)
    answered = [i for i, a in enumerate(answers) if not isinstance(a, BaseException)]
    assert len(answered) == 1
    assert text_of(answers[answered[0]]) == expected(answered[0])
    for i, answer in enumerate(answers):
        if i in answered:
            continue
        assert isinstance(answer, ThrottlingError), (i, answer)
        assert answer.attempts == 2 and "Too many requests" in str(answer)
    state = bedrock.quotas.state(LARGE2)
    assert state is not None and (state.admitted, state.throttled) == (1, 2 * (len(batch) - 1))
