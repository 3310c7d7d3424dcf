"""The shared rate limiter against the emulator's quotas: threads and tasks sharing one model's quota,
sharing rules, `rate_limit="off"`, a known quota, and a quota too small for the retry budget."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bedrock_mistral import BedrockClient, ChatRequest, Message
from bedrock_mistral.errors import ConfigurationError, ThrottlingError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.transport import rate_limit
from bedrock_mistral.transport.rate_limit import BETA, RateLimiter, Ticket

LARGE2 = "mistral.mistral-large-2407-v1:0"
M7B = "mistral.mistral-7b-instruct-v0:2"
HELLO = ChatRequest((Message("user", "Say hello."),))


def make(bedrock: LocalBedrock, model: str = LARGE2, **kwargs: Any) -> BedrockClient:
    options: dict[str, Any] = {"retry_base_delay": 0.01, "retry_max_delay": 0.05, **kwargs}
    return BedrockClient(model, **bedrock.client_kwargs(), **options)


def test_threads_and_tasks_share_one_quota_without_failures(local_bedrock: LocalBedrock) -> None:
    local_bedrock.quotas.set(requests_per_minute=6000, burst_seconds=0.1)  # 100 a second, 10 at once
    threads, per_thread, tasks = 4, 10, 40

    def sync_calls() -> list[str]:
        client = make(local_bedrock)
        return [client.chat(HELLO).text for _ in range(per_thread)]

    async def async_calls() -> list[str]:
        client = make(local_bedrock)
        try:
            return [r.text for r in await asyncio.gather(*(client.achat(HELLO) for _ in range(tasks)))]
        finally:
            await client.aclose()

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(sync_calls) for _ in range(threads)]
        answers = asyncio.run(async_calls())
        for future in futures:
            answers += future.result()
    assert len(answers) == threads * per_thread + tasks and all(answers)
    state = local_bedrock.quotas.state(LARGE2)
    assert state is not None and state.admitted == len(answers)
    limiter = make(local_bedrock).limiter
    assert isinstance(limiter, RateLimiter)
    # Whatever Bedrock throttled reached the one shared limiter, which then paced every caller.
    assert limiter.throttles == state.throttled
    assert state.throttled == 0 or limiter.rate is not None


def test_limiter_shared_per_model_and_credentials(local_bedrock: LocalBedrock) -> None:
    first, second = make(local_bedrock), make(local_bedrock, max_retries=5)
    assert first.limiter is second.limiter
    assert make(local_bedrock, M7B).limiter is not first.limiter
    other_keys = {**local_bedrock.client_kwargs(), "aws_access_key_id": "AKIAOTHERKEY00000000"}
    assert BedrockClient(LARGE2, **other_keys).limiter is not first.limiter
    assert "AKIA" not in repr(first.limiter) + repr(first)

    local_bedrock.faults.throttle(1, model=LARGE2)
    assert first.chat(HELLO).text
    assert second.limiter.rate is not None  # the throttle first saw slows second too
    assert make(local_bedrock, M7B).limiter.rate is None


def test_rate_limit_off_is_plain_backoff(local_bedrock: LocalBedrock) -> None:
    local_bedrock.faults.throttle(2)
    client = make(local_bedrock, rate_limit="off", max_retries=3)
    assert client.chat(HELLO).text
    assert len(local_bedrock.requests) == 3
    shared = make(local_bedrock).limiter
    assert isinstance(shared, RateLimiter) and (shared.throttles, shared.rate) == (0, None)


def test_known_quota_is_never_exceeded(local_bedrock: LocalBedrock) -> None:
    local_bedrock.quotas.set(requests_per_minute=3000, burst_seconds=0.3)  # 50 a second, 15 at once

    async def calls() -> list[str]:
        client = make(local_bedrock, requests_per_second=25)
        try:
            return [r.text for r in await asyncio.gather(*(client.achat(HELLO) for _ in range(30)))]
        finally:
            await client.aclose()

    assert all(asyncio.run(calls()))
    assert local_bedrock.quotas.throttled == 0


@pytest.mark.parametrize("style", ["invoke", "ainvoke", "astream"])
def test_quota_too_small_raises_throttling_error_with_attempts(
    local_bedrock: LocalBedrock, style: str
) -> None:
    local_bedrock.quotas.set(requests_per_minute=1)
    client = make(local_bedrock, max_retries=2)
    assert client.chat(HELLO).text

    async def go() -> str:
        try:
            if style == "ainvoke":
                return (await client.achat(HELLO)).text
            return "".join([d.text async for d in client.astream_chat(HELLO)])
        finally:
            await client.aclose()

    with pytest.raises(ThrottlingError) as caught:
        client.chat(HELLO) if style == "invoke" else asyncio.run(go())
    assert caught.value.attempts == 3
    assert "Too many requests" in str(caught.value) and "after 3 attempts" in str(caught.value)
    assert local_bedrock.quotas.throttled == 3


def test_bad_options_are_refused_before_anything_is_sent(local_bedrock: LocalBedrock) -> None:
    with pytest.raises(ConfigurationError, match="rate_limit must be one of 'adaptive', 'off'"):
        make(local_bedrock, rate_limit="fast")
    with pytest.raises(ConfigurationError, match="requests_per_second must be a positive number"):
        make(local_bedrock, requests_per_second=0)
    assert local_bedrock.requests == []


def test_adaptive_rate_with_a_fake_clock() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    tickets = []
    for _ in range(20):  # 20 sends in 0.1 s, 10 of them through
        tickets.append(limiter.acquire())
        now[0] += 0.005
    for ticket in tickets[:10]:
        limiter.succeeded(ticket)
    assert limiter.rate is None  # nothing throttled yet: no pacing
    limiter.throttled(tickets[10])
    assert limiter.rate == pytest.approx(10 / 0.1 * BETA)
    limiter.throttled(tickets[11])  # sent before the cut: already answered
    assert (limiter.cuts, limiter.throttles) == (1, 2)
    rate = limiter.rate
    assert rate is not None
    for _ in range(400):  # 5 s of sends as fast as the limiter allows, all through
        now[0] += 1 / rate
        limiter.succeeded(limiter.acquire())
    assert limiter.rate is not None and limiter.rate > rate  # CUBIC climbed back past the cut
    fixed = RateLimiter(25, clock=lambda: now[0])
    fixed.throttled(Ticket(now[0]))
    assert fixed.rate == 25


def test_async_acquire_waits_without_blocking_the_loop() -> None:
    limiter = RateLimiter(20)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def main() -> None:
        task = asyncio.create_task(ticker())
        for _ in range(5):
            await limiter.aacquire()
        task.cancel()

    asyncio.run(main())
    assert ticks > 1  # the ticker ran while the acquires waited for their slots
    assert rate_limit.UNLIMITED.rate is None


def granted(limiter: RateLimiter, now: list[float]) -> Ticket:
    """A ticket from `limiter` on a fake clock: moves the clock over the waits instead of sleeping."""
    slot, wait, ticket = limiter._try_grant(None, first=True)
    while ticket is None:
        now[0] += wait
        slot, wait, ticket = limiter._try_grant(slot, first=False)
    return ticket


def test_first_cut_is_a_floor_the_rate_doubles_from_until_the_next_throttle() -> None:
    """A burst drains the quota's bucket before anything says what it refills at, so the first cut (what
    got through so far) is a floor: the rate doubles from it every STARTUP_DOUBLING_S until a send made
    after the cut is throttled; that throttle cuts from the rate then in force and ends the doubling."""
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    tickets = []
    for _ in range(20):
        tickets.append(limiter.acquire())
        now[0] += 0.005
    for ticket in tickets[:10]:
        limiter.succeeded(ticket)
    limiter.throttled(tickets[10])
    first = limiter.rate
    assert first is not None and first == pytest.approx(10 / 0.1 * BETA)

    def paced_successes(seconds: float) -> Ticket:
        """Sends as fast as the limiter grants (the fake clock jumps over each wait), all through; returns
        one more ticket, granted at the end."""
        end = now[0] + seconds
        while now[0] < end:
            limiter.succeeded(granted(limiter, now))
        return granted(limiter, now)

    paced_successes(2 * rate_limit.STARTUP_DOUBLING_S)
    in_force = limiter.rate
    # Two doublings (x4) less the spacing of the sends; CUBIC alone would still be below the old 100.
    assert in_force is not None and in_force > 2 * first
    limiter.throttled(paced_successes(0.01))
    assert limiter.rate == pytest.approx(in_force * BETA, rel=0.05)
    assert limiter.cuts == 2
    paced_successes(rate_limit.STARTUP_DOUBLING_S)
    climbed = limiter.rate
    assert climbed is not None and climbed < in_force  # no doubling any more: CUBIC's climb back


def test_a_throttle_while_a_backlog_drains_cuts_from_what_got_through() -> None:
    """Sends from before a cut may keep draining the quota after it, so a later send is throttled at a
    low rate: the cut then starts from what got through in the last second, not from the low rate."""
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limiter.throttled(limiter.acquire())  # the first throttle, nothing through: MIN_RATE-ish floor
    assert limiter.rate is not None and limiter.rate < 10
    for _ in range(100):  # a backlog granted before the cut comes back: 100 answers in 0.5 s
        now[0] += 0.005
        limiter.succeeded(Ticket(0.0))
    low = limiter.rate
    assert low is not None
    limiter.throttled(Ticket(now[0]))  # a send after the cut
    assert limiter.rate == pytest.approx(max(low, 100 / 0.5) * BETA)  # 200 a second got through


def test_the_burst_before_the_first_throttle_does_not_hold_the_rate_up() -> None:
    """A full bucket lets a burst through at once, far above the quota's refill rate; after the first
    throttle, each throttle of a later send lowers the rate: the burst's successes are not counted as
    what gets through."""
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for _ in range(50):  # the bucket's 50 requests in 0.1 s: "500 a second" got through
        now[0] += 0.002
        limiter.succeeded(limiter.acquire())
    limiter.throttled(Ticket(now[0]))
    rates = [limiter.rate]
    for _ in range(4):  # sends after each cut are throttled too: the refill rate is far lower
        now[0] += 0.01
        limiter.throttled(Ticket(now[0]))
        rates.append(limiter.rate)
    first = rates[0]
    assert first is not None and first == pytest.approx(50 / 0.1 * BETA)
    # Each cut from the rate in force: the burst's "400 to 500 a second" is no floor.
    assert rates == pytest.approx([first * BETA**k for k in range(5)])
    assert limiter.cuts == 5
