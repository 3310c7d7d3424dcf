"""`bedrock-mistral`: the command line. Parsing and printing only; Bedrock logic lives in the transport.

    bedrock-mistral serve [--port 8000]               run the local Bedrock emulator
    bedrock-mistral models [--json]                   the model catalog
    bedrock-mistral invoke MODEL PROMPT [--stream]    one request
    bedrock-mistral chat MODEL                        interactive streaming chat (reads stdin)

User errors print one line, `error: ...`, on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, TextIO
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError

from bedrock_mistral.catalog import API_NAMES, MODELS, BodyFormat, ModelSpec, Range
from bedrock_mistral.client import BedrockClient
from bedrock_mistral.errors import BedrockMistralError
from bedrock_mistral.transport.region import region_from_env
from bedrock_mistral.types import ChatRequest, InferenceParams, Message, StreamDelta, Usage

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A problem with what the user asked for; printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `error: ...` line (and a hint), not the whole usage text."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


# --- connection -------------------------------------------------------------------------------------


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="Bedrock Runtime endpoint, e.g. the emulator's http://127.0.0.1:8000 (default: AWS)",
    )
    group.add_argument(
        "--region", help="AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's)"
    )
    group.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help="Bedrock API key, sent as a bearer token (default: AWS_BEARER_TOKEN_BEDROCK when set)",
    )
    group.add_argument("--max-retries", type=int, default=3, metavar="N", help="retries (default 3; 0: none)")
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="connect and read timeout")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model id, cross-region profile (eu.mistral...) or ARN; see `models`")
    parser.add_argument("--api", choices=API_NAMES, help="InvokeModel or Converse (default: the model's)")
    params = parser.add_argument_group("inference parameters (checked against the model's limits)")
    params.add_argument("--max-tokens", type=int, metavar="N")
    params.add_argument("--temperature", type=float, metavar="T")
    params.add_argument("--top-p", type=float, metavar="P")
    params.add_argument("--top-k", type=int, metavar="K", help="text-completion models over InvokeModel only")
    params.add_argument("--stop", action="append", default=[], metavar="S", help="stop sequence (repeatable)")
    params.add_argument("--system", metavar="TEXT", help="system prompt")
    add_connection_arguments(parser)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connection(args: argparse.Namespace) -> tuple[str | None, str | None, str | None]:
    """Region and keys from the flags. On a loopback endpoint (the emulator) without --profile, the
    emulator's well-known keys are used, so `serve` + `--endpoint-url` works with no AWS setup."""
    key_id: str | None = None
    secret: str | None = None
    region = args.region
    if args.endpoint_url and _is_loopback(args.endpoint_url) and not args.profile:
        from bedrock_mistral.local import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY

        key_id, secret = DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY
        region = region or region_from_env() or "us-east-1"
    return region, key_id, secret


def client_from_args(args: argparse.Namespace) -> BedrockClient:
    """A transport client from the flags (model, API, sampling parameters, connection)."""
    region, key_id, secret = connection(args)
    if args.max_retries < 0:
        raise UserError(f"--max-retries must be 0 or more, got {args.max_retries}")
    params = InferenceParams(
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        stop=tuple(args.stop),
    )
    return BedrockClient(
        args.model,
        api=args.api,
        params=params,
        endpoint_url=args.endpoint_url,
        region_name=region,
        profile_name=args.profile,
        connect_timeout=args.timeout,
        read_timeout=args.timeout,
        max_retries=args.max_retries,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        api_key=getattr(args, "api_key", None),
    )


# --- models -----------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "off"
    return str(int(value)) if float(value).is_integer() else str(value)


def _range(allowed: Range | None) -> str:
    if allowed is None:
        return "-"
    return f"{_number(allowed.minimum)}-{_number(allowed.maximum)} ({_number(allowed.default)})"


def _apis(spec: ModelSpec) -> str:
    names = {BodyFormat.TEXT_COMPLETION: "text", BodyFormat.CHAT_COMPLETION: "chat"}
    invoke = f"invoke[{'+'.join(names[f] for f in spec.invoke_formats)}]" if spec.invoke_formats else ""
    apis = [invoke, "converse"] if invoke else ["converse"]
    return ",".join(f"{api}*" if api.startswith(spec.default_api) else api for api in apis)


def _capabilities(spec: ModelSpec) -> list[str]:
    found = {
        "tools": spec.tools_invoke and spec.tools_converse,
        "tools(converse)": spec.tools_converse and not spec.tools_invoke,
        "tool-stream(invoke)": spec.tool_streaming_invoke,
        "vision": spec.vision,
        "json-mode": spec.json_mode,
        "json-schema": spec.structured_output,
        "system(converse)": spec.system_prompt_converse,
        "reasoning": spec.reasoning,
        "audio": spec.audio,
    }
    return [name for name, present in found.items() if present]


def _model_row(spec: ModelSpec) -> dict[str, Any]:
    return {
        "model_id": spec.model_id,
        "name": spec.name,
        "apis": list(spec.apis),
        "default_api": spec.default_api,
        "invoke_formats": [f.value for f in spec.invoke_formats],
        "context_window": spec.context_window,
        "max_output_tokens": spec.max_output_tokens,
        "temperature": _range(spec.temperature),
        "top_p": _range(spec.top_p),
        "top_k": _range(spec.top_k),
        "capabilities": _capabilities(spec),
    }


