"""The one place that turns a :class:`MethodConfig` into a ready method."""
from __future__ import annotations

from typing import Callable

from ..encoders import MODEL_INPUTS, encoder_kind
from .base import RationaleMethod
from .config import ConfigError, MethodConfig

_BUILDERS: dict[str, Callable[..., RationaleMethod]] = {}


def register_method(name: str):
    """Decorator: ``builder(config, *, n_classes, embeddings, plm, node_features) -> RationaleMethod`` for ``name``."""
    def wrap(builder):
        if name in _BUILDERS:
            raise ValueError(f"method {name!r} is registered twice")
        _BUILDERS[name] = builder
        return builder
    return wrap


def registered_methods() -> list[str]:
    _load_builtin()
    return sorted(_BUILDERS)


def _load_builtin() -> None:
    # The method modules register themselves on import.
    from . import fr, fulltext, n2r, plmr, rnp  # noqa: F401


def build_method(config: MethodConfig, *, n_classes: int, embeddings=None, plm=None,
                 node_features: int | None = None) -> RationaleMethod:
    """A method with fresh heads and its optimizers, checked against its encoder first.

    Give the one input its encoder's players are built from
    (:data:`ratlib.encoders.MODEL_INPUTS`; :meth:`model_inputs` of an encoder
    from :mod:`ratlib.encoders` gives it): ``embeddings``, the (V, d)
    word-vector matrix (row 0 = zeros) for ``encoder='gru'``;
    ``node_features``, the width of the node features for ``encoder='gcn'``
    (graphs); ``plm``, a :class:`ratlib.models.PLMEncoder` for any other
    encoder. The method fine-tunes ``plm`` in place (and deep-copies it when it
    needs two encoders), so pass a freshly loaded one per run.
    """
    _load_builtin()
    config.validate(n_layers=plm.n_layers if plm is not None else None)
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ConfigError(f"n_classes = {n_classes!r}: expected an integer >= 2")
    inputs = {"embeddings": embeddings, "plm": plm, "node_features": node_features}
    name, expected = MODEL_INPUTS[encoder_kind(config.encoder)]
    if inputs[name] is None:
        raise ConfigError(f"encoder = {config.encoder!r} needs {name}= ({expected}); got none")
    others = [f"{other}=" for other, value in inputs.items() if other != name and value is not None]
    if others:
        raise ConfigError(f"encoder = {config.encoder!r} is built from {name}= alone; leave out "
                          f"{' and '.join(others)}")
    if name == "node_features" and (not isinstance(node_features, int) or node_features < 1):
        raise ConfigError(f"encoder = {config.encoder!r} needs node_features= ({expected}); got {node_features!r}")
    return _BUILDERS[config.method](config, n_classes=n_classes, **{name: inputs[name]})


def describe_method(method: RationaleMethod) -> dict:
    """What a result should record about the method: its config, encoder weights and size."""
    from ..models.plm import PLMEncoder

    sources, seen = [], set()
    for module in method.modules():
        if isinstance(module, PLMEncoder) and module.source is not None and module.source.sha256 not in seen:
            seen.add(module.source.sha256)
            sources.append(module.source.to_dict())
    trainable = {id(p): p.numel() for p in method.parameters() if p.requires_grad}
    return {
        "method": type(method).__name__,
        "config": method.config.to_dict(),
        "encoder_weights": sources,
        "trainable_parameters": int(sum(trainable.values())),
        "eval_selection": "sample" if method.config.eval_sample else "argmax",
    }
