"""Token counts for Mistral prompts and conversations, and the context-window check.

Counts are exact when mistral-common (the `tokenizers` extra, with its sentencepiece/tiktoken backends) can
be imported: Mistral's own tokenizers, shipped inside that package, are used. It is imported lazily, on the
first count, so importing this module stays cheap. Without it, counts are a documented estimate
(`estimate_tokens`) chosen to over-count ordinary text.

Prompt strings are counted the way a tokenizer that knows the special tokens reads them: `<s>`, `</s>`,
`[INST]`, `[/INST]` and the other named special tokens of the version count one each, the text between
them is encoded on its own. For prompts produced by `render_prompt` this equals mistral-common's count for
the same conversation.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from typing import Any

from bedrock_mistral.catalog import ModelSpec
from bedrock_mistral.errors import ContextWindowExceededError, InvalidRequestError
from bedrock_mistral.types import Message, TextPart

__all__ = [
    "count_tokens",
    "estimate_tokens",
    "is_exact",
    "check_context_window",
    "clear_tokenizer_cache",
]

_SPECIAL_NAME = re.compile(r"^(?:<s>|</s>|\[/?[A-Z_]+\])$")
"""Named special tokens worth recognizing in text; excludes `[control_12]`, `<SPECIAL_24>`, `<unk>`, `<pad>`."""


class _Tokenizer:
    """A loaded mistral-common tokenizer plus what counting needs from it."""

    def __init__(self, mistral_tokenizer: Any, version: str) -> None:
        self.mistral = mistral_tokenizer
        self.raw = mistral_tokenizer.instruct_tokenizer.tokenizer
        self.sentencepiece = version != "tekken"
        names = sorted(
            {
                piece
                for piece in (self.raw.id_to_piece(i) for i in self.raw.special_ids)
                if _SPECIAL_NAME.match(piece)
            },
            key=len,
            reverse=True,
        )
        self.special_split = re.compile("(" + "|".join(re.escape(n) for n in names) + ")")
        self.special_names = frozenset(names)

    def count_text(self, text: str) -> int:
        """Tokens in a prompt string, named special tokens counted as one each."""
        total = 0
        after_special = False
        for segment in self.special_split.split(text):
            if not segment:
                continue
            if segment in self.special_names:
                total += 1
                after_special = True
                continue
            if self.sentencepiece and after_special and segment.startswith(" "):
                # sentencepiece starts each encoded piece of text at a word boundary (its "dummy prefix");
                # after a special token the template shows that boundary as one space: do not count it twice.
                segment = segment[1:]
            total += len(self.raw.encode(segment, bos=False, eos=False)) if segment else 0
            after_special = False
        return total


_lock = threading.Lock()
_tokenizers: dict[str, _Tokenizer | None] = {}
"""Loaded tokenizers by version; None records a version that could not be loaded (so we do not retry)."""


def clear_tokenizer_cache() -> None:
    """Forget loaded tokenizers (tests use it to switch mistral-common off and on)."""
    with _lock:
        _tokenizers.clear()


def _load(version: str) -> Any:
    """mistral-common's tokenizer for a version. Imported here, not at module import: it costs ~0.5 s."""
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    if version == "v1":
        return MistralTokenizer.v1()
    if version == "v2":
        return MistralTokenizer.v2()
    if version == "v3":
        return MistralTokenizer.v3()
    if version == "tekken":
        return MistralTokenizer.v3(is_tekken=True)
    raise ValueError(version)


def _tokenizer(tokenizer_version: str | None) -> _Tokenizer | None:
    """The cached tokenizer for a version, or None when it is unknown or mistral-common is unusable."""
    if not tokenizer_version:
        return None
    version = tokenizer_version.strip().lower()
    with _lock:
        if version in _tokenizers:
            return _tokenizers[version]
        try:
            loaded: _Tokenizer | None = _Tokenizer(_load(version), version)
        except Exception:  # not installed, a backend (sentencepiece, tiktoken) missing, unknown version
            loaded = None
        _tokenizers[version] = loaded
        return loaded


def is_exact(tokenizer_version: str | None = "v1") -> bool:
    """Whether `count_tokens` for this tokenizer version uses Mistral's tokenizer rather than the estimate.

    Without an argument: whether mistral-common is usable at all. Tekken counts use the tekken vocabulary
    shipped in mistral-common; newer models may use a later revision of it.
    """
    return _tokenizer(tokenizer_version) is not None


# --- the estimate ----------------------------------------------------------------------------------

_ESTIMATE_PIECES = re.compile(r"[A-Za-z]+|[ ]+|[\x00-\x7f]|[^\x00-\x7f]")
_LETTERS_PER_TOKEN = 3
_SPACES_PER_TOKEN = 4
_NON_ASCII_TOKENS = {1: 1, 2: 1, 3: 2, 4: 4}
"""Tokens per non-ASCII character by UTF-8 length: accented Latin, Greek, Cyrillic, Arabic cost about one,
CJK and Indic scripts up to two (or three byte tokens where the vocabulary lacks them), emoji up to four."""


