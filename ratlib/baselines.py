"""A lexical rationale baseline: the sentences that name the aspect.

``lexical_rationale(tokens, aspect)`` splits a tokenised review into
sentences (ending at ".", "!" or "?") and selects every sentence that holds
one of a short, fixed list of words a reader would look for in a beer review
to find the aspect. No learning, no tuning: it shows how far surface cues go,
on the generated benchmark and on real Beer alike.

The keyword lists were written once from what BeerAdvocate reviewers write
and were not adjusted to any data set.
"""
from __future__ import annotations

from typing import Sequence

SENTENCE_END = frozenset({".", "!", "?"})

ASPECT_KEYWORDS: dict[int, frozenset[str]] = {
    0: frozenset({"appearance", "look", "looks", "looking", "color", "colour", "head", "lacing", "lace",
                  "foam", "pours", "pour", "clear", "clarity", "hazy", "cloudy", "retention"}),
    1: frozenset({"aroma", "aromas", "smell", "smells", "smelling", "nose", "scent", "bouquet"}),
    2: frozenset({"palate", "mouthfeel", "feel", "feels", "body", "bodied", "carbonation", "carbonated",
                  "texture"}),
    3: frozenset({"taste", "tastes", "flavor", "flavors", "flavour", "flavours", "finish", "aftertaste"}),
    4: frozenset({"overall", "drinkability", "drinkable", "recommend", "recommended"}),
}


def sentence_spans(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences; each keeps its closing punctuation.

    Trailing tokens without closing punctuation form a last sentence.
    """
    spans, start = [], 0
    for i, tok in enumerate(tokens):
        if tok in SENTENCE_END:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def lexical_rationale(tokens: Sequence[str], aspect: int) -> list[int]:
    """0/1 mask over ``tokens``: 1 on every sentence holding a keyword of ``aspect``.

    Matching is on lower-cased whole tokens.
    """
    if aspect not in ASPECT_KEYWORDS:
        raise ValueError(f"aspect must be one of {sorted(ASPECT_KEYWORDS)}, got {aspect!r}")
    keywords = ASPECT_KEYWORDS[aspect]
    mask = [0] * len(tokens)
    for start, end in sentence_spans(tokens):
        if any(tok.lower() in keywords for tok in tokens[start:end]):
            mask[start:end] = [1] * (end - start)
    return mask
