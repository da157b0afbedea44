"""Pure batched image kernels on ``[B, C, H, W]`` float tensors in [0, 1], CPU or CUDA.

Every kernel takes per-sample parameters as tensors with a leading batch dimension, so each image
gets its own rotation, box or noise level in one call. Parameters are drawn elsewhere (transforms.py).
"""
from __future__ import annotations

from numbers import Integral, Real

import torch
import torch.nn.functional as F
from torch import Tensor

from aad.checks import require_tensor


def _images(images, floating: bool = True) -> Tensor:
    """``images`` checked for layout (and float dtype) only: a value scan would cost as much as a cheap
    kernel."""
    require_tensor(images, "images")
    if images.dim() != 4:
        raise ValueError(f"images must be a batch [B, C, H, W], got shape {list(images.shape)}")
    if floating and not images.is_floating_point():
        raise TypeError(f"images must be float, got {images.dtype} (integer images: x.float() / 255)")
    return images


def _per_image(values, images: Tensor, name: str, shape: tuple = ()) -> Tensor:
    """``values`` as a tensor of shape ``[B, *shape]``: one entry per image, or one for all (broadcast)."""
    values = torch.as_tensor(values)
    try:
        return values.expand(len(images), *shape)
    except RuntimeError:
        raise ValueError(f"{name} must have shape {[len(images), *shape]} (one entry per image) or broadcast "
                         f"to it, got {list(values.shape)}") from None


def affine_matrices(angle: Tensor, translate: Tensor, scale: Tensor, shear: Tensor, size,
                    aspect: Tensor | None = None) -> Tensor:
    """``[B, 2, 3]`` sampling matrices for ``affine``, from per-sample parameters.

    angle: degrees, counter-clockwise (torchvision's ``affine`` takes the negated angle and shear).
    translate: ``[B, 2]`` (x, y) as fractions of width/height. scale: zoom factor (> 1 enlarges).
    shear: degrees, along x (> 0 moves the bottom right). aspect: width / height stretch at
    constant area (> 1 widens; default 1). ``size``: (H, W). The image centre is fixed; the matrices
    map output to input positions in ``affine_grid``'s normalised units.
    """
    h, w = size
    a, s = torch.deg2rad(angle), torch.tan(torch.deg2rad(shear))
    cos, sin = torch.cos(a), torch.sin(a)
    # forward map in pixels (x right, y down): rotation @ shear @ diag(x scale, y scale)
    rot = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)
    shear_m = torch.stack([torch.stack([torch.ones_like(s), s], -1),
                           torch.stack([torch.zeros_like(s), torch.ones_like(s)], -1)], -2)
    stretch = torch.ones_like(s) if aspect is None else aspect.sqrt()
    forward = rot @ shear_m * (scale[:, None] * torch.stack([stretch, 1 / stretch], -1))[:, None, :]
    inverse = torch.linalg.inv(forward)
    half = torch.tensor([w / 2, h / 2], dtype=angle.dtype, device=angle.device)
    # normalised -> pixels (x half), inverse map, pixels -> normalised (/ half)
    linear = inverse * half[None, None, :] / half[None, :, None]
    shift_px = translate * torch.tensor([w, h], dtype=angle.dtype, device=angle.device)
    offset = -(inverse @ shift_px[:, :, None]).squeeze(2) / half
    return torch.cat([linear, offset[:, :, None]], dim=2)


def affine(images: Tensor, matrices: Tensor, fill: float = 0.0, mode: str = "bilinear") -> Tensor:
    """Warp each image by its ``[2, 3]`` matrix (see ``affine_matrices``); outside pixels get ``fill``."""
    work = _working(_images(images))
    matrices = _per_image(matrices, images, "matrices", (2, 3))
    grid = affine_grid(matrices.to(work.device, work.dtype), images.shape[2:])
    return _sample(work, grid, fill, mode).to(images.dtype)


def affine_grid(matrices: Tensor, size) -> Tensor:
    """``F.affine_grid(matrices, align_corners=False)`` as one small matmul (~100x faster on CPU)."""
    h, w = size
    gx, gy = pixel_centres(h, w, matrices)
    points = torch.stack([gx.flatten(), gy.flatten()])                       # [2, H*W]
    grid = matrices[:, :, :2] @ points + matrices[:, :, 2:]                  # [B, 2, H*W]
    return grid.transpose(1, 2).reshape(len(matrices), h, w, 2)


def pixel_centres(h: int, w: int, like: Tensor) -> tuple[Tensor, Tensor]:
    """Normalised x and y of every pixel centre, each ``[H, W]`` in (-1, 1)."""
    ys = (torch.arange(h, device=like.device, dtype=like.dtype) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=like.device, dtype=like.dtype) * 2 + 1) / w - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return gx, gy