def cmd_models(args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        json.dump([_model_row(spec) for spec in MODELS], out, indent=2)
        out.write("\n")
        return 0
    header = (
        "MODEL ID",
        "API (*default)",
        "CONTEXT",
        "MAX OUT",
        "TEMPERATURE",
        "TOP_P",
        "TOP_K",
        "CAPABILITIES",
    )
    rows = [
        (
            spec.model_id,
            _apis(spec),
            f"{spec.context_window:,}",
            f"{spec.max_output_tokens:,}",
            _range(spec.temperature),
            _range(spec.top_p),
            _range(spec.top_k),
            ", ".join(_capabilities(spec)),
        )
        for spec in MODELS
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
        )
    out.write(
        "Ranges: min-max (default). Aliases: us./eu./apac./global. prefixes and ARNs resolve to these ids.\n"
    )
    return 0


# --- invoke and chat --------------------------------------------------------------------------------


def _summary(stop_reason: str | None, usage: Usage | None, latency_ms: int | None) -> str:
    parts = [f"stop: {stop_reason or '?'}"]
    if usage is not None:
        parts.append(f"tokens: {usage.input_tokens} in, {usage.output_tokens} out")
    if latency_ms is not None:
        parts.append(f"latency: {latency_ms} ms")
    return "[" + " | ".join(parts) + "]"


def _print_stream(deltas: Iterator[StreamDelta], out: TextIO, err: TextIO) -> str:
    """Print text as it arrives; returns the full text."""
    text, stop, usage, latency = "", None, None, None
    for delta in deltas:
        if delta.text:
            text += delta.text
            out.write(delta.text)
            out.flush()
        stop = delta.raw_stop_reason or delta.stop_reason or stop
        usage = delta.usage or usage
        if delta.metrics is not None and delta.metrics.latency_ms is not None:
            latency = delta.metrics.latency_ms
    out.write("\n")
    out.flush()
    err.write(_summary(stop, usage, latency) + "\n")
    return text


def _messages(system: str | None, history: Sequence[Message]) -> tuple[Message, ...]:
    return ((Message("system", system),) if system else ()) + tuple(history)


def cmd_invoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    client = client_from_args(args)
    request = ChatRequest(_messages(args.system, [Message("user", args.prompt)]))
    if args.stream:
        _print_stream(client.stream_chat(request), out, err)
        return 0
    answer = client.chat(request)
    out.write(answer.text + "\n")
    err.write(
        _summary(answer.raw_stop_reason or answer.stop_reason, answer.usage, answer.metrics.latency_ms) + "\n"
    )
    return 0


def cmd_chat(args: argparse.Namespace, inp: TextIO, out: TextIO, err: TextIO) -> int:
    client = client_from_args(args)
    interactive = inp.isatty()
    if interactive:
        err.write(
            f"Chatting with {client.spec.name} ({client.api}). /reset clears the history, /exit ends.\n"
        )
    history: list[Message] = []
    while True:
        if interactive:
            err.write("you> ")
            err.flush()
        line = inp.readline()
        if not line:  # EOF
            break
        line = line.strip()
        if not line:
            continue
        if line in ("/exit", "/quit"):
            break
        if line == "/reset":
            history.clear()
            continue
        history.append(Message("user", line))
        text = _print_stream(client.stream_chat(ChatRequest(_messages(args.system, history))), out, err)
        history.append(Message("assistant", text))
    return 0


# --- entry point ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from bedrock_mistral.local.cli import add_serve_arguments

    parser = _Parser(
        prog="bedrock-mistral", description="Mistral models on Amazon Bedrock, and a local emulator."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_arguments(commands.add_parser("serve", help="run the local Bedrock emulator"))
    models = commands.add_parser("models", help="list the Mistral models on Bedrock and their limits")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    invoke = commands.add_parser("invoke", help="send one prompt and print the answer")
    add_model_arguments(invoke)
    invoke.add_argument("prompt", help="the user message")
    invoke.add_argument("--stream", action="store_true", help="print tokens as they arrive")
    chat = commands.add_parser(
        "chat", help="interactive streaming chat (lines from stdin; /exit or EOF ends)"
    )
    add_model_arguments(chat)
    from bedrock_mistral import cli_batch

    cli_batch.add_batch_commands(commands.add_parser("batch", help="Bedrock Batch Inference jobs"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    try:
        args = build_parser().parse_args(argv)
        if args.command == "serve":
            from bedrock_mistral.local.cli import run_serve

            return run_serve(args)
        if args.command == "models":
            return cmd_models(args, out)
        if args.command == "invoke":
            return cmd_invoke(args, out, err)
        if args.command == "batch":
            from bedrock_mistral import cli_batch

            return cli_batch.run(args, out, err)
        return cmd_chat(args, sys.stdin, out, err)
    except (UserError, BedrockMistralError, BotoCoreError) as exc:
        # BotoCoreError: a safety net for connection errors the transport has not mapped to its own types.
        out.flush()
        message = " ".join(str(exc).split())  # one line, whatever the message holds
        err.write(f"error: {message}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        err.write("\n")
        return 130
    except BrokenPipeError:  # `bedrock-mistral models | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
