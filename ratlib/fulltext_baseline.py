"""A full-text reference classifier: logistic regression on the review's word n-grams.

It reads the whole review, selects nothing, and is trained on the same
training set as the rationalizers. Its dev and test accuracy tell how much of
the label the full text holds for a simple model, so a rationalizer stuck at
chance can be told apart from a label the text does not carry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .data.record import Example


def ngrams(tokens: Sequence[str], n: int) -> list[str]:
    """Lower-cased word n-grams of orders 1..n, joined with a space."""
    words = [t.lower() for t in tokens]
    return [" ".join(words[i:i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1)]


@dataclass
class BagOfNgrams:
    """A trained classifier: n-gram vocabulary and a logistic regression over n-gram counts."""

    vocab: dict[str, int]
    n: int
    model: nn.EmbeddingBag   # one weight per n-gram, summed over the review's n-grams
    bias: torch.Tensor

    def logits(self, examples: Sequence[Example]) -> torch.Tensor:
        ids, offsets = _bags(examples, self.vocab, self.n)
        with torch.no_grad():
            return self.model(ids, offsets).squeeze(1) + self.bias

    def accuracy(self, examples: Sequence[Example]) -> float:
        """Accuracy in % (``nan`` for no examples)."""
        if not examples:
            return float("nan")
        labels = torch.tensor([ex.label for ex in examples])
        return 100.0 * ((self.logits(examples) > 0).long() == labels).float().mean().item()


def _bags(examples: Sequence[Example], vocab: dict[str, int], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    ids, offsets = [], []
    for ex in examples:
        offsets.append(len(ids))
        ids.extend(vocab[g] for g in ngrams(ex.tokens, n) if g in vocab)
    return torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def train_bag_of_ngrams(train: Sequence[Example], *, n: int = 2, min_count: int = 2, steps: int = 200,
                        lr: float = 0.05, l2: float = 1e-4, seed: int = 0) -> BagOfNgrams:
    """Full-batch Adam on the binary cross-entropy plus ``l2`` times the squared weights.

    N-grams seen fewer than ``min_count`` times in ``train`` are dropped.
    """
    if not train:
        raise ValueError("train_bag_of_ngrams needs at least one training example")
    if any(ex.label not in (0, 1) for ex in train):
        raise ValueError("train_bag_of_ngrams handles binary labels (0/1) only")
    counts: dict[str, int] = {}
    for ex in train:
        for g in ngrams(ex.tokens, n):
            counts[g] = counts.get(g, 0) + 1
    vocab = {g: i for i, g in enumerate(sorted(g for g, c in counts.items() if c >= min_count))}
    generator = torch.Generator().manual_seed(seed)
    model = nn.EmbeddingBag(max(1, len(vocab)), 1, mode="sum")
    nn.init.normal_(model.weight, std=0.01, generator=generator)
    bias = torch.zeros(1, requires_grad=True)
    ids, offsets = _bags(train, vocab, n)
    labels = torch.tensor([float(ex.label) for ex in train])
    optimizer = torch.optim.Adam([model.weight, bias], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        logits = model(ids, offsets).squeeze(1) + bias
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels) + l2 * model.weight.pow(2).sum()
        loss.backward()
        optimizer.step()
    return BagOfNgrams(vocab=vocab, n=n, model=model, bias=bias.detach())


def full_text_accuracy(data, seed: int = 0) -> dict:
    """Train the bag-of-n-grams classifier on a dataset's training split; its size and accuracies (%).

    ``data`` is a :class:`~ratlib.data.registry.DataConfig`.
    """
    from .data.registry import load_splits

    splits = load_splits(data)
    model = train_bag_of_ngrams(splits.train, seed=seed)
    return {"n_grams": len(model.vocab), "train_acc": model.accuracy(splits.train),
            "dev_acc": model.accuracy(splits.dev), "test_acc": model.accuracy(splits.test)}
