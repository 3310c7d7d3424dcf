"""Issue 12 item 3: one instance called with `asyncio.run` again and again keeps no dead event loops.

A script, a Celery task or a CLI that runs one coroutine per item calls `asyncio.run(model.ainvoke(...))`
on one model instance; each run makes and closes an event loop. The async client bound to a closed loop
must be released with it. Counted with `gc` (live loop objects), not RSS, so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from bedrock_mistral.local import LocalBedrock
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY, Outcome

RUNS = 300


def live_event_loops() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, asyncio.AbstractEventLoop))


@pytest.mark.parametrize("adapter", registry.EVENT_LOOPS.params())
def test_repeated_asyncio_run_keeps_no_closed_loops(bedrock: LocalBedrock, adapter: str) -> None:
    spec = BY_KEY[adapter]
    model = spec.build(bedrock, fresh=True, max_retries=0)
    answers: list[str] = []

    async def one_call() -> None:
        outcome = Outcome()
        await spec.call_fn(model, "ainvoke", "hi", outcome)
        answers.append(outcome.text)

    asyncio.run(one_call())
    before = live_event_loops()
    for _ in range(RUNS):
        asyncio.run(one_call())
    after = live_event_loops()
    assert len(answers) == RUNS + 1 and all(answers)
    assert len(bedrock.requests) == RUNS + 1
    assert after <= before, f"{after - before} closed event loops kept alive after {RUNS} asyncio.run calls"
