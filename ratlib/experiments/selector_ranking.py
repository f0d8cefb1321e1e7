"""Does a selector rank the gold words first, whatever its argmax keeps? (Chapter 3.)

A collapsed rationalizer's argmax keeps almost no word while its training samples keep about the target
share: every keep-probability sits below 0.5. That leaves two readings: the selector cannot tell the gold
words from the rest (it scores them alike, or varies in ways unrelated to the rationale), or it does order
the words, gold ones first, but never pushes them past 0.5. The keep-probabilities p
(:meth:`~ratlib.methods.base.RationaleMethod.selection_scores`, no noise) on the annotated test texts tell
them apart, word level (a word's p by the encoder's piece rule):

* **AUC**: per text, the chance that a gold word gets a higher p than a non-gold word (ties count half),
  averaged over the texts that have both; 0.5 is a selector that cannot tell them apart.
* **top share**: per text, the ``round(alpha * n)`` words of highest p (at least one), ``alpha`` the run's
  target sparsity; precision, recall and F1 against the gold words, counted over all texts as the
  chapter's tables count them, next to random selection at the share it selected.
* the spread of p: its mean, its standard deviation within a text (averaged over texts) and the share
  of words above 0.5 (what argmax keeps).

Words cut off by truncation have no p: they are left out of the AUC and of the top share, and their gold
words count as missed (as in the chapter's tables).
"""
from __future__ import annotations

import numpy as np
import torch

from ..metrics import precision_recall_f1
from .runs import random_selection_f1

RESULT_KIND = "ranking"
ANALYSIS_VERSION = 1


def text_auc(scores: np.ndarray, gold: np.ndarray) -> float | None:
    """P(a gold word's score > a non-gold word's), ties counting half; None without both kinds of word."""
    scores, gold = np.asarray(scores, dtype=np.float64), np.asarray(gold) > 0
    inside, outside = scores[gold], scores[~gold]
    if not len(inside) or not len(outside):
        return None
    higher = (inside[:, None] > outside[None, :]).mean()
    tied = (inside[:, None] == outside[None, :]).mean()
    return float(higher + 0.5 * tied)


def top_share(scores: np.ndarray, share: float) -> np.ndarray:
    """0/1 mask of the ``round(share * n)`` highest scores (at least one; the earlier word on ties)."""
    scores = np.asarray(scores, dtype=np.float64)
    k = max(1, int(round(share * len(scores))))
    mask = np.zeros(len(scores))
    mask[np.argsort(-scores, kind="stable")[:k]] = 1.0
    return mask


def summarize_texts(texts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], share: float) -> dict:
    """The readings of one selector from its texts: (per-word p, gold 0/1, scored 0/1) each."""
    aucs, spreads, means, above = [], [], [], []
    true_pos = selected = gold_total = gold_scored = 0.0
    for scores, gold, scored in texts:
        scored = np.asarray(scored) > 0
        gold = np.asarray(gold, dtype=np.float64)
        gold_total += gold.sum()
        p = np.asarray(scores, dtype=np.float64)[scored]
        if not len(p):
            continue
        auc = text_auc(p, gold[scored])
        if auc is not None:
            aucs.append(auc)
        spreads.append(p.std())
        means.append(p.mean())
        above.extend(p > 0.5)
        gold_scored += float(gold[scored].sum())
        picked = top_share(p, share)
        true_pos += float((picked * gold[scored]).sum())
        selected += float(picked.sum())
    words = len(above)
    precision, recall, f1 = precision_recall_f1(true_pos, selected, gold_total)
    top_s = 100.0 * selected / words if words else 0.0
    gold_share = 100.0 * gold_scored / words if words else None
    return {"texts": len(texts), "texts_with_auc": len(aucs), "auc": float(np.mean(aucs)) if aucs else None,
            "p_mean": float(np.mean(means)) if means else None,
            "p_sd_within_text": float(np.mean(spreads)) if spreads else None,
            "above_half": 100.0 * float(np.mean(above)) if words else None,
            "share": share, "top_S": top_s, "top_P": precision, "top_R": recall, "top_F1": f1,
            "random_F1": random_selection_f1(gold_share, top_s)}


