"""Every example and the quickstart, run as a user runs them (`python examples/x.py`) against the emulator.

Each script starts its own in-process emulator; the checks look for the content each scenario promises.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bedrock_mistral.local import LocalBedrock

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 180


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
        env={**_clean_env(), "EXAMPLES_TRACEBACK": "1"},
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env() -> dict[str, str]:
    """No AWS settings from the developer's shell may leak into the examples."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def line_after(output: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}\s*(.*)$", output, re.M)
    assert match, f"no {label!r} line in:\n{output}"
    return match.group(1)


def check_text_completion(out: str) -> None:
    assert re.search(r"Text:\n\S", out)
    assert "Stop reason: stop" in out
    assert re.search(r"Tokens: \d+ in, \d+ out", out)


def check_chat(out: str) -> None:
    assert "Mistral Large 2" in line_after(out, "[invoke]")
    assert "Mistral Large 2" in line_after(out, "[converse]")


def check_stream(out: str) -> None:
    assert "Role: assistant" in out
    streamed = out.split("Role: assistant\n", 1)[1].split("\nStop reason:", 1)[0]
    assert "French cheese" in streamed
    assert "Stop reason: end_turn" in out
    usage = {k: int(v) for k, v in re.findall(r"^(Input|Output|Total) tokens: (\d+)$", out, re.M)}
    assert usage["Input"] > 0 and usage["Output"] > 0 and usage["Total"] == usage["Input"] + usage["Output"]
    assert re.search(r"^Latency: \d+ milliseconds$", out, re.M)


def check_json(out: str) -> None:
    assert isinstance(json.loads(line_after(out, "Parsed JSON (dict):")), dict)


def check_payment_tools(out: str) -> None:
    assert line_after(out, "function_name:") == "retrieve_payment_status"
    assert line_after(out, "function_params:") == "{'transaction_id': 'T1001'}"
    assert json.loads(line_after(out, "function_result:")) == {"status": "Paid"}
    assert "Paid" in line_after(out, "Answer:")


def check_rag(out: str) -> None:
    assert "limestone caves" in line_after(out, "Answer:")
    sources = re.findall(r"^  - (\S+) \(score (-?[\d.]+)\)$", out, re.M)
    assert sources and sources[0][0] == "roquefort.txt"


def check_reasoning(out: str) -> None:
    for turn in (1, 2, 3):
        reasoning, answer = line_after(out, f"[turn {turn}] reasoning:"), line_after(out, f"[turn {turn}] answer:")
        assert reasoning.startswith("The user asks:") and reasoning not in answer
    assert line_after(out, "[turn 1] answer:") == "6 x 7 = 42."
    assert "This is turn 3 of the conversation." in line_after(out, "[turn 3] reasoning:")


def check_audio(out: str) -> None:
    heard = "I received audio: wav, 1.0 seconds, 16,044 bytes."
    assert line_after(out, "[langchain]").startswith(heard)
    assert line_after(out, "[llama-index]").startswith(heard)
    assert "does not accept audio" in line_after(out, "[refused]")


def check_batch(out: str) -> None:
    assert line_after(out, "[status]") == "PartiallyCompleted: 149 answered, 1 failed of 150"
    assert line_after(out, "[answer] T1000:").startswith("You asked:")
    assert line_after(out, "[failed]") == "T1007 (record 7): 424 The model could not answer this record."
    assert int(line_after(out, "[usage]").split()[0]) > 0


STANDALONE = {
    "text_completion.py": check_text_completion,
    "chat.py": check_chat,
    "converse_stream.py": check_stream,
    "json_output.py": check_json,
    "payment_tools_langchain.py": check_payment_tools,
    "rag_llama_index.py": check_rag,
}
FEATURES = {"reasoning.py": check_reasoning, "audio.py": check_audio, "batch_inference.py": check_batch}
"""Feature examples run by the tests but not part of the quickstart's six steps."""


@pytest.mark.parametrize("name", sorted(STANDALONE))
def test_scenario_example(name: str) -> None:
    result = run_example(name)
    assert "[target] local Bedrock emulator started at http://127.0.0.1:" in result.stdout
    STANDALONE[name](result.stdout)


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_feature_example(name: str) -> None:
    result = run_example(name)
    FEATURES[name](result.stdout)


