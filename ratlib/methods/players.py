"""The two players of the MMI family, for a GRU or a pre-trained encoder.

A *generator* maps a batch to selection logits (B, T, 2); a *predictor* maps
a batch and a keep-mask Z (B, T) to its pooled representation ``Enc(X*Z)``
and class logits. Both read the output of an embedding layer, which a method
computes once when the players share it (``embedding_source``).
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .. import encoders
from ..models.gcn import GCN, NodeFeatures, pooled_max
from ..models.gru import BiGRU, FrozenEmbedding
from ..models.heads import ClassifierHead, SelectorHead, masked_max_pool
from ..models.plm import PLMEncoder


class GruGenerator(nn.Module):
    """Embedding -> BiGRU -> LayerNorm -> Dropout -> Linear(2*hidden -> 2)."""

    def __init__(self, embedding: FrozenEmbedding, encoder: BiGRU, selector_dropout: float):
        super().__init__()
        self.embedding = embedding
        self.encoder = encoder
        self.head = SelectorHead(encoder.output_size, selector_dropout)

    @property
    def embedding_source(self) -> nn.Module:
        return self.embedding

    def embed(self, batch: dict) -> torch.Tensor:
        return self.embedding(batch["input_ids"])

    def forward(self, batch: dict, embedded: torch.Tensor) -> torch.Tensor:
        states = self.encoder(embedded, batch["attention_mask"])
        return self.head(states)


class GruPredictor(nn.Module):
    """BiGRU on ``emb * Z`` -> max-pool over time -> Dropout -> Linear(2*hidden -> C)."""

    def __init__(self, embedding: FrozenEmbedding, encoder: BiGRU, n_classes: int, dropout: float):
        super().__init__()
        self.embedding = embedding
        self.encoder = encoder
        self.head = ClassifierHead(encoder.output_size, n_classes, dropout)

    @property
    def embedding_source(self) -> nn.Module:
        return self.embedding

    def embed(self, batch: dict) -> torch.Tensor:
        return self.embedding(batch["input_ids"])

    def forward(self, batch: dict, embedded: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states = self.encoder(embedded * keep.unsqueeze(-1).to(embedded.dtype), batch["attention_mask"])
        pooled = masked_max_pool(states, batch["attention_mask"])
        return pooled, self.head(pooled)


class PlmGenerator(nn.Module):
    """Transformer on the full text -> last-layer token states -> selector head."""

    def __init__(self, plm: PLMEncoder, selector_dropout: float):
        super().__init__()
        self.encoder = plm
        self.head = SelectorHead(plm.hidden_size, selector_dropout)

    @property
    def embedding_source(self) -> nn.Module:
        return self.encoder

    def embed(self, batch: dict) -> torch.Tensor:
        return self.encoder.embed(batch["input_ids"])

    def forward(self, batch: dict, embedded: torch.Tensor) -> torch.Tensor:
        context = self.encoder.context(batch["attention_mask"], embedded)
        hidden = embedded
        for i in range(self.encoder.n_layers):
            hidden = self.encoder.layer(i, hidden, context=context)
        return self.head(hidden)


def special_positions(batch: dict) -> torch.Tensor:
    """1 on [CLS]/[SEP]-like positions: real (attended) but not selectable."""
    return batch["attention_mask"] * (1.0 - batch["selectable"])


class PlmPredictor(nn.Module):
    """Transformer on the embedding output times Z (specials kept) -> pooled -> Dropout -> Linear.

    The attention mask stays the padding mask: unselected tokens enter as
    zero vectors, as in the FR/MCD/PLMR code. ``pooling`` is ``"cls"`` (the
    final [CLS] state) or ``"max"`` (max over real positions, as the FR/MCD
    BERT code does).
    """

    def __init__(self, plm: PLMEncoder, n_classes: int, dropout: float, pooling: str = "cls"):
        super().__init__()
        self.encoder = plm
        self.pooling = pooling
        self.head = ClassifierHead(plm.hidden_size, n_classes, dropout)

    @property
    def embedding_source(self) -> nn.Module:
        return self.encoder

    def embed(self, batch: dict) -> torch.Tensor:
        return self.encoder.embed(batch["input_ids"])

    def forward(self, batch: dict, embedded: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keep = keep * batch["selectable"] + special_positions(batch)
        hidden = embedded * keep.unsqueeze(-1).to(embedded.dtype)
        context = self.encoder.context(batch["attention_mask"], hidden)
        for i in range(self.encoder.n_layers):
            hidden = self.encoder.layer(i, hidden, context=context)
        pooled = hidden[:, 0] if self.pooling == "cls" else masked_max_pool(hidden, batch["attention_mask"])
        return pooled, self.head(pooled)


class GcnGenerator(nn.Module):
    """Node features -> GCN over the whole graph -> LayerNorm -> Dropout -> Linear(hidden -> 2) per node."""

    def __init__(self, features: NodeFeatures, encoder: GCN, selector_dropout: float):
        super().__init__()
        self.features = features
        self.encoder = encoder
        self.head = SelectorHead(encoder.output_size, selector_dropout)

    @property
    def embedding_source(self) -> nn.Module:
        return self.features

    def embed(self, batch: dict) -> torch.Tensor:
        return self.features(batch)

    def forward(self, batch: dict, embedded: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(embedded, batch["edge_index"], batch["attention_mask"]))


class GcnPredictor(nn.Module):
    """GCN on the subgraph the rationale induces -> max over its nodes -> Dropout -> Linear(hidden -> C).

    Unselected nodes enter with zero features and their states are zeroed
    after every layer, so they send nothing: the selected nodes see only each
    other. The max-pooling runs over the selected nodes. All are products
    with Z, so gradients reach the generator for every node.
    """

    def __init__(self, features: NodeFeatures, encoder: GCN, n_classes: int, dropout: float):
        super().__init__()
        self.features = features
        self.encoder = encoder
        self.head = ClassifierHead(encoder.output_size, n_classes, dropout)

    @property
    def embedding_source(self) -> nn.Module:
        return self.features

    def embed(self, batch: dict) -> torch.Tensor:
        return self.features(batch)

    def forward(self, batch: dict, embedded: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keep = keep * batch["attention_mask"]
        states = self.encoder(embedded * keep.unsqueeze(-1).to(embedded.dtype), batch["edge_index"], keep)
        pooled = pooled_max(states, keep)
        return pooled, self.head(pooled)


def _gcn_players(config, n_classes: int, node_features: int, shared_encoder: bool):
    features = NodeFeatures()
    # The predictor's states must be non-negative (its max-pooling); the generator's last
    # layer stays linear, so its selection logits do not die with the ReLU. A shared
    # encoder (FR) is the predictor's kind.
    pred_gcn = GCN(node_features)
    gen_gcn = pred_gcn if shared_encoder else GCN(node_features, final_relu=False)
    return (GcnGenerator(features, gen_gcn, config.selector_dropout),
            GcnPredictor(features, pred_gcn, n_classes, config.dropout))


def _plm_players(config, n_classes: int, plm: PLMEncoder, shared_encoder: bool):
    if config.freeze_embeddings:
        plm.freeze_embeddings()
    predictor_plm = plm if shared_encoder else copy.deepcopy(plm)
    generator = PlmGenerator(plm, config.selector_dropout)
    predictor = PlmPredictor(predictor_plm, n_classes, config.dropout, config.plm_pooling)
    return generator, predictor


def _gru_players(config, n_classes: int, embeddings, shared_encoder: bool):
    embedding = FrozenEmbedding(embeddings)
    gen_gru = BiGRU(embedding.dim, config.gru_hidden)
    pred_gru = gen_gru if shared_encoder else BiGRU(embedding.dim, config.gru_hidden)
    return (GruGenerator(embedding, gen_gru, config.selector_dropout),
            GruPredictor(embedding, pred_gru, n_classes, config.dropout))


# The players of each encoder kind, built from the kind's model input (ratlib.encoders.MODEL_INPUTS).
_PLAYERS = {encoders.GRU: _gru_players, encoders.PLM: _plm_players, encoders.GCN: _gcn_players}


def build_players(config, *, n_classes: int, embeddings=None, plm: PLMEncoder | None = None,
                  node_features: int | None = None, shared_encoder: bool = False) -> tuple[nn.Module, nn.Module]:
    """Generator and predictor for ``config.encoder``; one encoder for both when ``shared_encoder`` (FR).

    With a PLM and separate players, the predictor gets a deep copy of ``plm``
    (both start from the same pre-trained weights). ``node_features`` is the
    width of a graph's node features (encoder ``gcn``).
    """
    kind = encoders.encoder_kind(config.encoder)
    input_name = encoders.MODEL_INPUTS[kind][0]
    model_input = {"embeddings": embeddings, "plm": plm, "node_features": node_features}[input_name]
    return _PLAYERS[kind](config, n_classes, model_input, shared_encoder)


def encoder_parameters(module: nn.Module) -> list[nn.Parameter]:
    """Trainable parameters of a player's encoder."""
    if isinstance(module, PLMEncoder):
        return module.encoder_parameters()
    return [p for p in module.parameters() if p.requires_grad]
