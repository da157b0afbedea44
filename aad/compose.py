"""Compositions are augmenters too: Compose, OneOf, Sometimes, and the Identity control.

Children draw from the composition's random stream, so one seed fixes the whole pipeline: a learned
child without a seed of its own fits from one derived from the composition's.
Choices (which child, whether to apply) are made per sample, not per batch.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch

from aad.base import Augmenter
from aad.checks import CHECKERS, check_batch, check_in_range, infer_modality
from aad.seeding import derive_seed
from aad.serialization import strip_prefix


def take(x, idx: torch.Tensor):
    """The samples of a batch (tensor or list) at ``idx``."""
    return x[idx.to(x.device)] if isinstance(x, torch.Tensor) else [x[i] for i in idx.tolist()]


def put(out, idx: torch.Tensor, values):
    """Write ``values`` into batch ``out`` (a fresh copy) at ``idx``."""
    if isinstance(out, torch.Tensor):
        if not isinstance(values, torch.Tensor):   # e.g. clips of new lengths: they fit no [B, T] slot
            raise TypeError(f"a child of a OneOf or Sometimes returned a {type(values).__name__}, not a "
                            f"tensor like its input (an audio transform with keep_length=False?): "
                            f"every child must keep the batch's shape")
        out[idx.to(out.device)] = values.to(out.dtype)
    else:
        for i, v in zip(idx.tolist(), values):
            out[i] = v
    return out


def copy_batch(x):
    return x.clone() if isinstance(x, torch.Tensor) else list(x)


class _Composite(Augmenter):
    """Shared behaviour of augmenters that wrap children."""

    def _children(self) -> list[Augmenter]:
        raise NotImplementedError

    @property
    def modality(self) -> str | None:
        """The children's shared modality (None when every child accepts any batch)."""
        kinds = {child.modality for child in self._children()} - {None}
        if len(kinds) > 1:
            raise ValueError(f"{type(self).__name__} mixes modalities {sorted(kinds)}; "
                             f"its augmenters must share one modality")
        return kinds.pop() if kinds else None

    @property
    def learned(self) -> bool:
        return any(child.learned for child in self._children())

    def is_fitted(self) -> bool:
        return all(child.is_fitted() for child in self._children())

    def save(self, path) -> None:
        _ = self.modality   # raises for children of mixed modalities, which no batch can pass
        # the state is saved whole or not at all: a fitted child beside an unfitted one would be lost
        unfitted = [type(child).__name__ for child in self._children() if not child.is_fitted()]
        if unfitted and any(child.learned and child.is_fitted() for child in self._children()):
            raise ValueError(f"{type(self).__name__} holds fitted children and unfitted ones ({unfitted}): a save "
                             f"keeps the fitted state only when every child is fitted; fit them first")
        super().save(path)

    def _fit(self, x, y) -> None:
        for i, child in enumerate(self._children()):
            fit_seed = None if self.seed is None else derive_seed(self.seed, type(self).__name__, "fit", i)
            with _seeded_for_fit(child, fit_seed):
                child.fit(x, y)

    def _num_classes(self):
        known = [child._num_classes() for child in self._children()]
        return next((n for n in known if n is not None), None)

    def _get_state(self):
        meta, tensors = {}, {}
        for i, child in enumerate(self._children()):
            child_meta, child_tensors = child._get_state()
            meta[str(i)] = child_meta
            tensors.update({f"{i}/{k}": v for k, v in child_tensors.items()})
        return meta, tensors

    def _set_state(self, meta, tensors):
        for i, child in enumerate(self._children()):
            child._set_state(meta.get(str(i), {}), strip_prefix(tensors, f"{i}/"))


@contextmanager
def _seeded_for_fit(child: Augmenter, seed: int | None) -> Iterator[None]:
    """``child`` with ``seed`` for the block, when it has none of its own; then its parameters (and its
    sampling stream) are as the caller left them."""
    if seed is None or child.seed is not None:
        yield
        return
    stream = vars(child).get("_rng")
    child.seed = seed
    try:
        yield
    finally:
        child.seed, child._rng = None, stream


def _check_augmenters(augmenters, name="augmenters") -> list[Augmenter]:
    if isinstance(augmenters, Augmenter) or not isinstance(augmenters, (list, tuple)) or not augmenters:
        raise TypeError(f"{name} must be a non-empty list of Augmenter, got {augmenters!r}")
    for i, a in enumerate(augmenters):
        if not isinstance(a, Augmenter):
            raise TypeError(f"{name}[{i}] must be an Augmenter, got {type(a).__name__}")
    return list(augmenters)


