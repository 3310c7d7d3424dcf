"""Media parts from what frameworks hand over: a MIME type (or a bare format word) and the bytes.

Which format words Bedrock takes (`catalog.IMAGE_FORMATS`, `DOCUMENT_FORMATS`, `AUDIO_FORMATS`) and how a
MIME type or the leading bytes map onto them is Bedrock knowledge, so it lives here once; the adapters
only find the MIME type and the bytes in their framework's block types.
"""

from __future__ import annotations

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.types import AudioPart, DocumentPart, ImagePart

_IMAGE_NAMES = {"jpg": "jpeg"}
_IMAGE_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8", "jpeg"), (b"GIF8", "gif"))
_AUDIO_NAMES = {"mpeg": "mp3", "x-wav": "wav", "wave": "wav", "x-flac": "flac", "mp4": "m4a"}
_DOCUMENT_NAMES = {
    "plain": "txt",
    "markdown": "md",
    "msword": "doc",
    "vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "vnd.ms-excel": "xls",
    "vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def _subtype(mime: str | None) -> str:
    """`image/png; x=y` -> `png`; a bare format word stays itself."""
    return (mime or "").split(";", 1)[0].strip().rsplit("/", 1)[-1].lower()


def image_format(mime: str | None, data: bytes) -> str:
    """The image format from its MIME type, or from its leading bytes when no type was given."""
    subtype = _subtype(mime)
    if subtype:
        return _IMAGE_NAMES.get(subtype, subtype)
    for magic, fmt in _IMAGE_MAGIC:
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise InvalidRequestError("image block has no mime_type and its bytes are not png, jpeg, gif or webp")


def audio_format(mime: str | None, data: bytes) -> str:
    """A Converse audio format from a MIME type (`audio/wav`), a bare format (`mp3`) or the bytes."""
    subtype = _subtype(mime)
    if subtype:
        return _AUDIO_NAMES.get(subtype, subtype)
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"fLaC"):
        return "flac"
    if data.startswith(b"OggS"):
        return "ogg"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    raise InvalidRequestError("audio block has no mime_type or format and its bytes are not wav, flac, ogg or mp3")


def document_format(mime: str | None, default: str) -> str:
    """A Converse document format from a MIME type (`text/plain` -> txt); `default` when none is given."""
    subtype = _subtype(mime)
    return _DOCUMENT_NAMES.get(subtype, subtype) if subtype else default


def document_name(name: str | None) -> str:
    """Converse document names carry no file extension (`report.pdf` -> `report`)."""
    return (name or "").rsplit(".", 1)[0] or "document"


def image(data: bytes, mime: str | None) -> ImagePart:
    return ImagePart(data=data, format=image_format(mime, data))


def audio(data: bytes, mime: str | None) -> AudioPart:
    return AudioPart(data=data, format=audio_format(mime, data))


def document(data: bytes, mime: str | None, name: str | None, default_format: str = "pdf") -> DocumentPart:
    return DocumentPart(data=data, format=document_format(mime, default_format), name=document_name(name))


__all__ = ["audio", "audio_format", "document", "document_format", "document_name", "image", "image_format"]
