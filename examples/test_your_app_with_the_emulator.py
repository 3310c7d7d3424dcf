"""How to test your own Bedrock code with the emulator's pytest fixture, `local_bedrock`.

Installing bedrock-mistral registers the fixture with pytest. It gives a running `LocalBedrock` (one per test
session, cleaned between tests) with `endpoint_url`, `region_name`, the two keys, `client()` (a boto3 client),
`requests` (what your code sent) and `faults` (throttling, stream errors, dropped connections).

    pytest examples/test_your_app_with_the_emulator.py
    python examples/test_your_app_with_the_emulator.py      # the same
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bedrock_mistral.errors import ThrottlingError
from bedrock_mistral.local import LocalBedrock
from langchain_bedrock_mistral import ChatBedrockMistral

# --- the application under test: normally in your own package ---------------------------------------


def summarize_ticket(ticket: str, llm: ChatBedrockMistral) -> str:
    """Our app: one short summary line for a support ticket."""
    reply = llm.invoke([("system", "Summarize support tickets in one sentence."), ("user", ticket)])
    return str(reply.content).strip()


def make_llm(**connection: Any) -> ChatBedrockMistral:
    """How the app builds its model; the tests pass the emulator's connection settings."""
    return ChatBedrockMistral(model="mistral.mistral-large-2407-v1:0", temperature=0.2, **connection)


# --- the tests ----------------------------------------------------------------------------------------


def test_summary_is_not_empty(local_bedrock: LocalBedrock) -> None:
    llm = make_llm(**local_bedrock.client_kwargs(), max_retries=0)
    assert summarize_ticket("My invoice T1002 shows as unpaid but I paid it yesterday.", llm)


def test_request_sent_to_bedrock(local_bedrock: LocalBedrock) -> None:
    """`requests` records the wire request, so you can assert what your app really sends."""
    summarize_ticket("The export button does nothing.", make_llm(**local_bedrock.client_kwargs()))
    (request,) = local_bedrock.requests
    assert request.operation == "InvokeModel"
    assert request.model_id == "mistral.mistral-large-2407-v1:0"
    body = request.body if isinstance(request.body, dict) else json.loads(request.body)
    assert body["messages"][0] == {"role": "system", "content": "Summarize support tickets in one sentence."}
    assert body["temperature"] == 0.2


def test_retries_on_throttling(local_bedrock: LocalBedrock) -> None:
    """Faults are real HTTP errors: here the first call is throttled and the client retries."""
    local_bedrock.faults.throttle(1)
    llm = make_llm(**local_bedrock.client_kwargs(), max_retries=2)
    assert summarize_ticket("Login fails with error 500.", llm)
    assert len(local_bedrock.requests) == 2


def test_throttling_surfaces_when_retries_are_off(local_bedrock: LocalBedrock) -> None:
    local_bedrock.faults.throttle(1)
    with pytest.raises(ThrottlingError):
        summarize_ticket(
            "Login fails with error 500.", make_llm(**local_bedrock.client_kwargs(), max_retries=0)
        )


def test_code_that_reads_the_environment(
    local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apps that take their endpoint and keys from the environment need no change at all."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", local_bedrock.endpoint_url)
    monkeypatch.setenv("AWS_REGION", local_bedrock.region_name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", local_bedrock.aws_access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", local_bedrock.aws_secret_access_key)
    assert summarize_ticket("Dark mode resets after a restart.", make_llm())


if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", __file__, "-v", *sys.argv[1:]]))