def test_quickstart() -> None:
    out = run_example("quickstart.py").stdout
    sections = re.split(r"^=== ", out, flags=re.M)[1:]
    titles = [s.splitlines()[0] for s in sections]
    assert [t.split(". ", 1)[0] for t in titles[:6]] == ["1", "2", "3", "4", "5", "6"]
    assert titles[6] == "Summary ==="
    for section, check in zip(sections[:6], STANDALONE.values(), strict=True):
        check(section)
        assert re.search(r"^--- ok \(", section, re.M), section
    assert "6/6 steps passed" in out and "FAILED" not in out


def test_quickstart_reports_failed_steps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", ["quickstart.py"])
    import quickstart

    monkeypatch.setattr(quickstart, "STEPS", (("Chat", "chat"), ("Broken", "no_such_example_module")))
    assert quickstart.main() == 1
    out = capsys.readouterr().out
    assert "1/2 steps passed" in out and "FAILED: Broken" in out


def test_example_against_a_running_emulator(local_bedrock: LocalBedrock) -> None:
    out = run_example("chat.py", "--endpoint-url", local_bedrock.endpoint_url).stdout
    check_chat(out)
    assert [r.operation for r in local_bedrock.requests] == ["InvokeModel", "Converse"]


def test_langgraph_agent() -> None:
    out = run_example("langgraph_agent.py").stdout
    assert "cheese_stock({'cheese': 'Camembert'})" in out
    assert "30 wheels of Camembert" in out.strip().splitlines()[-1]


def test_llama_index_function_agent() -> None:
    result = run_example("llama_index_function_agent.py")
    assert "tool: cheese_region({'cheese': 'Reblochon'}) -> Savoie" in result.stdout
    assert "Savoie" in line_after(result.stdout, "Answer:")
    assert "Unclosed" not in result.stderr


def test_structured_output() -> None:
    meal = json.loads(line_after(run_example("structured_output.py").stdout, "Meal:"))
    assert set(meal) == {"name", "region", "ingredients"}
    assert meal["name"] and meal["region"] and meal["ingredients"]
    assert all(isinstance(item, str) for item in meal["ingredients"])


def test_async_streaming() -> None:
    result = run_example("async_streaming.py")
    out = result.stdout
    for number in (1, 2, 3):
        assert line_after(out, f"[{number}] answer:").strip()
        usage = line_after(out, f"[{number}] usage:")
        assert re.search(r"'total_tokens': [1-9]", usage), usage
    assert re.search(r"^3 streams in [\d.]+ s$", out, re.M)
    assert "Unclosed" not in result.stderr


def test_testing_your_app_with_the_fixture() -> None:
    out = run_example("test_your_app_with_the_emulator.py").stdout
    assert re.search(r"\b5 passed\b", out), out


def test_scripted_replies_in_a_langchain_and_a_llama_index_app() -> None:
    out = run_example("test_scripted_replies.py").stdout
    assert re.search(r"\b3 passed\b", out), out


def test_every_example_is_tested() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    helpers = {"offline_embedding.py"}
    tested = (
        set(STANDALONE)
        | set(FEATURES)
        | helpers
        | {
            "quickstart.py",
            "langgraph_agent.py",
            "llama_index_function_agent.py",
            "structured_output.py",
            "async_streaming.py",
            "test_your_app_with_the_emulator.py",
            "test_scripted_replies.py",
        }
    )
    assert scripts == tested


def test_aws_target_uses_the_standard_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--aws` passes only the region (and an optional endpoint): credentials come from boto3's chain."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import _common

    monkeypatch.setenv("AWS_PROFILE", "untouched")
    args = _common.parser(None).parse_args(["--aws", "--region", "eu-west-3", "--profile", "work"])
    with _common.connect(args) as connection:
        assert connection == {"region_name": "eu-west-3"}
    assert os.environ["AWS_PROFILE"] == "work"
    args = _common.parser(None).parse_args(["--aws", "--endpoint-url", "https://vpce.example"])
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    with _common.connect(args) as connection:
        assert connection == {"region_name": "ap-northeast-1", "endpoint_url": "https://vpce.example"}
