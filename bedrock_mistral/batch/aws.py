"""boto3 clients a batch job needs besides the runtime: the `bedrock` control plane and S3.

They share the transport's connection settings (region, profile, keys). Their own retries stay on
(botocore's standard mode): the transport's retry loop covers only runtime calls.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config

from bedrock_mistral.transport.clients import ClientSettings, _shared_session
from bedrock_mistral.transport.redaction import protect_credentials

CONTROL_SERVICE = "bedrock"


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
