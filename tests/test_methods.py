"""Methods: configuration, selection, PLMR's masks, N2R's frozen predictor, and learning at all.

Everything runs on tiny random models (a 4-layer BERT of hidden size 32,
8-dimensional word vectors): no download, a few seconds in all.
"""
import json

import pytest
import torch
import torch.nn.functional as F

from ratlib.methods import (FULL_TEXT_MODES, METHODS, ConfigError, MethodConfig, build_method,
                            describe_method, registered_methods)
from ratlib.methods.runtime import frozen
from ratlib.methods.selector import argmax_select, select, straight_through_gumbel
from ratlib.models import tiny_bert, tiny_mpnet

VOCAB = 40
CLS, SEP = 2, 3


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and lose a lot when the cores are busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def gru_batch(seed=0, n=8, length=12):
    """Word-id batch; label 1 iff word 7 occurs (word 7 is the gold rationale)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(8, VOCAB, (n, length), generator=g)
    am = torch.ones(n, length)
    for b in range(n):
        cut = length - (b % 4) * 2
        am[b, cut:] = 0
        if b % 2:
            ids[b, 1 + b % 3] = 7
    ids[am == 0] = 0
    labels = (ids == 7).any(1).long()
    return {"input_ids": ids, "attention_mask": am, "selectable": am.clone(), "labels": labels,
            "gold": (ids == 7).float(), "word_index": torch.arange(length).expand(n, length) * am.long(),
            "first_piece": am.clone()}


def plm_batch(seed=0, n=8, length=12):
    """Word-piece batch: [CLS] ... [SEP] then padding; label 1 iff piece 7 occurs."""
    batch = gru_batch(seed, n, length - 2)
    ids = torch.zeros(n, length, dtype=torch.long)
    am = torch.zeros(n, length)
    sel = torch.zeros(n, length)
    for b in range(n):
        k = int(batch["attention_mask"][b].sum())
        ids[b, 0], ids[b, 1:k + 1], ids[b, k + 1] = CLS, batch["input_ids"][b, :k], SEP
        am[b, :k + 2] = 1
        sel[b, 1:k + 1] = 1
    return {"input_ids": ids, "attention_mask": am, "selectable": sel, "labels": batch["labels"]}


def word_vectors(dim=8):
    vectors = torch.randn(VOCAB, dim, generator=torch.Generator().manual_seed(3))
    vectors[0] = 0
    return vectors


def make(method, encoder="gru", n_layers=4, **overrides):
    config = MethodConfig(method=method, encoder=encoder, **overrides)
    if encoder == "gru":
        return build_method(config, n_classes=2, embeddings=word_vectors())
    return build_method(config, n_classes=2, plm=tiny_bert(n_layers=n_layers, vocab_size=VOCAB))


# ------------------------------------------------------------------ configuration

def test_registry_holds_every_method():
    assert registered_methods() == sorted(METHODS)


def test_defaults_follow_the_papers():
    n2r = MethodConfig(method="n2r")
    assert (n2r.sparsity, n2r.sparsity_lambda, n2r.continuity_lambda, n2r.norm_lambda, n2r.cls_lambda) == \
        (0.125, 11.0, 12.0, 1.0, 0.9)
    assert (n2r.lr_encoder, n2r.lr_head, n2r.gru_hidden, n2r.dropout) == (1e-4, 1e-4, 100, 0.2)
    plmr = MethodConfig(method="plmr", encoder="minilm")
    assert (plmr.sparsity, plmr.sparsity_lambda, plmr.continuity_lambda, plmr.cls_lambda) == (0.2, 5.0, 10.0, 1.0)
    assert (plmr.lr_encoder, plmr.lr_head, plmr.selector_dropout, plmr.full_text) == (5e-6, 2e-5, 0.1, "layer_s")
    assert (plmr.full_text_lambda, plmr.d_lambda) == (2.0, 1.0)
    assert plmr.resolve_split(12) == (3, 7) and plmr.resolve_split(6) == (1, 3)
    assert MethodConfig(method="plmr", encoder="x", split_layers=[5, 7]).resolve_split(12) == (5, 7)
    assert MethodConfig(method="rnp").eval_sample is False


def test_config_json_round_trip(tmp_path):
    config = MethodConfig(method="plmr", encoder="minilm", split_layers=[1, 3], sparsity=0.15, eval_sample=True)
    path = tmp_path / "method.json"
    config.to_json(path)
    back = MethodConfig.from_json(path)
    assert back == config
    assert json.loads(path.read_text())["split_layers"] == [1, 3]


def test_config_json_names_unknown_fields(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"method": "rnp", "sparsity_lamda": 3}))
    with pytest.raises(ConfigError, match=r"bad\.json.*sparsity_lamda"):
        MethodConfig.from_json(path)


@pytest.mark.parametrize("kwargs, n_layers, message", [
    (dict(method="rpn"), None, "unknown method"),
    (dict(method="rnp", sparsity=1.5), None, "sparsity"),
    (dict(method="rnp", sparsity=0.0), None, "sparsity"),
    (dict(method="rnp", lr_head=-1.0), None, "lr_head"),
    (dict(method="plmr"), None, "PLM encoder"),
    (dict(method="plmr", encoder="minilm", split_layers=[3, 3]), 6, "s < e"),
    (dict(method="plmr", encoder="minilm", split_layers=[1, 5]), 6, "s < e <= 4"),
    (dict(method="plmr", encoder="minilm", split_layers=[-1, 2]), 6, "0 <= s"),
    (dict(method="plmr", encoder="minilm", split_fractions=[0.6, 0.5]), 6, "split_fractions"),
    (dict(method="plmr", encoder="minilm", full_text="both"), 6, "full_text"),
    (dict(method="rnp", freeze_embeddings=False), None, "frozen"),
    (dict(method="n2r", encoder="minilm", plm_pooling="mean"), None, "plm_pooling"),
])
def test_validate_fails_with_the_field_named(kwargs, n_layers, message):
    with pytest.raises(ConfigError, match=message):
        MethodConfig(**kwargs).validate(n_layers)


def test_describe_method_records_config_weights_and_selection_rule():
    method = make("plmr", "tiny", split_layers=[0, 2], eval_sample=True)
    record = describe_method(method)
    assert record["method"] == "PLMR" and record["config"]["split_layers"] == [0, 2]
    assert record["eval_selection"] == "sample"
    assert record["encoder_weights"][0]["name"] == "tiny-bert"
    embeddings = sum(p.numel() for p in method.plm.model.embeddings.parameters())
    assert record["trainable_parameters"] == sum(p.numel() for p in method.parameters()) - embeddings


def test_build_method_checks_the_encoder_it_is_given():
    with pytest.raises(ConfigError, match="embeddings"):
        build_method(MethodConfig(method="rnp"), n_classes=2)
    with pytest.raises(ConfigError, match="plm="):
        build_method(MethodConfig(method="fr", encoder="minilm"), n_classes=2)
    with pytest.raises(ConfigError, match="s < e"):
        build_method(MethodConfig(method="plmr", encoder="tiny", split_layers=[1, 3]), n_classes=2,
                     plm=tiny_bert(n_layers=4))


# ------------------------------------------------------------------ selection

def test_straight_through_gumbel_is_hard_forward_and_soft_backward():
    logits = torch.randn(4, 6, 2, requires_grad=True)
    torch.manual_seed(5)
    z = straight_through_gumbel(logits)
    assert set(z.unique().tolist()) <= {0.0, 1.0}
    torch.manual_seed(5)
    reference = F.gumbel_softmax(logits, tau=1.0, hard=True)[..., 1]
    assert torch.equal(z, reference)
    weights = torch.randn(4, 6)
    grad_ours = torch.autograd.grad((z * weights).sum(), logits)[0]
    grad_ref = torch.autograd.grad((reference * weights).sum(), logits)[0]
    torch.testing.assert_close(grad_ours, grad_ref)
    assert grad_ours.abs().sum() > 0


def test_evaluation_uses_argmax_unless_sampling_is_asked():
    logits = torch.tensor([[[0.0, 3.0], [3.0, 0.0], [0.1, 0.0]]])
    assert argmax_select(logits).tolist() == [[1.0, 0.0, 0.0]]
    assert torch.equal(select(logits, training=False), argmax_select(logits))
    torch.manual_seed(0)
    draws = torch.stack([select(logits.expand(200, 3, 2), training=False, sample=True) for _ in range(5)])
    assert 0.3 < draws[..., 2].mean() < 0.7  # near-even logits: samples differ from argmax


# ------------------------------------------------------------------ PLMR

def _recording_layers(plm):
    """Wrap plm.layer to record (layer index, input hidden states)."""
    calls = []
    original = plm.layer

    def layer(i, hidden, attention_mask=None, *, context=None):
        calls.append((i, hidden.detach().clone()))
        return original(i, hidden, attention_mask, context=context)

    plm.layer = layer
    return calls


def test_plmr_masks_are_cumulative_keep_cls_and_zero_padding():
    torch.manual_seed(0)
    method = make("plmr", "tiny", n_layers=6, split_layers=[0, 4])
    batch = plm_batch()
    method.train()
    for _ in range(5):
        _, masks, _, _ = method._forward(batch)
        assert len(masks) == 4
        for m in masks:
            assert torch.all(m[:, 0] == 1)                           # [CLS] always kept
            assert torch.all(m[batch["attention_mask"] == 0] == 0)   # padding never kept
        for earlier, later in zip(masks, masks[1:]):
            assert torch.all(later <= earlier)                       # a pruned token stays pruned


def test_plmr_predictor_reencodes_the_masked_embedding_output():
    torch.manual_seed(1)
    method = make("plmr", "tiny", n_layers=4, split_layers=[0, 2])
    method.eval()
    batch = plm_batch()
    calls = _recording_layers(method.plm)
    with torch.no_grad():
        _, masks, _, _ = method._forward(batch)
        embedded = method.plm.embed(batch["input_ids"])
    assert [i for i, _ in calls] == [0, 1, 2, 3]     # one pass, no extra layer runs
    keep = masks[-1]
    first = keep.clone()
    first[:, 0] = 0
    torch.testing.assert_close(calls[3][1], embedded * first.unsqueeze(-1))
    # pruning layers receive the states masked by the previous mask
    hidden_in_2 = calls[2][1]
    assert torch.all(hidden_in_2[masks[0] == 0] == 0)


def test_plmr_full_text_term_reuses_layer_s_unless_asked_otherwise():
    batch = plm_batch()
    for mode, expected_calls in (("layer_s", 4), ("none", 4), ("skip_pruning", 5)):
        torch.manual_seed(2)
        method = make("plmr", "tiny", n_layers=4, split_layers=[0, 2], full_text=mode)
        calls = _recording_layers(method.plm)
        logs = method.train_step(batch)
        assert len(calls) == expected_calls, mode
        assert ("full_text_loss" in logs) == (mode != "none")
    assert set(FULL_TEXT_MODES) == {"layer_s", "none", "skip_pruning"}


def test_plmr_embeddings_stay_frozen_and_selector_gets_gradient():
    torch.manual_seed(3)
    method = make("plmr", "tiny", n_layers=4, split_layers=[0, 2], sparsity_lambda=0.0, continuity_lambda=0.0)
    before = method.plm.model.embeddings.word_embeddings.weight.clone()
    logits, masks, full, _ = method._forward(plm_batch(), with_full_text=True)
    F.cross_entropy(logits, plm_batch()["labels"]).backward()
    grad = method.selector.linear.weight.grad
    assert grad is not None and grad.abs().sum() > 0      # straight-through reaches the selector via CE
    method.train_step(plm_batch())
    assert torch.equal(method.plm.model.embeddings.word_embeddings.weight, before)
    assert not method.plm.model.embeddings.word_embeddings.weight.requires_grad


def test_plmr_runs_on_mpnet_layers_with_position_bias():
    torch.manual_seed(8)
    config = MethodConfig(method="plmr", encoder="tiny-mpnet", split_layers=[0, 1])
    method = build_method(config, n_classes=2, plm=tiny_mpnet(n_layers=3))
    batch = plm_batch()
    batch["input_ids"][batch["attention_mask"] == 0] = 1
    logs = method.train_step(batch)
    assert torch.isfinite(torch.tensor(logs["loss"]))
    grad_free = method.plm.model.encoder.relative_attention_bias.weight
    assert grad_free.requires_grad  # the relative position bias is trained with the layers


def _plmr_masked_attention_reference(method, batch):
    """PLMR's pass written densely, but with every pruned token masked out of attention: what dropping
    pruned tokens must compute for the kept ones (logits and masks)."""
    plm, (s, e) = method.plm, method.split
    attention = batch["attention_mask"]
    embedded = plm.embed(batch["input_ids"])
    hidden = embedded
    for i in range(s + 1):
        hidden = plm.layer(i, hidden, context=plm.context(attention, hidden))
    keep, masks = attention, []
    for i in range(s + 1, e + 1):
        hidden = plm.layer(i, hidden * keep.unsqueeze(-1), context=plm.context(keep, hidden))
        z = method.selector(hidden[:, 1:]).argmax(-1).float()
        keep = torch.cat([torch.ones_like(z[:, :1]), z], dim=1) * keep
        masks.append(keep)
    first = keep.clone()
    first[:, 0] = 0
    hidden = plm.layer(e + 1, embedded * first.unsqueeze(-1), context=plm.context(keep, embedded))
    for i in range(e + 2, plm.n_layers):
        hidden = plm.layer(i, hidden * keep.unsqueeze(-1), context=plm.context(keep, hidden))
    return method.classifier(hidden[:, 0]), masks


@pytest.mark.parametrize("kind", ["bert", "mpnet"])
def test_plmr_dropping_pruned_tokens_computes_the_pass_with_pruned_tokens_left_out_of_attention(kind):
    torch.manual_seed(11)
    plm = tiny_bert(n_layers=5, vocab_size=VOCAB) if kind == "bert" else tiny_mpnet(n_layers=5, vocab_size=VOCAB)
    config = MethodConfig(method="plmr", encoder=f"tiny-{kind}", split_layers=[0, 3], plmr_drop_pruned=True)
    method = build_method(config, n_classes=2, plm=plm)
    with torch.no_grad():   # a selector that prunes some tokens but not all
        method.selector.linear.bias.copy_(torch.tensor([0.0, 0.3]))
    method.eval()
    batch = plm_batch(n=8, length=14)
    calls = _recording_layers(method.plm)
    with torch.no_grad():
        logits, masks, _, _ = method._forward(batch)
        widths = [hidden.shape[1] for _, hidden in calls]   # the layers of this one pass
        expected_logits, expected_masks = _plmr_masked_attention_reference(method, batch)
    for got, want in zip(masks, expected_masks):
        assert torch.equal(got, want)
    assert 0 < masks[-1][:, 1:].sum() < batch["attention_mask"][:, 1:].sum()   # the test prunes something
    torch.testing.assert_close(logits, expected_logits, rtol=1e-4, atol=1e-5)
    assert len(widths) == 5 and widths[:2] == [14, 14]                                    # layer s and the first pruning layer
    assert max(widths[2:]) == int(masks[0].sum(1).max())             # then only the most kept in any text
    assert widths[-1] == int(masks[-1].sum(1).max()) < 14


def test_plmr_dropping_pruned_tokens_trains_the_selector_and_is_off_by_default():
    torch.manual_seed(12)
    assert MethodConfig(method="plmr", encoder="minilm").plmr_drop_pruned is False
    assert "plmr_drop_pruned" not in MethodConfig(method="plmr", encoder="minilm").identity()   # old keys kept
    with pytest.raises(ConfigError, match="plmr only"):
        MethodConfig(method="rnp", plmr_drop_pruned=True).validate()
    method = make("plmr", "tiny", n_layers=4, split_layers=[0, 2], plmr_drop_pruned=True, sparsity_lambda=0.0,
                  continuity_lambda=0.0)
    batch = plm_batch()
    logits, _, _, _ = method._forward(batch)
    F.cross_entropy(logits, batch["labels"]).backward()
    assert method.selector.linear.weight.grad.abs().sum() > 0     # straight-through via the kept tokens
    logs = method.train_step(batch)
    assert torch.isfinite(torch.tensor(logs["loss"]))


def test_plmr_ablations_flat_targets_and_per_layer_masks():
    torch.manual_seed(13)
    paper = make("plmr", "tiny", n_layers=6, split_layers=[0, 4], sparsity=0.3)
    assert paper.levels[-1] == pytest.approx(0.3) and paper.levels[0] > 0.8      # levelled: near 1 down to alpha
    flat = make("plmr", "tiny", n_layers=6, split_layers=[0, 4], sparsity=0.3, plmr_targets="flat")
    assert flat.levels == [0.3] * 4
    per_layer = make("plmr", "tiny", n_layers=6, split_layers=[0, 4], plmr_masks="per_layer")
    per_layer.train()
    batch = plm_batch()
    _, masks, _, _ = per_layer._forward(batch)
    assert all(torch.all(m[:, 0] == 1) and torch.all(m[batch["attention_mask"] == 0] == 0) for m in masks)
    assert any(torch.any(later > earlier) for earlier, later in zip(masks, masks[1:]))   # a pruned token returns
    identity = MethodConfig(method="plmr", encoder="minilm").identity()
    assert "plmr_targets" not in identity and "plmr_masks" not in identity                # older keys kept
    assert MethodConfig(method="plmr", encoder="minilm", plmr_targets="flat").identity()["plmr_targets"] == "flat"
    with pytest.raises(ConfigError, match="cannot be dropped"):
        MethodConfig(method="plmr", encoder="minilm", plmr_masks="per_layer", plmr_drop_pruned=True).validate()
    with pytest.raises(ConfigError, match="plmr_targets"):
        MethodConfig(method="plmr", encoder="minilm", plmr_targets="steep").validate()


def test_plmr_prediction_covers_selectable_positions_only_and_is_deterministic():
    method = make("plmr", "tiny", n_layers=4, split_layers=[0, 2])
    batch = plm_batch()
    a, b = method.predict(batch), method.predict(batch)
    assert torch.equal(a.mask, b.mask) and torch.equal(a.logits, b.logits)
    assert torch.all(a.mask[batch["selectable"] == 0] == 0)
    assert a.logits.shape == (8, 2)
    pooled, logits = method.encode_rationale(batch, a.mask)
    assert pooled.shape == (8, 32) and logits.shape == (8, 2)


@pytest.mark.parametrize("method, encoder, overrides", [("rnp", "gru", {}), ("fr", "tiny", {}),
                                                      ("plmr", "tiny", {"split_layers": [0, 1]})])
def test_selection_scores_are_the_probabilities_argmax_thresholds(method, encoder, overrides):
    model = make(method, encoder, **overrides)   # PLMR with one pruning layer: its scores decide alone
    batch = plm_batch() if encoder == "tiny" else gru_batch()
    scores = model.selection_scores(batch)
    assert scores.shape == batch["selectable"].shape and bool(((scores >= 0) & (scores <= 1)).all())
    assert torch.all(scores[batch["selectable"] == 0] == 0)
    assert torch.equal((scores > 0.5).float() * batch["selectable"], model.predict(batch).mask)
    assert scores[batch["selectable"] == 1].std() > 0   # probabilities, not a 0/1 mask


def test_methods_without_a_selector_say_so():
    with pytest.raises(NotImplementedError, match="FullText has no selection scores"):
        make("fulltext", "gru").selection_scores(gru_batch())


# ------------------------------------------------------------------ RNP / FR

@pytest.mark.parametrize("encoder", ["gru", "tiny"])
def test_rnp_straight_through_gradient_reaches_the_selector(encoder):
    torch.manual_seed(4)
    method = make("rnp", encoder, sparsity_lambda=0.0, continuity_lambda=0.0)
    method.train()
    terms = method._mmi_terms(gru_batch() if encoder == "gru" else plm_batch())
    terms["loss"].backward()
    grad = method.generator.head.linear.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_fr_shares_one_encoder_and_rnp_does_not():
    fr, rnp = make("fr"), make("rnp")
    assert fr.generator.encoder is fr.predictor.encoder
    assert rnp.generator.encoder is not rnp.predictor.encoder
    fr_plm = make("fr", "tiny")
    assert fr_plm.generator.encoder is fr_plm.predictor.encoder
    rnp_plm = make("rnp", "tiny")
    assert rnp_plm.generator.encoder is not rnp_plm.predictor.encoder
    # both copies start from the same pre-trained weights
    for a, b in zip(rnp_plm.generator.encoder.parameters(), rnp_plm.predictor.encoder.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("encoder", ["gru", "tiny"])
def test_fulltext_keeps_every_token_and_never_runs_the_generator(encoder):
    method = make("fulltext", encoder)
    batch = gru_batch() if encoder == "gru" else plm_batch()
    assert method.generator.encoder is method.predictor.encoder   # one encoder, no copy
    logs = method.train_step(batch)
    assert logs["sparsity"] == pytest.approx(1.0) and logs["loss"] == pytest.approx(logs["cls_loss"])
    assert all(p.grad is None for p in method.generator.head.parameters())
    assert all(p.grad is not None for p in method.predictor.head.parameters())
    pred = method.predict(batch)
    assert torch.equal(pred.mask, batch["selectable"])
    method.eval()
    _, logits = method.encode_rationale(batch, torch.ones_like(batch["selectable"]))
    assert torch.allclose(pred.logits, logits, atol=1e-6)


@pytest.mark.parametrize("encoder, pooling", [("gru", "cls"), ("tiny", "cls"), ("tiny", "max")])
def test_encode_rationale_reproduces_predict(encoder, pooling):
    method = make("rnp", encoder, plm_pooling=pooling)
    batch = gru_batch() if encoder == "gru" else plm_batch()
    pred = method.predict(batch)
    assert torch.all(pred.mask[batch["selectable"] == 0] == 0)
    method.eval()
    with torch.no_grad():
        pooled, logits = method.encode_rationale(batch, pred.mask)
    torch.testing.assert_close(logits, pred.logits)
    assert pooled.shape[0] == 8


# ------------------------------------------------------------------ N2R

@pytest.mark.parametrize("encoder", ["gru", "tiny"])
def test_n2r_step_freezes_the_predictor_but_trains_the_generator(encoder):
    torch.manual_seed(6)
    method = make("n2r", encoder)
    batch = gru_batch() if encoder == "gru" else plm_batch()
    method.train()
    predictor_before = [p.detach().clone() for p in method.predictor.parameters()]
    generator_before = [p.detach().clone() for p in method.generator.head.parameters()]
    with frozen(method.predictor):
        terms = method._norm_terms(batch)
        method.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        assert all(p.grad is None for p in method.predictor.parameters())
        assert method.generator.head.linear.weight.grad.abs().sum() > 0
        method.optimizer.step()
    assert all(torch.equal(a, b) for a, b in zip(predictor_before, method.predictor.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(generator_before, method.generator.head.parameters()))
    assert all(p.requires_grad for p in method.predictor.head.parameters())  # unfrozen afterwards


def test_n2r_alone_gives_the_generator_no_cross_entropy_gradient():
    torch.manual_seed(7)
    n2r = make("n2r", sparsity_lambda=0.0, continuity_lambda=0.0)
    n2r._mmi_terms(gru_batch(), detach_rationale=True)["loss"].backward()
    grad = n2r.generator.head.linear.weight.grad
    assert grad is None or torch.count_nonzero(grad) == 0
    assert n2r.predictor.head.linear.weight.grad.abs().sum() > 0
    mmi = make("mmi_n2r", sparsity_lambda=0.0, continuity_lambda=0.0)
    mmi._mmi_terms(gru_batch(), detach_rationale=False)["loss"].backward()
    assert mmi.generator.head.linear.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["n2r", "mmi_n2r"])
def test_n2r_takes_two_steps_and_with_cleared_grads_the_second_leaves_the_predictor_alone(name):
    torch.manual_seed(9)
    method = make(name, n2r_frozen_grads="none")
    snapshots = []
    original = method._step

    def step(loss, **kwargs):
        before = [p.detach().clone() for p in method.predictor.parameters()]
        heads = [p.detach().clone() for p in method.generator.head.parameters()]
        original(loss, **kwargs)
        snapshots.append((
            all(torch.equal(a, b) for a, b in zip(before, method.predictor.parameters())),
            all(torch.equal(a, b) for a, b in zip(heads, method.generator.head.parameters()))))

    method._step = step
    logs = method.train_step(gru_batch())
    assert len(snapshots) == 2
    (pred_same_1, _), (pred_same_2, gen_same_2) = snapshots
    assert not pred_same_1                   # step 1 trains the predictor
    assert pred_same_2 and not gen_same_2    # step 2 trains the generator only
    assert {"loss", "sparsity", "norm", "norm_loss", "cls_loss"} <= set(logs)
    assert all(method.optimizer.state[p]["step"] == 1 for p in method.predictor.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", ["n2r", "mmi_n2r"])
def test_n2r_norm_step_moves_the_frozen_predictor_by_adams_momentum_as_the_official_code(name):
    """torch 1.13's zero_grad() leaves zero gradients, so the norm step's Adam update still moves the
    predictor: with g = 0, m2 = b1 m1, v2 = b2 v1, p -= lr m2 / (1 - b1^2) / (sqrt(v2 / (1 - b2^2)) + eps)."""
    torch.manual_seed(9)
    method = make(name)
    assert method.config.n2r_frozen_grads == "zero"     # the default: the official behaviour
    after_first = {}
    original = method._step

    def step(loss, **kwargs):
        original(loss, **kwargs)
        if not after_first:
            for p in (q for q in method.predictor.parameters() if q.requires_grad):
                state = method.optimizer.state[p]
                after_first[p] = (p.detach().clone(), state["exp_avg"].clone(), state["exp_avg_sq"].clone())

    method._step = step
    method.train_step(gru_batch())
    group = method.optimizer.param_groups[0]
    b1, b2 = group["betas"]
    moved = 0
    for p, (p1, m1, v1) in after_first.items():
        lr = next(g["lr"] for g in method.optimizer.param_groups if any(q is p for q in g["params"]))
        m2, v2 = b1 * m1, b2 * v1
        expected = p1 - lr * (m2 / (1 - b1 ** 2)) / ((v2 / (1 - b2 ** 2)).sqrt() + group["eps"])
        assert method.optimizer.state[p]["step"] == 2
        assert torch.allclose(p.detach(), expected, rtol=1e-5, atol=1e-8)
        moved += not torch.equal(p.detach(), p1)
    assert moved > 0


def test_n2r_frozen_grads_is_checked_and_only_for_n2r():
    with pytest.raises(ConfigError, match="n2r_frozen_grads"):
        MethodConfig(method="n2r", n2r_frozen_grads="zeros").validate()
    with pytest.raises(ConfigError, match="n2r and mmi_n2r only"):
        MethodConfig(method="rnp", n2r_frozen_grads="zero").validate()
    assert MethodConfig(method="rnp").n2r_frozen_grads is None


def test_plmr_norm_step_trains_the_generator_and_leaves_the_predictor_alone():
    torch.manual_seed(13)
    method = make("plmr", "tiny", n_layers=4, split_layers=[0, 1], plmr_norm_lambda=1.0)
    batch = plm_batch()
    method.train()
    method.train_step(batch)              # PLMR's own step first: the optimizer now has momentum everywhere
    predictor = [p.detach().clone() for p in method.predictor_modules().parameters()]
    generator = [p.detach().clone() for p in method.plm.layers[1].parameters()]
    selector = [p.detach().clone() for p in method.selector.parameters()]
    logs = method._norm_step(batch)
    assert all(torch.equal(a, b) for a, b in zip(predictor, method.predictor_modules().parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(generator, method.plm.layers[1].parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(selector, method.selector.parameters()))
    assert float(logs["norm"]) > 0 and all(p.requires_grad for p in method.predictor_modules().parameters())
    assert {"norm", "norm_loss", "norm_sparsity_loss"} <= set(method.train_step(batch))


def test_plmr_norm_lambda_is_off_by_default_and_only_for_plmr():
    assert MethodConfig(method="plmr", encoder="minilm").plmr_norm_lambda == 0.0
    assert "plmr_norm_lambda" not in MethodConfig(method="plmr", encoder="minilm").identity()
    assert MethodConfig(method="plmr", encoder="minilm", plmr_norm_lambda=0.5).identity()["plmr_norm_lambda"] == 0.5
    with pytest.raises(ConfigError, match="plmr_norm_lambda"):
        MethodConfig(method="plmr", encoder="minilm", plmr_norm_lambda=-1.0).validate()
    with pytest.raises(ConfigError, match="applies to plmr only"):
        MethodConfig(method="rnp", encoder="minilm", plmr_norm_lambda=1.0).validate()
    plain = make("plmr", "tiny", n_layers=4, split_layers=[0, 1])
    assert "norm" not in plain.train_step(plm_batch())                  # no norm step unless asked


def test_n2r_pre_ln_norm_maximises_the_cls_state_before_the_last_layer_norm():
    torch.manual_seed(11)
    method = make("n2r", "tiny", n2r_norm="pre_ln")
    batch = plm_batch()
    method.train()
    torch.manual_seed(12)
    with frozen(method.predictor):
        terms = method._norm_terms(batch)
    # the same draw of Z, read directly: the reported norm is that of the [CLS] state entering the LayerNorm
    torch.manual_seed(12)
    from ratlib.models.plm import PreLayerNormCls

    emb_g, emb_p = method._embed(batch)
    z = method._rationale(batch, emb_g)
    with torch.no_grad(), PreLayerNormCls(method.predictor) as pre_ln:
        pooled, _ = method.predictor(batch, emb_p, z)
    torch.testing.assert_close(terms["norm"], pre_ln.cls.norm(dim=-1).mean())
    assert not torch.allclose(terms["norm"], pooled.norm(dim=-1).mean())
    method.optimizer.zero_grad(set_to_none=True)
    terms["loss"].backward()
    assert method.generator.head.linear.weight.grad.abs().sum() > 0      # the norm reaches the generator


def test_n2r_norm_is_checked_and_only_for_n2r():
    assert MethodConfig(method="n2r").n2r_norm == "pooled" and MethodConfig(method="rnp").n2r_norm is None
    assert "n2r_norm" not in MethodConfig(method="n2r").identity()       # older keys stay as they were
    assert MethodConfig(method="mmi_n2r", encoder="minilm", n2r_norm="pre_ln").identity()["n2r_norm"] == "pre_ln"
    with pytest.raises(ConfigError, match="needs a transformer predictor"):
        MethodConfig(method="n2r", encoder="gru", n2r_norm="pre_ln").validate()
    with pytest.raises(ConfigError, match="n2r_norm = 'cls'"):
        MethodConfig(method="n2r", encoder="minilm", n2r_norm="cls").validate()
    with pytest.raises(ConfigError, match="n2r and mmi_n2r only"):
        MethodConfig(method="rnp", encoder="minilm", n2r_norm="pre_ln").validate()


# ------------------------------------------------------------------ learning at all

@pytest.mark.parametrize("method_name, encoder", [(m, e) for m in METHODS for e in ("gru", "tiny")
                                                   if not (m == "plmr" and e == "gru")])
def test_a_few_steps_lower_the_loss(method_name, encoder):
    torch.manual_seed(0)
    lr = dict(lr_encoder=1e-2, lr_head=1e-2) if encoder == "gru" else dict(lr_encoder=1e-3, lr_head=1e-2)
    if method_name == "plmr":
        lr = dict(lr_encoder=3e-3, lr_head=3e-2)
    extra = dict(split_layers=[0, 2]) if method_name == "plmr" else {}
    method = make(method_name, encoder, **lr, **extra)
    batch = gru_batch() if encoder == "gru" else plm_batch()
    losses = [method.train_step(batch)["loss"] for _ in range(25)]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5


def test_methods_run_under_bfloat16_autocast():
    batch = plm_batch()
    for name in ("plmr", "mmi_n2r"):
        method = make(name, "tiny", **(dict(split_layers=[0, 2]) if name == "plmr" else {}))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logs = method.train_step(batch)
            pred = method.predict(batch)
        assert torch.isfinite(torch.tensor(logs["loss"]))
        assert pred.logits.dtype == torch.float32 and pred.mask.dtype == torch.float32


def test_plmr_warmup_trains_only_the_predictor_as_a_full_text_classifier():
    torch.manual_seed(17)
    method = make("plmr", "tiny", n_layers=4, split_layers=[0, 1], plmr_warmup_epochs=1)
    batch = plm_batch()
    assert method.warmup_epochs == 1
    method.start_epoch(0)
    predictor = [p.detach().clone() for p in method.predictor_modules().parameters()]
    generator = [p.detach().clone() for p in [*method.plm.layers[:2].parameters(), *method.selector.parameters()]]
    logs = method.train_step(batch)
    assert float(logs["sparsity"]) == 1.0 and "sparsity_loss" not in logs        # nothing was selected
    assert all(torch.equal(a, b) for a, b in
               zip(generator, [*method.plm.layers[:2].parameters(), *method.selector.parameters()]))
    assert not all(torch.equal(a, b) for a, b in zip(predictor, method.predictor_modules().parameters()))
    method.start_epoch(1)                       # after the warm-up: PLMR's own step, selector included
    selector = [p.detach().clone() for p in method.selector.parameters()]
    assert "sparsity_loss" in method.train_step(batch)
    assert not all(torch.equal(a, b) for a, b in zip(selector, method.selector.parameters()))


def test_plmr_warmup_is_off_by_default_checked_and_only_for_plmr():
    assert MethodConfig(method="plmr", encoder="minilm").plmr_warmup_epochs == 0
    assert "plmr_warmup_epochs" not in MethodConfig(method="plmr", encoder="minilm").identity()   # older keys kept
    assert MethodConfig(method="plmr", encoder="minilm", plmr_warmup_epochs=1).identity()["plmr_warmup_epochs"] == 1
    with pytest.raises(ConfigError, match="plmr_warmup_epochs"):
        MethodConfig(method="plmr", encoder="minilm", plmr_warmup_epochs=-1).validate()
    with pytest.raises(ConfigError, match="applies to plmr only"):
        MethodConfig(method="rnp", encoder="minilm", plmr_warmup_epochs=1).validate()
    assert make("rnp", "tiny").warmup_epochs == 0
