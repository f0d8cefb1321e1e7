"""The trainer: one loop for every method and encoder.

Model selection follows the literature: the test (annotated) metrics are
reported at the epoch of best dev accuracy. Every epoch's losses, train and
dev sparsity, dev accuracy and test metrics are kept, so a collapse to
all-zero or all-one selections is visible. Runs are keyed by a hash of
their full configuration: a stored result is returned without training,
and an interrupted run resumes from its last checkpoint.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .data.batching import FeatureTable, feature_table, make_loader
from .data.record import Splits
from .data.registry import DataConfig, data_version, load_splits
from .data.stats import dataset_stats
from .encoders import GraphEncoder, PieceEncoder, WordEncoder, encoder_for
from .io import atomic_path
from .methods import MethodConfig, build_method
from .metrics import Tally, plmr_code_tally, summarize, tally
from .paths import cache_dir
from .progress import progress as progress_bar
from .results import MissingResult, config_hash, load_result, save_result, stored_only
from .text.wordpiece import PIECE_TO_WORD_RULES

RESULT_KIND = "runs"

# What the trainer does beyond the configuration's own fields, by version:
# 1: Gumbel samples of the sampled test evaluation are drawn from the training RNG stream,
#    so a run's training noise depends on how much was evaluated, and every epoch draws one
#    extra loader seed from it (results stored before 2026-12-03);
# 2: evaluation draws from a generator of its own, seeded per epoch, and leaves the
#    training stream untouched.
TRAINER_VERSION = 2
# Fields added after results were stored, with the value that reproduces those results:
# identity() leaves such a field out while it holds that value, so the older results keep
# their keys, and from_json() gives a configuration stored without it that value (not
# today's default).
LEGACY_VALUES = {"trainer_version": 1}


@dataclass
class TrainConfig:
    """A full run: data, method, seed and schedule. Serialises to JSON."""

    data: DataConfig = field(default_factory=DataConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    seed: int = 1
    epochs: int = 10
    batch_size: int | None = None       # None: 128 for GRU encoders (N2R's recipe), 32 for PLMs
    eval_batch_size: int = 128
    max_pieces: int = 512               # word-piece budget for PLM encoders
    piece_rule: str = "first"           # how piece selections map to words
    glove_path: str | None = None       # None: GloVe 6B 50d from its package
    trainer_version: int = TRAINER_VERSION  # see TRAINER_VERSION

    def __post_init__(self):
        if self.batch_size is None:
            self.batch_size = 32 if self.method.uses_plm else 128

    def to_json(self) -> dict:
        out = asdict(self)
        out["data"] = self.data.to_json()
        out["method"] = self.method.to_dict()
        return out

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        data = dict(data)
        data.pop("data_version", None)  # present in stored results' configs
        for name, value in LEGACY_VALUES.items():
            data.setdefault(name, value)
        data["data"] = DataConfig.from_json(data["data"])
        data["method"] = MethodConfig.from_stored(data["method"])
        return cls(**data)

    def identity(self) -> dict:
        """What a stored result is keyed by: the config and the data's generator version."""
        config = {k: v for k, v in self.to_json().items() if LEGACY_VALUES.get(k, object()) != v}
        config["method"] = self.method.identity()
        return {**config, "data_version": data_version(self.data.name)}

    def key(self) -> str:
        return config_hash(self.identity())

    def validate(self) -> None:
        self.method.validate()
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.epochs <= (self.method.plmr_warmup_epochs or 0):
            raise ValueError(f"epochs = {self.epochs}: must exceed plmr_warmup_epochs = "
                             f"{self.method.plmr_warmup_epochs} (the warm-up epochs train no rationale)")
        if self.trainer_version not in (1, 2):
            raise ValueError(f"trainer_version must be 1 or 2, got {self.trainer_version}")
        if self.piece_rule not in PIECE_TO_WORD_RULES:
            raise ValueError(f"piece_rule must be one of {PIECE_TO_WORD_RULES}, got {self.piece_rule!r}")
        if self.glove_path and not Path(self.glove_path).is_file():
            raise FileNotFoundError(f"GloVe file {self.glove_path} not found")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class Prepared:
    """Everything a run needs besides its loop."""

    config: TrainConfig
    splits: Splits
    tables: dict[str, FeatureTable]
    pad_id: int
    method: object
    device: torch.device
    encoder: WordEncoder | PieceEncoder | GraphEncoder


