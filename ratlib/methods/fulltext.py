"""The full-text classifier: RNP/FR's predictor reading every token, no selection.

Not a rationalizer but its reference: how much of the label the encoder
learns from the whole text with the same data, budget, learning rates and
predictor as the rationalizers. Its "rationale" is the whole text (S = 100%),
and its loss is the cross-entropy alone. One encoder, one pass per batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import RationaleMethod
from .config import MethodConfig
from .losses import selection_rate
from .players import build_players
from .registry import register_method
from .rnp import RNP
from .runtime import accuracy


class FullText(RNP):
    """The predictor alone, fed Z = every selectable token; the generator is never run."""

    def _rationale(self, batch, emb_g, sample: bool = False) -> torch.Tensor:
        return batch["selectable"]

    def selection_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        # the untrained generator's scores would mean nothing
        return RationaleMethod.selection_scores(self, batch)

    def _mmi_terms(self, batch, detach_rationale: bool = False) -> dict[str, torch.Tensor]:
        keep = batch["selectable"]
        _, logits = self.predictor(batch, self.predictor.embed(batch), keep)
        ce = F.cross_entropy(logits.float(), batch["labels"])
        return {"loss": ce, "cls_loss": ce, "sparsity": selection_rate(keep, batch["selectable"]),
                "accuracy": accuracy(logits.detach(), batch["labels"])}


@register_method("fulltext")
def build_fulltext(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None,
                   node_features=None) -> FullText:
    # Shared encoder: the unused generator costs a head, not a second copy of the transformer.
    generator, predictor = build_players(config, n_classes=n_classes, embeddings=embeddings, plm=plm,
                                         node_features=node_features,
                                         shared_encoder=True)
    return FullText(config, generator, predictor)
