"""Issue 8, part 4: fuzzing. Only the project's typed errors come out; the emulator always answers well.

Every property runs a fixed, derandomized number of examples (the count in docs/reliability.md) and
checks that it ran exactly that many.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_mistral import BedrockClient, ChatRequest, InferenceParams, ToolSpec, codecs
from bedrock_mistral.catalog import MODELS, BodyFormat
from bedrock_mistral.codecs import Encoded
from bedrock_mistral.errors import BedrockMistralError, ConfigurationError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.prompt import TOKENIZER_VERSIONS, render_prompt
from bedrock_mistral.transport.stream_events import event_payload as _event_payload
from bedrock_mistral.types import ModelResponse, StreamDelta
from tests.reliability import registry
from tests.reliability.strategies import headers, json_objects, json_values, messages

FORMATS = {
    "text-completion": Encoded("invoke", BodyFormat.TEXT_COMPLETION.value, {}, "m"),
    "chat-completion": Encoded("invoke", BodyFormat.CHAT_COMPLETION.value, {}, "m", client_stop=("END",)),
    "converse": Encoded("converse", codecs.CONVERSE, {}, "m"),
}


def run_property(
    scenario: registry.Scenario, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]
) -> None:
    """Run `check` on exactly `scenario.examples` derandomized examples, and prove that many ran."""
    ran = [0]

    @settings(
        max_examples=scenario.examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(strategy)
    def prop(value: Any) -> None:
        ran[0] += 1
        check(value)

    prop()
    assert ran[0] == scenario.examples, f"{scenario.key}: ran {ran[0]} examples, expected {scenario.examples}"


def typed_only(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except BedrockMistralError:
        return None


# --- codecs ------------------------------------------------------------------------------------------------


shaped_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "choices": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "message": st.fixed_dictionaries(
                            {},
                            optional={
                                "content": json_values,
                                "tool_calls": st.lists(
                                    st.fixed_dictionaries(
                                        {},
                                        optional={
                                            "id": json_values,
                                            "function": st.fixed_dictionaries(
                                                {}, optional={"name": json_values, "arguments": json_values}
                                            ),
                                        },
                                    ),
                                    max_size=2,
                                ),
                            },
                        ),
                        "stop_reason": json_values,
                    },
                ),
                max_size=2,
            ),
            "usage": st.fixed_dictionaries(
                {}, optional={"prompt_tokens": json_values, "completion_tokens": json_values}
            ),
            "outputs": st.lists(
                st.fixed_dictionaries({}, optional={"text": json_values, "stop_reason": json_values}),
                max_size=2,
            ),
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "output": st.fixed_dictionaries(
                {},
                optional={
                    "message": st.fixed_dictionaries(
                        {},
                        optional={
                            "content": st.lists(
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "text": json_values,
                                        "toolUse": json_objects,
                                        "reasoningContent": json_values,
                                    },
                                ),
                                max_size=3,
                            )
                        },
                    )
                },
            ),
            "stopReason": json_values,
            "usage": json_values,
            "metrics": json_values,
        },
    ),
)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_decoders_take_any_body(fmt: str) -> None:
    encoded = FORMATS[fmt]

    def check(value: tuple[Any, dict[str, str]]) -> None:
        body, head = value
        body = body if fmt == "converse" or isinstance(body, dict) else {"outputs": body}
        result = typed_only(lambda: codecs.decode(encoded, body, head))
        assert result is None or isinstance(result, ModelResponse)
        if result is not None:
            assert isinstance(result.text, str)

    run_property(registry.get(f"fuzz-decode-{fmt}"), st.tuples(json_objects | shaped_bodies, headers), check)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_stream_decoders_take_any_events(fmt: str) -> None:
    encoded = FORMATS[fmt]

    def check(events: list[dict[str, Any]]) -> None:
        decoder = codecs.stream_decoder(encoded)

        def feed() -> list[StreamDelta]:
            out: list[StreamDelta] = []
            for event in events:
                out.extend(decoder.feed(event))
            out.extend(decoder.finish())
            return out

        deltas = typed_only(feed)
        if deltas is not None:
            assert all(isinstance(d, StreamDelta) for d in deltas)
            assert "".join(d.text for d in deltas) == decoder.text or encoded.client_stop

    run_property(registry.get(f"fuzz-stream-{fmt}"), st.lists(json_objects, max_size=4), check)


def test_invoke_stream_event_payloads() -> None:
    def check(event: Any) -> None:
        assert isinstance(_event_payload(event, converse=False), dict)

    events = st.one_of(
        json_values,
        st.builds(
            lambda b: {"chunk": {"bytes": b}}, st.binary(max_size=40) | st.text(max_size=20).map(str.encode)
        ),
        st.builds(lambda v: {"chunk": {"bytes": json.dumps(v).encode()}}, json_values),
    )
    run_property(registry.get("fuzz-stream-payload"), events, check)


# --- prompt template and request encoding --------------------------------------------------------------------


def test_prompt_template_takes_any_messages() -> None:
    def check(value: tuple[list[Any], str, bool]) -> None:
        conversation, version, continue_final = value
        prompt = typed_only(
            lambda: render_prompt(conversation, version, continue_final_message=continue_final)
        )
        if prompt is not None:
            assert isinstance(prompt, str) and prompt.startswith("<s>")

    versions = st.sampled_from([*TOKENIZER_VERSIONS, "V2", "v9", ""])
    run_property(
        registry.get("fuzz-prompt"), st.tuples(st.lists(messages, max_size=6), versions, st.booleans()), check
    )


CLIENTS = {
    (spec.model_id, api): BedrockClient(
        spec.model_id,
        api=api,
        region_name="us-east-1",  # type: ignore[arg-type]
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    for spec in MODELS
    for api in spec.apis
}
tool_specs = st.builds(
    ToolSpec,
    st.text(max_size=10) | st.sampled_from(["get_weather", "a-b_c"]),
    st.text(max_size=10),
    json_objects | st.just({"type": "object", "properties": {"x": {"type": "string"}}}),
)
params = st.builds(
    InferenceParams,
    max_tokens=st.none() | st.integers(-5, 40_000),
    temperature=st.none() | st.floats(-1, 2),
    top_p=st.none() | st.floats(-1, 2),
    top_k=st.none() | st.integers(-1, 300),
    stop=st.lists(st.text(max_size=4), max_size=12).map(tuple),
)
requests = st.builds(
    ChatRequest,
    messages=st.lists(messages, max_size=5).map(tuple),
    params=params,
    tools=st.lists(tool_specs, max_size=2).map(tuple),
    tool_choice=st.none() | st.sampled_from(["auto", "any", "none", "get_weather", "x"]),
)


def test_request_encoding_takes_any_request() -> None:
    def check(value: tuple[tuple[str, str], ChatRequest]) -> None:
        key, request = value
        encoded = typed_only(lambda: CLIENTS[key].prepare_chat(request))
        if encoded is not None:
            assert isinstance(encoded, Encoded)
            if encoded.api == "invoke":
                json.loads(encoded.body_bytes())  # a well-formed JSON body

    run_property(registry.get("fuzz-encode"), st.tuples(st.sampled_from(sorted(CLIENTS)), requests), check)


# --- the emulator ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_emulator() -> Iterator[LocalBedrock]:
    """auth="none": malformed requests reach routing, validation and the engine."""
    with LocalBedrock(auth="none") as bedrock:
        yield bedrock


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response; raises if the server hangs up without one or is too slow."""
    reader = conn.makefile("rb")
    status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 "), f"no HTTP response, got {status_line!r}"
    status = int(status_line.split()[1])
    head: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        head[name.strip().lower()] = value.strip()
    if "content-length" in head:
        body = reader.read(int(head["content-length"]))
    elif head.get("transfer-encoding") == "chunked":
        body = b""
        while (size := int(reader.readline().strip() or b"0", 16)) > 0:
            body += reader.read(size)
            reader.readline()
    else:
        body = reader.read()
    return status, head, body


