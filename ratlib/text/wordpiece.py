"""Word-piece tokenisation with a word <-> piece alignment.

Gold rationales are given on words; a PLM selects word pieces. Every piece
remembers the word it came from (``word_index``; -1 for [CLS]/[SEP] and
padding), so a piece-level rationale can be scored at word level whichever
encoder produced it, and a word-level gold mask can be spread over pieces.

Mapping rule from pieces back to words (recorded in every result):

* ``"first"`` (default): a word is selected when its first piece is;
* ``"any"``: a word is selected when any of its pieces is.

Words cut off by the piece budget (``max_pieces``) count as unselected.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

PIECE_TO_WORD_RULES = ("first", "any")


def encode_words_batch(tokenizer, token_lists: Sequence[Sequence[str]], max_pieces: int) -> list[dict]:
    """Piece ids and alignment for a batch of pre-split texts (fast tokenizer required)."""
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(f"{type(tokenizer).__name__} is not a fast tokenizer; word alignment needs one")
    enc = tokenizer([list(t) for t in token_lists], is_split_into_words=True, truncation=True,
                    max_length=max_pieces, add_special_tokens=True)
    out = []
    for i in range(len(token_lists)):
        word_ids = enc.word_ids(i)
        word_index = [-1 if w is None else w for w in word_ids]
        first = [0] * len(word_index)
        prev = None
        for j, w in enumerate(word_ids):
            if w is not None and w != prev:
                first[j] = 1
            prev = w
        out.append({"input_ids": enc["input_ids"][i], "word_index": word_index, "first_piece": first})
    return out


def words_to_pieces(word_values: Sequence[int], word_index: Sequence[int]) -> list[int]:
    """Spread a per-word 0/1 list over pieces (specials get 0)."""
    return [0 if w < 0 else int(word_values[w]) for w in word_index]


def pieces_to_words(piece_mask, word_index, first_piece, n_words: int, rule: str = "first") -> np.ndarray:
    """Per-word 0/1 selection of one text from its per-piece selection."""
    return (piece_values_to_words(piece_mask, word_index, first_piece, n_words, rule) > 0.5).astype(np.float64)


def piece_values_to_words(piece_values, word_index, first_piece, n_words: int, rule: str = "first") -> np.ndarray:
    """Per-word values of one text from per-piece ones (e.g. keep-probabilities): the first piece's value
    (rule ``first``) or the largest of the word's pieces (``any``); 0 for words with no piece (truncated)."""
    if rule not in PIECE_TO_WORD_RULES:
        raise ValueError(f"unknown piece-to-word rule {rule!r}; use one of {PIECE_TO_WORD_RULES}")
    piece_values = np.asarray(piece_values, dtype=np.float64)
    word_index = np.asarray(word_index)
    words = np.zeros(n_words, dtype=np.float64)
    keep = word_index >= 0
    if rule == "first":
        keep &= np.asarray(first_piece) > 0
        words[word_index[keep]] = piece_values[keep]
    else:
        np.maximum.at(words, word_index[keep], piece_values[keep])
    return words