def elastic_displacement(shape, alpha, sigma: float, g: torch.Generator) -> Tensor:
    """A smooth random displacement field ``[B, H, W, 2]`` in pixels (Simard et al. 2003).

    White noise in [-1, 1] blurred by a Gaussian of ``sigma`` pixels, rescaled so each sample's
    largest displacement along x or y is ``alpha[i]`` pixels (a diagonal one may reach sqrt(2) times
    that); ``alpha``: ``[B]``, or one number for all.
    """
    b, h, w = shape
    field = torch.rand(b * 2, h, w, generator=g) * 2 - 1
    field = (gaussian_blur_matrix(h, sigma).T @ field @ gaussian_blur_matrix(w, sigma)).view(b, 2, h, w)
    field = field / field.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
    alpha = _per_image(torch.as_tensor(alpha, dtype=field.dtype), field, "alpha")
    return (field * alpha.view(b, 1, 1, 1)).permute(0, 2, 3, 1)


def gaussian_blur_matrix(n: int, sigma: float) -> Tensor:
    """``[n, n]`` matrix ``M`` such that ``v @ M`` blurs a length-``n`` signal ``v`` by a Gaussian of
    ``sigma`` samples, with reflected borders (replicated when the kernel outgrows the signal).

    Blurring as two small matrix products is 10-20 times faster on a CPU than a one-channel
    convolution with the same kernel, even for 512x512 fields.
    """
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if isinstance(sigma, bool) or not isinstance(sigma, Real) or not 0.1 <= sigma <= 1000:   # 1e-30: NaN
        raise ValueError(f"sigma must be a number in [0.1, 1000] (pixels), got {sigma!r}")
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    impulses = torch.eye(n).view(n, 1, n)  # row i: the response of the blur to a unit impulse at i
    padded = F.pad(impulses, [radius, radius], mode="reflect" if radius < n else "replicate")
    return F.conv1d(padded, (kernel / kernel.sum()).view(1, 1, -1)).view(n, n)


def elastic(images: Tensor, displacement: Tensor, fill: float = 0.0, mode: str = "bilinear") -> Tensor:
    """Move each pixel by ``displacement`` ``[B, H, W, 2]`` (x, y in pixels): output(p) = input(p + d)."""
    _, _, h, w = _images(images).shape
    displacement = _per_image(displacement, images, "displacement", (h, w, 2))
    work = _working(images)
    identity = torch.stack(pixel_centres(h, w, work), dim=-1)               # [H, W, 2] as (x, y)
    scale = torch.tensor([2 / w, 2 / h], device=work.device, dtype=work.dtype)
    grid = identity[None] + displacement.to(work.device, work.dtype) * scale
    return _sample(work, grid, fill, mode).to(images.dtype)


def identity_points(images: Tensor) -> Tensor:
    """``[B, H, W, 2]``: every pixel centre's normalised (x, y), the starting point of ``warp``'s maps."""
    b, _, h, w = _images(images).shape
    return torch.stack(pixel_centres(h, w, _working(images)), dim=-1).expand(b, h, w, 2)


def affine_points(matrices: Tensor, points: Tensor) -> Tensor:
    """Where ``affine`` reads each of ``points`` ``[B, H, W, 2]`` (normalised x, y) from; ``matrices``
    ``[B, 2, 3]``, or one ``[2, 3]`` for all."""
    matrices = torch.as_tensor(matrices).to(points.device, points.dtype).expand(len(points), 2, 3)
    return torch.einsum("bij,bhwj->bhwi", matrices[:, :, :2], points) + matrices[:, None, None, :, 2]


def elastic_points(displacement: Tensor, points: Tensor) -> Tensor:
    """Where ``elastic`` reads each of ``points`` from: the point moved by the field (``[B, H, W, 2]``
    in pixels, given at the pixel centres, or one ``[H, W, 2]`` for all) read there bilinearly; exact at
    the pixel centres."""
    displacement = torch.as_tensor(displacement).to(points.device, points.dtype)
    *_, h, w, _ = displacement.shape
    scale = torch.tensor([2 / w, 2 / h], device=points.device, dtype=points.dtype)
    field = (displacement.expand(len(points), h, w, 2) * scale).permute(0, 3, 1, 2)
    moved = F.grid_sample(field, points, mode="bilinear", padding_mode="border", align_corners=False)
    return points + moved.permute(0, 2, 3, 1)


def warp(images: Tensor, points: Tensor, fill: float = 0.0, mode: str = "bicubic") -> Tensor:
    """Read each output pixel of ``images`` at its point ``[B, H, W, 2]`` (normalised x, y): one
    resampling for any chain of ``*_points`` maps. Bicubic overshoots at edges: clamped to [0, 1]."""
    if mode not in ("bilinear", "bicubic", "nearest"):
        raise ValueError(f"mode must be 'bilinear', 'bicubic' or 'nearest', got {mode!r}")
    work = _working(_images(images))
    out = _sample(work, points.to(work.device, work.dtype), fill, mode)
    return (out.clamp(0, 1) if mode == "bicubic" else out).to(images.dtype)


def _working(images: Tensor) -> Tensor:
    """Half-precision images warped in float32: the CPU's grid_sample gives NaNs or crashes on them
    (torch 2.11, from ~180 px), and a half-precision grid misplaces pixels by up to half a pixel."""
    return images.float() if images.dtype in (torch.float16, torch.bfloat16) else images


