"""PyTorch adapters: apply an augmenter on the fly inside a DataLoader."""
from __future__ import annotations

import operator

import torch
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import default_collate, get_worker_info

from aad.base import Augmenter, modality_of
from aad.data.dataset import Dataset
from aad.seeding import check_seed, derive_seed, generator_from_state, generator_state, make_generator


class _WorkerStreams:
    """One generator per DataLoader worker process, distinct across workers and epochs.

    The streams come from ``seed``, or when it is None from the augmenter's own (mixed with its class
    name, as its own stream is).
    Seeded, they are reproducible whenever the DataLoader is (``torch.manual_seed`` or ``generator=``
    on the DataLoader decide each epoch's worker seeds). With ``num_workers=0`` there are no worker
    seeds: the one stream is the seed's, and it runs on across epochs and DataLoaders (so another
    DataLoader seed reorders the samples but does not redraw their augmentations). Unseeded, it is
    drawn afresh per process.
    """

    def __init__(self, seed: int | None):
        self.seed = None if seed is None else check_seed(seed)   # a bad seed must not pass with workers
        self._key, self._g = None, None

    def get(self, augmenter: Augmenter) -> torch.Generator:
        info = get_worker_info()
        seed = augmenter.sampling_seed(augmenter.seed) if self.seed is None else self.seed
        key = (seed, None if info is None else info.seed)
        if self._g is None or key != self._key:
            seed = seed if info is None else derive_seed(seed, info.seed)
            self._key, self._g = key, make_generator(seed)
        return self._g

    def __getstate__(self):   # a live generator does not pickle for a spawned worker
        state = self.__dict__.copy()
        state["_g"] = generator_state(state["_g"])
        return state

    def __setstate__(self, state):
        self.__dict__.update(state, _g=generator_from_state(state["_g"]))


class AugmentedDataset(TorchDataset):
    """Yields ``(augmented x_i, y_i)``: each item is augmented as a batch of one.

    Use it with any DataLoader; for batched (faster, GPU-friendly) augmentation use
    ``collate_fn=AugmentCollate(augmenter)`` on the plain dataset instead. ``seed=None`` takes the
    augmenter's own ``seed``; each worker and epoch still gets its own stream.
    """

    def __init__(self, data: Dataset, augmenter: Augmenter, seed: int | None = None):
        if not isinstance(data, Dataset):
            raise TypeError(f"data must be an aad.data.Dataset, got {type(data).__name__}")
        _check_augmenter(augmenter)
        if modality_of(augmenter) not in (None, data.modality):   # else the first item fails, in a worker
            named = f" ({data.name})" if data.name else ""
            raise ValueError(f"augmenter {type(augmenter).__name__} is for {augmenter.modality} data, but the "
                             f"data{named} is {data.modality}")
        self.data, self.augmenter = data, augmenter
        self._streams = _WorkerStreams(seed)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        i = _index(i, len(self))
        x = self.data.x[i : i + 1] if isinstance(self.data.x, torch.Tensor) else [self.data.x[i]]
        y = self.data.y[i : i + 1]
        out = self.augmenter.augment(x, y, rng=self._streams.get(self.augmenter))
        return out[0], y[0]


def _check_augmenter(augmenter) -> None:
    if not isinstance(augmenter, Augmenter):
        raise TypeError(f"augmenter must be an aad Augmenter, got {type(augmenter).__name__}")


def _index(i, n: int) -> int:
    """``i`` as a position in [0, n): negative counts from the end. Past either end it raises
    IndexError, which ends a plain ``for item in dataset`` loop (a slice of [i, i + 1) would not)."""
    i = operator.index(i)
    position = i + n if i < 0 else i
    if not 0 <= position < n:
        raise IndexError(f"index {i} is out of range for a dataset of {n} samples")
    return position


class PlainDataset(TorchDataset):
    """``(x_i, y_i)`` pairs of an aad Dataset, for use with ``AugmentCollate``."""

    def __init__(self, data: Dataset):
        if not isinstance(data, Dataset):   # or iterating fails later, inside a worker
            raise TypeError(f"data must be an aad.data.Dataset, got {type(data).__name__}")
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        return self.data.x[i], self.data.y[i]


class AugmentCollate:
    """A DataLoader ``collate_fn`` that stacks a batch, then augments it in one batched call.

    Items are ``(x, y)`` pairs (the batch comes back as ``(x, y)``) or samples alone: tensors or
    strings, for augmenters that need no labels (the batch comes back as ``x``).
    ``seed=None`` takes the augmenter's own ``seed``, as ``AugmentedDataset`` does.
    """

    def __init__(self, augmenter: Augmenter, seed: int | None = None):
        _check_augmenter(augmenter)
        self.augmenter = augmenter
        self._streams = _WorkerStreams(seed)

    def __call__(self, items):
        rng = self._streams.get(self.augmenter)
        if isinstance(items[0], (torch.Tensor, str)):   # unlabeled; a tensor must not unpack as a pair
            return self.augmenter.augment(_stack(items), rng=rng)
        if not all(isinstance(item, (tuple, list)) and len(item) == 2 for item in items):
            raise TypeError(f"AugmentCollate takes (x, y) pairs or samples alone (tensors or strings), got an "
                            f"item of type {type(items[0]).__name__}")
        xs, ys = zip(*items)
        y = default_collate(list(ys))  # ints (as torchvision datasets give) or 0-d tensors -> [B]
        return self.augmenter.augment(_stack(xs), y, rng=rng), y


def _stack(samples) -> list[str] | torch.Tensor:
    return list(samples) if isinstance(samples[0], str) else default_collate(list(samples))
