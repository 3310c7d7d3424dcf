"""The one region rule every entry point follows (BedrockClient, both adapters, the CLI).

In order: an explicit `region_name` (or the region a caller's own boto3 Session was built with), then the
`AWS_REGION` variable (what the AWS documentation and most container platforms set), then
`AWS_DEFAULT_REGION`, then the region of the AWS profile. botocore alone reads only `AWS_DEFAULT_REGION`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from bedrock_mistral.errors import CredentialsError

ENV_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")
NO_REGION = (
    "no AWS region: pass region_name, or set the AWS_REGION or AWS_DEFAULT_REGION environment variable, "
    "or set a region in the AWS profile"
)


def region_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """`AWS_REGION`, else `AWS_DEFAULT_REGION` (empty values count as unset)."""
    env = os.environ if environ is None else environ
    for name in ENV_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _session_region(session: Any, method: str) -> str | None:
    """The region a botocore/boto3/aiobotocore session holds from one source: `instance` (given to its
    constructor) or `config` (the profile in the shared config file)."""
    if session is None:
        return None
    core = getattr(session, "_session", session)  # a boto3 Session wraps a botocore one
    getter = getattr(core, "get_config_variable", None)
    if not callable(getter):
        return None
    value = getter("region", methods=(method,))
    return value if isinstance(value, str) and value else None


def find_region(explicit: str | None = None, session: Any = None) -> str | None:
    """The region by the rule, or None when no source names one."""
    return (
        explicit
        or _session_region(session, "instance")
        or region_from_env()
        or _session_region(session, "config")
    )


def resolve_region(explicit: str | None = None, session: Any = None) -> str:
    """The region by the rule; raises CredentialsError naming every source when none has one."""
    region = find_region(explicit, session)
    if region is None:
        raise CredentialsError(NO_REGION)
    return region
