"""One region rule for every entry point: region_name, then AWS_REGION, then AWS_DEFAULT_REGION, then the
profile. Each case sends a real request to the emulator and reads the region from the SigV4 scope the
client signed with; the 'neither' case must fail before any request, naming every source."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bedrock_mistral.client import BedrockClient
from bedrock_mistral.errors import CredentialsError
from bedrock_mistral.local import LocalBedrock
from bedrock_mistral.types import ChatRequest, Message

MODEL = "mistral.mistral-large-2407-v1:0"
CASES = {
    "only AWS_REGION": ({"AWS_REGION": "eu-west-3"}, "eu-west-3"),
    "only AWS_DEFAULT_REGION": ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
    "both": ({"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "ap-south-1"}, "eu-west-3"),
    "neither": ({}, None),
}
SOURCES = ("region_name", "AWS_REGION", "AWS_DEFAULT_REGION", "profile")


@pytest.fixture
def isolated(hermetic_aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AWS variables and empty shared config files: only what a test sets can name a region."""
    config = tmp_path / "config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return config


def signed_region(bedrock: LocalBedrock) -> str:
    (request,) = bedrock.requests
    scope = request.headers["authorization"].split("Credential=", 1)[1].split(",", 1)[0]
    return scope.split("/")[2]


def _keys(bedrock: LocalBedrock) -> dict[str, str]:
    return {
        "endpoint_url": bedrock.endpoint_url,
        "aws_access_key_id": bedrock.aws_access_key_id,
        "aws_secret_access_key": bedrock.aws_secret_access_key,
    }


def via_client(bedrock: LocalBedrock, **region: str) -> None:
    BedrockClient(MODEL, **_keys(bedrock), **region).chat(ChatRequest((Message("user", "Hi"),)))


def via_client_async(bedrock: LocalBedrock, **region: str) -> None:
    client = BedrockClient(MODEL, **_keys(bedrock), **region)

    async def run() -> None:
        await client.achat(ChatRequest((Message("user", "Hi"),)))
        await client.aclose()

    asyncio.run(run())


def via_langchain(bedrock: LocalBedrock, **region: str) -> None:
    from langchain_bedrock_mistral import ChatBedrockMistral

    ChatBedrockMistral(model=MODEL, **_keys(bedrock), **region).invoke("Hi")


def via_langchain_llm(bedrock: LocalBedrock, **region: str) -> None:
    from langchain_bedrock_mistral import BedrockMistralLLM

    BedrockMistralLLM(model="mistral.mistral-7b-instruct-v0:2", **_keys(bedrock), **region).invoke("Hi")


def via_llama_index(bedrock: LocalBedrock, **region: str) -> None:
    from llama_index_bedrock_mistral import BedrockMistral

    BedrockMistral(MODEL, **_keys(bedrock), **region).complete("Hi")


def via_llama_index_async(bedrock: LocalBedrock, **region: str) -> None:
    from llama_index_bedrock_mistral import BedrockMistral

    llm = BedrockMistral(MODEL, **_keys(bedrock), **region)

    async def run() -> None:
        await llm.acomplete("Hi")
        await llm.aclose()

    asyncio.run(run())


ENTRY_POINTS: dict[str, Callable[..., None]] = {
    "BedrockClient": via_client,
    "BedrockClient async": via_client_async,
    "ChatBedrockMistral": via_langchain,
    "BedrockMistralLLM": via_langchain_llm,
    "LlamaIndex BedrockMistral": via_llama_index,
    "LlamaIndex BedrockMistral async": via_llama_index_async,
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_region_rule(
    isolated: Path, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch, entry: str, case: str
) -> None:
    env, expected = CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    call = ENTRY_POINTS[entry]
    if expected is None:
        with pytest.raises(CredentialsError) as info:
            call(local_bedrock)
        for source in SOURCES:
            assert source in str(info.value)
        assert local_bedrock.requests == []
    else:
        call(local_bedrock)
        assert signed_region(local_bedrock) == expected


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_explicit_region_beats_the_environment(
    isolated: Path, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    ENTRY_POINTS[entry](local_bedrock, region_name="ca-central-1")
    assert signed_region(local_bedrock) == "ca-central-1"


@pytest.mark.parametrize("entry", ["BedrockClient", "BedrockClient async", "LlamaIndex BedrockMistral"])
def test_profile_region_comes_last(
    isolated: Path, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    isolated.write_text("[default]\nregion = sa-east-1\n")
    ENTRY_POINTS[entry](local_bedrock)
    assert signed_region(local_bedrock) == "sa-east-1"
    local_bedrock.clear()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    ENTRY_POINTS[entry](local_bedrock)
    assert signed_region(local_bedrock) == "ap-south-1"


# --- the CLI ------------------------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from bedrock_mistral.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][1] is not None])
def test_cli_region_rule(
    isolated: Path,
    local_bedrock: LocalBedrock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    env, expected = CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, err = _cli(capsys, "invoke", MODEL, "Hi", "--endpoint-url", local_bedrock.endpoint_url)
    assert code == 0, err
    assert signed_region(local_bedrock) == expected


def test_cli_without_any_region_names_every_source(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    code, err = _cli(capsys, "invoke", MODEL, "Hi", "--endpoint-url", "https://bedrock.example.invalid")
    assert code == 2
    for source in SOURCES:
        assert source in err


def test_cli_on_the_emulator_without_a_region_uses_us_east_1(
    isolated: Path, local_bedrock: LocalBedrock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli(capsys, "invoke", MODEL, "Hi", "--endpoint-url", local_bedrock.endpoint_url)
    assert code == 0, err
    assert signed_region(local_bedrock) == "us-east-1"
