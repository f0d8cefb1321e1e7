"""The full-text bag-of-n-grams reference classifier on hand-made reviews."""
import math

import pytest

from ratlib.data.record import Example
from ratlib.fulltext_baseline import ngrams, train_bag_of_ngrams


def review(text: str, label: int) -> Example:
    return Example(id=text, tokens=tuple(text.split()), label=label, aspect=0, source="test:1")


def test_ngrams_are_lower_cased_orders_one_to_n():
    assert ngrams(["Not", "bad", "head"], 2) == ["not", "bad", "head", "not bad", "bad head"]
    assert ngrams(["x"], 3) == ["x"]


def test_learns_a_cue_that_needs_bigrams():
    # Each word appears once with each label (an XOR): only the word pairs carry the label.
    texts = {"head not bad": 1, "head not good": 0, "head really bad": 0, "head really good": 1}
    train = [review(t, y) for t, y in texts.items()] * 5
    bigrams = train_bag_of_ngrams(train, n=2, min_count=2, steps=100)
    assert bigrams.accuracy(train) == 100.0
    assert bigrams.accuracy([review("nose not bad", 1), review("nose really bad", 0)]) == 100.0
    assert train_bag_of_ngrams(train, n=1, min_count=2, steps=100).accuracy(train) < 100.0


def test_rare_ngrams_are_dropped_and_unknown_words_ignored():
    train = [review("good beer", 1), review("poor beer", 0), review("good ale", 1), review("poor ale", 0)]
    model = train_bag_of_ngrams(train, n=1, min_count=2)
    assert set(model.vocab) == {"good", "poor", "beer", "ale"}
    assert model.accuracy([review("good stout", 1)]) == 100.0   # "stout" is unknown, "good" decides
    assert math.isnan(model.accuracy([]))


def test_same_seed_same_classifier():
    train = [review("good beer", 1), review("poor beer", 0)] * 3
    a, b = (train_bag_of_ngrams(train, seed=4, steps=20) for _ in range(2))
    assert a.model.weight.equal(b.model.weight) and a.bias.equal(b.bias)


def test_bad_training_sets_fail_clearly():
    with pytest.raises(ValueError, match="at least one"):
        train_bag_of_ngrams([])
    with pytest.raises(ValueError, match="binary"):
        train_bag_of_ngrams([review("good", 2)])