def assert_bedrock_answer(status: int, head: dict[str, str], body: bytes, *, raw_request_ok: bool) -> None:
    if status == 200:
        return
    if status == 400 and not head.get("x-amzn-errortype") and raw_request_ok:
        return  # an unparseable HTTP request line: a plain 400, as any HTTP server answers
    assert "x-amzn-errortype" in head, f"{status} without x-amzn-ErrorType: {body[:200]!r}"
    message = json.loads(body)["message"]
    assert isinstance(message, str) and message
    assert "emulator failed" not in message, f"emulator crashed on the request: {message}"


MODEL_PATHS = [m.model_id.replace(":", "%3A") for m in MODELS[:6]] + ["unknown.model", "%ZZ", ""]
OPS = ["invoke", "invoke-with-response-stream", "converse", "converse-stream", "nope"]
raw_requests = st.tuples(
    st.sampled_from(["POST", "GET", "PUT", "post"]),
    st.sampled_from(MODEL_PATHS),
    st.sampled_from(OPS),
    st.one_of(
        json_objects.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=60),
        json_values.map(lambda v: json.dumps(v).encode()),
    ),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["X-Amz-Date", "Authorization", "Content-Type", "Accept", "X-Junk", "Transfer-Encoding"]
            ),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
        ),
        max_size=3,
    ),
)


