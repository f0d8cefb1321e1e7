"""BA-2Motifs (generated and PGExplainer's pickle), graph batches, the GCN players and the graph metrics."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from ratlib.cli import main
from ratlib.data import graphs
from ratlib.data.graph_batching import GraphFeaturizer
from ratlib.data.record import DataFormatError
from ratlib.data.registry import DataConfig, data_version, load_splits
from ratlib.methods import ConfigError, MethodConfig, build_method
from ratlib.metrics import precision_recall_f1, rationale_metrics, summarize, tally

SMALL = {"n_graphs": 40}

# Golden hash of the generator's output. Stored results are keyed by GRAPH_GENERATOR_VERSION:
# an edit (or a torch-geometric/torch/numpy release) that changes this hash must bump it.
GOLDEN_SMALL = "15cc023642d265cd"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RATLIB_RESULTS", str(tmp_path / "results"))
    torch.set_num_threads(1)


def small_graphs(**kw):
    return graphs.generate_graphs(graphs.GraphDataOptions(**{**SMALL, **kw}))


# ------------------------------------------------------------ generated data

def test_generator_output_matches_its_version():
    assert graphs.GRAPH_GENERATOR_VERSION == 1 and data_version("ba2motifs") == "ba2motifs-1"
    assert graphs.output_fingerprint(small_graphs()) == GOLDEN_SMALL


def test_generation_is_deterministic_and_leaves_the_callers_rng_alone():
    torch.manual_seed(5)
    np.random.seed(5)
    expected = (torch.rand(1).item(), np.random.rand())
    torch.manual_seed(5)
    np.random.seed(5)
    first = small_graphs()
    assert (torch.rand(1).item(), np.random.rand()) == expected
    assert graphs.output_fingerprint(first) == graphs.output_fingerprint(small_graphs())
    assert graphs.output_fingerprint(first) != graphs.output_fingerprint(small_graphs(seed=1))


def _undirected(ex, pick=None):
    return {(u, v) for (u, v), g in zip(ex.edges, ex.edge_gold) if u < v and (pick is None or g == pick)}


def test_every_graph_is_a_base_graph_with_one_motif_of_its_class():
    for ex in small_graphs():
        assert ex.num_nodes == 25 and sum(ex.node_gold) == 5
        motif = {i for i, g in enumerate(ex.node_gold) if g}
        inside = _undirected(ex, pick=1)
        assert all(u in motif and v in motif for u, v in inside)
        # a house has 6 edges (a square and a roof), a five-node cycle 5
        assert len(inside) == (6 if ex.label == 0 else 5)
        degrees = sorted(sum(1 for u, v in inside if n in (u, v)) for n in motif)
        assert degrees == ([2, 2, 2, 3, 3] if ex.label == 0 else [2] * 5)
        bridges = [(u, v) for u, v in _undirected(ex) if (u in motif) != (v in motif)]
        assert len(bridges) == 1                        # attached by exactly one edge
        assert (bridges[0][0], bridges[0][1]) not in inside
        assert set(ex.edges) == {(v, u) for u, v in ex.edges}
        assert ex.features == ((graphs.FEATURE_VALUE,) * graphs.FEATURE_DIM,) * 25


def test_splits_are_disjoint_and_cover_every_graph():
    splits = load_splits(DataConfig(name="ba2motifs", options={"n_graphs": 100}))
    ids = [ex.id for _, exs in splits.items() for ex in exs]
    assert len(ids) == len(set(ids)) == 100
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (80, 10, 10)
    assert {ex.label for ex in splits.train} == {0, 1}


def test_unknown_or_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match=r"unknown option.*'n_graph'.*valid options: seed, n_graphs"):
        load_splits(DataConfig(name="ba2motifs", options={"n_graph": 10}))
    with pytest.raises(ValueError, match="n_graphs"):
        graphs.GraphDataOptions(n_graphs=3)


def test_data_stats_reports_graphs_nodes_edges_and_motif_share(capsys):
    assert main(["data-stats", "--dataset", "ba2motifs", "--option", "n_graphs=40"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["train"]["graphs"] == 32 and stats["test"]["graphs"] == 4
    assert stats["train"]["mean_nodes"] == 25.0 and stats["train"]["motif_share"] == pytest.approx(20.0)
    assert 20 < stats["train"]["mean_edges"] < 30


# ------------------------------------------------------------ PGExplainer's pickle

def write_pkl(path, n=6, *, motif_attached=True, label_rows=None, feature_shape=None):
    """A small file in BA-2motif.pkl's layout: a ring base on nodes 0..19, a house or a cycle on 20..24."""
    adj = np.zeros((n, 25, 25), dtype=np.float32)
    labels = np.zeros((n, 2), dtype=np.float32)
    for g in range(n):
        a = adj[g]
        for i in range(20):
            a[i, (i + 1) % 20] = a[(i + 1) % 20, i] = 1
        ring = [(20, 21), (21, 22), (22, 23), (23, 24), (24, 20)]
        extra = [(20, 22)] if g % 2 == 0 else []      # the house's roof diagonal
        for u, v in ring + extra:
            a[u, v] = a[v, u] = 1
        if motif_attached:
            a[3, 20] = a[20, 3] = 1
        labels[g, g % 2] = 1
    if label_rows is not None:
        labels = np.asarray(label_rows, dtype=np.float32)
    x = np.full(feature_shape or (n, 25, 10), 0.1, dtype=np.float32)
    with open(path, "wb") as handle:
        pickle.dump((adj, x, labels), handle)
    return adj, x, labels


