"""What the rules engine says a reasoning model thought, and how it acknowledges audio.

Deterministic, so tests can assert on it: the reasoning names the question and what the answer will do; an
audio answer names each clip's format, size and (for WAV) length.
"""

from __future__ import annotations

from bedrock_mistral import catalog
from bedrock_mistral.local.conversation import AudioClip, Conversation, Reply


def reasons(model_id: str) -> bool:
    spec = catalog.find(model_id)
    return spec is not None and spec.reasoning


def reasoning(conversation: Conversation, reply: Reply) -> str:
    """The thinking a reasoning model shows before `reply`."""
    question = " ".join(conversation.last_user_text.split())
    if len(question) > 120:
        question = question[:117] + "..."
    earlier = sum(1 for t in conversation.turns if t.role == "assistant")
    opening = f'The user asks: "{question}".' if question else "The user sent no question text."
    context = f" This is turn {earlier + 1} of the conversation." if earlier else ""
    if reply.tool_calls:
        plan = f" I need {', '.join(c.name for c in reply.tool_calls)} before I can answer."
    else:
        plan = " I can answer directly."
    return opening + context + plan


def last_audio(conversation: Conversation) -> list[AudioClip]:
    for turn in reversed(conversation.turns):
        if turn.role == "user":
            return turn.audio
    return []


def describe(clips: list[AudioClip]) -> str:
    """ "I received audio: wav, 1.5 seconds, 48,044 bytes." (one entry per clip)."""
    parts = []
    for clip in clips:
        length = f"{clip.seconds:.1f} seconds, " if clip.seconds is not None else ""
        parts.append(f"{clip.format}, {length}{clip.size:,} bytes")
    return "I received audio: " + "; ".join(parts) + "."
