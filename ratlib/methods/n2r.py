"""N2R, norm to rationale (Liu et al. ICLR 2025), alone and with MMI.

The generator is pushed to choose the candidate whose representation in the
predictor's encoder has the largest norm:
``L_N2R = lambda_n * -mean log(1e-6 + ||Enc(X*Z)||_2) + Omega(Z)``.
During that step the predictor's parameters are frozen (no update, no
gradient stored), but gradients flow through its computation to Z.

* ``n2r``: step 1 trains the predictor by cross-entropy on a *detached* Z
  (only Omega reaches the generator); step 2 is the N2R step on a fresh Z.
* ``mmi_n2r``: step 1 is a plain RNP step; step 2 the N2R step.

Two optimizer steps per batch, of one Adam over both players. In the norm step the
predictor's gradients are zero tensors by default (``n2r_frozen_grads="zero"``, as in the
official code under torch 1.13), so Adam still moves it by its momentum and counts the step;
``"none"`` clears them and Adam leaves the predictor alone. ``Enc`` is the predictor's pooled vector:
the max-pooled BiGRU states, or the final [CLS] state of a transformer; with ``n2r_norm="pre_ln"``, a
transformer's [CLS] state before its last LayerNorm instead (that LayerNorm standardises the pooled
vector, which constrains its norm; chapter 4 measures which of the two moves with the rationale).
"""
from __future__ import annotations

import torch

from ..models.plm import PreLayerNormCls
from .config import MethodConfig
from .losses import continuity_loss, norm_loss, representation_norm, sparsity_loss
from .players import build_players
from .registry import register_method
from .rnp import RNP
from .runtime import frozen, scalars


class N2R(RNP):
    """Predictor on a detached rationale, then the norm step for the generator."""

    mmi_first_step = False

    def _norm_terms(self, batch) -> dict[str, torch.Tensor]:
        cfg = self.config
        emb_g, emb_p = self._embed(batch)
        z = self._rationale(batch, emb_g)
        if cfg.n2r_norm == "pre_ln":
            with PreLayerNormCls(self.predictor) as pre_ln:
                self.predictor(batch, emb_p, z)
            pooled = pre_ln.cls
        else:
            pooled, _ = self.predictor(batch, emb_p, z)
        nl = norm_loss(pooled)
        sp = sparsity_loss(z, batch["selectable"], cfg.sparsity)
        ct = continuity_loss(z, cfg.continuity_window)
        loss = cfg.norm_lambda * nl + cfg.sparsity_lambda * sp + cfg.continuity_lambda * ct
        return {"loss": loss, "norm_loss": nl, "norm": representation_norm(pooled.detach()).mean(),
                "norm_sparsity_loss": sp, "norm_continuity_loss": ct}

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        self.train()
        with self._autocast():
            first = self._mmi_terms(batch, detach_rationale=not self.mmi_first_step)
        self._step(first["loss"])
        with frozen(self.predictor):
            with self._autocast():
                second = self._norm_terms(batch)
            self._step(second["loss"], clear_grads=self.config.n2r_frozen_grads == "none")
        logs = {k: v for k, v in first.items() if k != "loss"}
        logs.update({k: v for k, v in second.items() if k != "loss"})
        return scalars(loss=first["loss"].detach() + second["loss"].detach(), mmi_loss=first["loss"],
                       n2r_loss=second["loss"], **logs)


class MMIN2R(N2R):
    """A normal RNP step, then the norm step (the authors' recommended variant)."""

    mmi_first_step = True


@register_method("n2r")
def build_n2r(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None, node_features=None) -> N2R:
    generator, predictor = build_players(config, n_classes=n_classes, embeddings=embeddings, plm=plm,
                                         node_features=node_features)
    return N2R(config, generator, predictor)


@register_method("mmi_n2r")
def build_mmi_n2r(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None,
                  node_features=None) -> MMIN2R:
    generator, predictor = build_players(config, n_classes=n_classes, embeddings=embeddings, plm=plm,
                                         node_features=node_features)
    return MMIN2R(config, generator, predictor)
