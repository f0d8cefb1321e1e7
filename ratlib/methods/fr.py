"""FR, Folded Rationalization (Liu et al. NeurIPS 2022): RNP whose players share one encoder.

The same BiGRU (or transformer) reads the full text to select and the
masked text to predict; only the heads differ.
"""
from __future__ import annotations

from .config import MethodConfig
from .players import build_players
from .registry import register_method
from .rnp import RNP


class FR(RNP):
    """RNP with one encoder shared by generator and predictor."""


@register_method("fr")
def build_fr(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None, node_features=None) -> FR:
    generator, predictor = build_players(config, n_classes=n_classes, embeddings=embeddings, plm=plm,
                                         node_features=node_features,
                                         shared_encoder=True)
    return FR(config, generator, predictor)
