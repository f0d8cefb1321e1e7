"""One registry to get a dataset by name with its options.

A dataset builder is a function ``DataConfig -> Splits`` registered with
:func:`register_dataset`. :func:`load_splits` returns the :class:`Example`
lists; :func:`load_dataset` returns the same data as a Hugging Face
``DatasetDict`` (cached on disk, keyed by the configuration).
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from typing import Callable

from .record import Example, Splits

_BUILDERS: dict[str, Callable[["DataConfig"], Splits]] = {}
_VERSIONS: dict[str, Callable[[], str]] = {}

# The balancing seed used by the FR/N2R family of official loaders.
DEFAULT_BALANCE_SEED = 20226666


@dataclass(frozen=True)
class DataConfig:
    """Everything that decides which examples a run sees.

    ``options`` holds builder-specific settings (for the generated benchmark:
    its size and correlation knobs); they are part of the cache key.
    """

    name: str = "synth"
    aspect: int = 0
    data_dir: str | None = None
    correlated: bool = False
    max_len: int = 256
    balance_seed: int = DEFAULT_BALANCE_SEED
    balance_dev: bool = False
    max_train: int | None = None
    max_dev: int | None = None
    options: dict = field(default_factory=dict, hash=False)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "DataConfig":
        return cls(**data)

    def key(self) -> str:
        """A stable string for hashing (sorted JSON)."""
        return json.dumps(self.to_json(), sort_keys=True)

    def label(self) -> str:
        """The dataset and, where it has several, the aspect: "hatexplain", "synth appearance", "hotel Service"."""
        from .beer import ASPECTS as BEER_ASPECTS
        from .hotel import ASPECTS as HOTEL_ASPECTS

        aspects = {"synth": BEER_ASPECTS, "beer": BEER_ASPECTS, "hotel": HOTEL_ASPECTS}.get(self.name)
        if aspects is None or not 0 <= self.aspect < len(aspects):
            return self.name
        return f"{self.name} {aspects[self.aspect]}"


def register_dataset(name: str, version: Callable[[], str] | None = None):
    """Decorator: ``@register_dataset("beer")`` on a ``DataConfig -> Splits`` builder.

    ``version`` returns a fingerprint of the code that makes the data (the
    generated benchmark's generator), so stored results of other data are
    never reused.
    """

    def wrap(fn):
        if name in _BUILDERS:
            raise ValueError(f"dataset {name!r} is registered twice")
        _BUILDERS[name] = fn
        if version is not None:
            _VERSIONS[name] = version
        return fn

    return wrap


def dataset_names() -> list[str]:
    _import_builders()
    return sorted(_BUILDERS)


def _import_builders() -> None:
    # Builders register themselves on import; importing here keeps the
    # registry complete whichever module a caller imported first.
    from . import beer, hotel, eraser, graphs, synth  # noqa: F401


def data_version(name: str) -> str | None:
    """The fingerprint of a dataset's generating code, or None for files read as they are."""
    _import_builders()
    fn = _VERSIONS.get(name)
    return fn() if fn else None


def load_splits(config: DataConfig) -> Splits:
    """Read, label, truncate and balance a dataset as the trainer sees it."""
    _import_builders()
    if config.name not in _BUILDERS:
        raise ValueError(f"unknown dataset {config.name!r}; known: {', '.join(sorted(_BUILDERS))}")
    splits = _BUILDERS[config.name](config)
    train = subsample(splits.train, config.max_train, config.balance_seed)
    dev = subsample(splits.dev, config.max_dev, config.balance_seed)
    return Splits(train=train, dev=dev, test=splits.test)


def balance(examples: list[Example], seed: int) -> list[Example]:
    """Down-sample the majority class to the minority's size, with a fixed seed.

    Keeps the original order of the kept examples, so the result depends only
    on the input list and the seed.
    """
    by_label: dict[int, list[int]] = {}
    for i, ex in enumerate(examples):
        by_label.setdefault(ex.label, []).append(i)
    if len(by_label) < 2:
        return list(examples)
    n = min(len(v) for v in by_label.values())
    rng = random.Random(seed)
    keep: set[int] = set()
    for label in sorted(by_label):
        idx = by_label[label]
        keep.update(idx if len(idx) == n else rng.sample(idx, n))
    return [ex for i, ex in enumerate(examples) if i in keep]


def subsample(examples: list[Example], n: int | None, seed: int) -> list[Example]:
    """At most ``n`` examples, drawn with a fixed seed, class shares kept."""
    if n is None or n >= len(examples):
        return examples
    rng = random.Random(seed + 1)
    by_label: dict[int, list[int]] = {}
    for i, ex in enumerate(examples):
        by_label.setdefault(ex.label, []).append(i)
    keep: set[int] = set()
    for label in sorted(by_label):
        idx = by_label[label]
        k = round(n * len(idx) / len(examples))
        keep.update(rng.sample(idx, min(k, len(idx))))
    return [ex for i, ex in enumerate(examples) if i in keep]
