"""Named sets of method settings a reader's command line can ask for (``train --recipe``).

* ``paper``: the papers' settings, i.e. each method's defaults (``MethodConfig``), plus the official
  GRU code's continuity normalisation (its batches are padded to 256 tokens and the continuity mean
  runs over all of them; ``MethodConfig.continuity_window``).
* ``cpu``: what the book's ``cpu`` profile uses for that method and encoder, so a command-line run
  matches the chapters' runs: GRU methods at learning rate 1e-3 (at the papers' 1e-4 they need
  hundreds of epochs), continuity over each batch's own width, N2R's defaults; transformers and
  graph encoders with their method defaults.

Settings a user passes explicitly win over the recipe's.
"""
from __future__ import annotations

from .config import GRU

RECIPES = ("paper", "cpu")
# The learning rate of every GRU run of the cpu profile (data card, chapters 2-5).
CPU_GRU_LR = 1e-3
# The official GRU code's fixed batch width.
PAPER_CONTINUITY_WINDOW = 256


def recipe_settings(recipe: str, method: str, encoder: str) -> dict:
    """MethodConfig fields the ``recipe`` sets for ``method`` on ``encoder`` (the rest: method defaults)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe {recipe!r}: expected one of {list(RECIPES)}")
    if encoder != GRU:
        return {}
    if recipe == "paper":
        return {"continuity_window": PAPER_CONTINUITY_WINDOW} if method != "fulltext" else {}
    return {"lr_encoder": CPU_GRU_LR, "lr_head": CPU_GRU_LR}