def _sample(images: Tensor, grid: Tensor, fill: float, mode: str) -> Tensor:
    # Bilinear/nearest outputs are convex mixtures of inputs and fill: with fill 0 they stay in [0, 1].
    if fill == 0:
        return F.grid_sample(images, grid, mode=mode, padding_mode="zeros", align_corners=False)
    # grid_sample pads with zeros: shift by fill so that outside pixels come out as fill. The shift
    # and its undoing round, leaving pixels ~1e-7 outside [0, 1]: clamp them back.
    shifted = F.grid_sample(images - fill, grid, mode=mode, padding_mode="zeros", align_corners=False)
    return (shifted + fill).clamp(0, 1)


def flip(images: Tensor, horizontal: bool = True) -> Tensor:
    """Mirror every image left-right (or top-bottom)."""
    return _images(images, floating=False).flip(-1 if horizontal else -2)


def erase(images: Tensor, boxes: Tensor, values: Tensor | float = 0.0) -> Tensor:
    """Set box ``boxes[i] = (top, left, height, width)`` (pixels) of image i to ``values``.

    ``values``: a float, or a tensor broadcastable to ``images`` (e.g. noise of the same shape).
    """
    _, _, h, w = _images(images).shape
    boxes = _per_image(boxes, images, "boxes", (4,)).to(images.device)
    top, left, height, width = (boxes[:, i, None, None] for i in range(4))
    rows = torch.arange(h, device=images.device)[None, :, None]
    cols = torch.arange(w, device=images.device)[None, None, :]
    inside = (rows >= top) & (rows < top + height) & (cols >= left) & (cols < left + width)
    values = torch.as_tensor(values, dtype=images.dtype, device=images.device)
    return torch.where(inside[:, None], values, images)


def gaussian_noise(images: Tensor, std: Tensor, noise: Tensor) -> Tensor:
    """Add ``std[i] * noise`` (``noise`` standard normal, same shape) and clip to [0, 1]."""
    std = _per_image(std, _images(images), "std").to(images.device, images.dtype).view(-1, 1, 1, 1)
    noise = _per_image(noise, images, "noise", tuple(images.shape[1:]))
    return (images + std * noise.to(images.device, images.dtype)).clamp(0, 1)


def adjust_brightness(images: Tensor, factor: Tensor) -> Tensor:
    """Multiply intensities by ``factor[i]`` (1 keeps the image, 0 gives black), clipped to [0, 1]."""
    factor = _per_image(factor, _images(images), "factor")
    return (images * factor.to(images.device, images.dtype).view(-1, 1, 1, 1)).clamp(0, 1)


def adjust_contrast(images: Tensor, factor: Tensor) -> Tensor:
    """Scale deviations from each image's mean grey level by ``factor[i]`` (0 gives flat grey)."""
    factor = _per_image(factor, _images(images), "factor").to(images.device, images.dtype).view(-1, 1, 1, 1)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * factor + mean).clamp(0, 1)


def morphology(images: Tensor, strength: Tensor, kernel: int = 3) -> Tensor:
    """Grey-level dilation (``strength[i] > 0``) or erosion (``< 0``) with a ``kernel`` x ``kernel`` square,
    blended with the input by ``|strength[i]|`` in [0, 1]: thicker or thinner bright strokes, by degrees."""
    if isinstance(kernel, bool) or not isinstance(kernel, Integral) or kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel must be an odd positive int, got {kernel!r}")
    strength = _per_image(strength, _images(images), "strength")
    pad = kernel // 2
    dilated = F.max_pool2d(images, kernel, stride=1, padding=pad)
    eroded = -F.max_pool2d(-images, kernel, stride=1, padding=pad)
    strength = strength.to(images.device, images.dtype).view(-1, 1, 1, 1)
    target = torch.where(strength > 0, dilated, eroded)
    return images + strength.abs() * (target - images)


def box_from_area(area: Tensor, aspect: Tensor, size) -> tuple[Tensor, Tensor]:
    """(height, width) in whole pixels of boxes covering ``area`` (fraction) with ``aspect`` = h / w.

    A box taller or wider than the image takes the nearest aspect at which it fits, so it keeps its area.
    """
    h, w = size
    pixels = area * h * w
    height, width = torch.sqrt(pixels * aspect).round(), torch.sqrt(pixels / aspect).round()
    # cut to the image, such a box erased less than asked (area 1: as little as 56% of a 16x16 image);
    # a box of `pixels` fits an h x w image for aspects in [pixels / w^2, h^2 / pixels]
    outside = (height > h) | (width > w)
    fitting = aspect.clamp(pixels / w**2, h**2 / pixels)
    height = torch.where(outside, torch.sqrt(pixels * fitting).round(), height)
    width = torch.where(outside, torch.sqrt(pixels / fitting).round(), width)
    return height.clamp(1, h).long(), width.clamp(1, w).long()


__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "affine",
    "affine_grid",
    "affine_matrices",
    "affine_points",
    "box_from_area",
    "elastic",
    "elastic_displacement",
    "elastic_points",
    "erase",
    "flip",
    "gaussian_blur_matrix",
    "gaussian_noise",
    "identity_points",
    "morphology",
    "warp",
]