def test_emulator_answers_raw_http(open_emulator: LocalBedrock) -> None:
    def check(value: tuple[str, str, str, bytes, list[tuple[str, str]]]) -> None:
        method, model, op, body, extra = value
        extra = [(k, v) for k, v in extra if k != "Transfer-Encoding"]
        head = "".join(f"{k}: {v}\r\n" for k, v in extra)
        request = (
            f"{method} /model/{model}/{op} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n{head}\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", open_emulator.port), timeout=10) as conn:
            conn.sendall(request)
            status, headers_, payload = read_response(conn)
        assert_bedrock_answer(status, headers_, payload, raw_request_ok=False)

    run_property(registry.get("fuzz-emulator-http"), raw_requests, check)


def test_emulator_survives_broken_http(open_emulator: LocalBedrock) -> None:
    """Garbage request lines and headers: a plain 400 or a Bedrock error, then the server still serves."""

    def check(raw: bytes) -> None:
        with socket.create_connection(("127.0.0.1", open_emulator.port), timeout=10) as conn:
            conn.sendall(raw + b"\r\n\r\n")
            conn.shutdown(socket.SHUT_WR)
            try:
                status, headers_, payload = read_response(conn)
            except AssertionError:
                return  # nothing parseable was sent: closing without an answer is fine
        assert_bedrock_answer(status, headers_, payload, raw_request_ok=True)

    lines = st.one_of(
        st.binary(max_size=80),
        st.builds(
            lambda m, t, v: f"{m} {t} {v}".encode("utf-8", "replace"),
            st.text(max_size=8),
            st.text(max_size=20),
            st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/9"]),
        ),
        st.builds(lambda h: b"POST /model/x/invoke HTTP/1.1\r\n" + h, st.binary(max_size=60)),
        st.builds(
            lambda n: f"POST /model/x/invoke HTTP/1.1\r\nContent-Length: {n}".encode(),
            st.sampled_from(["-1", "abc", "1e9", "99999999999999999999", " 5"]),
        ),
        st.builds(
            lambda c: b"POST /model/x/invoke HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + c,
            st.binary(max_size=30),
        ),
    )
    run_property(registry.get("fuzz-emulator-broken-http"), lines, check)
    client = open_emulator.client()
    assert client.invoke_model(modelId="mistral.mistral-7b-instruct-v0:2", body=b'{"prompt": "hi"}')[
        "body"
    ].read()


