"""What every rationalization method offers the trainer.

Batches are dicts of tensors built by :mod:`ratlib.data.batching`:

* ``input_ids``   (B, T) long: word ids (GRU) or word-piece ids (PLM);
* ``attention_mask`` (B, T) float: 1 on real positions (PLM specials included);
* ``selectable``  (B, T) float: 1 where a token may be selected (not padding,
  not [CLS]/[SEP]);
* ``labels``      (B,) long;
* ``annotated``   (B,) float: 1 for texts that carry a gold rationale;
* ``gold``        (B, T) float: gold rationale per position (0 when the
  example is not annotated; a piece inherits its word's gold value);
* ``word_index``  (B, T) long: index of the word a position belongs to, -1
  for specials and padding (GRU: 0..n-1);
* ``first_piece`` (B, T) float: 1 on the first piece of every word.

Padding goes only to the longest sequence of the batch.

A method is an ``nn.Module`` that owns its optimizers, because some methods
take two optimizer steps per batch (MMI+N2R). The trainer only calls
:meth:`RationaleMethod.train_step` and :meth:`RationaleMethod.predict`.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Prediction:
    """What a method says about a batch at evaluation time."""

    mask: torch.Tensor    # (B, T) float 0/1 rationale over positions (0 on non-selectable ones)
    logits: torch.Tensor  # (B, C) class logits of the predictor fed the rationale
    # Every position the method kept, special tokens included ([CLS] excepted), where that differs
    # from ``mask`` (PLMR's selector also decides on [SEP]); None: the same as ``mask``.
    kept: torch.Tensor | None = None


class RationaleMethod(nn.Module):
    """Base class: a generator selects, a predictor classifies from the selection."""

    @contextmanager
    def evaluating(self):
        """Eval mode inside the block, the previous mode restored after it."""
        was_training = self.training
        self.eval()
        try:
            yield
        finally:
            self.train(was_training)

    @property
    def optimizers(self) -> list[torch.optim.Optimizer]:
        """Every optimizer the method steps (for checkpoints); methods with one expose ``optimizer``."""
        return [self.optimizer]

    @property
    def warmup_epochs(self) -> int:
        """First epochs that train no rationale (the trainer does not select a model from them)."""
        return 0

    def start_epoch(self, epoch: int) -> None:
        """Called by the trainer before every epoch (0-based), resumed ones included."""

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One training step on a batch (backward and optimizer steps included).

        Returns scalar logs; always includes ``loss`` and ``sparsity`` (share
        of selectable tokens selected in this batch, 0..1).
        """
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, batch: dict[str, torch.Tensor], sample: bool = False) -> Prediction:
        """Rationale and prediction; ``sample`` draws Gumbel noise instead of argmax."""
        raise NotImplementedError

    def encode_rationale(self, batch: dict[str, torch.Tensor], mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pooled representation Enc(X*Z), logits) of the predictor for a given mask."""
        raise NotImplementedError

    @torch.no_grad()
    def selection_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, T) the selector's keep-probability per position, without noise (0 where not selectable): how
        it ranks the tokens, whatever its argmax keeps (argmax keeps those above 0.5)."""
        raise NotImplementedError(f"{type(self).__name__} has no selection scores")
