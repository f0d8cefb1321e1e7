"""A stored run's trained method, from this machine's checkpoint or retrained when that is missing.

Analyses of trained models (chapter 4's probes, chapter 3's selector ranking) need the weights, which the
result store does not keep: checkpoints live in the machine's cache.
"""
from __future__ import annotations

import torch


def trained_method(cfg) -> tuple:
    """The method of a run at its best epoch, and where its weights came from.

    A missing checkpoint (the run was stored on another machine, or the cache was cleared) is retrained
    into the cache, and its history compared with the stored run's (:mod:`ratlib.verify`): runs repeat
    exactly on one machine but not across processors, so the probe records whether it probed the stored
    predictor or a retrained one that differs from it.
    """
    from ..results import load_result
    from ..train import RESULT_KIND as RUNS, checkpoint_path, load_checkpoint, train
    from ..verify import compare_histories, summarize_comparison

    path = checkpoint_path(cfg)
    if path.is_file() and finished(cfg):
        return load_checkpoint(path), {"weights": "checkpoint"}
    # (an interrupted run's checkpoints resume to the end here)
    record = train(cfg, store=False, progress=False, log_epochs=False)
    origin = {"weights": "retrained"}
    stored = load_result(RUNS, cfg.identity())
    if stored is not None:
        origin["against stored run"] = summarize_comparison(
            compare_histories(stored["history"], record["history"]))["verdict"]
    return load_checkpoint(path), origin


def finished(cfg) -> bool:
    """Whether the run's cached checkpoints come from a run that trained all its epochs (its ``last``
    checkpoint holds the final epoch), so its ``best`` checkpoint is the stored run's predictor."""
    from ..train import checkpoint_path

    last = checkpoint_path(cfg, "last")
    if not last.is_file():
        return False
    # mmap: read the epoch without loading the weights (a MiniLM checkpoint is 350 MB)
    return torch.load(last, map_location="cpu", weights_only=False, mmap=True)["epoch"] + 1 >= cfg.epochs


def weights_note(run: dict) -> str:
    """Where a probed predictor's weights came from (probes stored before this was recorded: not recorded)."""
    origin = run.get("predictor")
    if origin is None:
        return "weights' origin not recorded"
    if origin["weights"] == "checkpoint":
        return "the run's own checkpoint"
    against = origin.get("against stored run")
    return "retrained" + (f", history {against} against the stored run" if against else ", no stored run to compare")
