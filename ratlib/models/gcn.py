"""A graph convolutional network over batches laid out as positions (see :mod:`ratlib.data.graph_batching`).

Node states come from torch-geometric's ``GCNConv`` layers with ReLU, run on
the flattened (B * T) nodes of a batch; graph representations from its
global pooling over the nodes that count.
"""
from __future__ import annotations

import torch
from torch import nn

# Three GCN layers of 20 units: small enough for 2 CPU cores, deep enough to see a
# five-node motif from any of its nodes.
GCN_HIDDEN = 20
GCN_LAYERS = 3


class NodeFeatures(nn.Module):
    """The input layer of graph players: a batch's node features as they are (no parameters)."""

    def forward(self, batch: dict) -> torch.Tensor:
        return batch["node_features"]


class GCN(nn.Module):
    """``layers`` GCNConv, ReLU between them (and after the last when ``final_relu``).

    Optional edge weights scale messages (0 removes an edge from message passing).
    """

    def __init__(self, input_size: int, hidden_size: int = GCN_HIDDEN, layers: int = GCN_LAYERS,
                 final_relu: bool = True):
        super().__init__()
        from torch_geometric.nn import GCNConv

        sizes = [input_size] + [hidden_size] * layers
        # normalize=False: each node sums its neighbours' messages (weighted by the edge weight)
        # instead of averaging them by degree. With BA-2Motifs' constant node features the
        # degree-normalised GCN did not separate the classes in our trials; the summing one did.
        self.convs = nn.ModuleList(GCNConv(a, b, normalize=False) for a, b in zip(sizes[:-1], sizes[1:]))
        self.hidden_size = hidden_size
        self.final_relu = final_relu

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def forward(self, nodes: torch.Tensor, edge_index: torch.Tensor, node_valid: torch.Tensor,
                edge_weight: torch.Tensor | None = None) -> torch.Tensor:
        """States (B, T, hidden) of nodes (B, T, F); after every layer, zeros where ``node_valid`` is 0.

        ``node_valid`` may be a 0/1 selection: unselected nodes then send
        nothing at any layer (message passing on the induced subgraph), and
        the product keeps gradients flowing to the selection.
        """
        batch, total, _ = nodes.shape
        h = nodes.reshape(batch * total, -1)
        gate = node_valid.reshape(-1, 1).to(h.dtype)
        for i, conv in enumerate(self.convs):
            h = conv(h, edge_index, edge_weight)
            if self.final_relu or i < len(self.convs) - 1:
                h = torch.relu(h)
            h = h * gate
        return h.view(batch, total, -1)


def pooled_max(states: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Max over the kept nodes of (B, T, H) non-negative (ReLU) states, with global_max_pool.

    The states are multiplied by the (B, T) 0/1 ``keep`` mask first: as they
    are non-negative this is the max over kept nodes, it is differentiable in
    ``keep`` (a straight-through mask gets gradients), and a graph with
    nothing kept pools to zeros.
    """
    from torch_geometric.nn import global_max_pool

    batch, total, hidden = states.shape
    index = torch.arange(batch, device=states.device).repeat_interleave(total)
    kept = states.reshape(-1, hidden) * keep.reshape(-1, 1).to(states.dtype)
    return global_max_pool(kept, index, size=batch)
