"""Sample grids as PNG: one row per class makes a conditional generator's quality visible at a glance."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from aad.checks import check_images
from aad.serialization import atomic_write


def make_grid(images: Tensor, nrow: int, padding: int = 2) -> Tensor:
    """Tile ``[B, C, H, W]`` images into one ``[C, rows*(H+p)+p, nrow*(W+p)+p]`` image, row-major."""
    images = check_images(images, "images").detach().cpu()
    if nrow < 1:
        raise ValueError(f"nrow must be >= 1, got {nrow}")
    b, c, h, w = images.shape
    rows = -(-b // nrow)
    grid = torch.ones(c, rows * (h + padding) + padding, nrow * (w + padding) + padding)
    for i, image in enumerate(images):
        top, left = padding + (i // nrow) * (h + padding), padding + (i % nrow) * (w + padding)
        grid[:, top:top + h, left:left + w] = image
    return grid


def save_grid(images: Tensor, path: str | Path, nrow: int = 8, padding: int = 2, upscale: int = 1) -> Path:
    """Write ``images`` (``[B, C, H, W]`` in [0, 1], C = 1 or 3) as a PNG grid of ``nrow`` columns."""
    from PIL import Image

    grid = make_grid(images, nrow, padding)
    if grid.shape[0] not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels to be saved as PNG, got {grid.shape[0]}")
    pixels = (grid * 255).round().to(torch.uint8).permute(1, 2, 0).squeeze(2).numpy()
    picture = Image.fromarray(pixels)
    if upscale > 1:
        picture = picture.resize((picture.width * upscale, picture.height * upscale), Image.NEAREST)
    path = Path(path)
    atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))
    return path


def save_class_grid(generator, path: str | Path, num_classes: int, per_class: int = 10, rng=None,
                    upscale: int = 1) -> Path:
    """Draw ``per_class`` samples of every class from a generative augmenter; one row per class."""
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    return save_grid(generator.generate(labels, rng=rng), path, nrow=per_class, upscale=upscale)