def prepare(config: TrainConfig, splits: Splits | None = None) -> Prepared:
    """Load data, featurize it and build the method (fails fast on bad configurations)."""
    config.validate()
    seed_everything(config.seed)
    splits = splits or load_splits(config.data)
    encoder = encoder_for(config, splits)
    tables = {name: feature_table(exs, encoder.featurizer) for name, exs in splits.items()}
    n_classes = 2
    seed_everything(config.seed)  # the same initial weights whatever loading consumed
    method = build_method(config.method, n_classes=n_classes, **encoder.model_inputs())
    device = pick_device()
    method.to(device)
    return Prepared(config=config, splits=splits, tables=tables, pad_id=encoder.featurizer.pad_id, method=method,
                    device=device, encoder=encoder)


def _to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


@torch.no_grad()
def evaluate(prep: Prepared, split: str, sample: bool = False) -> dict:
    """Metrics of one split: word level (``words``) and position level (``pieces``).

    For word encoders both are the same. For PLMs the word-level numbers
    map pieces to words with ``config.piece_rule``; ``pieces`` counts the
    selectable pieces (no special tokens), and ``pieces_plmr_code`` counts
    as the PLMR authors' code does (:func:`ratlib.metrics.plmr_code_tally`).
    """
    method, table, examples = prep.method, prep.tables[split], getattr(prep.splits, split)
    loader = make_loader(table, prep.pad_id, prep.config.eval_batch_size, shuffle=False)
    pieces, words, plmr_code = Tally(), Tally(), Tally()
    for batch in loader:
        dev_batch = _to_device(batch, prep.device)
        out = method.predict(dev_batch, sample=sample)
        mask = out.mask.float().cpu() * batch["selectable"]
        predicted = out.logits.float().argmax(-1).cpu()
        pieces += tally(mask, batch["gold"], batch["selectable"], batch["labels"], predicted, batch["annotated"])
        if not prep.encoder.maps_pieces_to_words:
            continue
        kept = (out.kept.float().cpu() if out.kept is not None else mask) * batch["attention_mask"]
        plmr_code += plmr_code_tally(kept, batch["gold"], batch["attention_mask"], batch["labels"], predicted,
                                     batch["annotated"])
        for i, row in enumerate(batch["row"].tolist()):
            ex = examples[row]
            n = len(ex.tokens)
            pred_words = prep.encoder.words(mask[i].numpy(), batch["word_index"][i].numpy(),
                                            batch["first_piece"][i].numpy(), n)
            words += tally(pred_words[None], np.asarray(ex.mask(), dtype=np.float64)[None], np.ones((1, n)),
                           batch["labels"][i:i + 1], predicted[i:i + 1], batch["annotated"][i:i + 1])
    result = {"pieces": summarize(pieces)}
    result["words"] = summarize(words) if prep.encoder.maps_pieces_to_words else result["pieces"]
    if prep.encoder.maps_pieces_to_words:
        result["pieces_plmr_code"] = summarize(plmr_code)
    return result


@torch.no_grad()
def rationale_examples(prep: Prepared, n: int = 6) -> list[dict]:
    """The first ``n`` test texts with gold and predicted word-level rationales (argmax selection)."""
    examples = prep.splits.test[:n]
    if not examples:
        return []
    table = prep.tables["test"]
    batch = table.collator(prep.pad_id)([table[i] for i in range(len(examples))])
    out = prep.method.predict(_to_device(batch, prep.device))
    mask = out.mask.float().cpu() * batch["selectable"]
    predicted = out.logits.float().argmax(-1).cpu()
    rows = []
    for i, ex in enumerate(examples):
        words = prep.encoder.words(mask[i].numpy(), batch["word_index"][i].numpy(), batch["first_piece"][i].numpy(),
                                   len(ex.tokens))
        rows.append({"id": ex.id, "tokens": list(ex.tokens), "label": ex.label, "predicted": int(predicted[i]),
                     "gold": ex.mask(), "selected": [int(v) for v in words],
                     **(ex.display_fields() if hasattr(ex, "display_fields") else {})})
    return rows


def _checkpoint_dir(config: TrainConfig) -> Path:
    return cache_dir("runs", config.key())


