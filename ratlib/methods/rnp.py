"""RNP: a generator selects, a separate predictor classifies from the selection (Lei et al. 2016).

Loss = ``cls_lambda * CE(pred(X*Z), y) + lambda1 * sparsity + lambda2 * continuity``,
back-propagated into both players by one Adam (straight-through Gumbel Z).
With a PLM encoder both players are copies of the pre-trained transformer:
the degenerating PLM baseline of the PLMR paper.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Prediction, RationaleMethod
from .config import MethodConfig
from .losses import continuity_loss, selection_rate, sparsity_loss
from .players import build_players, encoder_parameters
from .registry import register_method
from .runtime import accuracy, adam, autocast_for, scalars
from .selector import select


class RNP(RationaleMethod):
    """Generator + predictor trained jointly on the MMI objective."""

    def __init__(self, config: MethodConfig, generator, predictor):
        super().__init__()
        self.config = config
        self.generator = generator
        self.predictor = predictor
        self._optimizer = None

    # ------------------------------------------------------------ optimisation
    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """Adam over encoders (lr_encoder) and heads (lr_head), made on first use: move the method first."""
        if self._optimizer is None:
            encoders = encoder_parameters(self.generator.encoder) + encoder_parameters(self.predictor.encoder)
            heads = list(self.generator.head.parameters()) + list(self.predictor.head.parameters())
            self._optimizer = adam([(encoders, self.config.lr_encoder), (heads, self.config.lr_head)])
        return self._optimizer

    def _autocast(self):
        return autocast_for(self, self.config.autocast_bf16)

    # ------------------------------------------------------------ passes
    def _embed(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Embedding outputs for generator and predictor (computed once when they share it)."""
        emb_g = self.generator.embed(batch)
        if self.generator.embedding_source is self.predictor.embedding_source:
            return emb_g, emb_g
        return emb_g, self.predictor.embed(batch)

    def _rationale(self, batch, emb_g, sample: bool = False) -> torch.Tensor:
        logits = self.generator(batch, emb_g)
        mask = select(logits, training=self.training, sample=sample, tau=self.config.tau)
        return mask * batch["selectable"]

    def _mmi_terms(self, batch, detach_rationale: bool = False) -> dict[str, torch.Tensor]:
        """The MMI objective on a fresh sample; the predictor sees a detached Z when asked (N2R)."""
        cfg = self.config
        emb_g, emb_p = self._embed(batch)
        z = self._rationale(batch, emb_g)
        _, logits = self.predictor(batch, emb_p, z.detach() if detach_rationale else z)
        ce = F.cross_entropy(logits.float(), batch["labels"])
        sp = sparsity_loss(z, batch["selectable"], cfg.sparsity)
        ct = continuity_loss(z, cfg.continuity_window)
        loss = cfg.cls_lambda * ce + cfg.sparsity_lambda * sp + cfg.continuity_lambda * ct
        return {"loss": loss, "cls_loss": ce, "sparsity_loss": sp, "continuity_loss": ct,
                "sparsity": selection_rate(z.detach(), batch["selectable"]),
                "accuracy": accuracy(logits.detach(), batch["labels"])}

    def _step(self, loss: torch.Tensor, clear_grads: bool = True) -> None:
        """One Adam step on ``loss``; ``clear_grads=False`` zeroes old gradients instead of clearing them,
        so parameters frozen for this step still take Adam's momentum-only step (torch < 2.0's default)."""
        self.optimizer.zero_grad(set_to_none=clear_grads)
        loss.backward()
        self.optimizer.step()

    # ------------------------------------------------------------ interface
    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        self.train()
        with self._autocast():
            terms = self._mmi_terms(batch)
        self._step(terms["loss"])
        return scalars(**terms)

    @torch.no_grad()
    def predict(self, batch: dict[str, torch.Tensor], sample: bool = False) -> Prediction:
        with self.evaluating(), self._autocast():
            emb_g, emb_p = self._embed(batch)
            mask = self._rationale(batch, emb_g, sample=sample)
            _, logits = self.predictor(batch, emb_p, mask)
        return Prediction(mask=mask.float(), logits=logits.float())

    @torch.no_grad()
    def selection_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with self.evaluating(), self._autocast():
            logits = self.generator(batch, self.generator.embed(batch))
        return logits.float().softmax(dim=-1)[..., 1] * batch["selectable"]

    def encode_rationale(self, batch: dict[str, torch.Tensor], mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predictor's (pooled, logits) for ``mask`` (in the module's current train/eval mode)."""
        with self._autocast():
            pooled, logits = self.predictor(batch, self.predictor.embed(batch), mask * batch["selectable"])
        return pooled.float(), logits.float()


@register_method("rnp")
def build_rnp(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None, node_features=None) -> RNP:
    generator, predictor = build_players(config, n_classes=n_classes, embeddings=embeddings, plm=plm,
                                         node_features=node_features)
    return RNP(config, generator, predictor)
