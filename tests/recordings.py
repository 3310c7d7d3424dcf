"""Where the real Bedrock recordings are: a byte-for-byte copy under tests/fixtures (so a plain clone runs
every test), the same files as ../shared/fixtures/bedrock-recordings in the project's workspace."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (
    _HERE / "fixtures" / "bedrock-recordings",
    _HERE.parent.parent / "shared" / "fixtures" / "bedrock-recordings",
)
RECORDINGS: Path = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])
