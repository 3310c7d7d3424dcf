"""The pytest plugin's fixtures: one session server, handed out clean to each test."""

from __future__ import annotations

import pytest

from bedrock_mistral.local import LocalBedrock


def test_local_bedrock_is_clean_session_server(
    request: pytest.FixtureRequest, local_bedrock_session: LocalBedrock
) -> None:
    local_bedrock_session.faults.throttle(5)
    bedrock = request.getfixturevalue("local_bedrock")
    assert bedrock is local_bedrock_session and bedrock.running
    assert len(bedrock.faults) == 0 and bedrock.requests == []
    assert bedrock.endpoint_url.startswith("http://127.0.0.1:")
    assert bedrock.region_name == "us-east-1" and bedrock.aws_access_key_id and bedrock.aws_secret_access_key


def test_stopped_emulator_has_no_endpoint() -> None:
    bedrock = LocalBedrock()
    with pytest.raises(RuntimeError):
        _ = bedrock.endpoint_url
    bedrock.start()
    try:
        assert "http://127.0.0.1:" in repr(bedrock)
    finally:
        bedrock.stop()
    assert not bedrock.running
