"""Tool-call ids in the form each wire format accepts, mapped stably from any other form."""

from __future__ import annotations

import hashlib
import re
import string

_MISTRAL_ID = re.compile(r"^[a-zA-Z0-9]{9}$")
_CONVERSE_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ALPHABET = string.ascii_letters + string.digits


def _digest_id(value: str, length: int) -> str:
    number = int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest(), "big")
    out = []
    for _ in range(length):
        number, rem = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[rem])
    return "".join(out)


def mistral_tool_call_id(call_id: str) -> str:
    """Mistral's chat format takes 9 alphanumerics; other ids (`call_...`, `tooluse_...`) map stably."""
    return call_id if _MISTRAL_ID.match(call_id) else _digest_id(call_id, 9)


def converse_tool_use_id(call_id: str) -> str:
    return call_id if _CONVERSE_ID.match(call_id) else "tooluse_" + _digest_id(call_id, 22)
