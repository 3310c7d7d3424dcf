"""Issue 8, part 1: 100 concurrent calls under throttling, per adapter and call style.

Each call asks the rules engine to repeat a unique token ("say <token>" is answered "<token>."), so an
answer delivered to the wrong caller, or two answers interleaved, is caught.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib

import pytest

from bedrock_mistral.errors import ThrottlingError
from bedrock_mistral.local import LocalBedrock
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY, Adapter, Outcome, loop, transport_of

CALLS = 100
THROTTLED = 25
"""25 of the 125 requests the calls make when every throttled call is retried: 20%."""
DEADLINE_S = 60.0


def tokens(seed: str) -> list[str]:
    return [f"{i:03d}{hashlib.sha256(f'{seed}/{i}'.encode()).hexdigest()[:8]}" for i in range(CALLS)]


def check_one(token: str, everyone: list[str], result: Outcome | BaseException) -> bool:
    """True for an answer, False for a typed throttling failure; anything else fails the test."""
    if isinstance(result, ThrottlingError):
        return False
    if isinstance(result, BaseException):
        raise AssertionError(f"call for {token} failed with an untyped or unexpected error: {result!r}")
    assert result.text == f"{token}.", f"call for {token} got {result.text!r}"
    if result.chunks:
        assert "".join(result.chunks) == result.text
    others = [t for t in everyone if t != token and t in result.text]
    assert not others, f"answer for {token} holds other calls' tokens {others}"
    return True


def run_sync(adapter: Adapter, model: object, style: str, toks: list[str]) -> list[Outcome | BaseException]:
    def one(token: str) -> Outcome:
        return adapter.call(model, style, f"say {token}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=CALLS) as pool:
        futures = [pool.submit(one, token) for token in toks]
        done, pending = concurrent.futures.wait(futures, timeout=DEADLINE_S)
        assert not pending, f"{len(pending)} calls hung"
        return [f.exception() or f.result() for f in futures]


def run_async(adapter: Adapter, model: object, style: str, toks: list[str]) -> list[Outcome | BaseException]:
    async def all_calls() -> list[Outcome | BaseException]:
        calls = [adapter.acall(model, style, f"say {token}") for token in toks]
        try:
            return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), DEADLINE_S)
        finally:
            await transport_of(model).aclose()

    return loop().run_until_complete(all_calls())


@pytest.mark.parametrize("adapter, style", registry.CONCURRENCY.params())
def test_concurrent_calls_under_throttling(bedrock: LocalBedrock, adapter: str, style: str) -> None:
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, fresh=True, max_retries=3)  # fresh: the first calls race to build the client
    toks = tokens(f"{adapter}/{style}")
    bedrock.faults.throttle(THROTTLED)
    runner = run_sync if style in ("invoke", "stream") else run_async
    results = runner(spec, model, style, toks)
    answered = sum(check_one(token, toks, result) for token, result in zip(toks, results, strict=True))
    failed = CALLS - answered
    assert len(bedrock.requests) == THROTTLED + answered
    assert len(bedrock.faults) == 0  # every scripted throttle was consumed
    assert failed <= THROTTLED // 4