def test_emulator_answers_boto3_with_odd_bodies(open_emulator: LocalBedrock) -> None:
    client = open_emulator.client()
    invoke_models = [m.model_id for m in MODELS if m.invoke_formats]

    def check(value: tuple[str, str, Any]) -> None:
        op, model, body = value
        try:
            if op == "invoke":
                client.invoke_model(modelId=model, body=json.dumps(body).encode())["body"].read()
            elif op == "invoke-stream":
                response = client.invoke_model_with_response_stream(
                    modelId=model, body=json.dumps(body).encode()
                )
                for _ in response["body"]:
                    pass
            elif op == "converse":
                client.converse(modelId=model, **body)
            else:
                response = client.converse_stream(modelId=model, **body)
                for _ in response["stream"]:
                    pass
        except ClientError as error:
            message = error.response["Error"].get("Message", "")
            assert error.response["Error"].get("Code"), error.response
            assert "emulator failed" not in message, f"emulator crashed: {message}"
        except client.exceptions.ModelStreamErrorException:
            pass
        except ParamValidationError:
            pass  # refused by boto3 before sending: nothing reached the emulator

    text = st.text(max_size=12)
    blocks = st.one_of(
        st.builds(lambda t: {"text": t}, text),
        st.builds(
            lambda i, n, v: {"toolUse": {"toolUseId": i, "name": n, "input": v}}, text, text, json_values
        ),
        st.builds(
            lambda i, t, s: {"toolResult": {"toolUseId": i, "content": [{"text": t}], "status": s}},
            text,
            text,
            st.sampled_from(["success", "error"]),
        ),
        st.builds(
            lambda f, b: {"image": {"format": f, "source": {"bytes": b}}},
            st.sampled_from(["png", "jpeg", "gif", "webp"]),
            st.binary(max_size=16),
        ),
    )
    converse_bodies = st.fixed_dictionaries(
        {
            "messages": st.lists(
                st.fixed_dictionaries(
                    {"role": st.sampled_from(["user", "assistant"]), "content": st.lists(blocks, max_size=3)}
                ),
                max_size=3,
            )
        },
        optional={
            "system": st.lists(st.builds(lambda t: {"text": t}, text), max_size=2),
            "inferenceConfig": st.fixed_dictionaries(
                {},
                optional={
                    "maxTokens": st.integers(-2, 10**6),
                    "temperature": st.floats(-1, 3),
                    "topP": st.floats(-1, 3),
                    "stopSequences": st.lists(text, max_size=12),
                },
            ),
            "toolConfig": st.fixed_dictionaries(
                {
                    "tools": st.lists(
                        st.builds(
                            lambda n, v: {"toolSpec": {"name": n, "inputSchema": {"json": v}}},
                            text,
                            json_objects,
                        ),
                        max_size=2,
                    )
                },
                optional={
                    "toolChoice": st.sampled_from([{"auto": {}}, {"any": {}}, {"tool": {"name": "x"}}])
                },
            ),
            "additionalModelRequestFields": json_objects,
        },
    )
    invoke_bodies = (
        json_objects
        | st.fixed_dictionaries(
            {"prompt": json_values | st.text(max_size=20)},
            optional={k: json_values for k in ("max_tokens", "stop", "temperature", "top_p", "top_k")},
        )
        | st.fixed_dictionaries(
            {"messages": st.lists(json_objects, max_size=3)},
            optional={k: json_values for k in ("tools", "tool_choice", "max_tokens", "response_format")},
        )
    )
    values = st.one_of(
        st.tuples(
            st.sampled_from(["invoke", "invoke-stream"]), st.sampled_from(invoke_models), invoke_bodies
        ),
        st.tuples(
            st.sampled_from(["converse", "converse-stream"]),
            st.sampled_from([m.model_id for m in MODELS]),
            converse_bodies,
        ),
    )
    run_property(registry.get("fuzz-emulator-boto3"), values, check)


def test_configuration_errors_are_value_errors() -> None:
    assert issubclass(ConfigurationError, ValueError)
