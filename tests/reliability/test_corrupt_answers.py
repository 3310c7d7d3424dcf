"""Issue 12 items 1 and 2: corrupt answers from a loopback server reach the caller as typed errors.

A corrupt event-stream frame is a `CorruptStreamError` carrying the text received before it; a 200 body
that is not a JSON object, or lacks the field holding the answer, is a `MalformedResponseError` naming
what was missing, with the request id. Every case goes through the adapter a user builds and real HTTP.
"""

from __future__ import annotations

import pytest

from bedrock_mistral.errors import CorruptStreamError, MalformedResponseError, StreamIncompleteError
from tests.reliability import faulty_bedrock as fb
from tests.reliability import registry
from tests.reliability.adapters import BY_KEY, Outcome
from tests.reliability.faulty_bedrock import FaultyBedrock

GOOD_FRAMES = 3


@pytest.mark.parametrize("adapter, style, where", registry.CORRUPT_FRAME.params())
def test_corrupt_frame_is_a_typed_stream_error(faulty: FaultyBedrock, adapter: str, style: str, where: str) -> None:
    spec, wire = BY_KEY[adapter], fb.WIRE[adapter]
    model = spec.build(faulty, max_retries=2)
    faulty.queue(fb.corrupt_stream(wire, where, GOOD_FRAMES))
    outcome = Outcome()
    with pytest.raises(CorruptStreamError) as info:
        spec.call(model, style, "hi", outcome)
    received = fb.received_text(wire, GOOD_FRAMES)
    assert received, "the corrupt frame must come after some text"
    assert "".join(outcome.chunks) == received
    assert info.value.partial_text == received
    assert isinstance(info.value, StreamIncompleteError)
    assert "corrupt" in str(info.value)
    assert faulty.request_count == 1, "a stream that already delivered text must not be restarted"


@pytest.mark.parametrize("adapter, style", registry.STREAMS)
def test_the_same_stream_uncorrupted_is_read_whole(faulty: FaultyBedrock, adapter: str, style: str) -> None:
    """The control: the frames the corrupt cases are built from make a complete answer."""
    spec, wire = BY_KEY[adapter], fb.WIRE[adapter]
    faulty.queue(fb.stream(wire))
    assert spec.call(spec.build(faulty, max_retries=0), style, "hi").text == fb.ANSWER


@pytest.mark.parametrize("adapter, style, kind", registry.MALFORMED_BODY.params())
def test_malformed_200_body_is_a_typed_error(faulty: FaultyBedrock, adapter: str, style: str, kind: str) -> None:
    spec, wire = BY_KEY[adapter], fb.WIRE[adapter]
    model = spec.build(faulty, max_retries=2)
    faulty.queue(fb.malformed(wire, kind))
    with pytest.raises(MalformedResponseError) as info:
        spec.call(model, style, "hi")
    error = info.value
    assert error.request_id == fb.REQUEST_ID
    assert fb.REQUEST_ID in str(error)
    expected_missing = fb.ANSWER_FIELD[wire] if kind == "no-answer-field" else "a JSON object"
    assert error.missing == expected_missing
    assert expected_missing in str(error)
    assert faulty.request_count == 1, "a malformed 200 answer is not retried"


@pytest.mark.parametrize("adapter", registry.ADAPTER_KEYS)
def test_a_well_formed_body_from_the_same_server_is_answered(faulty: FaultyBedrock, adapter: str) -> None:
    spec, wire = BY_KEY[adapter], fb.WIRE[adapter]
    faulty.queue(fb.ok(wire))
    assert spec.call(spec.build(faulty, max_retries=0), "invoke", "hi").text == fb.ANSWER
