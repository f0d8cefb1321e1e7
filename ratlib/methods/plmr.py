"""PLMR (Yuan et al., KDD 2025): one pre-trained transformer split into generator and predictor.

With L layers and a split (s, e), one pass does everything:

1. embeddings and layers 0..s read the full text;
2. after each layer i in s+1..e a shared selector head scores every token
   but [CLS]; masks are cumulative, ``M_i = M_{i-1} * Z_i`` ([CLS] always
   kept), and each mask multiplies the states entering the next layer;
3. layers e+1..L-1 are the predictor. Its input is the *embedding output*
   times M_e, with [CLS] zeroed for layer e+1 only; the states are re-masked
   by M_e before every later layer. [CLS] of the last layer -> classifier.

Losses (K = e - s): levelled sparsity targets for every M_j, continuity on
every M_j, the pruned cross-entropy L_r and the full-text term L_full (the
same classifier on [CLS] of layer s's output, from the same pass), combined
as the official code does: ``cls_lambda*L_r + F*L_full + D*(L_r - L_full)``.
``full_text='skip_pruning'`` uses the code's unused alternative (layer s's
output continued through the predictor layers, pruning layers skipped);
``'none'`` drops the term. Two ablations of the paper's design: ``plmr_targets='flat'``
(the target ``alpha`` at every pruning layer) and ``plmr_masks='per_layer'``
(``M_i = Z_i``: each pruning layer decides afresh, a pruned token can come back).

Like the official code, the selector also decides on [SEP] (it scores every
position but [CLS]); the returned rationale keeps selectable positions only.

``plmr_drop_pruned`` (beyond the paper): the paper zeroes pruned tokens but
carries them through every later layer, where they still enter attention as
zero-input keys and values, so a step costs what a dense one does. With the
option, each layer after a pruning step runs on the kept tokens only (gathered
to the front, batch padded to the most kept), so compute shrinks with the
rationale. The forward pass differs from the paper's (pruned tokens no longer
attend or get attended), and a pruned token's selector gets no gradient from
the cross-entropy any more (it is absent, not multiplied by zero): only the
sparsity and continuity terms reach it.

``plmr_norm_lambda`` > 0 (beyond both papers: N2R inside PLMR): after each PLMR
step, a second step in which the predictor (layers e+1..L-1 and the
classifier) is frozen and the generator (layers 0..e and the selector) is
pushed to maximise the norm of the predictor's final [CLS] state for the
pruned text, ``plmr_norm_lambda * -log ||h_CLS||`` plus PLMR's sparsity and
continuity terms, as N2R's norm step does for RNP. The frozen predictor's
gradients are cleared, so Adam leaves it alone in that step.

``plmr_warmup_epochs`` > 0 (beyond the paper): in the first epochs only the
predictor trains, as a plain classifier on the whole text (its usual input,
the embedding output with every token kept and [CLS] zeroed for layer e+1);
the selector and layers 0..e get no gradient. It asks whether PLMR collapses
because its selector learns against a predictor that cannot yet classify (the
authors of MCD train a BERT predictor as a classifier first for that reason).
The trainer selects the reported epoch from the epochs after the warm-up.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.heads import ClassifierHead, SelectorHead
from ..models.plm import PLMEncoder
from .base import Prediction, RationaleMethod
from .config import MethodConfig
from .losses import (norm_loss, plmr_classification_loss, plmr_continuity_loss, plmr_levels, plmr_sparsity_loss,
                     representation_norm, selection_rate)
from .registry import register_method
from .runtime import accuracy, adam, autocast_for, frozen, scalars
from .selector import select


def compact_index(keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Positions of each row's kept entries (``keep`` > 0), first and in order, then the dropped ones,
    cut to the most kept in any row: ``(index (B, K), valid (B, K))``, valid marking kept entries."""
    hard = keep.detach() > 0
    b, t = hard.shape
    rank = (~hard).to(torch.long) * t + torch.arange(t, device=keep.device)
    index = torch.argsort(rank, dim=1)[:, :int(hard.sum(1).max())]
    return index, hard.gather(1, index).to(keep.dtype)


