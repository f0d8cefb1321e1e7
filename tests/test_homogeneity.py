"""Token homogeneity measures on hand-made tensors with known values."""
import math

import pytest
import torch

from ratlib.analysis import homogeneity as h
from ratlib.analysis.token_states import gru_layers
from ratlib.experiments import homogeneity as hx


def one(x):
    """A (1, n, d) batch of one sentence, all tokens counted."""
    x = torch.as_tensor(x, dtype=torch.float32)[None]
    return x, torch.ones(x.shape[:2])


def test_identical_tokens_have_zero_trace_and_cosine_one():
    states, mask = one([[1.0, 2.0, 3.0]] * 4)
    m = h.sentence_metrics(states, mask)
    assert m["trace"].item() == pytest.approx(0.0, abs=1e-12)
    assert m["cosine"].item() == pytest.approx(1.0)
    assert m["relative_spread"].item() == pytest.approx(0.0, abs=1e-12)
    assert m["sq_norm"].item() == pytest.approx(14.0)


def test_orthogonal_unit_tokens():
    states, mask = one(torch.eye(3))
    m = h.sentence_metrics(states, mask)
    # mean = (1/3, 1/3, 1/3); each token is (2/3)^2 + 2 (1/3)^2 = 2/3 away (squared) from it
    assert m["cosine"].item() == pytest.approx(0.0, abs=1e-12)
    assert m["trace"].item() == pytest.approx(2 / 3)
    assert m["relative_spread"].item() == pytest.approx(2 / 3)


def test_opposite_tokens():
    states, mask = one([[3.0, 4.0], [-3.0, -4.0]])
    m = h.sentence_metrics(states, mask)
    assert m["cosine"].item() == pytest.approx(-1.0)
    assert m["trace"].item() == pytest.approx(25.0)       # mean is 0, each token at squared distance 25
    assert m["relative_spread"].item() == pytest.approx(1.0)


def test_padding_is_ignored():
    real = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    padded = torch.cat([real, torch.full((2, 2), 99.0)])[None]
    mask = torch.tensor([[1, 1, 1, 0, 0]], dtype=torch.float32)
    alone = h.sentence_metrics(*one(real))
    with_pad = h.sentence_metrics(padded, mask)
    for key in h.METRICS:
        assert with_pad[key].item() == pytest.approx(alone[key].item())


def test_matches_brute_force_on_random_batch():
    torch.manual_seed(0)
    states = torch.randn(3, 6, 5)
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 1, 1, 1, 1, 0]], dtype=torch.float32)
    m = h.sentence_metrics(states, mask)
    for b in range(3):
        x = states[b][mask[b] > 0].double()
        n = x.shape[0]
        trace = torch.cov(x.T, correction=0).trace()
        unit = x / x.norm(dim=1, keepdim=True)
        cos = [(unit[i] @ unit[j]).item() for i in range(n) for j in range(n) if i != j]
        assert m["trace"][b].item() == pytest.approx(trace.item())
        assert m["cosine"][b].item() == pytest.approx(sum(cos) / len(cos))
        assert m["sq_norm"][b].item() == pytest.approx((x ** 2).sum(1).mean().item())


def test_scale_changes_trace_but_not_cosine_or_spread():
    torch.manual_seed(1)
    states, mask = torch.randn(2, 4, 3), torch.ones(2, 4)
    small, big = h.sentence_metrics(states, mask), h.sentence_metrics(5 * states, mask)
    assert torch.allclose(big["trace"], 25 * small["trace"])
    assert torch.allclose(big["cosine"], small["cosine"])
    assert torch.allclose(big["relative_spread"], small["relative_spread"])


def test_single_token_has_no_pairs_and_summary_skips_it():
    states = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    cos = h.sentence_cosine(states, mask)
    assert math.isnan(cos[0].item()) and cos[1].item() == pytest.approx(0.0)
    assert h.sentence_trace(states, mask)[0].item() == 0.0
    summary = h.layer_summary(cos.tolist())
    assert summary == {"mean": pytest.approx(0.0), "std": 0.0, "n": 1}


def test_zero_vector_has_cosine_zero_with_everything():
    states, mask = one([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    # pairs: (0,1)=0, (0,2)=0, (1,2)=1, each counted twice -> 2/6
    assert h.sentence_cosine(states, mask).item() == pytest.approx(1 / 3)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="batch, tokens, hidden"):
        h.sentence_trace(torch.zeros(4, 3), torch.ones(4))
    with pytest.raises(ValueError, match="does not match"):
        h.sentence_cosine(torch.zeros(2, 4, 3), torch.ones(2, 5))


def test_rise_finds_where_a_curve_climbs():
    where = h.rise([0.2, 0.1, 0.15, 0.5, 0.6])
    assert where == {"minimum_layer": 1, "steepest_layer": 3, "halfway_layer": 3,
                     "rise_to_last": pytest.approx(0.5)}
    with pytest.raises(ValueError):
        h.rise([0.3])


def test_gru_states_do_not_depend_on_batch_padding():
    # A word-level BiGRU stand-in with the same interface as ratlib.models.gru.BiGRU.
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(10, 4)
    gru = torch.nn.GRU(4, 3, batch_first=True, bidirectional=True)

    def run_gru(vectors, mask):
        lengths = mask.sum(1).long().tolist()
        packed = torch.nn.utils.rnn.pack_padded_sequence(vectors, lengths, batch_first=True, enforce_sorted=False)
        out, _ = gru(packed)
        return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=vectors.shape[1])[0]

    vocab = {w: i + 1 for i, w in enumerate("a b c d e f g h".split())}
    encode = lambda tokens: [vocab[t] for t in tokens]  # noqa: E731
    sentences = [["a", "b", "c"], ["d", "e", "f", "g", "h", "a"]]
    got = {}

    def collect(idx, layers, mask):
        assert len(layers) == 2 and layers[1].shape[-1] == 6
        for row, i in enumerate(idx):
            got.setdefault(i, []).append(h.sentence_metrics(layers[1][row:row + 1], mask[row:row + 1])["trace"].item())

    gru_layers(embedding, run_gru, encode, sentences, max_len=10, batch_size=2, on_batch=collect)  # together
    gru_layers(embedding, run_gru, encode, sentences, max_len=10, batch_size=1, on_batch=collect)  # alone
    for i in range(2):
        assert got[i][0] == pytest.approx(got[i][1], rel=1e-5)


