"""The Mistral instruct template for Bedrock's text-completion models.

Bedrock's text-completion body takes one string prompt, so the conversation has to be rendered into the
template the model was trained on. Mistral's own library, mistral-common, is the reference for the exact
form; this module reproduces its output without depending on it (it is optional at run time), in the same
three steps mistral-common uses: normalize (flatten and merge messages) -> validate (reject what the
template cannot express) -> render (emit the string for one tokenizer version).

The string form of mistral-common's token stream: each `▁` piece is a space, byte pieces are their bytes,
and the space sentencepiece inserts at the very start of the text (right after `<s>`) is left out, as every
sentencepiece decoder and the AWS documentation do. So, for `[user q1, assistant a1, user q2]`:

    v1      <s>[INST] q1 [/INST] a1</s> [INST] q2 [/INST]
    v2, v3  <s>[INST] q1[/INST] a1</s>[INST] q2[/INST]
    tekken  <s>[INST]q1[/INST]a1</s>[INST]q2[/INST]

The v1 form is the one the AWS documentation shows, including the space after `</s>` (sentencepiece starts
every separately encoded message with a word boundary; v1 has no special `[INST]` token, so that boundary
shows up as a space).

A system prompt goes into a user turn followed by a blank line: the first user turn for v1, the last one
for v2 and later. Text-completion models have no tool role, so tool traffic is rendered as plain text:
a tool result becomes user text `Tool result (name): content` and an assistant tool call becomes
`Tool call (name): {"arg": ...}`; the model sees what happened without special tokens Bedrock's text
endpoint would not interpret.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bedrock_mistral.errors import InvalidRequestError
from bedrock_mistral.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCall,
)

__all__ = [
    "BOS",
    "EOS",
    "INST",
    "END_INST",
    "TOKENIZER_VERSIONS",
    "Turn",
    "InstructConversation",
    "normalize_messages",
    "validate_conversation",
    "render_conversation",
    "render_prompt",
    "has_instruct_template",
    "wrap_prompt",
    "tool_result_text",
    "tool_call_text",
]

BOS = "<s>"
EOS = "</s>"
INST = "[INST]"
END_INST = "[/INST]"
TOKENIZER_VERSIONS: tuple[str, ...] = ("v1", "v2", "v3", "tekken")
"""Versions with a known text template. The tekken form (no sentencepiece word-boundary spaces) matches
mistral-common's v3 tekken tokenizer; it is there for counting, as tekken models take no text prompt on
Bedrock."""

_JOIN = "\n\n"
"""mistral-common joins merged messages and system prompts with a blank line."""

TurnRole = Literal["user", "assistant"]


@dataclass(frozen=True)
class Turn:
    """One rendered turn: tool results have already become user text and tool calls assistant text."""

    role: TurnRole
    text: str


@dataclass(frozen=True)
class InstructConversation:
    """A conversation reduced to what the template can express: alternating turns and one system prompt."""

    turns: tuple[Turn, ...]
    system_prompt: str | None = None
    continue_final_message: bool = False


# --- normalize -------------------------------------------------------------------------------------


def tool_result_text(message: Message) -> str:
    """How a tool result reads to a text-completion model (it has no tool role)."""
    name = message.name or message.tool_call_id or "tool"
    label = f"{name}, error" if message.is_error else name
    return f"Tool result ({label}): {_plain_text(message)}"


def tool_call_text(call: ToolCall) -> str:
    """How an assistant tool call reads to a text-completion model: the name and the JSON arguments."""
    if call.invalid is not None and call.raw_arguments is not None:
        arguments = call.raw_arguments
    else:
        arguments = json.dumps(call.arguments, ensure_ascii=False)
    return f"Tool call ({call.name}): {arguments}"


def _plain_text(message: Message) -> str:
    """The message's text; images and documents cannot be put into a text prompt."""
    if isinstance(message.content, str):
        return message.content
    texts: list[str] = []
    for part in message.content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ReasoningPart):
            continue  # a reasoning model's earlier thinking has no place in an instruct prompt
        elif isinstance(part, (ImagePart, DocumentPart, AudioPart)):
            kind = {ImagePart: "image", AudioPart: "audio"}.get(type(part), "attached document")
            raise InvalidRequestError(
                f"text-completion prompts are text only, but a {message.role!r} message has an {kind} part: "
                "use a model with vision through the chat or Converse API"
            )
        else:
            raise InvalidRequestError(
                f"unsupported content part {type(part).__name__} in a {message.role!r} message"
            )
    return "\n".join(texts)


