"""The encoder a run reads its examples with: one object per kind, chosen in one place.

A configuration names its encoder: ``"gru"`` (a BiGRU over frozen GloVe
vectors), ``"gcn"`` (a graph convolutional network over node features) or
any other name (a pre-trained transformer, see :func:`ratlib.models.load_plm`).
:func:`encoder_kind` is the one rule that tells them apart;
:func:`encoder_for` gives the object of that kind for a training run, which
owns everything that differs between the kinds outside the method itself:

* ``featurizer``: turns examples into positions (words, word pieces or nodes);
* :meth:`model_inputs`: what :func:`ratlib.methods.build_method` builds the
  players from (``embeddings``, ``plm`` or ``node_features``);
* ``provenance``: what a result records as its ``encoder``;
* ``maps_pieces_to_words``, ``piece_rule`` and :meth:`words`: whether a
  selection over positions is a selection over word pieces, which
  :meth:`words` maps to the text's words by ``piece_rule`` (and :meth:`word_values`
  any per-position values, e.g. keep-probabilities); otherwise every
  position is a word (or node) and ``piece_rule`` is None.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import torch

from .data.batching import PieceFeaturizer, WordFeaturizer
from .text.glove import Vocab, build_vocab, load_word_vectors
from .text.wordpiece import piece_values_to_words, pieces_to_words

if TYPE_CHECKING:
    from .data.record import Splits
    from .models.plm import PLMEncoder
    from .train import TrainConfig

GRU = "gru"   # BiGRU over frozen GloVe vectors
GCN = "gcn"   # graph convolutional network on node features (graph datasets)
PLM = "plm"   # a pre-trained transformer, named by any other encoder name

# What each kind's players are built from: the keyword of build_method, and what it holds.
MODEL_INPUTS = {
    GRU: ("embeddings", "the (V, d) word-vector matrix, row 0 = zeros"),
    PLM: ("plm", "a ratlib.models.PLMEncoder, e.g. ratlib.models.load_encoder(name)[0]"),
    GCN: ("node_features", "the width of the node features, an integer >= 1"),
}


def encoder_kind(name: str) -> str:
    """``"gru"``, ``"gcn"`` or ``"plm"`` (every other name is a pre-trained transformer's)."""
    return name if name in (GRU, GCN) else PLM


class _PositionPerWord:
    """Encoders whose positions are the example's words (or nodes): selections need no mapping."""

    maps_pieces_to_words = False
    piece_rule = None

    def words(self, selection, word_index, first_piece, n_words: int) -> np.ndarray:
        """The selection of one example's ``n_words`` words from its per-position ``selection``."""
        return np.asarray(selection)[:n_words]

    def word_values(self, values, word_index, first_piece, n_words: int) -> np.ndarray:
        """Per-word values of one example from per-position ones (a position is a word)."""
        return np.asarray(values, dtype=np.float64)[:n_words]


class WordEncoder(_PositionPerWord):
    """A BiGRU's input: one position per word, ids in a GloVe vocabulary, the vectors frozen."""

    kind = GRU

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.featurizer = WordFeaturizer(vocab)

    @classmethod
    def from_texts(cls, token_lists: Iterable[Sequence[str]], glove_path: str | None = None) -> "WordEncoder":
        """The vocabulary of the words in ``token_lists`` that GloVe knows (``glove_path``; None: GloVe 6B 50d).

        The vectors are frozen, so a vocabulary over every split leaks no labels.
        """
        return cls(build_vocab(token_lists, load_word_vectors(glove_path)))

    @property
    def provenance(self) -> dict:
        return {"word_vectors": self.vocab.source, "vocab_size": len(self.vocab)}

    def model_inputs(self) -> dict:
        return {"embeddings": torch.from_numpy(np.array(self.vocab.embeddings))}


class PieceEncoder:
    """A pre-trained transformer's input: word pieces with [CLS]/[SEP], aligned to words.

    :meth:`model_inputs` hands over the loaded transformer itself, which the
    method fine-tunes in place: make one encoder per run.
    """

    kind = PLM
    maps_pieces_to_words = True

    def __init__(self, name: str, plm: "PLMEncoder", tokenizer, max_pieces: int = 512, piece_rule: str = "first"):
        self.name = name
        self.plm = plm
        self.tokenizer = tokenizer
        self.piece_rule = piece_rule
        self.featurizer = PieceFeaturizer(tokenizer, name, max_pieces)

    @classmethod
    def load(cls, name: str, max_pieces: int = 512, piece_rule: str = "first") -> "PieceEncoder":
        """The transformer called ``name`` and its tokenizer (see :func:`ratlib.models.load_plm` for names)."""
        from .models.plm import load_encoder

        plm, tokenizer = load_encoder(name)
        return cls(name, plm, tokenizer, max_pieces, piece_rule)

    @property
    def provenance(self) -> dict:
        source = self.plm.source
        return source.to_dict() if source is not None else {"name": self.name}

    def model_inputs(self) -> dict:
        return {"plm": self.plm}

    def words(self, selection, word_index, first_piece, n_words: int) -> np.ndarray:
        """The selection of one example's ``n_words`` words from its per-piece ``selection``, by ``piece_rule``."""
        return pieces_to_words(selection, word_index, first_piece, n_words, self.piece_rule)

    def word_values(self, values, word_index, first_piece, n_words: int) -> np.ndarray:
        """Per-word values of one example from per-piece ones, by ``piece_rule`` (0 for truncated words)."""
        return piece_values_to_words(values, word_index, first_piece, n_words, self.piece_rule)


class GraphEncoder(_PositionPerWord):
    """A GCN's input: node features as they are, one position per node."""

    kind = GCN

    def __init__(self, name: str, feature_dim: int):
        from .data.graph_batching import GraphFeaturizer

        self.name = name
        self.feature_dim = feature_dim
        self.featurizer = GraphFeaturizer(feature_dim)

    @property
    def provenance(self) -> dict:
        return {"encoder": self.name, "node_features": self.feature_dim}

    def model_inputs(self) -> dict:
        return {"node_features": self.feature_dim}


def encoder_for(config: "TrainConfig", splits: "Splits"):
    """The encoder ``config.method.encoder`` names, made for ``splits`` (loads GloVe or the transformer).

    The word vocabulary is the words of every split that GloVe knows. A
    graph dataset with a text encoder, or the reverse, fails here with both named.
    """
    name = config.method.encoder
    kind = encoder_kind(name)
    examples = [ex for _, exs in splits.items() for ex in exs]
    graphs = [ex for ex in examples if getattr(ex, "is_graph", False)]
    if graphs and kind != GCN:
        raise ValueError(f"dataset {config.data.name!r} holds graphs; encoder {name!r} reads text. "
                         f"Use --encoder gcn")
    if kind == GCN:
        if len(graphs) != len(examples):
            raise ValueError(f"encoder {name!r} reads graphs; dataset {config.data.name!r} holds texts. "
                             f"Use a graph dataset such as ba2motifs")
        return GraphEncoder(name, feature_dim=len(graphs[0].features[0]))
    if kind == GRU:
        return WordEncoder.from_texts((ex.tokens for ex in examples), config.glove_path)
    return PieceEncoder.load(name, config.max_pieces, config.piece_rule)
