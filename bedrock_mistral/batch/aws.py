"""boto3 clients a batch job needs besides the runtime: the `bedrock` control plane and S3.

They share the transport's connection settings (region, profile, keys). Their own retries stay on
(botocore's standard mode): the transport's retry loop covers only runtime calls.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.config import Config

from bedrock_mistral.transport.clients import ClientSettings, _shared_session
from bedrock_mistral.transport.redaction import protect_credentials

CONTROL_SERVICE = "bedrock"
_RUNTIME_HOST = re.compile(r"^(https?://)bedrock-runtime(-fips)?\.")


def control_endpoint(runtime_endpoint: str | None) -> str | None:
    """The control plane's endpoint for a runtime endpoint: AWS's own `bedrock-runtime.<region>` host
    becomes `bedrock.<region>`; any other endpoint (the emulator, a proxy) serves both."""
    if runtime_endpoint is None:
        return None
    return _RUNTIME_HOST.sub(lambda m: f"{m.group(1)}bedrock{m.group(2) or ''}.", runtime_endpoint)


def service_client(settings: ClientSettings, service: str, endpoint_url: str | None) -> Any:
    session = settings.boto3_session or _shared_session(settings.profile_name)
    region = settings.region_name or session.region_name
    keys: dict[str, Any] = {}
    if settings.aws_access_key_id is not None:
        keys = {
            "aws_access_key_id": settings.aws_access_key_id,
            "aws_secret_access_key": settings.aws_secret_access_key,
            "aws_session_token": settings.aws_session_token,
        }
    config = Config(retries={"mode": "standard", "total_max_attempts": 5})
    if settings.config is not None:
        config = settings.config.merge(config)
    client = session.client(service, region_name=region, endpoint_url=endpoint_url, config=config, **keys)
    protect_credentials(client._request_signer._credentials)
    return client
