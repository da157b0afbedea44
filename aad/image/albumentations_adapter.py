"""Albumentations: any albumentations image transform as an aad Augmenter (batch in, batch out, seeded).

albumentations transforms one HxWxC array at a time and draws from generators of its own. Each
call seeds a fresh copy of the transform from the augmenter's stream, so the usual seeding
contract holds and the transform passed in is never touched. Saving goes through albumentations'
own serialization (``A.to_dict``), a JSON description: nothing executable is stored.
"""
from __future__ import annotations

import copy
import os

import numpy as np
import torch
from torch import Tensor

from aad.base import Augmenter


def albumentations():
    """The albumentations module, imported without its online check for a newer version."""
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    try:
        import albumentations
    except ImportError as e:
        raise ImportError("Albumentations needs `pip install albumentations`") from e
    return albumentations


def seed_each(transform, g: torch.Generator) -> None:
    """Seed ``transform``, then each transform inside it, with its own seed from ``g``.
    albumentations' ``set_random_seed`` hands a composition's seed to all of its children, so
    ``Compose([HorizontalFlip(), VerticalFlip()])`` would flip both ways or neither, never one."""
    transform.set_random_seed(int(torch.randint(0, 2**31, (), generator=g)))
    for child in getattr(transform, "transforms", ()):   # Compose, OneOf, SomeOf, Sequential ...
        if callable(getattr(child, "set_random_seed", None)):
            seed_each(child, g)


class Albumentations(Augmenter):
    """Wrap ``transform``: an albumentations transform or ``A.Compose``, or the dict ``A.to_dict`` makes.

    Images go through it one at a time as float32 HxWxC arrays in [0, 1] (albumentations' float
    convention), so the adapter rounds nothing to 8 bits (transforms albumentations itself computes
    in uint8, e.g. HueSaturationValue, CLAHE, Downscale, still do); outputs are clipped to [0, 1]
    and must keep each image's shape (crop and resize transforms that change it are refused at the call).
    """

    modality = "image"

    def __init__(self, transform, seed: int | None = None):
        self.transform = transform
        self.seed = seed

    def _augment(self, x: Tensor, y, g: torch.Generator) -> Tensor:
        pipeline = self._fresh_transform()
        seed_each(pipeline, g)
        images = x.detach().to("cpu", torch.float32).permute(0, 2, 3, 1).numpy()
        out = np.stack([self._one(pipeline, np.ascontiguousarray(image)) for image in images])
        return torch.from_numpy(out).permute(0, 3, 1, 2).to(x.device, x.dtype)

    @staticmethod
    def _one(pipeline, image: np.ndarray) -> np.ndarray:
        result = pipeline(image=image)["image"]
        if result.ndim == 2:               # OpenCV drops the channel axis of one-channel images
            result = result[..., None]
        if result.shape != image.shape:
            raise ValueError(f"transform must keep each image's shape {image.shape} (H, W, C), "
                             f"got {result.shape}: crops and resizes cannot augment a batch")
        if result.dtype == np.uint8:   # a FromFloat without its ToFloat: 0..255, not 0..1
            result = result / np.float32(255)
        return np.clip(result, 0.0, 1.0, dtype=np.float32)

    def _fresh_transform(self):
        if isinstance(self.transform, dict):
            try:
                return albumentations().from_dict(self.transform)
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"transform is not a transform's A.to_dict form ({type(e).__name__}: {e}); "
                                 f"it holds {{'transform': {{'__class_fullname__': ..., ...}}}}") from e
        self._check_transform()
        return copy.deepcopy(self.transform)

    def _check_transform(self) -> None:
        if not callable(getattr(self.transform, "set_random_seed", None)):
            raise TypeError(f"transform must be an albumentations transform (or its A.to_dict form), "
                            f"got {type(self.transform).__name__}")

    def to_config(self) -> dict:
        as_dict = self.transform
        if not isinstance(as_dict, dict):
            self._check_transform()
            try:
                as_dict = albumentations().to_dict(self.transform)
            except Exception as e:  # e.g. a Lambda transform: albumentations cannot describe it
                raise TypeError(f"parameter 'transform' cannot be saved to config.json: {e}") from e
        return Augmenter.to_config(Albumentations(as_dict, self.seed))