class Compose(_Composite):
    """Apply augmenters in sequence. If the first is generative, so is the composition:
    ``generate(y)`` draws from it and passes the result through the rest."""

    def __init__(self, augmenters: Sequence[Augmenter], seed: int | None = None):
        self.augmenters = augmenters
        self.seed = seed

    def _children(self):
        return _check_augmenters(self.augmenters)

    @property
    def generative(self) -> bool:
        return self._children()[0].generative

    def _augment(self, x, y, g):
        return _through(self._children(), x, y, g)

    def _generate(self, y, g):
        first, *rest = self._children()
        return _through(rest, first.generate(y, rng=g), y, g, offset=1)


def _through(children: list[Augmenter], x, y, g, offset: int = 0):
    """``x`` through each child in turn; ``offset``: the first one's index in the composition."""
    for i, child in enumerate(children):
        out = child.augment(x, y, rng=g)
        if isinstance(x, torch.Tensor) and not isinstance(out, torch.Tensor) and i + 1 < len(children):
            raise TypeError(f"Compose augmenters[{i + offset}] ({type(child).__name__}) returned a "
                            f"{type(out).__name__}, not a tensor the next augmenter can take (clips of new "
                            f"lengths, keep_length=False?): only the last augmenter may change lengths")
        x = out
    return x


class OneOf(_Composite):
    """Apply one augmenter per sample, picked with probabilities proportional to ``weights``."""

    def __init__(self, augmenters: Sequence[Augmenter], weights: Sequence[float] | None = None,
                 seed: int | None = None):
        self.augmenters = augmenters
        self.weights = weights
        self.seed = seed

    def _children(self):
        return _check_augmenters(self.augmenters)

    def _probabilities(self) -> torch.Tensor:
        n = len(self._children())
        if self.weights is None:
            return torch.full((n,), 1.0 / n)
        expected = f"weights must be {n} non-negative numbers with a positive sum, got {self.weights!r}"
        try:
            w = torch.as_tensor(self.weights, dtype=torch.float64, device="cpu")   # sampled by a CPU generator
        except (TypeError, ValueError, RuntimeError):  # an item that is no number, or ragged nesting
            raise ValueError(expected) from None
        if w.shape != (n,) or not torch.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError(expected)
        w = w / w.max()   # two weights of 1e308 sum to inf
        return w / w.sum()

    def _augment(self, x, y, g):
        _check_per_sample(self, y)
        choice = torch.multinomial(self._probabilities(), len(x), replacement=True, generator=g)
        out = copy_batch(x)
        for i, child in enumerate(self._children()):
            idx = torch.nonzero(choice == i).flatten()
            if len(idx):
                sub_y = None if y is None else take(y, idx)
                out = put(out, idx, child.augment(take(x, idx), sub_y, rng=g))
        return out


class Sometimes(_Composite):
    """Apply ``augmenter`` to each sample with probability ``p``; leave the rest unchanged."""

    def __init__(self, augmenter: Augmenter, p: float = 0.5, seed: int | None = None):
        self.augmenter = augmenter
        self.p = p
        self.seed = seed

    def _children(self):
        return _check_augmenters([self.augmenter], "augmenter")

    def _augment(self, x, y, g):
        check_in_range(self.p, "p", 0.0, 1.0)
        _check_per_sample(self, y)
        idx = torch.nonzero(torch.rand(len(x), generator=g) < self.p).flatten()
        out = copy_batch(x)
        if len(idx):
            sub_y = None if y is None else take(y, idx)
            out = put(out, idx, self.augmenter.augment(take(x, idx), sub_y, rng=g))
        return out


def _check_per_sample(composite: _Composite, y) -> None:
    """Before any draw, what a child applied to some samples needs: else a batch fails or passes by
    the draw (a crash at a random item of an epoch, one sample per call in a DataLoader)."""
    for child in composite._children():
        if getattr(child, "keep_length", True) is False:
            raise TypeError(f"{type(composite).__name__} cannot hold {type(child).__name__}(keep_length=False): "
                             f"its clips of new lengths cannot replace some of the batch's; put it last in a Compose")
        if y is None and child.generative:
            raise ValueError(f"y is required: {type(child).__name__} in a {type(composite).__name__} draws new "
                             f"samples of the given labels")
        seen = getattr(child, "classes_", None) if child.generative else None   # a GAN's fitted classes
        unseen = [] if y is None or seen is None else sorted(set(y.tolist()) - set(seen))
        if unseen:
            raise ValueError(f"y has label(s) {unseen} that {type(child).__name__} in a {type(composite).__name__} "
                             f"never saw in fit (it saw {list(seen)}): request only those, or refit it")


class Identity(Augmenter):
    """The control: returns a copy of its input. ``modality=None`` accepts any batch type."""

    def __init__(self, modality: str | None = None, seed: int | None = None):
        self.modality = modality
        self.seed = seed

    def _check_x(self, x):
        if self.modality is not None and self.modality not in CHECKERS:
            raise ValueError(f"modality must be one of {sorted(CHECKERS)} or None, got {self.modality!r}")
        return check_batch(x, self.modality or infer_modality(x))

    def _augment(self, x, y, g):
        return copy_batch(x)
