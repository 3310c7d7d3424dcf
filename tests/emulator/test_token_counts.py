"""The emulator's token model: `count` answers what `pieces` would, without building the pieces."""

from __future__ import annotations

import itertools

import pytest

from bedrock_mistral.local import token_counts

ALPHABET = ("a", "é", " ", "\n", "\t", "\u2003", "\x1c", ".")


def test_count_is_the_number_of_pieces_for_every_short_mix() -> None:
    for size in range(5):
        for letters in itertools.product(ALPHABET, repeat=size):
            text = "".join(letters)
            assert token_counts.count(text) == len(token_counts.pieces(text)), repr(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), (" ", 1), ("Hello", 1), ("Hello world", 2), (" Hello world ", 3), ("a\n\nb", 2)],
)
def test_count_examples(text: str, expected: int) -> None:
    assert token_counts.count(text) == expected
    assert "".join(token_counts.pieces(text)) == text
