"""Rationalization methods behind one interface (:class:`RationaleMethod`) and one registry.

    config = MethodConfig(method="plmr", encoder="minilm")
    plm, tokenizer = load_encoder(config.encoder)        # ratlib.models
    method = build_method(config, n_classes=2, plm=plm).to(device)
    logs = method.train_step(batch)                       # backward + optimizer steps inside
    pred = method.predict(batch, sample=config.eval_sample)
"""
from .base import Prediction, RationaleMethod
from .config import FULL_TEXT_MODES, METHODS, ConfigError, MethodConfig, n2r_knobs
from .fr import FR
from .n2r import MMIN2R, N2R
from .plmr import PLMR
from .registry import build_method, describe_method, register_method, registered_methods
from .rnp import RNP

__all__ = [
    "Prediction", "RationaleMethod", "FULL_TEXT_MODES", "METHODS", "ConfigError", "MethodConfig", "n2r_knobs",
    "FR", "MMIN2R", "N2R", "PLMR", "RNP", "build_method", "describe_method", "register_method",
    "registered_methods",
]