def _turn_text(index: int, message: Message) -> tuple[TurnRole | Literal["system"], str]:
    """The role and text one message contributes, before merging."""
    role = message.role
    if role == "system":
        return "system", _plain_text(message)
    if role == "user":
        return "user", _plain_text(message)
    if role == "tool":
        return "user", tool_result_text(message)
    if role == "assistant":
        text = _plain_text(message)
        calls = "\n".join(tool_call_text(call) for call in message.tool_calls)
        if not text and not calls:
            raise InvalidRequestError(
                f"message {index} is an assistant message with neither text nor tool calls"
            )
        return "assistant", _JOIN.join(piece for piece in (text, calls) if piece)
    raise InvalidRequestError(f"message {index} has unknown role {role!r}")


def normalize_messages(
    messages: Sequence[Message], *, continue_final_message: bool = False
) -> InstructConversation:
    """Reduce messages to template turns, the way mistral-common's request normalizer does.

    System messages are lifted out and joined into one system prompt; runs of same-role messages merge with
    a blank line. As in mistral-common, a system message between two user messages still separates them
    (each becomes its own `[INST]` block), and a conversation that opens with the assistant gets an empty
    user turn first.
    """
    if not messages:
        raise InvalidRequestError(
            "cannot render a prompt from an empty message list: send at least one user message"
        )
    if not any(m.role in ("user", "tool") for m in messages):
        raise InvalidRequestError(
            "the conversation has no user message: text-completion prompts need at least one user turn"
        )
    system_parts: list[str] = []
    groups: list[tuple[TurnRole, list[str]]] = []
    previous: str | None = None
    for index, message in enumerate(messages):
        role, text = _turn_text(index, message)
        if role == "system":
            if text:
                system_parts.append(text)
        elif role == previous and groups:
            groups[-1][1].append(text)
        else:
            groups.append((role, [text]))
        previous = role
    # Empty messages add nothing to a merge (mistral-common >= 1.10 skips them too).
    turns = [Turn(role, _JOIN.join(t for t in texts if t)) for role, texts in groups]
    if turns[0].role != "user":
        turns.insert(0, Turn("user", ""))
    return InstructConversation(
        turns=tuple(turns),
        system_prompt=_JOIN.join(system_parts) if system_parts else None,
        continue_final_message=continue_final_message,
    )


# --- validate --------------------------------------------------------------------------------------


def validate_conversation(conversation: InstructConversation) -> None:
    """Reject conversations the template cannot end correctly.

    The model answers after a user turn; a final assistant turn is only allowed as a prefix to continue.
    """
    if not conversation.turns:
        raise InvalidRequestError("cannot render a prompt without turns: send at least one user message")
    last = conversation.turns[-1]
    if conversation.continue_final_message:
        if last.role != "assistant":
            raise InvalidRequestError(
                "continue_final_message=True needs the conversation to end with an assistant message "
                f"(the text to continue), but it ends with a {last.role} turn"
            )
    elif last.role != "user":
        raise InvalidRequestError(
            "the conversation must end with a user (or tool) message; to have the model continue a final "
            "assistant message, pass continue_final_message=True"
        )


# --- render ----------------------------------------------------------------------------------------


