"""docs/reliability.md is generated from the scenario registry; this test fails when it drifts.

Rewrite it with: UPDATE_RELIABILITY_DOC=1 pytest tests/reliability/test_reliability_doc.py
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.reliability import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
RESULT = {
    registry.FAULT: "{n}/{n} survived",
    registry.BAD_INPUT: "{n}/{n} refused, 0 sent",
    registry.BAD_OUTPUT: "{n}/{n} handled",
    registry.SECURITY: "{n}/{n} hold",
    registry.FUZZ: "{n} examples, 0 escapes",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    rows = registry.rows()
    total = {section: sum(r.count for r in rows if r.section == section) for section in registry.SECTIONS}
    blocked = {key for key, (_, blocking) in registry.ROW_BUGS.items() if blocking}
    lines = [
        "# Reliability and security",
        "",
        "<!-- Generated from tests/reliability/registry.py by tests/reliability/test_reliability_doc.py; do not",
        "     edit by hand. Rewrite with: UPDATE_RELIABILITY_DOC=1 pytest tests/reliability/test_reliability_doc.py -->",
        "",
        "bedrock-mistral sits between an application and a paid, rate-limited service. The suite in",
        "`tests/reliability/` proves, against the local emulator (real HTTP, SigV4, event streams) and its",
        "scripted faults, that it keeps working where it can, fails with a typed error where it cannot, never",
        "loses text already received, and never leaks credentials. Every fault scenario runs through each",
        "adapter a user builds: LangChain `ChatBedrockMistral` (chat-completion body on InvokeModel), LangChain",
        "`BedrockMistralLLM` (text-completion body), LlamaIndex `BedrockMistral` (Converse), in each call style",
        "(invoke, stream, async invoke, async stream).",
        "",
        "Each count below is the number of test cases CI runs for the row (or the fixed, derandomized",
        "Hypothesis example budget, which the fuzz tests check they spent in full). A row's result holds",
        "because CI fails on any failing case; the table fails CI when it no longer matches the registry.",
        "",
        "| | count |",
        "|---|---|",
        f"| fault scenarios survived | {total[registry.FAULT]} |",
        f"| bad inputs refused before any request | {total[registry.BAD_INPUT]} |",
        f"| bad model outputs handled | {total[registry.BAD_OUTPUT]} |",
        f"| security checks | {total[registry.SECURITY]} |",
        f"| fuzz examples run | {total[registry.FUZZ]} (budget; "
        f"{sum(r.count for r in rows if r.key in blocked)} of them in rows stopped by an open bug) |",
        "| received text lost, answers mixed up, calls hung, credentials leaked (secret key, session token) | 0 |",
        f"| open bugs (strict xfail, listed below) | {len(registry.BUGS)} |",
        "",
    ]
    for section in registry.SECTIONS:
        lines += [
            f"## {section}",
            "",
            "| scenario | expected behaviour | count | result |",
            "|---|---|---|---|",
        ]
        for row in (r for r in rows if r.section == section):
            result = RESULT[section].format(n=row.count)
            if row.lost not in ("0", ""):
                result += f", {row.lost}"
            bugs, blocking = registry.ROW_BUGS.get(row.key, ((), False))
            names = ", ".join(f"`{b}`" for b in bugs)
            if blocking:
                result = f"**fails: open bug {names}** (strict xfail)"
            elif bugs:
                result += f"; related open bug {names}"
            lines.append(
                f"| {_cell(row.title)} | {_cell(row.expected)} | {row.count} {row.unit} | {result} |"
            )
        lines.append("")
    lines += [
        "## Open bugs found by this suite",
        "",
        "Each is pinned by a `xfail(strict=True)` test, so the fix makes that test fail until the marker goes.",
        "",
        *(f"- `{key}`: {_cell(text)}" for key, text in registry.BUGS.items()),
        "",
    ]
    return "\n".join(lines)


def test_reliability_doc_matches_registry() -> None:
    expected = render()
    if os.environ.get("UPDATE_RELIABILITY_DOC"):
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(expected, encoding="utf-8")
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert actual == expected, (
        "docs/reliability.md is out of date: run UPDATE_RELIABILITY_DOC=1 pytest tests/reliability/test_reliability_doc.py"
    )


def test_every_scenario_has_cases() -> None:
    for row in registry.rows():
        assert row.count > 0, row.key
    keys = {row.key for row in registry.rows()}
    for row_key, (bugs, _) in registry.ROW_BUGS.items():
        assert row_key in keys and all(b in registry.BUGS for b in bugs), row_key
