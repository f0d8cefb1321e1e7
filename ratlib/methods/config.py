"""What a method is and how it is set: one dataclass, saved as JSON.

Fields left as ``None`` take the defaults of the method and the encoder kind
(GRU or pre-trained transformer), following ``methods.md``; the resolved
values are what :meth:`MethodConfig.to_dict` writes, so a saved config says
exactly what ran.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..encoders import GCN, GRU, PLM, encoder_kind
from ..io import write_json

METHODS = ("rnp", "fr", "plmr", "n2r", "mmi_n2r", "fulltext")
FULL_TEXT_MODES = ("layer_s", "skip_pruning", "none")
# N2R's norm step freezes the predictor. "zero": its gradients are zero tensors, so Adam still moves it
# by its momentum and counts the step (the official code: torch 1.13's zero_grad() leaves zeros);
# "none": its gradients are cleared, so Adam skips it (ratlib's first recipe).
N2R_FROZEN_GRADS = ("zero", "none")
# Which vector's norm N2R maximises: "pooled", the predictor's pooled vector (the papers' Enc(Z)); or
# "pre_ln", for a transformer the [CLS] state before its last LayerNorm (post-LN encoders end with a
# LayerNorm, which standardises the pooled vector and so constrains its norm).
N2R_NORMS = ("pooled", "pre_ln")
PLM_POOLINGS = ("cls", "max")

# Defaults per (method family, encoder kind). Sources: FR/N2R code and papers for the
# GRU family; Bert-MCD's learning rates for their PLM runs; PLMR's run script for PLMR.
_MMI_FAMILY = dict(sparsity=0.125, sparsity_lambda=11.0, continuity_lambda=12.0, cls_lambda=0.9,
                   dropout=0.2, selector_dropout=0.2)
_DEFAULTS = {
    ("rnp", "gru"): dict(_MMI_FAMILY, lr_encoder=1e-4, lr_head=1e-4, autocast_bf16=False),
    ("rnp", "plm"): dict(_MMI_FAMILY, lr_encoder=1e-5, lr_head=1e-4, autocast_bf16=True),
    ("n2r", "gru"): dict(_MMI_FAMILY, norm_lambda=1.0, n2r_frozen_grads="zero", n2r_norm="pooled", lr_encoder=1e-4, lr_head=1e-4, autocast_bf16=False),
    ("n2r", "plm"): dict(_MMI_FAMILY, norm_lambda=1.0, n2r_frozen_grads="zero", n2r_norm="pooled", lr_encoder=1e-5, lr_head=1e-4, autocast_bf16=True),
    # GCN (graphs): the text family's weights, Adam at 5e-3 (the summing GCN learned the labels within 40 epochs at that rate in our trials), the motif's node
    # share (5 of 25) as target, and no continuity term (node numbering carries no order).
    ("rnp", "gcn"): dict(_MMI_FAMILY, sparsity=0.2, continuity_lambda=0.0, lr_encoder=5e-3, lr_head=5e-3,
                         autocast_bf16=False),
    ("n2r", "gcn"): dict(_MMI_FAMILY, sparsity=0.2, continuity_lambda=0.0, norm_lambda=1.0, n2r_frozen_grads="zero", n2r_norm="pooled", lr_encoder=5e-3,
                         lr_head=5e-3, autocast_bf16=False),
    ("plmr", "plm"): dict(sparsity=0.2, sparsity_lambda=5.0, continuity_lambda=10.0, cls_lambda=1.0,
                          dropout=0.2, selector_dropout=0.1, lr_encoder=5e-6, lr_head=2e-5,
                          split_fractions=[1 / 3, 2 / 3], full_text="layer_s", full_text_lambda=2.0,
                          d_lambda=1.0, autocast_bf16=True, plmr_drop_pruned=False, plmr_norm_lambda=0.0,
                          plmr_targets="levelled",
                          plmr_masks="cumulative", plmr_warmup_epochs=0),
}
# fulltext (no selection, a reference) shares RNP's learning rates and dropout.
# Fields added after results were stored, with the value that reproduces those results (None: the
# field does not apply). identity() leaves a field out while it holds that value, so older results keep
# their keys; TrainConfig.from_json gives a stored configuration without the field that value.
LEGACY_VALUES = {"continuity_window": None, "n2r_frozen_grads": "none", "n2r_norm": "pooled", "plmr_drop_pruned": False,
                 "plmr_norm_lambda": 0.0, "plmr_targets": "levelled", "plmr_masks": "cumulative",
                 "plmr_warmup_epochs": 0}
PLMR_TARGETS = ("levelled", "flat")
PLMR_MASKS = ("cumulative", "per_layer")
_FAMILY = {"rnp": "rnp", "fr": "rnp", "n2r": "n2r", "mmi_n2r": "n2r", "plmr": "plmr", "fulltext": "rnp"}


def n2r_knobs(method: str, frozen_grads: str | None) -> dict:
    """``{"n2r_frozen_grads": frozen_grads}`` for the N2R methods when given, else ``{}`` (for chapter configs)."""
    return {"n2r_frozen_grads": frozen_grads} if frozen_grads is not None and method in ("n2r", "mmi_n2r") else {}


class ConfigError(ValueError):
    """A method configuration that cannot run; the message names the field."""


@dataclass
class MethodConfig:
    """Method, encoder and every hyper-parameter of a rationalization run."""

    method: str = "rnp"                     # rnp | fr | plmr | n2r | mmi_n2r | fulltext (no selection)
    encoder: str = GRU                      # "gru", "gcn" (graphs) or a PLM name for load_plm ("minilm", ...)
    sparsity: float | None = None           # target share of selected tokens (s; PLMR's alpha)
    sparsity_lambda: float | None = None    # lambda1
    continuity_lambda: float | None = None  # lambda2
    cls_lambda: float | None = None         # weight of the predictor's cross-entropy
    norm_lambda: float | None = None        # N2R's lambda_n
    lr_encoder: float | None = None         # Adam learning rate of encoders (GRU or transformer layers)
    lr_head: float | None = None            # Adam learning rate of selector and classifier heads
    dropout: float | None = None            # classifier-head dropout
    selector_dropout: float | None = None   # selector-head dropout
    gru_hidden: int = 100                   # GRU units per direction
    plm_pooling: str = "cls"                # PLM predictor of rnp/fr/n2r: final [CLS] state, or "max" over
                                            # real positions (the FR/MCD BERT code); PLMR always uses [CLS]
    split_layers: list[int] | None = None   # PLMR (s, e) as 0-based layer indices; overrides fractions
    split_fractions: list[float] | None = None  # PLMR (s, e) as shares of depth: s = round(f_s * L) - 1
    full_text: str | None = None            # PLMR full-text term: layer_s (official) | skip_pruning | none
    full_text_lambda: float | None = None   # PLMR F
    d_lambda: float | None = None           # PLMR D
    tau: float = 1.0                        # Gumbel-softmax temperature
    eval_sample: bool = False               # evaluate with Gumbel samples instead of argmax
    freeze_embeddings: bool = True          # PLM embedding layer frozen (GRU word vectors always are)
    autocast_bf16: bool | None = None       # bfloat16 autocast when the method runs on CUDA
    continuity_window: int | None = None    # continuity mean over this many positions (the official GRU
                                            # code pads to 256); None: over the batch's own padded width
    n2r_frozen_grads: str | None = None     # N2R's norm step: "zero" (official) or "none"; see N2R_FROZEN_GRADS
    n2r_norm: str | None = None             # whose norm N2R maximises: "pooled" or "pre_ln"; see N2R_NORMS
    plmr_drop_pruned: bool | None = None    # PLMR beyond the paper: layers after a pruning step run on the
                                            # kept tokens only (False: zeroed tokens stay, as the paper)
    plmr_norm_lambda: float | None = None   # N2R inside PLMR (beyond both papers): weight of a norm step for the
                                            # generator after each PLMR step (0: off, the paper's PLMR)
    plmr_targets: str | None = None         # PLMR's sparsity targets: "levelled" (the paper) or "flat" (alpha
                                            # at every pruning layer; an ablation)
    plmr_masks: str | None = None           # "cumulative" (the paper: M_i = M_{i-1} * Z_i) or "per_layer"
                                            # (M_i = Z_i; an ablation)
    plmr_warmup_epochs: int | None = None   # PLMR beyond the paper: first epochs in which only the predictor
                                            # trains, as a classifier on the whole text (0: none, the paper)

    def __post_init__(self):
        family = _FAMILY.get(self.method)
        for name, value in _DEFAULTS.get((family, encoder_kind(self.encoder)), {}).items():
            if getattr(self, name) is None:
                setattr(self, name, list(value) if isinstance(value, list) else value)
        for name in ("split_layers", "split_fractions"):
            value = getattr(self, name)
            if isinstance(value, tuple):
                setattr(self, name, list(value))

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return asdict(self)

    def identity(self) -> dict:
        """:meth:`to_dict` without the later-added fields that hold their legacy value or do not apply
        (None): what result keys hash."""
        return {k: v for k, v in self.to_dict().items()
                if not (k in LEGACY_VALUES and (v is None or v == LEGACY_VALUES[k]))}

    @classmethod
    def from_dict(cls, data: dict, where: str = "method config") -> "MethodConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {unknown}; known fields are {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_stored(cls, data: dict, where: str = "stored method config") -> "MethodConfig":
        """A configuration read from a stored result: a later-added field it lacks takes its legacy
        value (what ran then), where the field applies to the method; otherwise as :meth:`from_dict`."""
        config = cls.from_dict(data, where=where)
        for name, legacy in LEGACY_VALUES.items():
            if name not in data and getattr(config, name) is not None:
                setattr(config, name, legacy)
        return config

    def to_json(self, path) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def from_json(cls, path) -> "MethodConfig":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}, line {err.lineno}: not valid JSON ({err.msg})") from err
        return cls.from_dict(data, where=str(path))

    # ------------------------------------------------------------ derived values
    @property
    def uses_plm(self) -> bool:
        return encoder_kind(self.encoder) == PLM

    @property
    def uses_graph(self) -> bool:
        return encoder_kind(self.encoder) == GCN

    def resolve_split(self, n_layers: int) -> tuple[int, int]:
        """PLMR's (s, e) for an encoder of ``n_layers`` layers.

        Layers 0..s run on the full text, s+1..e prune, e+1..L-1 predict.
        Fractions give the share of layers up to and including s (and e):
        (1/3, 2/3) is (3, 7) for 12 layers and (1, 3) for 6.
        """
        if self.split_layers is not None:
            s, e = self.split_layers
            return int(s), int(e)
        if self.split_fractions is None:
            raise ConfigError("split_layers and split_fractions are both unset; PLMR needs one of them")
        fs, fe = self.split_fractions
        return int(round(fs * n_layers)) - 1, int(round(fe * n_layers)) - 1

    # ------------------------------------------------------------ checks
    def validate(self, n_layers: int | None = None) -> "MethodConfig":
        """Fail now, with the field named, on anything that could not run; returns self."""
        if self.method not in METHODS:
            raise ConfigError(f"method = {self.method!r}: unknown method; expected one of {list(METHODS)}")
        if not isinstance(self.encoder, str) or not self.encoder.strip():
            raise ConfigError(f"encoder = {self.encoder!r}: expected 'gru' or a pre-trained encoder name")
        if self.method == "plmr" and not self.uses_plm:
            raise ConfigError(f"encoder = {self.encoder!r}: PLMR splits a pre-trained transformer into layers; "
                              "use a PLM encoder such as 'minilm' or 'mpnet'")
        if self.uses_graph and (not self.freeze_embeddings or self.gru_hidden != 100):
            raise ConfigError("encoder = 'gcn': freeze_embeddings and gru_hidden apply to text encoders; the GCN's "
                              "size is fixed (ratlib.models.gcn)")
        if not self.uses_plm and not self.freeze_embeddings:
            raise ConfigError("freeze_embeddings = False: GRU methods always keep the word vectors frozen; "
                              "the flag applies to PLM encoders")
        _check_range("sparsity", self.sparsity, 0.0, 1.0, open_low=True, open_high=True)
        for name in ("sparsity_lambda", "continuity_lambda", "cls_lambda"):
            _check_range(name, getattr(self, name), 0.0, math.inf)
        for name in ("lr_encoder", "lr_head"):
            _check_range(name, getattr(self, name), 0.0, math.inf, open_low=True)
        for name in ("dropout", "selector_dropout"):
            _check_range(name, getattr(self, name), 0.0, 1.0, open_high=True)
        _check_range("tau", self.tau, 0.0, math.inf, open_low=True)
        if not isinstance(self.gru_hidden, int) or self.gru_hidden < 1:
            raise ConfigError(f"gru_hidden = {self.gru_hidden!r}: expected a positive integer")
        if self.plm_pooling not in PLM_POOLINGS:
            raise ConfigError(f"plm_pooling = {self.plm_pooling!r}: expected one of {list(PLM_POOLINGS)}")
        if self.method in ("n2r", "mmi_n2r"):
            _check_range("norm_lambda", self.norm_lambda, 0.0, math.inf)
            if self.n2r_frozen_grads not in N2R_FROZEN_GRADS:
                raise ConfigError(f"n2r_frozen_grads = {self.n2r_frozen_grads!r}: expected one of "
                                  f"{list(N2R_FROZEN_GRADS)}")
            if self.n2r_norm not in N2R_NORMS:
                raise ConfigError(f"n2r_norm = {self.n2r_norm!r}: expected one of {list(N2R_NORMS)}")
            if self.n2r_norm == "pre_ln" and not self.uses_plm:
                raise ConfigError(f"n2r_norm = 'pre_ln' needs a transformer predictor (a LayerNorm to read before); "
                                  f"encoder = {self.encoder!r}")
        else:
            for name in ("n2r_frozen_grads", "n2r_norm"):
                if getattr(self, name) is not None:
                    raise ConfigError(f"{name} = {getattr(self, name)!r}: applies to n2r and mmi_n2r only")
        if self.continuity_window is not None and (
                not isinstance(self.continuity_window, int) or isinstance(self.continuity_window, bool)
                or self.continuity_window < 2):
            raise ConfigError(f"continuity_window = {self.continuity_window!r}: expected an integer >= 2 or null")
        if self.method == "plmr":
            self._validate_plmr(n_layers)
        else:
            for name in ("plmr_drop_pruned", "plmr_norm_lambda", "plmr_targets", "plmr_masks", "plmr_warmup_epochs"):
                if getattr(self, name) is not None:
                    raise ConfigError(f"{name} = {getattr(self, name)!r}: applies to plmr only")
        return self

    def _validate_plmr(self, n_layers: int | None) -> None:
        if not isinstance(self.plmr_drop_pruned, bool):
            raise ConfigError(f"plmr_drop_pruned = {self.plmr_drop_pruned!r}: expected true or false")
        _check_range("plmr_norm_lambda", self.plmr_norm_lambda, 0.0, math.inf)
        if self.plmr_targets not in PLMR_TARGETS:
            raise ConfigError(f"plmr_targets = {self.plmr_targets!r}: expected one of {list(PLMR_TARGETS)}")
        if self.plmr_masks not in PLMR_MASKS:
            raise ConfigError(f"plmr_masks = {self.plmr_masks!r}: expected one of {list(PLMR_MASKS)}")
        if self.plmr_drop_pruned and self.plmr_masks == "per_layer":
            raise ConfigError("plmr_masks = 'per_layer' lets a pruned token come back, so it cannot be dropped; "
                              "set plmr_drop_pruned = false")
        if (not isinstance(self.plmr_warmup_epochs, int) or isinstance(self.plmr_warmup_epochs, bool)
                or self.plmr_warmup_epochs < 0):
            raise ConfigError(f"plmr_warmup_epochs = {self.plmr_warmup_epochs!r}: expected an integer >= 0")
        if self.full_text not in FULL_TEXT_MODES:
            raise ConfigError(f"full_text = {self.full_text!r}: expected one of {list(FULL_TEXT_MODES)}")
        for name in ("full_text_lambda", "d_lambda"):
            _check_range(name, getattr(self, name), -math.inf, math.inf)
        if self.split_layers is not None:
            if (not isinstance(self.split_layers, (list, tuple)) or len(self.split_layers) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in self.split_layers)):
                raise ConfigError(f"split_layers = {self.split_layers!r}: expected two layer indices [s, e]")
        elif self.split_fractions is not None:
            fr = self.split_fractions
            if (not isinstance(fr, (list, tuple)) or len(fr) != 2
                    or not all(isinstance(v, (int, float)) and 0 < v <= 1 for v in fr) or not fr[0] < fr[1]):
                raise ConfigError(f"split_fractions = {fr!r}: expected two shares of depth 0 < f_s < f_e <= 1")
        else:
            raise ConfigError("split_layers and split_fractions are both unset; PLMR needs one of them")
        if n_layers is None:
            return
        s, e = self.resolve_split(n_layers)
        given = f"split_layers = {self.split_layers}" if self.split_layers is not None else \
            f"split_fractions = {self.split_fractions} (-> s={s}, e={e})"
        if not 0 <= s < e <= n_layers - 2:
            raise ConfigError(f"{given}: an encoder with {n_layers} layers needs 0 <= s < e <= {n_layers - 2} "
                              f"(layers 0..s read the full text, s+1..e prune, e+1..{n_layers - 1} predict)")


def _check_range(name, value, low, high, open_low=False, open_high=False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if ok:
        ok = (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        lo, hi = ("(" if open_low else "["), (")" if open_high else "]")
        raise ConfigError(f"{name} = {value!r}: expected a number in {lo}{low}, {high}{hi}")
