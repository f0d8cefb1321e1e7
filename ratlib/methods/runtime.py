"""Small helpers every method uses around its steps: precision, freezing, optimizers, logs."""
from __future__ import annotations

import contextlib

import torch
from torch import nn


def device_of(module: nn.Module) -> torch.device:
    for param in module.parameters():
        return param.device
    return torch.device("cpu")


def autocast_for(module: nn.Module, enabled: bool):
    """bfloat16 autocast when ``enabled`` and the module sits on CUDA; a no-op otherwise.

    A no-op (rather than ``autocast(enabled=False)``) leaves an autocast region
    opened by the caller in force.
    """
    device = device_of(module)
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def frozen(module: nn.Module):
    """Parameters of ``module`` stop requiring gradients inside the block; gradients still flow through it."""
    switched = [p for p in module.parameters() if p.requires_grad]
    for param in switched:
        param.requires_grad_(False)
    try:
        yield
    finally:
        for param in switched:
            param.requires_grad_(True)


def unique_trainable(params) -> list[nn.Parameter]:
    """Trainable parameters without repeats (shared modules appear once)."""
    seen, out = set(), []
    for param in params:
        if param.requires_grad and id(param) not in seen:
            seen.add(id(param))
            out.append(param)
    return out


def adam(groups: list[tuple[list[nn.Parameter], float]]) -> torch.optim.Adam:
    """One Adam over parameter groups [(params, lr), ...]; a parameter belongs to the first group naming it."""
    seen, param_groups = set(), []
    for params, lr in groups:
        kept = [p for p in unique_trainable(params) if id(p) not in seen]
        seen.update(id(p) for p in kept)
        if kept:
            param_groups.append({"params": kept, "lr": lr})
    return torch.optim.Adam(param_groups)


def scalars(**values) -> dict[str, float]:
    """Tensors and numbers to plain floats in one device transfer."""
    names = list(values)
    tensors = [v.detach().float().reshape(()) if torch.is_tensor(v) else torch.tensor(float(v)) for v in values.values()]
    device = tensors[0].device if tensors else torch.device("cpu")
    stacked = torch.stack([t.to(device) for t in tensors]).tolist() if tensors else []
    return dict(zip(names, stacked))


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(dim=-1) == labels).float().mean()