def test_the_original_pickle_layout_loads_with_its_ground_truth(tmp_path):
    adj, _, labels = write_pkl(tmp_path / graphs.PKL_NAME, n=20)
    examples = graphs.read_pkl(tmp_path / graphs.PKL_NAME)
    assert [ex.label for ex in examples] == [int(np.argmax(r)) for r in labels]
    first = examples[0]
    assert first.node_gold == (0,) * 20 + (1,) * 5
    assert len(_undirected(first)) == int(adj[0].sum() / 2)
    assert _undirected(first, pick=1) == {(20, 21), (21, 22), (22, 23), (23, 24), (20, 24), (20, 22)}
    assert (3, 20) in _undirected(first, pick=0)
    # --data-dir names the folder; the splits are the generated data's (same seed, same shares)
    splits = load_splits(DataConfig(name="ba2motifs", data_dir=str(tmp_path)))
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (16, 2, 2)
    assert sorted(ex.id for _, exs in splits.items() for ex in exs) == sorted(ex.id for ex in examples)


@pytest.mark.parametrize("kwargs, message", [
    ({"motif_attached": False}, r"graph 0: the motif \(nodes 20..24\) has no edge to the base"),
    ({"label_rows": [[1, 0], [1, 1], [0, 1], [1, 0], [0, 1], [1, 0]]}, r"labels: graph 1 has label row \[1.0, 1.0\]"),
    ({"label_rows": [[1, 0]] * 5}, r"labels: expected one-hot rows of shape \(6, classes >= 2\)"),
    ({"feature_shape": (6, 24, 10)}, r"features: expected shape \(6, 25, features\)"),
])
def test_malformed_pickles_fail_with_the_file_and_the_problem(tmp_path, kwargs, message):
    path = tmp_path / graphs.PKL_NAME
    write_pkl(path, **kwargs)
    with pytest.raises(DataFormatError, match=message) as err:
        graphs.read_pkl(path)
    assert str(path) in str(err.value)