@torch.no_grad()
def rank_run(prep, batch_size: int = 32) -> dict:
    """:func:`summarize_texts` of a trained method (``prep``) on its annotated test texts."""
    from ..data.batching import Collator

    table, examples = prep.tables["test"], prep.splits.test
    rows = [i for i in range(len(table)) if table[i]["annotated"]]
    collate = Collator(prep.pad_id)
    texts = []
    for start in range(0, len(rows), batch_size):
        batch = collate([table[i] for i in rows[start:start + batch_size]])
        scores = prep.method.selection_scores({k: v.to(prep.device) for k, v in batch.items()}).float().cpu()
        for j, row in enumerate(batch["row"].tolist()):
            ex, args = examples[row], (batch["word_index"][j].numpy(), batch["first_piece"][j].numpy())
            n = len(ex.tokens)
            texts.append((prep.encoder.word_values(scores[j].numpy(), *args, n),
                          np.asarray(ex.mask(), dtype=np.float64),
                          prep.encoder.word_values(batch["selectable"][j].numpy(), *args, n)))
    return summarize_texts(texts, prep.config.method.sparsity)


def ranking_need(cfg):
    """The stored ranking of one run's selector (its checkpoint, or the run retrained: :mod:`.trained`)."""
    from .needs import run_need, stored_need
    from .trained import trained_method

    def compute() -> dict:
        prep, origin = trained_method(cfg)
        return {"run": {"key": cfg.key(), "method": cfg.method.method, "encoder": cfg.method.encoder,
                        "seed": cfg.seed, "predictor": origin},
                **rank_run(prep)}

    key = {"analysis": RESULT_KIND, "version": ANALYSIS_VERSION, "run": cfg.key()}
    return stored_need(RESULT_KIND, key, f"selector ranking of {run_need(cfg).label}", compute)


# AUC bands for the page's words: within 0.1 of 0.5 a selector scores gold and other words nearly alike.
ALIKE_BAND = 0.1


def ranking_table(rankings: list[tuple[str, dict]], frame):
    """One row per ranked run ((dataset label, stored ranking) pairs), next to what its argmax selected
    (``frame``: the chapter's runs, with ``key`` and ``run`` columns; the run's name is the chapter's)."""
    import pandas as pd

    from .trained import weights_note

    argmax = frame.set_index("key")
    rows = []
    for label, r in rankings:
        run = r["run"]
        stored = argmax.loc[run["key"]] if run["key"] in argmax.index else None
        name = stored.run if stored is not None and "run" in argmax.columns else f"{run['method']} ({run['encoder']})"
        rows.append({"dataset": label, "run": name, "seed": run["seed"],
                     "argmax S": None if stored is None else round(float(stored.S), 1),
                     "argmax F1": None if stored is None else round(float(stored.F1), 1),
                     "p mean": r["p_mean"], "p sd in a text": r["p_sd_within_text"],
                     "p > 0.5 (%)": r["above_half"], "AUC": r["auc"], "top-share S": r["top_S"],
                     "top-share F1": r["top_F1"], "random F1": r["random_F1"],
                     "weights": weights_note(run)})
    table = pd.DataFrame(rows)
    return table.round({**{c: 1 for c in table.columns}, **{c: 3 for c in ("p mean", "p sd in a text", "AUC")}})


def ranking_note(table) -> str:
    """What the rankings say, per run: does the selector order the gold words first?"""
    if table.empty:
        return "No selector ranking is stored yet."
    parts = []
    for _, row in table.iterrows():
        auc = row["AUC"]
        if auc is None or auc != auc:   # no text with both gold and other words
            parts.append(f"{row['run']} on {row['dataset']}, seed {row['seed']}: no text to rank")
            continue
        call = ("orders the gold words first" if auc >= 0.5 + ALIKE_BAND else
                "orders the gold words last" if auc <= 0.5 - ALIKE_BAND else
                "scores gold and other words nearly alike")
        which = " (its first pruning layer)" if row["run"].startswith("plmr") else ""
        parts.append(f"{row['run']}{which} on {row['dataset']}, seed {row['seed']}: AUC {auc:.2f}, {call}; its top "
                     f"{row['top-share S']:.1f}% of words score F1 {row['top-share F1']:.1f} against "
                     f"{row['random F1']:.1f} for random words, while its argmax keeps {row['p > 0.5 (%)']:.1f}%")
    return ("AUC within " + f"{ALIKE_BAND:g} of 0.5 is read as scoring the words nearly alike. "
            + "; ".join(parts) + ".")