# ---------------------------------------------------------------- reading results

def fake_result(cosine, trace, encoder="enc"):
    """A stored-result dict for one transformer with the given per-layer curves."""
    rows = []
    for layer, (c, t) in enumerate(zip(cosine, trace)):
        for metric, value in (("cosine", c), ("trace", t), ("relative_spread", t / 10), ("sq_norm", 10.0)):
            rows.append({"encoder": encoder, "seed": 1, "layer": layer, "n_layers": len(cosine) - 1,
                         "depth": layer / (len(cosine) - 1), "metric": metric, "mean": value, "std": 0.0, "n": 5})
    return {"config": {"n_sentences": 5, "seeds": [1]}, "data": {"source": "hand-made"},
            "encoders": {encoder: {"n_layers": len(cosine) - 1}}, "rows": rows}


def test_verdict_reproduced_when_tokens_grow_alike():
    result = fake_result(cosine=[0.1, 0.1, 0.2, 0.3, 0.5, 0.6, 0.8], trace=[9, 9, 8, 7, 5, 4, 2])
    v = hx.verdict(result)
    assert v["label"] == "reproduced"
    assert "0.15 → 0.70" in v["sentence"]


def test_verdict_partly_when_trace_grows_but_cosine_rises():
    result = fake_result(cosine=[0.1, 0.1, 0.2, 0.3, 0.5, 0.6, 0.8], trace=[1, 2, 3, 4, 5, 6, 7])
    v = hx.verdict(result)
    assert v["label"] == "partly reproduced"
    assert "tr(Σ) does not fall in enc" in v["sentence"]


def test_verdict_not_reproduced_when_flat():
    result = fake_result(cosine=[0.3] * 7, trace=[5.0] * 7)
    assert hx.verdict(result)["label"] == "not reproduced"


def test_plmr_split_scales_with_depth():
    assert hx.plmr_split(12) == (3, 7)
    assert hx.plmr_split(6) == (1, 3)
    from ratlib.methods import MethodConfig  # one definition: the split the trainer runs
    assert hx.plmr_split(6) == MethodConfig(method="plmr", encoder="minilm").resolve_split(6)


def test_sample_reviews_is_seeded_and_bounded():
    pool = [[str(i)] for i in range(50)]
    assert hx.sample_reviews(pool, 10, 1) == hx.sample_reviews(pool, 10, 1)
    assert hx.sample_reviews(pool, 10, 1) != hx.sample_reviews(pool, 10, 2)
    assert len(hx.sample_reviews(pool, 100, 1)) == 50


def test_check_result_rejects_impossible_values():
    result = fake_result(cosine=[0.1, 1.5], trace=[1.0, 1.0])
    with pytest.raises(AssertionError, match="cosine"):
        hx.check_result(result)


def test_config_round_trips_through_json():
    config = hx.HomogeneityConfig(encoders=("minilm",), seeds=(4, 5), data={"name": "synth", "aspect": 1})
    assert hx.HomogeneityConfig.from_json(config.to_json()) == config


def test_plm_layers_count_only_word_pieces():
    # The packaged MiniLM (offline): 6 layers + embeddings; [CLS], [SEP] and padding are not counted.
    from ratlib.analysis.token_states import load_plm_encoder, plm_layers

    encoder = load_plm_encoder("minilm")
    sentences = [["good", "beer"], ["a", "hazy", "golden", "pour", "with", "foam"]]
    seen = {}

    def collect(idx, layers, mask):
        assert len(layers) == 7
        ids = encoder.tokenizer([sentences[i] for i in idx], is_split_into_words=True, padding=True)["input_ids"]
        for row, i in enumerate(idx):
            pieces = [t for t in ids[row] if t not in (encoder.tokenizer.cls_token_id, encoder.tokenizer.sep_token_id,
                                                        encoder.tokenizer.pad_token_id)]
            seen[i] = (int(mask[row].sum()), len(pieces))
            assert mask[row, 0] == 0  # [CLS]

    n_layers = plm_layers(encoder, sentences, max_len=32, batch_size=2, on_batch=collect)
    assert n_layers == 7
    assert seen[0] == (2, 2) and seen[1][0] == seen[1][1] >= 6
