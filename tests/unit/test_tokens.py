"""Token counting: exact against mistral-common, the estimate without it, and the context-window check."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_mistral import tokens
from bedrock_mistral.catalog import BY_ID
from bedrock_mistral.errors import ContextWindowExceededError
from bedrock_mistral.prompt import render_prompt
from bedrock_mistral.tokens import check_context_window, count_tokens, estimate_tokens, is_exact
from bedrock_mistral.types import Message, ToolCall

VERSIONS = ("v1", "v2", "v3", "tekken")
SPECIAL_STRINGS = (
    "<s>",
    "</s>",
    "[INST]",
    "[/INST]",
    "[TOOL",
    "[/TOOL",
    "[AVAILABLE",
    "[/AVAILABLE",
    "[IMG",
    "[PREFIX]",
    "[MIDDLE]",
    "[SUFFIX]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
)


def U(text: str) -> Message:
    return Message(role="user", content=text)


def A(text: str) -> Message:
    return Message(role="assistant", content=text)


def S(text: str) -> Message:
    return Message(role="system", content=text)


@cache
def _mistral(version: str) -> Any:
    mistral = pytest.importorskip("mistral_common.tokens.tokenizers.mistral")
    try:
        if version == "tekken":
            return mistral.MistralTokenizer.v3(is_tekken=True)
        return getattr(mistral.MistralTokenizer, version)()
    except ImportError as exc:
        pytest.skip(f"mistral-common cannot load the {version} tokenizer: {exc}")


def oracle_count(messages: list[Message], version: str, continue_final_message: bool = False) -> int:
    tokenizer = _mistral(version)  # first: skips the test when mistral-common is unusable
    from mistral_common.protocol.instruct.messages import AssistantMessage, SystemMessage, UserMessage
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    classes = {"user": UserMessage, "assistant": AssistantMessage, "system": SystemMessage}
    request = ChatCompletionRequest(
        messages=[classes[m.role](content=m.text) for m in messages],
        continue_final_message=continue_final_message,
    )
    return len(tokenizer.encode_chat_completion(request).tokens)


@pytest.fixture
def hide_mistral_common(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make `import mistral_common` fail, as on an install without the tokenizers extra."""
    for name in [n for n in sys.modules if n == "mistral_common" or n.startswith("mistral_common.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mistral_common", None)
    tokens.clear_tokenizer_cache()
    yield
    tokens.clear_tokenizer_cache()


CONVERSATIONS = [
    [U("What is your favourite condiment?")],
    [U("q1"), A("a1"), U("q2")],
    [S("You are terse."), U("q1"), A("a1"), U("q2")],
    [S("s1"), U("Bonjour 😀"), U("second"), A("réponse"), A("more"), U("東京は?")],
    [A("Hi! How can I help?"), U("Tell me a joke")],
]


# --- exact counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "text", ["hello world", "Hello, world! 1234 ünïcödé 東京 😀", "  indented\n\tcode()\n", " x", "x"]
)
def test_text_counts_equal_mistral_common(version: str, text: str) -> None:
    raw = _mistral(version).instruct_tokenizer.tokenizer
    assert is_exact(version)
    assert count_tokens(text, version) == len(raw.encode(text, bos=False, eos=False))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("index", range(len(CONVERSATIONS)))
def test_conversation_counts_equal_mistral_common(version: str, index: int) -> None:
    messages = CONVERSATIONS[index]
    expected = oracle_count(messages, version)
    assert count_tokens(messages, version) == expected
    # The rendered prompt counts the same: Bedrock receives that string.
    assert count_tokens(render_prompt(messages, version), version) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_continued_final_message_counts(version: str) -> None:
    messages = [U("Write a haiku"), A("Autumn moonlight")]
    expected = oracle_count(messages, version, continue_final_message=True)
    assert count_tokens(messages, version) == expected
    rendered = render_prompt(messages, version, continue_final_message=True)
    assert count_tokens(rendered, version) == expected


def test_special_tokens_in_a_prompt_count_one_each() -> None:
    _mistral("v2")
    assert count_tokens("<s>[INST][/INST]", "v2") == 3
    assert count_tokens("<s>", "v1") == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_tool_conversations_count_the_rendered_text(version: str) -> None:
    _mistral(version)
    call = ToolCall(id="abc123def", name="lookup", arguments={"q": "x"})
    messages = [
        U("look it up"),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(role="tool", content="found", tool_call_id="abc123def", name="lookup"),
    ]
    assert count_tokens(messages, version) == count_tokens(render_prompt(messages, version), version)