def estimate_tokens(text: str) -> int:
    """An estimate of the token count of `text` that deliberately over-counts ordinary text.

    Formula: ceil(letters / 3) per run of ASCII letters, one per digit, per ASCII punctuation or control
    character (newline, tab), ceil((n - 1) / 4) per run of n spaces (a single space is part of the next
    word's token), and per non-ASCII character 1, 2 or 4 tokens for 2-, 3- and 4-byte UTF-8. Mistral's
    tokenizers split digits one by one and use ~4 letters per token in English, so prose and code come out
    about 1.4x (sentencepiece tokenizers) to 1.7x (tekken) the exact count. It can under-count random
    letter strings (base64, hashes) and scripts the vocabulary spells byte by byte. Never 0 for non-empty
    text.
    """
    total = 0
    for match in _ESTIMATE_PIECES.finditer(text):
        piece = match.group()
        first = piece[0]
        if first == " ":
            total += math.ceil((len(piece) - 1) / _SPACES_PER_TOKEN)
        elif first.isascii() and first.isalpha():
            total += math.ceil(len(piece) / _LETTERS_PER_TOKEN)
        elif first.isascii():
            total += 1
        else:
            total += _NON_ASCII_TOKENS[len(piece.encode("utf-8", "surrogatepass"))]
    return max(total, 1) if text else 0


# --- counting --------------------------------------------------------------------------------------


def count_tokens(text_or_messages: str | Sequence[Message], tokenizer_version: str | None = "v1") -> int:
    """Tokens in a prompt string or a conversation, for a tokenizer version (the catalog's `tokenizer`).

    Exact with mistral-common (see `is_exact`); otherwise `estimate_tokens`. `tokenizer_version=None` (a
    model outside the catalog) always estimates. A conversation is counted as mistral-common encodes it
    when it converts (plain system/user/assistant text); otherwise (tool calls and results, images) the
    text prompt `render_prompt` makes of it is counted, and image or document parts are not counted.
    """
    tokenizer = _tokenizer(tokenizer_version)
    if isinstance(text_or_messages, str):
        if tokenizer is None:
            return estimate_tokens(text_or_messages)
        return tokenizer.count_text(text_or_messages)
    messages = list(text_or_messages)
    if tokenizer is not None:
        exact = _count_with_mistral_common(tokenizer, messages)
        if exact is not None:
            return exact
    return count_tokens(_text_for_count(messages, tokenizer_version), tokenizer_version)


def _count_with_mistral_common(tokenizer: _Tokenizer, messages: list[Message]) -> int | None:
    """mistral-common's own encoding of a plain-text conversation; None when it cannot express it."""
    try:
        from mistral_common.protocol.instruct.messages import AssistantMessage, SystemMessage, UserMessage
        from mistral_common.protocol.instruct.request import ChatCompletionRequest
    except ImportError:
        return None
    converted: list[Any] = []
    for message in messages:
        if message.tool_calls or message.role == "tool":
            return None
        if not isinstance(message.content, str) and not all(isinstance(p, TextPart) for p in message.content):
            return None
        if message.role == "system":
            converted.append(SystemMessage(content=message.text))
        elif message.role == "user":
            converted.append(UserMessage(content=message.text))
        elif message.role == "assistant":
            converted.append(AssistantMessage(content=message.text))
        else:
            return None
    if not converted:
        return None
    continue_final = isinstance(converted[-1], AssistantMessage)
    try:
        # continue_final_message is a pydantic field that the type stubs of some versions do not declare.
        request = ChatCompletionRequest(messages=converted, continue_final_message=continue_final)  # type: ignore[call-arg]
        return len(tokenizer.mistral.encode_chat_completion(request).tokens)
    except Exception:  # mistral-common's validation differs in corner cases: fall back to the rendered text
        return None


def _text_for_count(messages: list[Message], tokenizer_version: str | None) -> str:
    """The rendered prompt; for conversations the template refuses, the plain texts joined."""
    from bedrock_mistral.prompt import TOKENIZER_VERSIONS, render_prompt

    version = tokenizer_version if (tokenizer_version or "v1").strip().lower() in TOKENIZER_VERSIONS else "v1"
    continue_final = bool(messages) and messages[-1].role == "assistant"
    try:
        return render_prompt(messages, version, continue_final_message=continue_final)
    except InvalidRequestError:
        return "\n\n".join(m.text for m in messages)


def check_context_window(spec: ModelSpec, prompt_tokens: int, max_tokens: int | None) -> None:
    """Raise ContextWindowExceededError when the prompt plus the answer budget cannot fit the model.

    Checked before sending, so an oversized request fails with the numbers instead of a Bedrock
    ValidationException. With `max_tokens` None (the model's default budget, which Bedrock may cut short
    rather than refuse), only the prompt plus one answer token must fit.
    """
    reserved = max_tokens if max_tokens is not None else 1
    needed = prompt_tokens + reserved
    if needed <= spec.context_window:
        return
    if max_tokens is not None:
        detail = f"{prompt_tokens} prompt tokens + max_tokens={max_tokens} = {needed} tokens"
    else:
        detail = f"{prompt_tokens} prompt tokens (max_tokens not set) leave no room for an answer"
    raise ContextWindowExceededError(
        f"request exceeds the context window of model {spec.model_id!r}: {detail}, but the window is "
        f"{spec.context_window} tokens; shorten the conversation or lower max_tokens"
    )
