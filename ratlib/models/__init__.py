"""Encoders and heads: frozen word vectors + BiGRU, pre-trained transformers layer by layer, and a GCN for graphs.

``ratlib.models.gcn`` imports torch-geometric (the ``graph`` extra) when a GCN is built.
"""
from .gru import BiGRU, FrozenEmbedding, reverse_within_length
from .heads import ClassifierHead, SelectorHead, masked_max_pool
from .plm import (LayerContext, PLMEncoder, PLMSource, PLMUnavailableError, file_sha256, load_encoder,
                  load_plm, minilm_path, mpnet_path, tiny_bert, tiny_mpnet)

__all__ = [
    "BiGRU", "FrozenEmbedding", "reverse_within_length",
    "ClassifierHead", "SelectorHead", "masked_max_pool",
    "LayerContext", "PLMEncoder", "PLMSource", "PLMUnavailableError", "file_sha256", "load_encoder",
    "load_plm", "minilm_path", "mpnet_path", "tiny_bert", "tiny_mpnet",
]
