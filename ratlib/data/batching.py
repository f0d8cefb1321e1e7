"""From examples to padded tensor batches.

Examples become a Hugging Face ``datasets`` table (:func:`to_hf`); a
featurizer turns tokens into model ids through ``Dataset.map`` (cached on
disk, keyed by the data and the featurizer); a torch ``DataLoader`` with a
length-bucketing sampler and :class:`Collator` pads every batch to its own
longest sequence only. The batch layout is documented in
:mod:`ratlib.methods.base`.
"""
from __future__ import annotations

import hashlib
import random
from typing import Sequence

import torch
from torch.utils.data import DataLoader, Sampler

from ..paths import cache_dir
from ..text.wordpiece import encode_words_batch, words_to_pieces
from .record import Example

FEATURE_COLUMNS = ("input_ids", "word_index", "first_piece", "gold", "label", "annotated")


def to_hf(examples: Sequence[Example]):
    """A ``datasets.Dataset`` with one row per example (see ``Example.to_row``)."""
    import datasets

    rows = [ex.to_row() for ex in examples]
    if not rows:
        features = datasets.Features({
            "id": datasets.Value("string"), "tokens": datasets.List(datasets.Value("string")),
            "label": datasets.Value("int64"), "aspect": datasets.Value("int64"),
            "source": datasets.Value("string"), "annotated": datasets.Value("bool"),
            "rationale": datasets.List(datasets.Value("int64"))})
        return datasets.Dataset.from_list([], features=features)
    return datasets.Dataset.from_list(rows)


def content_hash(examples: Sequence[Example]) -> str:
    """A hash of what a featurizer reads (tokens, labels, rationales)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(" ".join(ex.tokens).encode())
        h.update(f"|{ex.label}|{ex.spans}\n".encode())
    return h.hexdigest()[:20]


class WordFeaturizer:
    """Word ids in a GloVe vocabulary; one position per word."""

    pad_id = 0

    def __init__(self, vocab):
        self.vocab = vocab

    def key(self) -> str:
        return f"word-{self.vocab.key()}"

    def __call__(self, batch: dict) -> dict:
        ids = [self.vocab.encode(tokens) for tokens in batch["tokens"]]
        return {
            "input_ids": ids,
            "word_index": [list(range(len(x))) for x in ids],
            "first_piece": [[1] * len(x) for x in ids],
            "gold": [list(r) if a else [0] * len(x) for r, a, x in zip(batch["rationale"], batch["annotated"], ids)],
        }


class PieceFeaturizer:
    """Word pieces of a pre-trained tokenizer, with [CLS]/[SEP] and word alignment."""

    def __init__(self, tokenizer, name: str, max_pieces: int = 512):
        self.tokenizer = tokenizer
        self.name = name
        self.max_pieces = max_pieces
        self.pad_id = tokenizer.pad_token_id

    def key(self) -> str:
        vocab_hash = hashlib.sha256(str(sorted(self.tokenizer.get_vocab().items())).encode()).hexdigest()[:16]
        return f"piece-{self.name.replace('/', '_')}-{vocab_hash}-{self.max_pieces}"

    def __call__(self, batch: dict) -> dict:
        encoded = encode_words_batch(self.tokenizer, batch["tokens"], self.max_pieces)
        gold = [words_to_pieces(r if a else [0] * len(t), e["word_index"])
                for r, a, t, e in zip(batch["rationale"], batch["annotated"], batch["tokens"], encoded)]
        return {
            "input_ids": [e["input_ids"] for e in encoded],
            "word_index": [e["word_index"] for e in encoded],
            "first_piece": [e["first_piece"] for e in encoded],
            "gold": gold,
        }


def featurize(examples: Sequence[Example], featurizer, batch_size: int = 512):
    """The examples as a featurized ``datasets.Dataset``, cached by content and featurizer."""
    ds = to_hf(examples)
    key = f"{content_hash(examples)}-{featurizer.key()}"
    path = cache_dir("features") / f"{key}.arrow"
    import datasets

    from ..progress import is_terminal

    # A bar per split is noise in a log file (and featurizing takes seconds).
    quiet = not is_terminal() and not datasets.are_progress_bars_disabled()
    if quiet:
        datasets.disable_progress_bars()
    try:
        return ds.map(featurizer, batched=True, batch_size=batch_size, cache_file_name=str(path),
                      load_from_cache_file=True, new_fingerprint=key, desc="featurize")
    finally:
        if quiet:
            datasets.enable_progress_bars()


class FeatureTable(torch.utils.data.Dataset):
    """The model-facing columns of a featurized dataset, held as Python lists.

    Reading rows out of Arrow one at a time is slow; the columns are pulled
    out once and batches are cut from plain lists.
    """

    def __init__(self, featurized):
        cols = featurized.select_columns(list(FEATURE_COLUMNS)).to_dict()
        self.columns = cols
        self.lengths = [len(x) for x in cols["input_ids"]]

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> dict:
        row = {k: v[i] for k, v in self.columns.items()}
        row["row"] = i
        return row

    def collator(self, pad_id: int) -> "Collator":
        return Collator(pad_id)


def feature_table(examples: Sequence[Example], featurizer):
    """The model-facing table of ``examples``: the featurizer's own (graphs) or a featurized text table."""
    make_table = getattr(featurizer, "table", None)
    if make_table is not None:
        return make_table(examples)
    return FeatureTable(featurize(examples, featurizer))


