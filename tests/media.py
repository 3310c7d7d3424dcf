"""Small media files made on the fly for the tests (nothing binary in the repository)."""

from __future__ import annotations

import io
import wave


def wav_bytes(seconds: float = 1.5, rate: int = 8000) -> bytes:
    """A silent mono 16-bit WAV file of the given length."""
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()