def test_tokenizers_are_cached() -> None:
    _mistral("v1")
    count_tokens("warm", "v1")
    assert tokens._tokenizer("v1") is tokens._tokenizer("v1")


_plain = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="▁"), max_size=30
).filter(lambda t: not any(s in t for s in SPECIAL_STRINGS))
_message = st.one_of(st.builds(U, _plain), st.builds(S, _plain), st.builds(A, _plain.filter(bool)))


@settings(max_examples=100, deadline=None)
@given(body=st.lists(_message, max_size=5), last=st.builds(U, _plain), version=st.sampled_from(VERSIONS))
def test_random_rendered_prompts_count_like_mistral_common(
    body: list[Message], last: Message, version: str
) -> None:
    messages = [*body, last]
    try:
        expected = oracle_count(messages, version)
    except pytest.skip.Exception:
        raise
    except Exception:
        return  # an order mistral-common refuses (system after assistant)
    assert count_tokens(render_prompt(messages, version), version) == expected


# --- without mistral-common ------------------------------------------------------------------------


def test_estimate_is_used_when_mistral_common_is_hidden(hide_mistral_common: None) -> None:
    assert not is_exact("v1")
    assert not is_exact()
    text = "The quick brown fox jumps over the lazy dog."
    assert count_tokens(text, "v1") == estimate_tokens(text)
    messages = [S("sys"), U("q1"), A("a1"), U("q2")]
    assert count_tokens(messages, "v2") == estimate_tokens(render_prompt(messages, "v2"))


def test_unknown_or_missing_version_estimates() -> None:
    assert not is_exact(None)
    assert not is_exact("v99")
    assert count_tokens("hello there", None) == estimate_tokens("hello there")


def test_estimate_formula() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abc") == 1  # letters: ceil(3 / 3)
    assert estimate_tokens("abcd efg") == 3  # 2 + 1, the single space is part of the next word
    assert estimate_tokens("2024") == 4  # one per digit
    assert estimate_tokens("a,\n") == 3  # punctuation and newline one each
    assert estimate_tokens("é東😀") == 1 + 2 + 4


@given(st.text(min_size=1))
def test_estimate_is_at_least_one_for_non_empty_text(text: str) -> None:
    assert estimate_tokens(text) >= 1


def test_estimate_over_counts_ordinary_text() -> None:
    samples = [
        "The quick brown fox jumps over the lazy dog. " * 4,
        "def add(a: int, b: int) -> int:\n    return a + b\n",
        '{"name": "Ada", "born": 1815, "tags": ["math", "poetry"]}',
        "Bonjour, je m'appelle Élise et j'habite à Paris depuis dix ans.",
        "これは日本語のテキストです。",
    ]
    for version in VERSIONS:
        raw = _mistral(version).instruct_tokenizer.tokenizer
        for text in samples:
            assert estimate_tokens(text) >= len(raw.encode(text, bos=False, eos=False)), (version, text)


def test_modules_import_without_mistral_common() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["mistral_common"] = None
        from bedrock_mistral.prompt import render_prompt
        from bedrock_mistral.tokens import count_tokens, is_exact
        from bedrock_mistral.types import Message
        assert not is_exact("v1")
        assert count_tokens([Message(role="user", content="hi")], "v1") >= 1
        print(render_prompt([Message(role="user", content="hi")]))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "<s>[INST] hi [/INST]"


def test_importing_does_not_load_mistral_common() -> None:
    code = (
        "import sys, bedrock_mistral.tokens, bedrock_mistral.prompt; "
        "print(any(m.startswith('mistral_common') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --- the context window ----------------------------------------------------------------------------

MIXTRAL = BY_ID["mistral.mixtral-8x7b-instruct-v0:1"]


def test_fitting_requests_pass() -> None:
    check_context_window(MIXTRAL, 30_000, 2_768)
    check_context_window(MIXTRAL, 32_767, None)


def test_exceeding_the_window_names_the_numbers() -> None:
    with pytest.raises(ContextWindowExceededError) as info:
        check_context_window(MIXTRAL, 30_000, 4_096)
    message = str(info.value)
    for part in ("mistral.mixtral-8x7b-instruct-v0:1", "30000", "max_tokens=4096", "34096", "32768"):
        assert part in message


def test_prompt_alone_filling_the_window_is_refused() -> None:
    with pytest.raises(ContextWindowExceededError, match="32768") as info:
        check_context_window(MIXTRAL, 32_768, None)
    assert "max_tokens not set" in str(info.value)


def test_context_window_error_is_a_value_error() -> None:
    small = replace(MIXTRAL, context_window=10)
    with pytest.raises(ValueError):
        check_context_window(small, 5, 6)