def _gather(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` (B, T, H) at ``index`` (B, K)."""
    return x.gather(1, index[:, :, None].expand(-1, -1, x.shape[-1]))


class PLMR(RationaleMethod):
    """Generator = layers 0..e with token pruning in s+1..e; predictor = layers e+1..L-1."""

    def __init__(self, config: MethodConfig, plm: PLMEncoder, n_classes: int):
        super().__init__()
        self.config = config
        self.plm = plm
        if config.freeze_embeddings:
            plm.freeze_embeddings()
        self.split = config.resolve_split(plm.n_layers)
        s, e = self.split
        self.levels = (plmr_levels(config.sparsity, e - s) if config.plmr_targets == "levelled"
                       else [config.sparsity] * (e - s))
        self.selector = SelectorHead(plm.hidden_size, config.selector_dropout)
        self.classifier = ClassifierHead(plm.hidden_size, n_classes, config.dropout)
        self._optimizer = None
        self._warming_up = False

    @property
    def warmup_epochs(self) -> int:
        return self.config.plmr_warmup_epochs

    def start_epoch(self, epoch: int) -> None:
        self._warming_up = epoch < self.config.plmr_warmup_epochs

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """Adam: transformer layers at lr_encoder, selector and classifier at lr_head (made on first use)."""
        if self._optimizer is None:
            heads = list(self.selector.parameters()) + list(self.classifier.parameters())
            self._optimizer = adam([(self.plm.encoder_parameters(), self.config.lr_encoder),
                                    (heads, self.config.lr_head)])
        return self._optimizer

    def _autocast(self):
        return autocast_for(self, self.config.autocast_bf16)

    # ------------------------------------------------------------ the pass
    def _predictor_layers(self, embedded, keep, context) -> torch.Tensor:
        """Layers e+1..L-1 on the embedding output times ``keep`` ([CLS] zeroed at the first of them);
        with ``plmr_drop_pruned`` on the kept positions only. [CLS] is the first row either way."""
        if self.config.plmr_drop_pruned:
            index, valid = compact_index(keep)
            embedded, keep = _gather(embedded, index), keep.gather(1, index)
            context = self.plm.sub_context(context, index, valid, embedded)
        _, e = self.split
        first_keep = torch.cat([torch.zeros_like(keep[:, :1]), keep[:, 1:]], dim=1)
        hidden = self.plm.layer(e + 1, embedded * first_keep.unsqueeze(-1), context=context)
        for i in range(e + 2, self.plm.n_layers):
            hidden = self.plm.layer(i, hidden * keep.unsqueeze(-1), context=context)
        return hidden

    def _full_text_layers(self, batch):
        """(embedding output, attention context, layer s's output): the generator's layers 0..s, which read
        every token."""
        embedded = self.plm.embed(batch["input_ids"])
        context = self.plm.context(batch["attention_mask"], embedded)
        hidden = embedded
        for i in range(self.split[0] + 1):
            hidden = self.plm.layer(i, hidden, context=context)
        return embedded, context, hidden

    def _forward(self, batch, sample: bool = False, with_full_text: bool = False):
        """(pruned logits, masks M_{s+1..e}, full-text logits or None, the predictor's final [CLS]) from one
        pass."""
        s, e = self.split
        attention = batch["attention_mask"]
        embedded, context, layer_s = self._full_text_layers(batch)
        hidden = layer_s
        keep = attention  # M_s: every real position
        if self.config.plmr_drop_pruned:
            keep, masks = self._prune_dropping(hidden, keep, context, sample)
        else:
            masks = []
            for i in range(s + 1, e + 1):
                hidden = self.plm.layer(i, hidden * keep.unsqueeze(-1), context=context)
                z = select(self.selector(hidden[:, 1:]), training=self.training, sample=sample, tau=self.config.tau)
                keep = torch.cat([torch.ones_like(z[:, :1]), z], dim=1) * (
                    keep if self.config.plmr_masks == "cumulative" else attention)
                masks.append(keep)
        hidden = self._predictor_layers(embedded, keep, context)
        pooled = hidden[:, 0]
        logits = self.classifier(pooled)
        full_logits = None
        if with_full_text and self.config.full_text == "layer_s":
            full_logits = self.classifier(layer_s[:, 0])
        elif with_full_text and self.config.full_text == "skip_pruning":
            hidden = layer_s
            for i in range(e + 1, self.plm.n_layers):
                hidden = self.plm.layer(i, hidden, context=context)
            full_logits = self.classifier(hidden[:, 0])
        return logits, masks, full_logits, pooled

    def _prune_dropping(self, hidden, keep, context, sample: bool):
        """The pruning layers s+1..e, each on the tokens kept so far only: (M_e, [M_{s+1}..M_e]) in full
        positions, as the dense loop gives them."""
        s, e = self.split
        width = keep.shape[1]
        index = torch.arange(width, device=keep.device).expand_as(keep)   # compact row -> full position
        kept, local = keep, context
        masks = []
        for i in range(s + 1, e + 1):
            hidden = self.plm.layer(i, hidden * kept.unsqueeze(-1), context=local)
            z = select(self.selector(hidden[:, 1:]), training=self.training, sample=sample, tau=self.config.tau)
            kept = torch.cat([torch.ones_like(z[:, :1]), z], dim=1) * kept
            masks.append(torch.zeros_like(keep).scatter_add(1, index, kept))
            if i < e:   # the predictor gathers from the embedding output itself
                sub, valid = compact_index(kept)
                index, kept, hidden = index.gather(1, sub), kept.gather(1, sub), _gather(hidden, sub)
                local = self.plm.sub_context(context, index, valid, hidden)
        return masks[-1], masks

    # ------------------------------------------------------------ interface
    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        cfg = self.config
        self.train()
        if self._warming_up:
            return self._warmup_step(batch)
        with self._autocast():
            logits, masks, full_logits, _ = self._forward(batch, with_full_text=cfg.full_text != "none")
            labels = batch["labels"]
            pruned_ce = F.cross_entropy(logits.float(), labels)
            full_ce = F.cross_entropy(full_logits.float(), labels) if full_logits is not None else None
            cls_total = plmr_classification_loss(pruned_ce, full_ce, cls_lambda=cfg.cls_lambda,
                                                 full_text_lambda=cfg.full_text_lambda, d_lambda=cfg.d_lambda)
            sp = plmr_sparsity_loss(masks, batch["attention_mask"], self.levels)
            ct = plmr_continuity_loss(masks)
            loss = cls_total + cfg.sparsity_lambda * sp + cfg.continuity_lambda * ct
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        logs = {"loss": loss, "cls_loss": pruned_ce, "sparsity_loss": sp, "continuity_loss": ct,
                "sparsity": selection_rate(masks[-1].detach(), batch["selectable"]),
                "accuracy": accuracy(logits.detach(), labels)}
        if full_ce is not None:
            logs["full_text_loss"] = full_ce
        for j, m in enumerate(masks):
            logs[f"kept_layer{self.split[0] + 1 + j}"] = selection_rate(m.detach(), batch["selectable"])
        if cfg.plmr_norm_lambda:
            logs.update(self._norm_step(batch))
        return scalars(**logs)

    def _warmup_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """The predictor alone, trained as a classifier on the whole text (see the module)."""
        attention, labels = batch["attention_mask"], batch["labels"]
        with self._autocast():
            embedded = self.plm.embed(batch["input_ids"])
            hidden = self._predictor_layers(embedded, attention, self.plm.context(attention, embedded))
            logits = self.classifier(hidden[:, 0])
            loss = F.cross_entropy(logits.float(), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return scalars(loss=loss, cls_loss=loss, sparsity=selection_rate(attention, batch["selectable"]),
                       accuracy=accuracy(logits.detach(), labels))

    def predictor_modules(self) -> nn.ModuleList:
        """The predictor's parameters: layers e+1..L-1 and the classifier."""
        return nn.ModuleList([*self.plm.layers[self.split[1] + 1:], self.classifier])

    def _norm_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The generator maximises the norm of the frozen predictor's final [CLS] state (see the module)."""
        cfg = self.config
        with frozen(self.predictor_modules()):
            with self._autocast():
                _, masks, _, pooled = self._forward(batch)
                nl = norm_loss(pooled)
                sp = plmr_sparsity_loss(masks, batch["attention_mask"], self.levels)
                ct = plmr_continuity_loss(masks)
                loss = cfg.plmr_norm_lambda * nl + cfg.sparsity_lambda * sp + cfg.continuity_lambda * ct
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return {"norm_loss": nl, "norm": representation_norm(pooled.detach()).mean(), "norm_sparsity_loss": sp}

    @torch.no_grad()
    def predict(self, batch: dict[str, torch.Tensor], sample: bool = False) -> Prediction:
        with self.evaluating(), self._autocast():
            logits, masks, _, _ = self._forward(batch, sample=sample)
        kept = masks[-1].float().clone()
        kept[:, 0] = 0.0  # [CLS] is always kept, never part of the rationale
        return Prediction(mask=kept * batch["selectable"], logits=logits.float(), kept=kept)

    @torch.no_grad()
    def selection_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The first pruning layer's (s+1) keep-probabilities: the only selection made on the full text (each
        later pruning layer scores what the earlier ones kept)."""
        attention = batch["attention_mask"]
        with self.evaluating(), self._autocast():
            _, context, layer_s = self._full_text_layers(batch)
            hidden = self.plm.layer(self.split[0] + 1, layer_s * attention.unsqueeze(-1), context=context)
            keep = self.selector(hidden[:, 1:]).float().softmax(dim=-1)[..., 1]
        return torch.cat([torch.zeros_like(keep[:, :1]), keep], dim=1) * batch["selectable"]

    def encode_rationale(self, batch: dict[str, torch.Tensor], mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predictor layers on the embedding output times ``mask`` ([CLS] and [SEP] kept)."""
        attention = batch["attention_mask"]
        keep = mask * batch["selectable"] + attention * (1.0 - batch["selectable"])
        with self._autocast():
            embedded = self.plm.embed(batch["input_ids"])
            context = self.plm.context(attention, embedded)
            hidden = self._predictor_layers(embedded, keep, context)
            pooled = hidden[:, 0]
            logits = self.classifier(pooled)
        return pooled.float(), logits.float()


@register_method("plmr")
def build_plmr(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None, node_features=None) -> PLMR:
    return PLMR(config, plm, n_classes)
