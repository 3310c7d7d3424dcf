"""How control-plane calls are routed: an operation's method and `requestUri`, its request and its answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class ControlRequest:
    """One control-plane call: path parameters already matched and URL-decoded once."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    """The JSON body, or None when there is none."""


@dataclass(frozen=True)
class ControlResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[ControlRequest], ControlResponse]


@dataclass(frozen=True)
class Route:
    """An operation: its botocore name, HTTP method and `requestUri` with `{name}` path parameters."""

    operation: str
    method: str
    uri: str
    handler: Handler

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.uri)
        found = re.fullmatch(pattern.rstrip("/") + "/?", path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None
