"""From graphs to the trainer's batches: nodes are positions.

A batch of graphs is laid out like a batch of texts, padded to its largest
graph: ``node_features`` (B, T, F) where a text has ``input_ids``, and the
usual ``attention_mask`` / ``selectable`` / ``gold`` / ``word_index`` per
position, so the selector, the losses and the metrics work unchanged. The
edges come as one ``edge_index`` (2, E) over the flattened positions
(node ``t`` of graph ``b`` is ``b * T + t``), which is what torch-geometric's
layers take; padding nodes have no edges.
"""
from __future__ import annotations

from typing import Sequence

import torch


class GraphFeaturizer:
    """Node features as they are; one position per node."""

    pad_id = 0

    def __init__(self, feature_dim: int):
        self.feature_dim = feature_dim

    def key(self) -> str:
        return f"graph-{self.feature_dim}"

    def table(self, examples: Sequence) -> "GraphTable":
        for ex in examples:
            widths = {len(row) for row in ex.features}
            if widths != {self.feature_dim}:
                raise ValueError(f"graph {ex.id} ({ex.source}): node features of width {sorted(widths)}, "
                                 f"expected {self.feature_dim} like the rest of the data")
        return GraphTable(examples)


class GraphTable(torch.utils.data.Dataset):
    """Graphs as tensors, one row per graph, and the collator that batches them."""

    def __init__(self, examples: Sequence):
        self.rows = [{
            "features": torch.tensor(ex.features, dtype=torch.float),
            "edge_index": torch.tensor(ex.edges, dtype=torch.long).reshape(-1, 2).t(),
            "gold": torch.tensor(ex.node_gold, dtype=torch.float),
            "label": int(ex.label),
        } for ex in examples]
        self.lengths = [ex.num_nodes for ex in examples]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return {**self.rows[i], "row": i}

    def collator(self, pad_id: int = 0) -> "GraphCollator":
        return GraphCollator()


class GraphCollator:
    """Pads a list of graphs to the batch's largest and joins their edges over flattened positions."""

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        n, t = len(rows), max(len(r["gold"]) for r in rows)
        dim = rows[0]["features"].shape[1]
        features = torch.zeros((n, t, dim))
        attention = torch.zeros((n, t))
        gold = torch.zeros((n, t))
        word_index = torch.full((n, t), -1, dtype=torch.long)
        edges = []
        for i, r in enumerate(rows):
            k = len(r["gold"])
            features[i, :k] = r["features"]
            attention[i, :k] = 1.0
            gold[i, :k] = r["gold"]
            word_index[i, :k] = torch.arange(k)
            edges.append(r["edge_index"] + i * t)
        return {
            "node_features": features,
            "edge_index": torch.cat(edges, dim=1) if edges else torch.zeros((2, 0), dtype=torch.long),
            "attention_mask": attention,
            "selectable": attention.clone(),
            "labels": torch.tensor([r["label"] for r in rows], dtype=torch.long),
            "annotated": torch.ones(n),
            "gold": gold,
            "word_index": word_index,
            "first_piece": attention.clone(),
            "row": torch.tensor([r["row"] for r in rows], dtype=torch.long),
        }
