"""Spelling correction for search queries, free of Django: which words to look up, and which known word a typo
most likely meant.

Candidates are the known words one edit away (Norvig's deletes, transposes, replaces and inserts, looked up in
the vocabulary with one indexed query) plus, for longer words, trigram neighbours (two edits). Trigrams alone
miss short transposed words ("nkie" and "nike" share one trigram), hence the edit candidates. The choice is the
fewest edits (a transposition counts as one), then the most listings.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

WORD = re.compile(r"[^\W_]+")
CORRECTABLE = re.compile(r"[a-z]{3,30}")  # numbers, sizes, non-Latin and absurdly long words are kept as typed
LETTERS = string.ascii_lowercase
TRIGRAM_MIN_LENGTH = 5  # shorter words get one-edit corrections only: two edits of "bag" reach half the vocabulary
MAX_WORDS = 8  # words of one query that get corrected (bounds the lookup's size)
RARE_KNOWN = 3  # a known word held by at most this many listings ...
RARE_FACTOR = 50  # ... is still corrected to a one-edit neighbour held by this many times more listings


def query_words(text: str) -> list[str]:
    """The words of a query, lowercased, in order."""
    return WORD.findall(text.lower())


def correctable_words(words: list[str]) -> list[str]:
    """The distinct words worth a vocabulary lookup."""
    return list(dict.fromkeys(word for word in words if CORRECTABLE.fullmatch(word)))[:MAX_WORDS]


def word_edits(word: str) -> set[str]:
    """Every string one edit (delete, transpose, replace, insert) away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    transposes = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    replaces = {left + letter + right[1:] for left, right in splits if right for letter in LETTERS}
    inserts = {left + letter + right for left, right in splits for letter in LETTERS}
    return (deletes | transposes | replaces | inserts) - {word}


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: Levenshtein with a swap of neighbouring letters as one edit."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def word_correction(word: str, vocabulary: Mapping[str, int]) -> str | None:
    """The known word `word` most likely meant, or None when it is fine as it is (or nothing is close).

    `vocabulary` maps candidate words to how many listings hold them; it may hold unrelated words too.
    """
    known = vocabulary.get(word, 0)
    if known > RARE_KNOWN:
        return None
    max_edits = 1 if known or len(word) < TRIGRAM_MIN_LENGTH else 2
    best: tuple[int, int, str] | None = None
    for candidate, listings in vocabulary.items():
        if candidate == word or abs(len(candidate) - len(word)) > max_edits:
            continue
        if known and listings < RARE_FACTOR * known:
            continue
        edits = edit_distance(word, candidate)
        if edits <= max_edits and (best is None or (edits, -listings, candidate) < best):
            best = (edits, -listings, candidate)
    return best[2] if best else None


def query_corrected(text: str, corrections: Mapping[str, str]) -> str:
    """`text` with each corrected word replaced in the case it was typed in, everything else as typed."""

    def replace(match: re.Match[str]) -> str:
        typed = match.group()
        correction = corrections.get(typed.lower())
        if correction is None:
            return typed
        if typed.isupper() and len(typed) > 1:
            return correction.upper()
        return correction.capitalize() if typed[0].isupper() else correction

    return WORD.sub(replace, text)
