"""Issue 12 items 7 and 10: a whole-call deadline against a trickling server, and `Retry-After` honoured.

The loopback server sends the answer one byte every 100 ms: each socket read succeeds well within the
read timeout, so only a deadline on the whole call (or on the wait for each stream event) ends it.
"""

from __future__ import annotations

import pytest

from bedrock_mistral.errors import BedrockTimeoutError, ServiceUnavailableError, ThrottlingError
from tests.reliability import faulty_bedrock as fb
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY, Outcome, RecordingRetryPolicy, retry_delays, transport_of
from tests.reliability.faulty_bedrock import FaultyBedrock

DEADLINE_S = 0.5
RETRY_AFTER = {"429": (429, "ThrottlingException", ThrottlingError), "503": (503, "ServiceUnavailableException",
                                                                            ServiceUnavailableError)}


@pytest.mark.parametrize("adapter, style, phase", registry.DEADLINE.params())
def test_deadline_ends_a_trickling_answer(faulty: FaultyBedrock, adapter: str, style: str, phase: str) -> None:
    spec, wire = BY_KEY[adapter], fb.WIRE[adapter]
    if phase == "no-deadline":
        # The control: the trickled answer is valid and is read whole when no deadline is set.
        model = spec.build(faulty, timeout=5, max_retries=0)
        faulty.queue(fb.trickled(wire, streamed=False, after_bytes=len(fb.body(wire)) - 8, every_s=0.02))
        assert spec.call(model, style, "hi").text == fb.ANSWER
        return
    model = spec.build(faulty, timeout=5, deadline=DEADLINE_S, max_retries=2)
    streamed = "stream" in style
    assert transport_of(model).deadline == DEADLINE_S
    # One prompt answer first, without the deadline: the async client is built on first use, which on a
    # loaded CI machine may take longer than the deadline itself.
    transport_of(model).deadline = None
    faulty.queue(fb.stream(wire) if streamed else fb.ok(wire))
    assert spec.call(model, style, "hi").text == fb.ANSWER
    faulty.server.received.clear()
    transport_of(model).deadline = DEADLINE_S
    if phase == "first-event":
        faulty.queue(fb.trickled(wire, streamed=True, after_bytes=0))
    else:
        faulty.queue(fb.trickled(wire, streamed=streamed, after_bytes=None if streamed else 0))
    outcome = Outcome()
    with pytest.raises(BedrockTimeoutError) as info:
        spec.call(model, style, "hi", outcome)
    error = info.value
    assert "deadline" in str(error) and f"{DEADLINE_S:g} s" in str(error)
    assert isinstance(error, TimeoutError)
    if phase == "between-events":
        received = fb.received_text(wire, 1)
        assert "".join(outcome.chunks) == received
        assert (error.partial_text or "") == received
    else:
        assert outcome.chunks == [] and not error.partial_text
    assert faulty.request_count == 1, "a missed deadline is not retried"


@pytest.mark.parametrize("adapter, style, status, bound", registry.RETRY_AFTER.params())
def test_retry_after_is_honoured_up_to_the_maximum_delay(
    faulty: FaultyBedrock, adapter: str, style: str, status: str, bound: str
) -> None:
    spec, wire = BY_KEY[adapter], fb.WIRE[adapter]
    model = spec.build(faulty, max_retries=3)
    max_delay = 5.0 if bound == "honoured" else 0.04
    transport_of(model).retry = RecordingRetryPolicy(max_retries=3, base_delay=0.01, max_delay=max_delay)
    code, name, _ = RETRY_AFTER[status]
    faulty.queue(fb.error(code, name, "Too many requests, please wait before trying again.",
                          retry_after="0.2" if bound == "honoured" else "30"))
    faulty.queue(fb.ok(wire))
    assert spec.call(model, style, "hi").text == fb.ANSWER
    assert faulty.request_count == 2
    assert retry_delays(model) == [0.2 if bound == "honoured" else 0.04]


@pytest.mark.parametrize("status", ["429", "503"])
def test_retry_after_absent_keeps_the_jittered_backoff(faulty: FaultyBedrock, status: str) -> None:
    spec = BY_KEY["langchain-chat"]
    model = spec.build(faulty, max_retries=3, rate_limit="off")  # a 429 would otherwise wait for the limiter
    code, name, error_type = RETRY_AFTER[status]
    faulty.queue(fb.error(code, name, "Too many requests."), times=4)
    with pytest.raises(error_type) as info:
        spec.call(model, "invoke", "hi")
    assert info.value.retry_after is None
    delays = retry_delays(model)
    assert len(delays) == 3 and all(0 < d <= 0.04 for d in delays)
