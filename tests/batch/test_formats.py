"""The batch record and output formats, with no I/O: records built by the on-demand codecs, output lines
read back through them, malformed lines as typed errors naming the line."""

from __future__ import annotations

import json

import pytest

from bedrock_mistral.batch import BatchOutputError, BatchRecordError, decode_line, record_id
from bedrock_mistral.batch.jobs import _in_order
from bedrock_mistral.batch.output import OutputLine
from bedrock_mistral.batch.records import encode, index_of
from bedrock_mistral.client import BedrockClient
from bedrock_mistral.types import ChatRequest, CompletionRequest, InferenceParams, Message

LARGE_2 = "mistral.mistral-large-2407-v1:0"


def line(**fields) -> bytes:  # type: ignore[no-untyped-def]
    return json.dumps(fields).encode()


def read(raw: bytes, kind: str = "InvokeModel", valid: range = range(0, 10), **kw) -> OutputLine:  # type: ignore[no-untyped-def]
    return decode_line(raw, source="s3://b/out/x.jsonl.out", line_number=3, model_id=LARGE_2,
                       invocation_type=kind, valid_indexes=valid, **kw)


def test_record_ids_carry_the_input_position():
    assert record_id(42) == "00000000042" and index_of(record_id(42)) == 42
    assert index_of("CALL0000001") is None and index_of(7) is None


def test_records_use_the_on_demand_bodies():
    client = BedrockClient("mistral.mistral-7b-instruct-v0:2", region_name="us-east-1")
    request = CompletionRequest("Hi", InferenceParams(max_tokens=9, stop=("\n",)))
    record = encode(client, 3, request)
    assert json.loads(record.line) == {"recordId": "00000000003", "modelInput": client.prepare_completion(request).payload}
    converse = BedrockClient(LARGE_2, api="converse", region_name="us-east-1")
    chat = ChatRequest((Message("system", "Brief."), Message("user", "Hi")), InferenceParams(temperature=0.2))
    body = json.loads(encode(converse, 0, chat).line)["modelInput"]
    assert body["system"] == [{"text": "Brief."}] and body["inferenceConfig"] == {"temperature": 0.2}
    assert "modelId" not in body


def test_text_completion_output_with_invocation_metrics():
    raw = line(recordId=record_id(2), modelInput={"prompt": "[INST] x [/INST]"},
               modelOutput={"outputs": [{"text": " Paris.", "stop_reason": "stop"}],
                            "amazon-bedrock-invocationMetrics": {"inputTokenCount": 7, "outputTokenCount": 3}})
    out = read(raw)
    assert out.index == 2 and out.error is None
    assert out.response.text == " Paris." and out.response.stop_reason == "stop"
    assert (out.response.usage.input_tokens, out.response.usage.output_tokens) == (7, 3)


def test_chat_output_with_tool_call_and_client_side_stop():
    output = {"choices": [{"index": 0, "stop_reason": "tool_calls", "message": {"role": "assistant", "content": "",
              "tool_calls": [{"id": "abcdefghi", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}}]}
    out = read(line(recordId=record_id(1), modelInput={"messages": []}, modelOutput=output))
    assert out.response.stop_reason == "tool_calls"
    assert out.response.tool_calls[0].name == "f" and out.response.tool_calls[0].arguments == {"a": 1}
    text = {"choices": [{"index": 0, "stop_reason": "stop", "message": {"role": "assistant", "content": "one END two"}}]}
    cut = read(line(recordId=record_id(1), modelInput={"messages": []}, modelOutput=text), default_stop=("END",))
    assert cut.response.text == "one "


def test_converse_output():
    output = {"output": {"message": {"role": "assistant", "content": [{"text": "Hello"}]}}, "stopReason": "end_turn",
              "usage": {"inputTokens": 4, "outputTokens": 1, "totalTokens": 5}, "metrics": {"latencyMs": 12}}
    out = read(line(recordId=record_id(0), modelInput={"messages": []}, modelOutput=output), kind="Converse")
    assert out.response.text == "Hello" and out.response.usage.total_tokens == 5 and out.response.api == "converse"


def test_error_line_is_a_typed_record_error():
    out = read(line(recordId=record_id(5), modelInput={}, error={"errorCode": 400, "errorMessage": "bad top_p"}))
    assert isinstance(out.error, BatchRecordError)
    assert (out.error.index, out.error.code, out.error.reason) == (5, "400", "bad top_p")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (line(recordId=record_id(77), modelOutput={}), "record id '00000000077' was never submitted"),
        (line(recordId="CALL0000001", modelOutput={}), "'CALL0000001' was never submitted"),
        (line(recordId=record_id(1), modelInput={}), "neither modelOutput nor error"),
    ],
)
def test_malformed_lines_raise_errors_naming_the_line(raw, reason):
    with pytest.raises(BatchOutputError, match=r"s3://b/out/x.jsonl.out line 3: ") as info:
        read(raw)
    assert reason in str(info.value) and info.value.line_number == 3


def test_out_of_order_output_comes_back_in_input_order_with_gaps_filled():
    def out(i: int) -> OutputLine:
        return OutputLine(i, record_id(i), None, BatchRecordError(i, record_id(i), "400", f"e{i}"))

    ordered = list(_in_order(iter([out(12), out(10), out(14), out(12), out(11)]), range(10, 15)))
    assert [i for i, _ in ordered] == [10, 11, 12, 13, 14]
    assert ordered[3][1] is None  # never answered: the caller turns it into a NotProcessed row
    assert ordered[2][1].error.reason == "e12"


def test_record_errors_survive_pickling():
    import pickle

    error = BatchRecordError(3, record_id(3), "424", "boom")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.index, copy.code, copy.reason) == (3, "424", "boom")


def test_control_endpoint_follows_the_runtime_endpoint():
    from bedrock_mistral.batch.aws import control_endpoint

    assert control_endpoint(None) is None
    assert control_endpoint("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert control_endpoint("https://bedrock-runtime.us-west-2.amazonaws.com") == "https://bedrock.us-west-2.amazonaws.com"
    assert control_endpoint("https://bedrock-runtime-fips.us-east-1.amazonaws.com") == (
        "https://bedrock-fips.us-east-1.amazonaws.com"
    )
