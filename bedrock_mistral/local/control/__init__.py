"""The emulator's control plane: the `bedrock` service (not `bedrock-runtime`), served on the same endpoint.

`app.py` hands every request that is not a runtime `/model/...` route to `ControlPlane.handle`, which finds
the resource module's route by method and path (as in botocore's `bedrock` service model) and answers JSON.
One module per resource: `inference_profiles.py` (and batch jobs beside it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bedrock_mistral.local.control.inference_profiles import InferenceProfiles
from bedrock_mistral.local.control.routing import ControlRequest, ControlResponse, Route
from bedrock_mistral.local.service_errors import ServiceError

DEFAULT_ACCOUNT_ID = "123456789012"
"""The account the emulator's ARNs name (moto's default account)."""
__all__ = ["DEFAULT_ACCOUNT_ID", "ControlPlane", "ControlRequest", "ControlResponse", "Route"]


class ControlPlane:
    """The control-plane resources of one emulator; each resource object is thread-safe on its own."""

    def __init__(self, region_name: str, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.region_name = region_name
        self.account_id = account_id
        self.inference_profiles = InferenceProfiles(region_name, account_id)
        self._routes: list[Route] = []
        self.add_routes(self.inference_profiles.routes())

    def add_routes(self, routes: Iterable[Route]) -> None:
        self._routes.extend(routes)

    def operation(self, method: str, target: str) -> str | None:
        """The botocore operation name a request is for, or None."""
        path = urlsplit(target).path
        return next((r.operation for r in self._routes if r.match(method, path) is not None), None)

    def handle(self, method: str, target: str, body: bytes) -> ControlResponse:
        """Answer one call; raises ServiceError with the code and status the client sees."""
        split = urlsplit(target)
        for route in self._routes:
            params = route.match(method, split.path)
            if params is not None:
                query = dict(parse_qsl(split.query, keep_blank_values=True))
                return route.handler(ControlRequest(method, split.path, params, query, _json_body(body)))
        raise ServiceError("UnknownOperationException", "Unknown operation", 404)

    def clear(self) -> None:
        """Forget what tests created (application inference profiles, ...)."""
        self.inference_profiles.clear()


def _json_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        raise ServiceError(
            "SerializationException", "Start of structure or map found where not expected."
        ) from None
