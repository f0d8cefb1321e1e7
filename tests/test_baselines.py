"""The lexical rationale baseline on hand-made reviews."""
from __future__ import annotations

import pytest

from ratlib.baselines import ASPECT_KEYWORDS, lexical_rationale, sentence_spans

REVIEW = ("poured from a bottle . a : pours a hazy gold with a thin head . "
          "smells of citrus and pine ! the body is light , nice carbonation . "
          "tastes sweet ? overall a good beer").split()


def test_sentences_end_at_full_stop_exclamation_and_question_marks():
    assert sentence_spans("a b . c ! d ? e f".split()) == [(0, 3), (3, 5), (5, 7), (7, 9)]
    assert sentence_spans([]) == []
    assert sentence_spans(["."]) == [(0, 1)]


def _selected(tokens, aspect) -> str:
    mask = lexical_rationale(tokens, aspect)
    assert len(mask) == len(tokens) and set(mask) <= {0, 1}
    return " ".join(t for t, m in zip(tokens, mask) if m)


def test_each_aspect_selects_its_keyword_sentences():
    assert _selected(REVIEW, 0) == "a : pours a hazy gold with a thin head ."
    assert _selected(REVIEW, 1) == "smells of citrus and pine !"
    assert _selected(REVIEW, 2) == "the body is light , nice carbonation ."
    assert _selected(REVIEW, 3) == "tastes sweet ?"
    assert _selected(REVIEW, 4) == "overall a good beer"      # last sentence without punctuation


def test_sentence_without_keyword_is_not_selected_even_if_about_the_aspect():
    tokens = "it fades quickly and leaves no lacing . then it is gone .".split()
    assert lexical_rationale(tokens, 0) == [1] * 8 + [0] * 5


def test_a_sentence_naming_two_aspects_is_selected_for_both():
    tokens = "the aroma is nice but the taste is weak .".split()
    assert lexical_rationale(tokens, 1) == [1] * 10
    assert lexical_rationale(tokens, 3) == [1] * 10
    assert lexical_rationale(tokens, 0) == [0] * 10


def test_matching_ignores_case_and_needs_whole_tokens():
    assert lexical_rationale("The AROMA is great .".split(), 1) == [1] * 5
    assert lexical_rationale("headache from this one .".split(), 0) == [0] * 5


def test_empty_input_and_bad_aspect():
    assert lexical_rationale([], 0) == []
    with pytest.raises(ValueError, match="aspect must be one of"):
        lexical_rationale(["x"], 5)


def test_keyword_lists_are_short_and_disjoint():
    words = [w for ws in ASPECT_KEYWORDS.values() for w in ws]
    assert len(words) == len(set(words))
    assert all(len(ws) <= 20 for ws in ASPECT_KEYWORDS.values())