class Collator:
    """Pads a list of rows to the batch's longest sequence."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        n, t = len(rows), max(len(r["input_ids"]) for r in rows)
        input_ids = torch.full((n, t), self.pad_id, dtype=torch.long)
        word_index = torch.full((n, t), -1, dtype=torch.long)
        attention = torch.zeros((n, t))
        first = torch.zeros((n, t))
        gold = torch.zeros((n, t))
        for i, r in enumerate(rows):
            k = len(r["input_ids"])
            input_ids[i, :k] = torch.tensor(r["input_ids"])
            word_index[i, :k] = torch.tensor(r["word_index"])
            first[i, :k] = torch.tensor(r["first_piece"], dtype=torch.float)
            gold[i, :k] = torch.tensor(r["gold"], dtype=torch.float)
            attention[i, :k] = 1.0
        return {
            "input_ids": input_ids,
            "attention_mask": attention,
            "selectable": (word_index >= 0).float(),
            "labels": torch.tensor([r["label"] for r in rows], dtype=torch.long),
            "annotated": torch.tensor([float(r["annotated"]) for r in rows]),
            "gold": gold,
            "word_index": word_index,
            "first_piece": first,
            "row": torch.tensor([r["row"] for r in rows], dtype=torch.long),
        }


class BucketBatchSampler(Sampler):
    """Batches of similar length: little padding, still shuffled.

    Training: indices are shuffled, cut into pools of ``pool`` batches,
    sorted by length inside each pool, batched, and the batches shuffled.
    Evaluation (``shuffle=False``): sorted by length, fixed order.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool, seed: int = 0, pool: int = 50):
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.pool = pool
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _batches(self) -> list[list[int]]:
        idx = list(range(len(self.lengths)))
        if not self.shuffle:
            idx.sort(key=lambda i: self.lengths[i])
            return [idx[i:i + self.batch_size] for i in range(0, len(idx), self.batch_size)]
        rng = random.Random(self.seed * 100003 + self.epoch)
        rng.shuffle(idx)
        span = self.batch_size * self.pool
        batches = []
        for start in range(0, len(idx), span):
            chunk = sorted(idx[start:start + span], key=lambda i: self.lengths[i])
            batches += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        rng.shuffle(batches)
        return batches

    def __iter__(self):
        return iter(self._batches())

    def __len__(self) -> int:
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size


def make_loader(table, pad_id: int, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """A DataLoader over a table (:class:`FeatureTable`, or a graph table) with bucketing and dynamic padding."""
    sampler = BucketBatchSampler(table.lengths, batch_size, shuffle=shuffle, seed=seed)
    return DataLoader(table, batch_sampler=sampler, collate_fn=table.collator(pad_id), num_workers=0)
