"""Every reliability scenario, as data: what is done, what must happen, and how many cases run.

The tests are parametrized from these rows and `docs/reliability.md` is rendered from them, so the
published table cannot drift from what CI runs: `test_reliability_doc.py` fails when the file differs
(`UPDATE_RELIABILITY_DOC=1 pytest tests/reliability/test_reliability_doc.py` rewrites it). Counts are
deterministic: a row's count is its number of parametrized cases, or its fixed Hypothesis example budget
(`settings(max_examples=N, derandomize=True)`, checked by the fuzz tests themselves).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.reliability import bad_inputs
from tests.reliability.adapters import ADAPTERS, STREAM_STYLES, STYLES

FAULT, BAD_INPUT, BAD_OUTPUT, SECURITY, FUZZ = (
    "Fault matrix",
    "Bad input (rejected before any request)",
    "Bad model output",
    "Security",
    "Fuzzing",
)
SECTIONS = (FAULT, BAD_INPUT, BAD_OUTPUT, SECURITY, FUZZ)


@dataclass(frozen=True)
class Scenario:
    key: str
    section: str
    title: str
    expected: str
    cases: tuple[Any, ...] = ()
    examples: int = 0
    """Hypothesis examples per run (fuzz rows); 0 for rows counted in cases."""
    lost: str = "0"
    """What the caller lost in this scenario (received text, answers); always 0 when the row passes."""
    ids: tuple[str, ...] = field(default=(), compare=False)

    @property
    def count(self) -> int:
        return self.examples or len(self.cases)

    @property
    def unit(self) -> str:
        return "examples" if self.examples else "cases"

    def params(self) -> list[Any]:
        """`pytest.param`s with readable ids."""
        import pytest

        return [pytest.param(*_tuple(case), id=_id(case)) for case in self.cases]


def _tuple(case: Any) -> tuple[Any, ...]:
    return case if isinstance(case, tuple) else (case,)


def _id(case: Any) -> str:
    return "-".join(str(getattr(part, "key", part)) for part in _tuple(case))


def matrix(*axes: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(itertools.product(*axes))


ADAPTER_KEYS = tuple(a.key for a in ADAPTERS)
ALL = matrix(ADAPTER_KEYS, STYLES)
STREAMS = matrix(ADAPTER_KEYS, STREAM_STYLES)
# Filled in by the modules that own the generated matrices (bad_input.py); kept here for the doc.
_rows: dict[str, Scenario] = {}


def add(scenario: Scenario) -> Scenario:
    if scenario.key in _rows:
        raise ValueError(f"duplicate scenario {scenario.key!r}")
    _rows[scenario.key] = scenario
    return scenario


def get(key: str) -> Scenario:
    return _rows[key]


def rows() -> list[Scenario]:
    return sorted(_rows.values(), key=lambda s: SECTIONS.index(s.section))


# --- 1. fault matrix: 3 adapters x 4 call styles ---------------------------------------------------------

THROTTLE_WITHIN = add(
    Scenario(
        "throttle-within-budget",
        FAULT,
        "Throttled 2 times, `max_retries=3`",
        "answer returned; the emulator saw exactly 3 requests; 2 backoff sleeps (> 0 s) between them",
        ALL,
    )
)
THROTTLE_BEYOND = add(
    Scenario(
        "throttle-beyond-budget",
        FAULT,
        "Throttled on every request, `max_retries=2`",
        "`ThrottlingError` (code, 429, Bedrock message) reaches the caller unwrapped after exactly 3 "
        "requests, in < 10 s",
        ALL,
    )
)
TRANSIENT = add(
    Scenario(
        "transient-retried",
        FAULT,
        "One 500 InternalServerException / 503 ServiceUnavailableException / 429 ModelNotReadyException",
        "retried once, answer returned (2 requests)",
        matrix(ADAPTER_KEYS, STYLES, ("500", "503", "ModelNotReady")),
    )
)
TRANSIENT_EXHAUSTED = add(
    Scenario(
        "transient-exhausted",
        FAULT,
        "500 / 503 / ModelNotReady on every request, `max_retries=1`",
        "the typed error (`InternalServerError`, `ServiceUnavailableError`, `ModelNotReadyError`) after "
        "exactly 2 requests",
        matrix(ADAPTER_KEYS, ("invoke", "astream"), ("500", "503", "ModelNotReady")),
    )
)
NOT_RETRIED = add(
    Scenario(
        "client-error-not-retried",
        FAULT,
        "400 ValidationException / 403 AccessDeniedException, `max_retries=3`",
        "`ValidationError` / `AccessDeniedError` with Bedrock's message, after exactly 1 request",
        matrix(ADAPTER_KEYS, STYLES, ("400", "403")),
    )
)
IN_STREAM = add(
    Scenario(
        "in-stream-exception",
        FAULT,
        "`modelStreamErrorException` / `throttlingException` frame after K=4 event frames",
        "the chunks sent before the failure reach the caller, then `ModelStreamError` / `ThrottlingError` "
        "whose `partial_text` equals them and is a prefix of the full answer; not silently restarted "
        "(1 request)",
        matrix(ADAPTER_KEYS, STREAM_STYLES, ("modelStreamErrorException", "throttlingException")),
    )
)
DROPPED_STREAM = add(
    Scenario(
        "dropped-mid-stream",
        FAULT,
        "Connection closed after K=3 event frames, without the final chunk",
        "`BedrockConnectionError` or `StreamIncompleteError` carrying the text received; never a "
        "silently shortened answer",
        STREAMS,
    )
)
DROPPED_BEFORE = add(
    Scenario(
        "dropped-before-answer",
        FAULT,
        "Connection closed before any answer byte (one request)",
        "retried as a connection error; the full answer is returned (2 requests)",
        ALL,
    )
)
READ_TIMEOUT = add(
    Scenario(
        "read-timeout",
        FAULT,
        "First byte delayed 5 s, `timeout=0.25`",
        "`BedrockTimeoutError` (a `TimeoutError`) in < 3 s; not retried (1 request)",
        ALL,
    )
)
CONCURRENCY = add(
    Scenario(
        "concurrent-throttled",
        FAULT,
        "100 concurrent calls, each with a unique token; 25 of the 125 requests (20%) throttled",
        "every call completes or fails with `ThrottlingError`; none hangs (60 s cap); every answer "
        "holds its own token and no other",
        ALL,
        lost="0 answers mixed",
    )
)

RETRY_AFTER = add(
    Scenario(
        "retry-after-honoured",
        FAULT,
        "429 ThrottlingException / 503 ServiceUnavailableException with `Retry-After: 0.2` (policy maximum "
        "5 s) or `Retry-After: 30` (policy maximum 0.04 s), then an answer",
        "the backoff the transport asks for is exactly the `Retry-After` value, capped at the policy's "
        "maximum delay; answer returned (2 requests)",
        matrix(ADAPTER_KEYS, ("invoke", "ainvoke"), ("429", "503"), ("honoured", "capped")),
    )
)
DEADLINE = add(
    Scenario(
        "deadline",
        FAULT,
        "Loopback server trickling the answer one byte every 100 ms (`timeout=5`, `deadline=0.5`): a "
        "whole answer, a stream's first event, a stream after its first event",
        "`BedrockTimeoutError` naming the deadline, with the text received so far as `partial_text`; "
        "without `deadline` the same trickled answer is read whole",
        (
            *matrix(ADAPTER_KEYS, ("invoke", "ainvoke"), ("whole-call",)),
            *matrix(ADAPTER_KEYS, STREAM_STYLES, ("first-event", "between-events")),
            ("langchain-chat", "invoke", "no-deadline"),
        ),
    )
)
EVENT_LOOPS = add(
    Scenario(
        "event-loops-released",
        FAULT,
        "`asyncio.run(model.ainvoke(...))` 300 times on one instance",
        "the live event loops (counted with `gc`) do not grow: the async client bound to each closed "
        "loop is released with it",
        ADAPTER_KEYS,
        lost="0 loops kept",
    )
)
LAZY_IMPORT_RACE = add(
    Scenario(
        "lazy-import-race",
        FAULT,
        "A sync call fails (429, `max_retries=0`) while another thread is still importing `aiohttp` "
        "(a partially initialized module in `sys.modules`)",
        "the typed `ThrottlingError`, never `AttributeError: partially initialized module`",
        ("partially-initialized", "real-thread-import"),
    )
)

# --- 2b. bad model output (custom engines) -------------------------------------------------------------

TOOL_ADAPTER_STYLES = matrix(("langchain-chat", "llama-index"), STYLES)
TRANSPORT_TOOL_FORMATS = matrix(("chat-completion", "converse"), ("chat", "stream"))
MALFORMED_TOOL_JSON = add(
    Scenario(
        "malformed-tool-json",
        BAD_OUTPUT,
        'The model\'s tool call has truncated JSON arguments (`{"city": "Par`)',
        "no crash; the transport returns the call flagged `invalid` with the raw text kept; LangChain "
        "reports it in `invalid_tool_calls`; LlamaIndex keeps the raw text and never invents arguments",
        (
            *(("transport", *c) for c in TRANSPORT_TOOL_FORMATS),
            *TOOL_ADAPTER_STYLES,
            ("llama-index-selection", "invoke"),
            ("llama-index-selection", "stream"),
        ),
    )
)
NON_OBJECT_TOOL_JSON = add(
    Scenario(
        "non-object-tool-json",
        BAD_OUTPUT,
        'The model\'s tool-call arguments are valid JSON but not an object (`["Paris", 3]`)',
        "no crash; the call is flagged `invalid` with the raw text kept",
        tuple(("transport", *c) for c in TRANSPORT_TOOL_FORMATS),
    )
)
UNKNOWN_TOOL = add(
    Scenario(
        "unknown-tool-call",
        BAD_OUTPUT,
        "The model calls a tool that was not offered (`launch_rocket`)",
        "no crash; the call is passed to the caller as made (name and arguments intact) for the "
        "framework's tool executor to refuse",
        (*(("transport", *c) for c in TRANSPORT_TOOL_FORMATS), *TOOL_ADAPTER_STYLES),
    )
)
EMPTY_ANSWER = add(
    Scenario(
        "empty-answer",
        BAD_OUTPUT,
        "The model answers with no text at all",
        "no crash; an empty answer with its stop reason (streams end normally, never "
        "`StreamIncompleteError`)",
        (
            *(
                ("transport", fmt, s)
                for fmt in ("chat-completion", "text-completion", "converse")
                for s in ("chat", "stream")
            ),
            *ALL,
        ),
    )
)

CORRUPT_FRAME = add(
    Scenario(
        "corrupt-stream-frame",
        BAD_OUTPUT,
        "Loopback server: a stream whose 4th event-stream frame has a bad prelude CRC or message CRC",
        "the chunks before it reach the caller, then `CorruptStreamError` (a `StreamIncompleteError`) whose "
        "`partial_text` equals them; never botocore's raw `ChecksumMismatch`",
        matrix(ADAPTER_KEYS, STREAM_STYLES, ("prelude", "message")),
    )
)
MALFORMED_BODY = add(
    Scenario(
        "malformed-200-body",
        BAD_OUTPUT,
        "Loopback server answers 200 with a body that is not JSON, empty, a JSON array, nested 100,000 "
        "deep, or without `choices` / `outputs` / `output`",
        "`MalformedResponseError` naming what was missing and carrying the request id, on InvokeModel "
        "(both body formats) and Converse; never `JSONDecodeError` / `AttributeError` / `RecursionError` "
        "or an empty answer",
        matrix(
            ADAPTER_KEYS,
            ("invoke", "ainvoke"),
            ("not-json", "empty", "json-array", "too-deep", "no-answer-field"),
        ),
    )
)

# --- 3. security -----------------------------------------------------------------------------------

SECRET_SURFACES = add(
    Scenario(
        "secret-not-in-surfaces",
        SECURITY,
        "Sentinel secret key and session token given to each adapter and the transport",
        "absent from `repr`, `str`, `model_dump`, LangChain `dumps`, LlamaIndex `to_dict`/`to_json`",
        ("transport", *ADAPTER_KEYS),
    )
)
SECRET_LOGS = add(
    Scenario(
        "secret-not-in-logs",
        SECURITY,
        "Real calls (4 call styles) with every logger incl. botocore at DEBUG",
        "neither the secret key nor the session token appears in any log record (botocore's own DEBUG "
        "lines included)",
        matrix(ADAPTER_KEYS, STYLES),
    )
)
SECRET_ERRORS = add(
    Scenario(
        "secret-not-in-errors",
        SECURITY,
        "Calls failing with auth errors, Bedrock errors, timeouts and configuration errors",
        "the secret and the session token are absent from the message, `repr` and formatted traceback",
        ("auth", "bedrock-error", "timeout", "config", "in-stream", "canonical-request"),
    )
)
API_KEY_HYGIENE = add(
    Scenario(
        "api-key-not-leaked",
        SECURITY,
        "A sentinel Bedrock API key (bearer auth) given to each adapter and the transport; then a wrong key",
        "absent from reprs and serialization (LangChain serializes a reference to `AWS_BEARER_TOKEN_BEDROCK`), "
        "from every DEBUG log record, from the rejection's message, `repr` and traceback, and from the "
        "emulator's request log (fingerprinted)",
        matrix(("transport", *ADAPTER_KEYS), ("surfaces", "logs", "errors")),
    )
)
REQUEST_LOG = add(
    Scenario(
        "secret-not-in-request-log",
        SECURITY,
        "Calls with a session token to the emulator, then its request log (`bedrock.requests`) is read",
        "`X-Amz-Security-Token` is recorded as `***` and a hash fingerprint, the `Authorization` "
        "signature as `***` (its credential scope is kept)",
        ("invoke", "stream"),
    )
)
STRICT_AUTH = add(
    Scenario(
        "strict-auth",
        SECURITY,
        'Emulator with `auth="strict"`',
        "wrong secret, unknown key, tampered body, expired and future signature, missing and malformed "
        "Authorization: 403/400 with Bedrock's auth error code; the right key passes",
        (
            "right-key",
            "wrong-secret",
            "unknown-key",
            "tampered-body",
            "expired",
            "future",
            "missing",
            "malformed",
        ),
    )
)
LOOPBACK = add(
    Scenario(
        "loopback-and-limits",
        SECURITY,
        "Emulator defaults",
        "listens on 127.0.0.1 only (CLI default too); bodies over 25,000,000 bytes refused with a "
        "ValidationException before they are read (declared length, chunked, through boto3)",
        ("listen-address", "cli-default", "content-length", "chunked", "boto3"),
    )
)

MALFORMED_HTTP = add(
    Scenario(
        "emulator-malformed-http",
        SECURITY,
        "Emulator sent malformed HTTP over a raw socket: a bad chunk size, `Content-Length` `abc` / `1e9` / "
        "`-1` / two conflicting values, `HEAD`, an `HTTP/2.0` request line, a header line and a header "
        "count over the limits, bytes that are not HTTP",
        "400 (405 for HEAD, with no body; 505 for HTTP/2.0; 431 for the limits), then the next boto3 "
        "client is served; no unhandled exception in any server thread",
        (
            "bad-chunk-size",
            "content-length-abc",
            "content-length-1e9",
            "content-length-negative",
            "content-length-conflicting",
            "head",
            "http-2.0",
            "header-line-too-long",
            "too-many-headers",
            "not-http",
        ),
    )
)
BODY_LIMIT = add(
    Scenario(
        "emulator-body-limit-while-reading",
        SECURITY,
        "Bodies over the emulator's limit: a declared 1 TiB `Content-Length`, a chunk declared as 1 TiB, a "
        "100 MiB chunk",
        "Bedrock's ValidationException as soon as the limit is passed, before the rest is sent or buffered",
        ("content-length-1tib", "chunk-1tib", "chunk-100mib"),
    )
)
DEEP_JSON = add(
    Scenario(
        "emulator-deep-json",
        SECURITY,
        'A JSON body nested 100,000 deep, signed (default auth) and unsigned (`auth="strict"`)',
        "400 ValidationException when signed; the authentication error when unsigned (authentication runs "
        "before the body is parsed); never a 500",
        ("signed", "strict-unsigned"),
    )
)
IDLE_CONNECTIONS = add(
    Scenario(
        "emulator-idle-connections",
        SECURITY,
        "500 idle connections held open; connections silent past the idle timeout; connections past "
        "`max_connections`",
        "boto3 still gets answers with 500 idle connections open and the server's thread count stays "
        "bounded; silent connections are closed (408 when a request was half sent); past the bound, a 503 "
        "ServiceUnavailableException, and service again once connections close",
        ("500-idle", "idle-timeout", "half-sent-request", "connection-bound"),
    )
)
STRICT_SCOPE = add(
    Scenario(
        "strict-auth-scope",
        SECURITY,
        'Emulator with `auth="strict"`: correctly signed requests scoped to another region (`us-west-2`, '
        "`mars-1`), another service (`s3`) or another date, and bodies swapped after signing",
        "403 InvalidSignatureException with AWS's message for each wrong scope; a body swapped under "
        "`UNSIGNED-PAYLOAD` or under a wrong `x-amz-content-sha256` is refused",
        (
            "region-us-west-2",
            "region-mars-1",
            "service-s3",
            "scope-date",
            "unsigned-payload-swapped",
            "content-sha256-wrong",
        ),
    )
)
SERVE_EXPOSURE = add(
    Scenario(
        "serve-host",
        SECURITY,
        "`bedrock-mistral serve --host` with `0.0.0.0`, `::` (IPv6), `0.0.0.0 --auth strict` and the default",
        "beyond loopback without `--auth strict`: a warning on stderr suggesting it; the printed endpoint is "
        "one a client reaches (never `0.0.0.0`), and boto3 gets answers through it, over IPv6 too",
        ("all-interfaces", "ipv6-all-interfaces", "all-interfaces-strict", "default-loopback"),
    )
)

COPIES = add(
    Scenario(
        "copies-keep-identity",
        SECURITY,
        "Each adapter, after sync and async calls, is deep-copied (and, LangChain, `model_copy(deep=True)`-ed) "
        "and pickled: with explicit keys (other keys in the environment), with the environment's keys, on a "
        "boto3 client; `repr` of a half-built `BedrockClient`",
        "copies answer and sign with the explicit key, never the environment's; pickles never carry a "
        "credential: explicit keys or a boto3 client make pickling fail with a `TypeError` saying why (no "
        "secret in it), environment credentials pickle and are resolved again; the half-built `repr` does "
        "not raise",
        (
            *matrix(
                ADAPTER_KEYS,
                ("deepcopy", "pickle-explicit-keys", "pickle-environment-keys", "pickle-boto3-client"),
            ),
            ("langchain-chat", "model_copy"),
            ("langchain-llm", "model_copy"),
            ("transport", "half-built-repr"),
        ),
    )
)

# --- 2. bad input ----------------------------------------------------------------------------------------

BAD_PARAMS = add(
    Scenario(
        "bad-parameters",
        BAD_INPUT,
        "Every out-of-range / wrong-type `max_tokens`, `temperature`, `top_p`, `top_k`, `stop` for every "
        "catalog model and API",
        "`ParameterError` (a `ValueError`) naming the parameter, the model and what is allowed, at "
        "construction and per request; the emulator received nothing",
        tuple((m, a, n, v) for m, a, n, v in bad_inputs.PARAM_CASES),
    )
)
BAD_REQUESTS = add(
    Scenario(
        "bad-requests",
        BAD_INPUT,
        "Empty / system-only conversations, final assistant turn, orphan tool results, invalid tool "
        "schemas, tool names Bedrock rejects, duplicate tools, bad tool_choice, tools / images / documents "
        "the model cannot take, prompt + `max_tokens` over the context window",
        "`InvalidRequestError` / `UnsupportedFeatureError` / `ContextWindowExceededError` saying what is "
        "wrong; the emulator received nothing",
        bad_inputs.REQUEST_CASES,
    )
)
BAD_CONFIG = add(
    Scenario(
        "bad-configuration",
        BAD_INPUT,
        "Unknown model ids without `api`, an API the model lacks, bad retries / timeouts / half credentials",
        "`UnknownModelError` / `ConfigurationError` / `ValueError` at construction; nothing sent",
        bad_inputs.CONFIG_CASES,
    )
)
BAD_ADAPTER_INPUT = add(
    Scenario(
        "bad-input-adapters",
        BAD_INPUT,
        "The same mistakes made through each adapter (constructor, per-call kwargs, framework messages, "
        "framework tools, framework image blocks)",
        "the transport's typed error reaches the caller unwrapped; the emulator received nothing",
        tuple((adapter, case) for adapter, names in bad_inputs.ADAPTER_CASES.items() for case in names),
    )
)

CTOR_TYPES = add(
    Scenario(
        "constructor-types",
        BAD_INPUT,
        'Construction options of the wrong type: `max_tokens=True`, `temperature=True`, `temperature="0.5"`, '
        '`max_tokens="100"`, `timeout="5"`, `max_retries=True`',
        "`ParameterError` / `ConfigurationError` naming the option and what is allowed, in every adapter "
        "alike (checked as given, never coerced); nothing sent",
        matrix(
            ADAPTER_KEYS,
            (
                "max_tokens-bool",
                "temperature-bool",
                "temperature-str",
                "max_tokens-str",
                "timeout-str",
                "max_retries-bool",
            ),
        ),
    )
)
BAD_ARGUMENTS = add(
    Scenario(
        "bad-arguments-typed",
        BAD_INPUT,
        '`timeout=inf` / `nan`, `deadline=0`, `client=object()`, `config="x"`, `tools=[1]`, `stop=5`, a lone '
        "surrogate in the prompt, empty content, LlamaIndex `tool_choice=3` and `None` / `bytes` content",
        "a typed error (`ConfigurationError`, `ParameterError`, `InvalidRequestError`) naming the argument "
        "and what is allowed, before any request; never `AttributeError`, `TypeError`, `UnicodeEncodeError`, "
        'a late connection error or a silent `""`',
        (
            *matrix(
                ADAPTER_KEYS,
                (
                    "timeout-inf",
                    "timeout-nan",
                    "deadline-zero",
                    "client-object",
                    "config-str",
                    "stop-int",
                    "lone-surrogate",
                ),
            ),
            ("langchain-chat", "empty-content"),
            ("llama-index", "empty-content"),
            ("langchain-chat", "tools-int"),
            ("llama-index", "tools-int"),
            ("llama-index", "tool-choice-int"),
            ("llama-index", "content-none"),
            ("llama-index", "content-bytes"),
        ),
    )
)
STOP_STRING = add(
    Scenario(
        "stop-string",
        BAD_INPUT,
        'LangChain `stop="END"` per call and at construction; `stop=5`, `stop=[1]`',
        'one stop sequence: the text-completion body carries `["END"]`, the chat path cuts the answer at '
        "`END`, not at its first letter; anything but a string or a list of strings is a `ParameterError`",
        (
            ("langchain-llm", "call"),
            ("langchain-llm", "constructor"),
            ("langchain-chat", "call"),
            ("langchain-chat", "constructor"),
            ("langchain-chat", "int"),
            ("langchain-llm", "list-of-int"),
        ),
    )
)

# --- 4. fuzzing (Hypothesis, derandomized, fixed budgets) ------------------------------------------------

for _fmt in ("text-completion", "chat-completion", "converse"):
    add(
        Scenario(
            f"fuzz-decode-{_fmt}",
            FUZZ,
            f"{_fmt} response decoder fed arbitrary JSON-like bodies and headers",
            "a `ModelResponse` or a `BedrockMistralError`; nothing else escapes",
            examples=200,
        )
    )
    add(
        Scenario(
            f"fuzz-stream-{_fmt}",
            FUZZ,
            f"{_fmt} stream decoder fed arbitrary event sequences, then the end of the stream",
            "`StreamDelta`s or a `BedrockMistralError` (`StreamIncompleteError` without a final chunk)",
            examples=200,
        )
    )
add(
    Scenario(
        "fuzz-stream-payload",
        FUZZ,
        "InvokeModelWithResponseStream events with arbitrary `chunk.bytes` (binary, bad JSON, non-objects)",
        "always a dict for the decoder",
        examples=150,
    )
)
add(
    Scenario(
        "fuzz-prompt",
        FUZZ,
        "Mistral instruct template fed arbitrary message sequences (any role, text, images, documents, "
        "tool calls), tokenizer versions and `continue_final_message`",
        "a prompt starting with `<s>` or `InvalidRequestError`",
        examples=300,
    )
)
add(
    Scenario(
        "fuzz-encode",
        FUZZ,
        "Validation + encoding of arbitrary chat requests (messages, params, tools, tool_choice) for every "
        "catalog model and API",
        "an encoded request with a well-formed JSON body, or a `ConfigurationError` (a `ValueError`)",
        examples=300,
    )
)
add(
    Scenario(
        "fuzz-emulator-http",
        FUZZ,
        "Emulator fed raw HTTP over a socket: any method, model, operation, headers and body",
        "a well-formed Bedrock answer (200, or status + `x-amzn-ErrorType` + JSON `message`); never a "
        "crash, a hang-up or a hang",
        examples=200,
    )
)
add(
    Scenario(
        "fuzz-emulator-broken-http",
        FUZZ,
        "Emulator fed broken HTTP: garbage request lines, headers, Content-Length and chunked framing",
        "a plain 400 or a Bedrock error; the server keeps serving",
        examples=150,
    )
)
add(
    Scenario(
        "fuzz-emulator-boto3",
        FUZZ,
        "Emulator fed odd bodies through boto3 on all four operations (odd JSON for InvokeModel, odd "
        "values in well-shaped Converse requests)",
        "a success or a Bedrock `ClientError` with a code; never an emulator crash",
        examples=150,
    )
)

# --- open bugs: each is a strict xfail in the suite; fixing one turns its test into a failure (XPASS) ------

BUGS: dict[str, str] = {
    "langchain-stream-repairs-tool-json": (
        "langchain-core's AIMessageChunk rebuilds tool_calls from merged tool_call_chunks with "
        "parse_partial_json, which completes truncated JSON, and it turns a chunk's invalid_tool_calls back "
        'into tool_call_chunks: a truncated call (\'{"city": "Par\') streamed by any integration becomes '
        "tool_calls=[{'city': 'Par'}], while invoke() reports it in invalid_tool_calls"
    ),
}

ROW_BUGS: dict[str, tuple[tuple[str, ...], bool]] = {
    # row key -> (open bugs that touch it, whether the bug stops the row from passing as a whole)
    "malformed-tool-json": (("langchain-stream-repairs-tool-json",), False),
}