def _normalize_version(tokenizer_version: str | None) -> str:
    version = (tokenizer_version or "v1").strip().lower()
    if version not in TOKENIZER_VERSIONS:
        raise InvalidRequestError(
            f"unknown tokenizer version {tokenizer_version!r}: expected one of {', '.join(TOKENIZER_VERSIONS)}"
        )
    return version


def _with_system(turns: tuple[Turn, ...], system_prompt: str | None, version: str) -> list[Turn]:
    """Fold the system prompt into the first (v1) or last (v2 and later) user turn, as mistral-common does."""
    result = list(turns)
    if not system_prompt:
        return result
    user_indices = [i for i, turn in enumerate(result) if turn.role == "user"]
    target = user_indices[0] if version == "v1" else user_indices[-1]
    result[target] = Turn("user", system_prompt + _JOIN + result[target].text)
    return result


def render_conversation(conversation: InstructConversation, tokenizer_version: str | None = "v1") -> str:
    """The prompt string for a normalized, validated conversation."""
    version = _normalize_version(tokenizer_version)
    turns = _with_system(conversation.turns, conversation.system_prompt, version)
    pieces = [BOS]
    last_index = len(turns) - 1
    for index, turn in enumerate(turns):
        is_prefix = conversation.continue_final_message and index == last_index
        if turn.role == "user":
            pieces.append(_render_user(turn.text, version, first=index == 0))
        else:
            pieces.append(_render_assistant(turn.text, version, close=not is_prefix))
    return "".join(pieces)


def _render_user(text: str, version: str, *, first: bool) -> str:
    if version == "v1":
        # v1 encodes "[INST] text [/INST]" as ordinary text: a word boundary (space) precedes every message
        # except the one right after <s>, where the string form drops it.
        return ("" if first else " ") + f"{INST} {text} {END_INST}"
    if version == "tekken":
        return f"{INST}{text}{END_INST}"
    # v2/v3: [INST] and [/INST] are special tokens; the content is encoded alone, so it starts at a word
    # boundary, and empty content encodes to nothing.
    return f"{INST} {text}{END_INST}" if text else f"{INST}{END_INST}"


def _render_assistant(text: str, version: str, *, close: bool) -> str:
    if version != "v1":
        text = text.rstrip(" ")  # mistral-common strips trailing spaces from assistant content from v2 on
    # sentencepiece versions encode the answer alone, so it starts at a word boundary; tekken has none.
    body = text if version == "tekken" or not text else f" {text}"
    return body + (EOS if close else "")


def render_prompt(
    messages: Sequence[Message],
    tokenizer_version: str | None = "v1",
    *,
    continue_final_message: bool = False,
) -> str:
    """Render a conversation as a Mistral instruct prompt for Bedrock's text-completion body.

    `tokenizer_version` is the catalog's `ModelSpec.tokenizer` (v1 for Mistral 7B Instruct and Mixtral 8x7B,
    v2 for the 2402 models); None means v1. With `continue_final_message`, the conversation must end with
    an assistant message, rendered without `</s>` so the model continues it. Raises InvalidRequestError for
    empty conversations, conversations without a user message, image or document parts, and a wrong final
    turn.
    """
    version = _normalize_version(tokenizer_version)
    conversation = normalize_messages(messages, continue_final_message=continue_final_message)
    validate_conversation(conversation)
    return render_conversation(conversation, version)


def has_instruct_template(prompt: str) -> bool:
    """Whether a raw prompt already carries the instruct template (so it must not be wrapped again)."""
    return INST in prompt


def wrap_prompt(prompt: str, system: str | None = None, tokenizer_version: str | None = "v1") -> str:
    """Wrap a bare prompt as a single user turn; a prompt that already has `[INST]` is returned unchanged.

    The caller's own template wins: `system` is then not inserted, since where it belongs inside someone
    else's template cannot be known.
    """
    if has_instruct_template(prompt):
        return prompt
    messages: list[Message] = []
    if system:
        messages.append(Message(role="system", content=system))
    messages.append(Message(role="user", content=prompt))
    return render_prompt(messages, tokenizer_version)
