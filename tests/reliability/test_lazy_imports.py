"""Issue 12 item 11: a sync call failing while another thread imports aiohttp gets its typed error.

The error mapping counts aiohttp's exceptions only once aiohttp is loaded; while another thread is
importing it, `sys.modules` holds a partially initialized module that has no `ClientError` yet.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import pytest

from bedrock_mistral import BedrockClient, ChatRequest, Message
from bedrock_mistral.errors import ThrottlingError
from bedrock_mistral.local import LocalBedrock
from tests.reliability import registry
from tests.reliability.adapters import LARGE2

RACE_SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from bedrock_mistral import BedrockClient, ChatRequest, Message
    from bedrock_mistral.errors import ThrottlingError
    assert "aiohttp" not in sys.modules, "aiohttp must not be loaded yet"
    client = BedrockClient(sys.argv[1], endpoint_url=sys.argv[2], region_name="us-east-1",
                           aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret", max_retries=0)
    request = ChatRequest((Message("user", "hi"),))
    importer = threading.Thread(target=lambda: __import__("aiohttp"))
    typed = 0
    importer.start()
    while importer.is_alive() or typed == 0:
        try:
            client.chat(request)
        except ThrottlingError:
            typed += 1
    print("typed", typed)
    """
)


@pytest.mark.parametrize("case", registry.LAZY_IMPORT_RACE.params())
def test_error_mapping_while_aiohttp_is_being_imported(
    bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    bedrock.faults.throttle(None)
    if case == "real-thread-import":
        done = subprocess.run(
            [sys.executable, "-c", RACE_SCRIPT, LARGE2, bedrock.endpoint_url],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith("typed ")
        return
    # What another thread's `import aiohttp` leaves in sys.modules before the module body has run.
    half_loaded = types.ModuleType("aiohttp")
    monkeypatch.setitem(sys.modules, "aiohttp", half_loaded)
    client = BedrockClient(LARGE2, **bedrock.client_kwargs(), max_retries=0)
    with pytest.raises(ThrottlingError):
        client.chat(ChatRequest((Message("user", "hi"),)))
    assert len(bedrock.requests) == 1
