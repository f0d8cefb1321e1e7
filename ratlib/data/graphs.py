"""BA-2Motifs: graph classification with ground-truth node rationales.

Each graph is a Barabási-Albert base graph (20 nodes by default) with one
motif attached by a single edge; the motif's type is the label (0: house,
1: five-node cycle), and its nodes are the gold rationale. Two sources give
the same record, :class:`GraphExample`:

* generated offline with torch-geometric's own generators
  (``ExplainerDataset`` with ``BAGraph`` and ``HouseMotif`` / ``CycleMotif``),
  deterministic from a seed (:data:`GRAPH_GENERATOR_VERSION` keys the
  stored results: bump it whenever the output changes);
* PGExplainer's ``BA-2motif.pkl`` (the pickled tuple of adjacency matrices
  (N, n, n), node features (N, n, F) and one-hot labels (N, C) that
  torch-geometric's ``BA2MotifDataset`` reads), when ``--data-dir`` names the
  folder that holds it; there nodes 20-24 of every graph are the motif.

Node features are the original's: ten dimensions of 0.1 on every node, so
only the structure tells the classes apart. Nodes play the part tokens play
in texts: positions that a generator selects and the metrics score.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Sequence

from .record import DataFormatError, Splits
from .registry import DataConfig, register_dataset

# Bump when the generated graphs change (golden hash in tests/test_graphs.py).
GRAPH_GENERATOR_VERSION = 1
DATASET_NAME = "ba2motifs"
PKL_NAME = "BA-2motif.pkl"
FEATURE_DIM = 10
FEATURE_VALUE = 0.1
MOTIF_CLASSES = ("house", "cycle")
MOTIF_SIZE = 5
# In PGExplainer's file the base graph has 20 nodes and the motif is nodes 20..24.
PKL_BASE_NODES = 20


def generator_version() -> str:
    return f"{DATASET_NAME}-{GRAPH_GENERATOR_VERSION}"


@dataclass(frozen=True)
class GraphExample:
    """One labelled graph with its gold node (and edge) rationale.

    ``edges`` lists directed pairs, each undirected edge in both directions
    (torch-geometric's ``edge_index`` as pairs); ``node_gold`` and
    ``edge_gold`` are 0/1 per node and per listed edge. ``tokens`` names the
    nodes (``n0``, ``n1``, ...) so code that reads positions (statistics,
    stored example rationales) reads nodes.
    """

    id: str
    label: int
    source: str
    features: tuple[tuple[float, ...], ...]
    edges: tuple[tuple[int, int], ...]
    node_gold: tuple[int, ...]
    edge_gold: tuple[int, ...]
    aspect: int = 0

    is_graph = True

    @property
    def num_nodes(self) -> int:
        return len(self.features)

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(f"n{i}" for i in range(self.num_nodes))

    @property
    def annotated(self) -> bool:
        return True

    def mask(self) -> list[int]:
        return list(self.node_gold)

    def display_fields(self) -> dict:
        """What a stored example needs besides its nodes to be drawn: its undirected edges."""
        return {"edges": [[u, v] for u, v in self.edges if u < v]}


# ------------------------------------------------------------ options

@dataclass(frozen=True)
class GraphDataOptions:
    """Knobs of the BA-2Motifs builder (``DataConfig.options``)."""

    seed: int = 0              # generation (generated data) and the split permutation (both sources)
    n_graphs: int = 1000       # generated graphs, half of each class
    base_nodes: int = 20       # nodes of the Barabási-Albert base graph
    base_edges: int = 1        # edges each new base node brings (BA's m)
    dev_share: float = 0.1
    test_share: float = 0.1

    def __post_init__(self):
        for name in ("seed", "n_graphs", "base_nodes", "base_edges"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"ba2motifs option {name} = {value!r}: expected an integer")
        if self.n_graphs < 10:
            raise ValueError(f"ba2motifs option n_graphs = {self.n_graphs}: expected at least 10")
        if self.base_nodes < 2 or not 1 <= self.base_edges < self.base_nodes:
            raise ValueError(f"ba2motifs options base_nodes = {self.base_nodes}, base_edges = {self.base_edges}: "
                             "expected base_nodes >= 2 and 1 <= base_edges < base_nodes")
        for name in ("dev_share", "test_share"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value < 0.5:
                raise ValueError(f"ba2motifs option {name} = {value!r}: expected a share in (0, 0.5)")

    @classmethod
    def from_options(cls, options: dict) -> "GraphDataOptions":
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ValueError(f"ba2motifs: unknown option(s) {unknown}; valid options: {', '.join(known)}")
        return cls(**options)

    def to_json(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------ generation

def _undirected_pairs(edge_index) -> list[tuple[int, int]]:
    """Sorted unique directed pairs of an edge_index, completed to both directions."""
    pairs = set()
    for u, v in edge_index.t().tolist():
        if u != v:
            pairs.add((u, v))
            pairs.add((v, u))
    return sorted(pairs)


def _seeded_generation(seed: int, make):
    """Run ``make()`` under torch and numpy seeded with ``seed``, leaving the callers' RNG states as they were."""
    import numpy as np
    import torch

    state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            return make()
        finally:
            np.random.set_state(state)


def generate_graphs(options: GraphDataOptions) -> list[GraphExample]:
    """``n_graphs`` graphs (houses first, then cycles), each with its gold node and edge masks.

    torch-geometric's ExplainerDataset attaches the motif to a random base
    node by one edge, which is not part of the gold edge mask.
    """
    from torch_geometric.datasets import ExplainerDataset
    from torch_geometric.datasets.graph_generator import BAGraph
    from torch_geometric.datasets.motif_generator import CycleMotif, HouseMotif

    counts = (options.n_graphs - options.n_graphs // 2, options.n_graphs // 2)
    motifs = (HouseMotif(), CycleMotif(MOTIF_SIZE))

    def make():
        out = []
        for label, (motif, count) in enumerate(zip(motifs, counts)):
            dataset = ExplainerDataset(graph_generator=BAGraph(options.base_nodes, options.base_edges),
                                       motif_generator=motif, num_motifs=1, num_graphs=count)
            for data in dataset:
                gold_nodes = [int(v) for v in data.node_mask.tolist()]
                motif_pairs = {(u, v) for (u, v), m in zip(data.edge_index.t().tolist(), data.edge_mask.tolist())
                               if m > 0}
                edges = _undirected_pairs(data.edge_index)
                index = len(out)
                out.append(GraphExample(
                    id=f"{DATASET_NAME}-s{options.seed}-{index}", label=label,
                    source=f"generated:{generator_version()}:seed{options.seed}:{index}",
                    features=tuple((FEATURE_VALUE,) * FEATURE_DIM for _ in gold_nodes),
                    edges=tuple(edges), node_gold=tuple(gold_nodes),
                    edge_gold=tuple(int(e in motif_pairs or e[::-1] in motif_pairs) for e in edges)))
        return out

    return _seeded_generation(options.seed, make)


def output_fingerprint(examples: Sequence[GraphExample]) -> str:
    """A hash of graphs as a model and the metrics see them (features, edges, label, gold)."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps([ex.label, ex.features, ex.edges, ex.node_gold, ex.edge_gold]).encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------ PGExplainer's file

def read_pkl(path) -> list[GraphExample]:
    """Graphs of PGExplainer's ``BA-2motif.pkl``; the motif is nodes 20..24 of every graph.

    The file is a pickle: open only files you trust. Every shape, the
    one-hot labels and the motif's attachment are checked, and a mismatch
    names the file and what was expected.
    """
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found (the BA-2Motifs pickle, {PKL_NAME})")
    try:
        with open(path, "rb") as handle:
            payload = pickle.load(handle)
    except Exception as err:  # a broken pickle can raise almost anything
        raise DataFormatError(path, None, f"cannot be unpickled ({type(err).__name__}: {err})") from None
    if not isinstance(payload, (tuple, list)) or len(payload) != 3:
        raise DataFormatError(path, None, "expected a pickled tuple (adjacency, features, labels) of three arrays, "
                                          f"got {type(payload).__name__}"
                                          + (f" of length {len(payload)}" if isinstance(payload, (tuple, list)) else ""))
    try:
        adj, x, y = (np.asarray(part, dtype=np.float64) for part in payload)
    except (TypeError, ValueError) as err:
        raise DataFormatError(path, None, f"adjacency, features and labels must be numeric arrays ({err})") from None
    if adj.ndim != 3 or adj.shape[1] != adj.shape[2]:
        raise DataFormatError(path, None, f"adjacency: expected shape (graphs, nodes, nodes), got {adj.shape}")
    n_graphs, n_nodes = adj.shape[0], adj.shape[1]
    if x.ndim != 3 or x.shape[:2] != (n_graphs, n_nodes):
        raise DataFormatError(path, None, f"features: expected shape ({n_graphs}, {n_nodes}, features) to match the "
                                          f"adjacency, got {x.shape}")
    if y.ndim != 2 or y.shape[0] != n_graphs or y.shape[1] < 2:
        raise DataFormatError(path, None, f"labels: expected one-hot rows of shape ({n_graphs}, classes >= 2), "
                                          f"got {y.shape}")
    not_one_hot = [i for i in range(n_graphs)
                   if not (np.isin(y[i], (0.0, 1.0)).all() and y[i].sum() == 1)]
    if not_one_hot:
        i = not_one_hot[0]
        raise DataFormatError(path, None, f"labels: graph {i} has label row {y[i].tolist()}, expected one-hot "
                                          f"({len(not_one_hot)} such rows)")
    if n_nodes < PKL_BASE_NODES + MOTIF_SIZE:
        raise DataFormatError(path, None, f"adjacency: graphs have {n_nodes} nodes; expected at least "
                                          f"{PKL_BASE_NODES + MOTIF_SIZE} (base 0..{PKL_BASE_NODES - 1}, motif "
                                          f"{PKL_BASE_NODES}..{PKL_BASE_NODES + MOTIF_SIZE - 1})")
    motif = range(PKL_BASE_NODES, PKL_BASE_NODES + MOTIF_SIZE)
    out = []
    for i in range(n_graphs):
        a = adj[i]
        if not np.array_equal(a, a.T):
            raise DataFormatError(path, None, f"adjacency: graph {i} is not symmetric (expected undirected graphs)")
        if not a[PKL_BASE_NODES:PKL_BASE_NODES + MOTIF_SIZE, :PKL_BASE_NODES].any():
            raise DataFormatError(path, None, f"graph {i}: the motif (nodes {motif.start}..{motif.stop - 1}) has no "
                                              f"edge to the base graph (nodes 0..{PKL_BASE_NODES - 1})")
        edges = [(int(u), int(v)) for u, v in zip(*np.nonzero(a)) if u != v]
        gold = [int(k in motif) for k in range(n_nodes)]
        out.append(GraphExample(
            id=f"{DATASET_NAME}-pkl-{i}", label=int(np.argmax(y[i])), source=f"{path.name}:{i}",
            features=tuple(tuple(float(v) for v in row) for row in x[i]), edges=tuple(sorted(edges)),
            node_gold=tuple(gold), edge_gold=tuple(int(gold[u] and gold[v]) for u, v in sorted(edges))))
    return out


# ------------------------------------------------------------ splits and statistics

def split_graphs(graphs: list[GraphExample], options: GraphDataOptions) -> Splits:
    """A seeded permutation cut into train / dev / test by ``dev_share`` and ``test_share``."""
    order = list(range(len(graphs)))
    random.Random(f"{DATASET_NAME}-split-{options.seed}").shuffle(order)
    n_test = round(options.test_share * len(graphs))
    n_dev = round(options.dev_share * len(graphs))
    pick = lambda idx: [graphs[i] for i in idx]  # noqa: E731
    return Splits(train=pick(order[n_test + n_dev:]), dev=pick(order[n_test:n_test + n_dev]),
                  test=pick(order[:n_test]))


@register_dataset(DATASET_NAME, version=generator_version)
def build_ba2motifs(config: DataConfig) -> Splits:
    """Generated graphs, or PGExplainer's file when ``config.data_dir`` is set."""
    options = GraphDataOptions.from_options(dict(config.options))
    if config.data_dir:
        folder = Path(config.data_dir)
        graphs = read_pkl(folder / PKL_NAME if folder.is_dir() else folder)
    else:
        graphs = generate_graphs(options)
    return split_graphs(graphs, options)


def graph_split_stats(examples: Sequence[GraphExample]) -> dict:
    """The keys of :func:`ratlib.data.stats.split_stats` (length in nodes) plus graphs, nodes, edges, motif share."""
    n = len(examples)
    n_pos = sum(1 for ex in examples if ex.label == 1)
    nodes = sum(ex.num_nodes for ex in examples)
    gold = sum(sum(ex.node_gold) for ex in examples)
    share = 100.0 * gold / nodes if nodes else None
    return {
        "n": n, "n_pos": n_pos, "n_neg": n - n_pos,
        "mean_len": nodes / n if n else 0.0,
        "rationale_share": share,
        "graphs": n,
        "mean_nodes": nodes / n if n else 0.0,
        "mean_edges": sum(len(ex.edges) for ex in examples) / 2 / n if n else 0.0,
        "motif_share": share,
    }
