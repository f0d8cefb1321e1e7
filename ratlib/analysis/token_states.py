"""Per-layer token vectors of an encoder, with the tokens that count marked.

The homogeneity analysis needs, for each layer, a (B, T, H) tensor and a
(B, T) mask of the positions to count. For a pre-trained transformer the
layers are the embedding output (layer 0) and every transformer layer; the
mask drops padding and the tokenizer's special tokens ([CLS]/[SEP] for BERT
and MiniLM, <s>/</s> for MPNet), so only word pieces of the review count.
For the BiGRU the layers are the GloVe vectors (layer 0) and the BiGRU's
outputs (layer 1); padding is dropped.

Encoders come from :mod:`ratlib.encoders` (the transformers the trainer
loads) and :mod:`ratlib.models.gru`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch


@dataclass
class LoadedEncoder:
    """A pre-trained encoder ready for ``output_hidden_states``."""

    name: str
    model: torch.nn.Module
    tokenizer: object
    architecture: str   # e.g. "BertModel, hidden 384"
    weights: str        # weight file and its SHA-256 ("" when unknown)


def load_plm_encoder(name: str) -> LoadedEncoder:
    """The encoder called ``name`` ("minilm", "mpnet" or a hub name) in eval mode."""
    from ..encoders import PieceEncoder

    encoder = PieceEncoder.load(name)
    model = encoder.plm.model
    model.eval()
    architecture = f"{type(model).__name__}, hidden {model.config.hidden_size}"
    source = encoder.plm.source
    weights = f"{source.weights_file} sha256:{source.sha256}" if source is not None and source.sha256 else ""
    return LoadedEncoder(name=name, model=model, tokenizer=encoder.tokenizer, architecture=architecture,
                         weights=weights)


def batches(n: int, batch_size: int, lengths: Sequence[int]) -> Iterator[list[int]]:
    """Indices in batches of similar length (less padding, same results)."""
    order = sorted(range(n), key=lambda i: lengths[i])
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


@torch.no_grad()
def plm_layers(encoder: LoadedEncoder, sentences: Sequence[Sequence[str]], max_len: int,
               batch_size: int, on_batch: Callable[[list[int], list[torch.Tensor], torch.Tensor], None]) -> int:
    """Run the encoder over word-split sentences; call ``on_batch(indices, layers, mask)``.

    ``layers`` holds one (B, T, H) tensor per layer (0 = embedding output);
    ``mask`` is 1 on word pieces (not padding, not special tokens). Returns
    the number of layers.
    """
    tok = encoder.tokenizer
    lengths = [len(s) for s in sentences]
    n_layers = 0
    for idx in batches(len(sentences), batch_size, lengths):
        enc = tok([list(sentences[i]) for i in idx], is_split_into_words=True, truncation=True,
                  max_length=max_len, padding=True, return_special_tokens_mask=True,
                  return_tensors="pt")
        special = enc.pop("special_tokens_mask")
        mask = enc["attention_mask"] * (1 - special)
        inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        out = encoder.model(**inputs, output_hidden_states=True)
        layers = list(out.hidden_states)
        n_layers = len(layers)
        on_batch(idx, layers, mask)
    return n_layers


@torch.no_grad()
def gru_layers(embedding: torch.nn.Module, gru: torch.nn.Module, encode: Callable[[Sequence[str]], list[int]],
               sentences: Sequence[Sequence[str]], max_len: int, batch_size: int,
               on_batch: Callable[[list[int], list[torch.Tensor], torch.Tensor], None]) -> int:
    """The same for a word-level BiGRU: layer 0 = word vectors, layer 1 = BiGRU outputs.

    ``gru(vectors, mask)`` must ignore right padding, as ``ratlib.models.gru.BiGRU`` does.
    """
    lengths = [min(len(s), max_len) for s in sentences]
    for idx in batches(len(sentences), batch_size, lengths):
        ids = [encode(list(sentences[i])[:max_len]) for i in idx]
        width = max(len(x) for x in ids)
        input_ids = torch.zeros(len(ids), width, dtype=torch.long)
        mask = torch.zeros(len(ids), width)
        for row, x in enumerate(ids):
            input_ids[row, :len(x)] = torch.tensor(x, dtype=torch.long)
            mask[row, :len(x)] = 1
        vectors = embedding(input_ids)
        states = gru(vectors, mask)
        on_batch(idx, [vectors, states], mask)
    return 2
