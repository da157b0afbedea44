"""DiffAugment (Zhao et al. 2020): differentiable random translation, cutout and colour jitter, applied
to real and fake batches alike before a GAN's discriminator, so that it cannot memorise a few hundred
images. Per-sample parameters, drawn from an explicit generator; any ``[B, C, H, W]`` batch."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

DIFFAUGMENT = ("translation", "cutout", "color")


def diff_augment(x: Tensor, g: torch.Generator, policy=DIFFAUGMENT) -> Tensor:
    """Random translation (1/8 of the size), cutout (1/2 of the size) and colour jitter on ``[B,C,H,W]``."""
    for name in policy:
        x = _DIFFAUGMENT_OPS[name](x, g)
    return x


def _rand(g, x, *shape) -> Tensor:
    return torch.rand(*shape, generator=g).to(x.device, x.dtype)


def _color(x: Tensor, g) -> Tensor:
    b = len(x)
    x = x + (_rand(g, x, b, 1, 1, 1) - 0.5)                                  # brightness
    if x.shape[1] > 1:                                                        # saturation
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (_rand(g, x, b, 1, 1, 1) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)                               # contrast
    return (x - mean) * (_rand(g, x, b, 1, 1, 1) + 0.5) + mean


def _translation(x: Tensor, g, ratio: float = 0.125) -> Tensor:
    b, _, h, w = x.shape
    dh, dw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-dh, dh + 1, (b, 1, 1), generator=g).to(x.device)
    tx = torch.randint(-dw, dw + 1, (b, 1, 1), generator=g).to(x.device)
    rows = (torch.arange(h, device=x.device)[None, :, None] + ty + 1).clamp(0, h + 1)
    cols = (torch.arange(w, device=x.device)[None, None, :] + tx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)                     # zeros beyond the edge
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded[batch, rows, cols].permute(0, 3, 1, 2)


def _cutout(x: Tensor, g, ratio: float = 0.5) -> Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=g).to(x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=g).to(x.device)
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    # the box covers [centre - size // 2, centre - size // 2 + size), cut at the edges: size x size
    # pixels inside the image, even for even sizes (14 x 14 on 28 x 28)
    dy, dx = rows - cy + ch // 2, cols - cx + cw // 2
    inside = (dy >= 0) & (dy < ch) & (dx >= 0) & (dx < cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


_DIFFAUGMENT_OPS = {"color": _color, "translation": _translation, "cutout": _cutout}


def diffaugment_policy(value) -> tuple[str, ...]:
    """DiffAugment ops as a tuple: from a list or tuple of names, or a comma-separated string
    ("translation,cutout"; "" for none)."""
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",") if name.strip()]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"diffaugment must be a list of op names from {DIFFAUGMENT} or a comma-separated "
                         f"string of them, got {value!r}")
    unknown = [name for name in value if name not in _DIFFAUGMENT_OPS]
    if unknown:
        raise ValueError(f"diffaugment has unknown op(s) {unknown}; valid: {DIFFAUGMENT}")
    return tuple(value)
