"""PyTorch adapters: apply an augmenter on the fly inside a DataLoader."""
from __future__ import annotations

import torch
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import default_collate, get_worker_info

from aad.base import Augmenter
from aad.data.dataset import Dataset
from aad.seeding import derive_seed, make_generator


class _WorkerStreams:
    """One generator per DataLoader worker process, distinct across workers and epochs.

    With ``seed`` set the streams are reproducible whenever the DataLoader is (``torch.manual_seed``
    or ``generator=`` on the DataLoader decide each epoch's worker seeds).
    """

    def __init__(self, seed: int | None):
        self.seed = seed
        self._key, self._g = None, None

    def get(self) -> torch.Generator:
        info = get_worker_info()
        key = None if info is None else info.seed
        if self._g is None or key != self._key:
            seed = self.seed if info is None else derive_seed(self.seed, info.seed)
            self._key, self._g = key, make_generator(seed)
        return self._g


class AugmentedDataset(TorchDataset):
    """Yields ``(augmented x_i, y_i)``: each item is augmented as a batch of one.

    Use it with any DataLoader; for batched (faster, GPU-friendly) augmentation use
    ``collate_fn=AugmentCollate(augmenter)`` on the plain dataset instead.
    """

    def __init__(self, data: Dataset, augmenter: Augmenter, seed: int | None = None):
        if not isinstance(data, Dataset):
            raise TypeError(f"data must be an aad.data.Dataset, got {type(data).__name__}")
        if not isinstance(augmenter, Augmenter):
            raise TypeError(f"augmenter must be an aad Augmenter, got {type(augmenter).__name__}")
        self.data, self.augmenter = data, augmenter
        self._streams = _WorkerStreams(seed)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        x = self.data.x[i : i + 1] if isinstance(self.data.x, torch.Tensor) else [self.data.x[i]]
        y = self.data.y[i : i + 1]
        out = self.augmenter.augment(x, y, rng=self._streams.get())
        return out[0], y[0]


class PlainDataset(TorchDataset):
    """``(x_i, y_i)`` pairs of an aad Dataset, for use with ``AugmentCollate``."""

    def __init__(self, data: Dataset):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        return self.data.x[i], self.data.y[i]


class AugmentCollate:
    """A DataLoader ``collate_fn`` that stacks a batch, then augments it in one batched call."""

    def __init__(self, augmenter: Augmenter, seed: int | None = None):
        self.augmenter = augmenter
        self._streams = _WorkerStreams(seed)

    def __call__(self, items):
        xs, ys = zip(*items)
        y = torch.stack(ys)
        x = list(xs) if isinstance(xs[0], str) else default_collate(list(xs))
        return self.augmenter.augment(x, y, rng=self._streams.get()), y