def test_a_pickle_that_is_not_the_tuple_or_is_missing(tmp_path):
    path = tmp_path / graphs.PKL_NAME
    path.write_bytes(pickle.dumps({"adj": 1}))
    with pytest.raises(DataFormatError, match=r"expected a pickled tuple \(adjacency, features, labels\)"):
        graphs.read_pkl(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(DataFormatError, match="cannot be unpickled"):
        graphs.read_pkl(path)
    with pytest.raises(FileNotFoundError, match="BA-2motif.pkl"):
        load_splits(DataConfig(name="ba2motifs", data_dir=str(tmp_path / "elsewhere")))
    adj = np.zeros((2, 25, 25))
    adj[0, 0, 1] = 1   # not symmetric
    path.write_bytes(pickle.dumps((adj, np.zeros((2, 25, 10)), np.eye(2))))
    with pytest.raises(DataFormatError, match="graph 0 is not symmetric"):
        graphs.read_pkl(path)


# ------------------------------------------------------------ batches and players

def test_collated_batches_put_each_graphs_edges_on_its_own_positions():
    examples = small_graphs()[:3]
    table = GraphFeaturizer(10).table(examples)
    batch = table.collator()([table[i] for i in range(3)])
    assert batch["node_features"].shape == (3, 25, 10)
    assert batch["gold"].tolist() == [list(map(float, ex.node_gold)) for ex in examples]
    edge_index = batch["edge_index"]
    assert edge_index.shape[1] == sum(len(ex.edges) for ex in examples)
    for b, ex in enumerate(examples):
        mine = edge_index[:, (edge_index[0] // 25) == b]
        assert set(map(tuple, (mine - b * 25).t().tolist())) == set(ex.edges)
    with pytest.raises(ValueError, match="width"):
        GraphFeaturizer(7).table(examples)


def gcn_method(name="rnp"):
    torch.manual_seed(0)
    return build_method(MethodConfig(method=name, encoder="gcn"), n_classes=2, node_features=10)


def graph_batch(n=4):
    examples = small_graphs()[:n]
    table = GraphFeaturizer(10).table(examples)
    return table.collator()([table[i] for i in range(n)])


def test_gcn_encoder_is_registered_with_its_own_defaults_and_checks():
    cfg = MethodConfig(method="n2r", encoder="gcn")
    assert cfg.uses_graph and not cfg.uses_plm and cfg.continuity_lambda == 0.0 and cfg.sparsity == 0.2
    with pytest.raises(ConfigError, match="node_features"):
        build_method(cfg, n_classes=2)
    with pytest.raises(ConfigError, match="PLMR"):
        build_method(MethodConfig(method="plmr", encoder="gcn"), n_classes=2, node_features=10)


def test_unselected_nodes_features_do_not_reach_the_predictor():
    method = gcn_method().eval()
    batch = graph_batch()
    keep = batch["gold"].clone()
    pooled, _ = method.predictor(batch, batch["node_features"], keep)
    # Changing the features of unselected nodes changes nothing; a graph with
    # nothing selected pools to zeros.
    noisy = batch["node_features"].clone()
    noisy[keep == 0] = 0.0
    again, _ = method.predictor(batch, noisy, keep)
    assert torch.allclose(pooled, again)
    empty, _ = method.predictor(batch, batch["node_features"], torch.zeros_like(keep))
    assert torch.count_nonzero(empty) == 0 and torch.count_nonzero(pooled) > 0


def test_predictor_sees_only_the_subgraph_the_selection_induces():
    method = gcn_method().eval()
    batch = graph_batch()
    keep = batch["gold"].clone()
    pooled, _ = method.predictor(batch, batch["node_features"], keep)
    flat = keep.reshape(-1).bool()
    source, target = batch["edge_index"]
    induced = dict(batch, edge_index=batch["edge_index"][:, flat[source] & flat[target]])
    again, _ = method.predictor(induced, batch["node_features"], keep)
    assert torch.allclose(pooled, again, atol=1e-6)
    # ...while the generator reads the whole graph
    logits = method.generator(batch, batch["node_features"])
    assert not torch.allclose(logits, method.generator(induced, batch["node_features"]))


@pytest.mark.parametrize("name", ["rnp", "n2r", "mmi_n2r"])
def test_gcn_methods_train_and_the_selector_gets_gradient(name):
    method = gcn_method(name)
    batch = graph_batch()
    before = [p.detach().clone() for p in method.generator.parameters()]
    logs = method.train_step(batch)
    assert np.isfinite(logs["loss"]) and 0.0 <= logs["sparsity"] <= 1.0
    assert any(not torch.equal(a, b) for a, b in zip(before, method.generator.parameters()))
    out = method.predict(batch)
    assert out.mask.shape == (4, 25) and out.logits.shape == (4, 2)


def test_train_command_runs_n2r_with_the_gcn_on_ba2motifs(capsys):
    argv = ["train", "--method", "n2r", "--encoder", "gcn", "--dataset", "ba2motifs", "--option", "n_graphs=40",
            "--epochs", "1", "--quiet"]
    assert main(argv) == 0
    assert "n2r/gcn ba2motifs" in capsys.readouterr().out
    assert main(["train", "--method", "rnp", "--encoder", "gru", "--dataset", "ba2motifs", "--option",
                 "n_graphs=40", "--epochs", "1", "--quiet"]) == 2
    assert "holds graphs" in capsys.readouterr().err


# ------------------------------------------------------------ metrics against torch-geometric's

def test_node_f1_matches_torch_geometric_groundtruth_metrics():
    from torch_geometric.explain import Explanation
    from torch_geometric.explain.metric import groundtruth_metrics

    examples = small_graphs()[:5]
    rng = np.random.default_rng(0)
    preds = [(rng.random(ex.num_nodes) < 0.3).astype(np.float32) for ex in examples]
    preds[0][:] = 0          # a graph with nothing selected counts too
    flat_pred, flat_gold = [], []
    t = None
    for ex, pred in zip(examples, preds):
        explanation = Explanation(node_mask=torch.tensor(pred)[:, None],
                                  edge_index=torch.tensor(ex.edges).t(), target=torch.tensor([ex.label]))
        flat_pred.append(explanation.node_mask.view(-1))
        flat_gold.append(torch.tensor(ex.node_gold, dtype=torch.float))
        one = tally([pred], [list(ex.node_gold)], [[1] * ex.num_nodes])
        t = one if t is None else t + one
    precision, recall, f1 = groundtruth_metrics(torch.cat(flat_pred), torch.cat(flat_gold),
                                                metrics=["precision", "recall", "f1_score"])
    ours = summarize(t)
    assert ours["P"] == pytest.approx(100 * precision, abs=1e-4)
    assert ours["R"] == pytest.approx(100 * recall, abs=1e-4)
    assert ours["F1"] == pytest.approx(100 * f1, abs=1e-4)
    # a padded batch scores the same (padding nodes are not valid positions)
    padded = np.zeros((5, 30))
    gold = np.zeros((5, 30))
    for i, (ex, pred) in enumerate(zip(examples, preds)):
        padded[i, :25], gold[i, :25] = pred, ex.node_gold
    valid = np.zeros((5, 30))
    valid[:, :25] = 1
    assert rationale_metrics(padded, gold, valid)["F1"] == pytest.approx(ours["F1"])
    assert precision_recall_f1(t.true_pos, t.selected, t.gold)[2] == pytest.approx(ours["F1"])


# ------------------------------------------------------------ the chapter's verdict

def verdict_frame(f1_by_method, dev_acc=90.0):
    import pandas as pd

    rows = [{"method": m, "seed": s + 1, "F1": f1, "acc": dev_acc, "dev_acc": dev_acc, "dev_chance_acc": 50.0,
             "random_F1": 20.0}
            for m, values in f1_by_method.items() for s, f1 in enumerate(values)]
    return pd.DataFrame(rows)


def test_verdict_calls_a_difference_within_the_spread_no_difference():
    from ratlib.experiments import graph

    frame = verdict_frame({"rnp": [40, 50, 60], "n2r": [45, 55, 65], "mmi_n2r": [70, 71, 72]})
    assert graph.compare(frame, "n2r")["outcome"] == "no difference"      # +5 within a spread (max - min) of 20
    assert graph.compare(frame, "mmi_n2r")["outcome"] == "higher"
    text = graph.verdict(frame)
    assert "not confirmed" in text and "N2R vs RNP: F1 +5.0" in text and "MMI+N2R vs RNP: F1 +21.0" in text
    assert "confirmed" in graph.verdict(verdict_frame({"rnp": [10, 11, 12], "n2r": [30, 31, 32]}))
    assert "not confirmed" not in graph.verdict(verdict_frame({"rnp": [10, 11, 12], "n2r": [30, 31, 32]}))
    assert graph.compare(verdict_frame({"rnp": [10, 11], "n2r": [30, 31]}), "n2r")["outcome"].startswith(
        "fewer than 3 seeds")
    sampled = graph.verdict(frame, sampled=frame)
    assert "N2R +5.0 points against RNP (spread 20.0: no difference)" in sampled and "about 20.0" in sampled


def test_verdict_refuses_to_rank_untrained_runs():
    from ratlib.experiments import graph

    text = graph.verdict(verdict_frame({"rnp": [0, 0], "n2r": [5, 9]}, dev_acc=51.0))
    assert "Not learned" in text and "not reproduced at this scale" in text and "vs RNP" not in text


def test_chapter_runs_every_method_and_seed_plus_one_control():
    from ratlib.book.profiles import chapter_config

    config = chapter_config("graph", "cpu")
    runs = config.train_configs()
    assert len(runs) == len(config.methods) * len(config.seeds) + 1 and len(config.seeds) >= 3
    assert {r.method.encoder for r in runs} == {"gcn"} and runs[-1].method.method == "fulltext"
    assert all(r.data.name == "ba2motifs" for r in runs)