def save_checkpoint(path: Path, prep: Prepared, state: dict) -> None:
    payload = {
        "config": prep.config.to_json(),
        "model": prep.method.state_dict(),
        "optimizers": [opt.state_dict() for opt in prep.method.optimizers],
        "torch_rng": torch.get_rng_state(),
        **state,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path, splits: Splits | None = None) -> Prepared:
    """A trained method from a checkpoint alone (the checkpoint carries its configuration)."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    config = TrainConfig.from_json(payload["config"])
    prep = prepare(config, splits=splits)
    prep.method.load_state_dict(payload["model"])
    return prep


def _evaluation_stream(prep: Prepared, epoch: int):
    """Where evaluation's Gumbel noise comes from: its own seeded stream (trainer version 2, so the
    training stream continues as if nothing had been evaluated) or the training stream (version 1)."""
    from contextlib import contextmanager, nullcontext

    if prep.config.trainer_version < 2:
        return nullcontext()

    @contextmanager
    def own_stream():
        with torch.random.fork_rng(devices=[prep.device] if prep.device.type == "cuda" else []):
            torch.manual_seed(prep.config.seed * 100_003 + epoch)
            yield

    return own_stream()


def _epoch_record(epoch: int, logs: list[dict], prep: Prepared, seconds: float) -> dict:
    """One epoch's logs and evaluations.

    ``dev`` and ``test`` are evaluated with the selection the method config asks
    for (``eval_sample``: Gumbel samples, as the FR/N2R code evaluates; else argmax,
    as PLMR does); the other selection is kept beside them on the test set
    (``test_sampled`` always, ``test_argmax`` when the reported one is sampled), so
    a reader can tell "not learned yet" from "learned".
    """
    train = {k: float(np.mean([l[k] for l in logs if k in l])) for k in sorted({k for l in logs for k in l})}
    sampled = prep.config.method.eval_sample
    with _evaluation_stream(prep, epoch):
        dev = evaluate(prep, "dev", sample=sampled)["words"]
        test = evaluate(prep, "test", sample=sampled)
        other = evaluate(prep, "test", sample=not sampled)["words"]
    return {
        "epoch": epoch,
        "train": train,
        "dev": {"acc": dev["acc"], "S": dev["S"]},
        "test": test["words"],
        "test_pieces": test["pieces"],
        **({"test_pieces_plmr_code": test["pieces_plmr_code"]} if "pieces_plmr_code" in test else {}),
        "test_sampled": test["words"] if sampled else other,
        **({"test_argmax": other} if sampled else {}),
        "epoch_time_s": round(seconds, 2),
    }


def train(config: TrainConfig, *, store: bool = True, resume: bool = True, progress: bool = True,
          log_epochs: bool = True, results_root=None, checkpoints=None, recipe: str | None = None) -> dict:
    """Train (or fetch the stored result of) one run; returns the result record.

    ``progress`` shows tqdm bars; ``log_epochs`` prints one line per epoch;
    ``checkpoints`` is a folder for the run's checkpoints instead of its own
    folder in the cache (``ratlib verify`` recomputes runs in a scratch folder);
    ``recipe`` names the settings recipe a command line asked for (recorded, not hashed).
    """
    if store:
        stored = load_result(RESULT_KIND, config.identity(), results_root)
        if stored is not None:
            return stored
        if stored_only():
            raise MissingResult(RESULT_KIND, config.identity())
    prep = prepare(config)
    ckpt_dir = Path(checkpoints) if checkpoints else _checkpoint_dir(config)
    last, best_path = ckpt_dir / "last.pt", ckpt_dir / "best.pt"
    history, start_epoch, best_acc, elapsed = [], 0, -1.0, 0.0
    if resume and last.is_file():
        payload = torch.load(last, map_location="cpu", weights_only=False)
        prep.method.load_state_dict(payload["model"])
        for opt, state in zip(prep.method.optimizers, payload["optimizers"]):
            opt.load_state_dict(state)
        torch.set_rng_state(payload["torch_rng"])
        history, start_epoch = payload["history"], payload["epoch"] + 1
        best_acc, elapsed = payload["best_acc"], payload["elapsed"]
    loader = make_loader(prep.tables["train"], prep.pad_id, config.batch_size, shuffle=True, seed=config.seed)
    prep.method.train()
    for epoch in range(start_epoch, config.epochs):
        started = time.perf_counter()
        loader.batch_sampler.set_epoch(epoch)
        prep.method.start_epoch(epoch)
        logs = []
        if config.trainer_version < 2:
            # Version 1 wrapped the loader in tqdm.auto's bar, which opened (and dropped) one
            # extra loader iterator per epoch; each iterator draws a seed from torch's global
            # generator, so version 1 runs are reproduced by drawing it here.
            iter(loader)
        bar = progress_bar(loader, f"epoch {epoch + 1}/{config.epochs}", enabled=progress, leave=False)
        for batch in bar:
            logs.append(prep.method.train_step(_to_device(batch, prep.device)))
            bar.set_postfix(loss=f"{logs[-1]['loss']:.3f}", S=f"{logs[-1]['sparsity']:.2f}")
        record = _epoch_record(epoch, logs, prep, time.perf_counter() - started)
        elapsed += record["epoch_time_s"]
        history.append(record)
        if epoch >= prep.method.warmup_epochs and record["dev"]["acc"] > best_acc:
            best_acc = record["dev"]["acc"]
            save_checkpoint(best_path, prep, {"epoch": epoch, "history": history, "best_acc": best_acc,
                                              "elapsed": elapsed})
        save_checkpoint(last, prep, {"epoch": epoch, "history": history, "best_acc": best_acc,
                                     "elapsed": elapsed})
        if log_epochs:
            t = record["test"]
            tqdm.write(f"epoch {epoch + 1}: loss {record['train']['loss']:.3f} dev acc {record['dev']['acc']:.1f} "
                       f"test S {t['S']:.1f} F1 {t['F1']:.1f} ({record['epoch_time_s']:.0f} s)")
    best = max(history[prep.method.warmup_epochs:], key=lambda r: (r["dev"]["acc"], -r["epoch"]))
    payload = torch.load(best_path, map_location="cpu", weights_only=False)
    prep.method.load_state_dict(payload["model"])
    result = {
        "examples": rationale_examples(prep),
        "best_epoch": best["epoch"],
        "test": best["test"],
        "test_pieces": best["test_pieces"],
        **({"test_pieces_plmr_code": best["test_pieces_plmr_code"]} if "test_pieces_plmr_code" in best else {}),
        "test_sampled": best["test_sampled"],
        "history": history,
        "wall_time_s": round(elapsed, 1),
        "data": dataset_stats(prep.splits),
        "encoder": prep.encoder.provenance,
        "eval_selection": ("Gumbel sampling (test_argmax: argmax)" if config.method.eval_sample
                           else "argmax (test_sampled: Gumbel sampling)"),
        "piece_rule": prep.encoder.piece_rule,
        **({"recipe": recipe} if recipe else {}),
    }
    if store:
        save_result(RESULT_KIND, config.identity(), result, results_root)
        return load_result(RESULT_KIND, config.identity(), results_root)
    return {"config": config.identity(), **result}


def backfill_examples(config: TrainConfig, results_root=None) -> dict | None:
    """Add example rationales to a stored result made before results carried them.

    Needs the run's best checkpoint on this machine; returns the updated
    result, or None when the result or the checkpoint is missing.
    """
    stored = load_result(RESULT_KIND, config.identity(), results_root)
    path = checkpoint_path(config)
    if stored is None or not path.is_file():
        return None
    if "examples" not in stored:
        prep = load_checkpoint(path)
        extra = {k: v for k, v in stored.items()
                 if k not in ("kind", "key", "ratlib_version", "created", "machine", "config")}
        extra["examples"] = rationale_examples(prep)
        save_result(RESULT_KIND, config.identity(), extra, results_root)
        stored = load_result(RESULT_KIND, config.identity(), results_root)
    return stored


def checkpoint_path(config: TrainConfig, which: str = "best") -> Path:
    """Where a run keeps its ``best`` (dev accuracy) or ``last`` checkpoint."""
    return _checkpoint_dir(config) / f"{which}.pt"


def summary_line(result: dict) -> str:
    cfg, t = result["config"], result["test"]
    return (f"{cfg['method']['method']}/{cfg['method']['encoder']} {cfg['data']['name']} aspect {cfg['data']['aspect']} "
            f"seed {cfg['seed']}: best epoch {result['best_epoch'] + 1}/{cfg['epochs']} "
            f"S {t['S']:.1f} acc {t['acc']:.1f} P {t['P']:.1f} R {t['R']:.1f} F1 {t['F1']:.1f} "
            f"fail {t['failure_rate']:.1f} ({result['wall_time_s']:.0f} s)")
