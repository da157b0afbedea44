"""Class balancing: top up every class to the largest class's count (or a target), with samples a
generator draws or with augmented copies of the class's own samples.

Modality-neutral: works for tensors (images ``[B, C, H, W]``, audio ``[B, T]``) and lists of strings.
"""
from __future__ import annotations

from numbers import Integral

import torch
from torch import Tensor

from aad.base import Augmenter
from aad.checks import check_class_indices, check_int, check_labels


def shortfall(y, target: int | None = None, num_classes: int | None = None) -> Tensor:
    """Labels still needed, ``[N]`` int64, sorted by class: ``target - count`` of each class (never < 0).

    ``target`` defaults to the largest class's count. Only the classes present in ``y`` are topped up (a
    generator fitted on ``y`` knows no others); pass ``num_classes`` to top up classes ``0`` to
    ``num_classes - 1``, absent ones included.
    """
    y = check_class_indices(check_labels(y))
    if num_classes is not None:
        check_int(num_classes, "num_classes", 1)
    if len(y) == 0 and num_classes is None:
        raise ValueError("y is empty: pass num_classes (and target) to top up from nothing")
    k = num_classes if num_classes is not None else int(y.max()) + 1
    if len(y) and int(y.max()) >= k:
        raise ValueError(f"y has label {int(y.max())} but num_classes is {k}")
    counts = torch.bincount(y.cpu(), minlength=k)
    classes = torch.arange(k) if num_classes is not None else counts.nonzero().squeeze(1)
    if target is None:
        target = int(counts.max())
    if isinstance(target, bool) or not isinstance(target, Integral) or target < 0:
        raise ValueError(f"target must be a non-negative int (samples per class), got {target!r}")
    need = (target - counts[classes]).clamp_min(0)
    return classes.repeat_interleave(need)


def top_up(x, y, generator, target: int | None = None, *, num_classes: int | None = None, rng=None):
    """New samples that bring every class up to ``target`` (default: the largest class's count).

    Args:
        x, y: the data (a tensor batch or a list of strings) and its int64 labels ``[B]``.
        generator: what makes the new samples: a fitted generative Augmenter (``generate(labels)``);
            a transform Augmenter, which augments the class's own samples, each in turn from a
            random order (random oversampling with augmentation); or any callable
            ``labels -> samples`` returning one sample per label.
        target: samples per class after topping up; classes already at or above it get none.
        num_classes: number of classes, to top up classes absent from ``y`` too (by default only
            the classes in ``y``; a transform cannot make a class from nothing).
        rng: an int seed or torch.Generator for an Augmenter's draws (default: its own stream).

    Returns:
        ``(x_new, y_new)``: only the new samples and their labels (empty when balanced); use
        ``balance`` for the data with them appended.
    """
    if not isinstance(x, (Tensor, list, tuple)):   # a numpy batch would become a list of mixed types
        raise TypeError(f"x must be a tensor or a list (of texts or clips), got {type(x).__name__}; "
                        f"convert numpy data with torch.from_numpy(x)")
    y = check_labels(y)
    if len(x) != len(y):  # the appended labels would no longer line up with their samples
        raise ValueError(f"x and y must have the same length: x has {len(x)} samples, y has {len(y)} labels")
    labels = shortfall(y, target, num_classes)
    if len(labels) == 0:
        return (x[:0] if isinstance(x, Tensor) else []), labels
    if isinstance(generator, Augmenter):
        _check_numbering(y, generator)
    if isinstance(generator, Augmenter) and not generator.generative:
        x_new = _augmented_copies(x, y, labels, generator, rng)
    elif hasattr(generator, "generate"):
        try:
            x_new = generator.generate(labels, rng=rng)
        except ValueError as e:   # its message names "y", the labels built here, not the caller's y
            raise ValueError(f"generator cannot draw the classes {sorted(set(labels.tolist()))} that topping up "
                             f"needs (num_classes={num_classes}): {e}") from e
    elif rng is not None:   # it would be ignored: the same rng would not give the same samples
        raise ValueError(f"rng is passed to an Augmenter's generate; generator is a {type(generator).__name__}, "
                         f"which draws as it likes: seed it yourself and leave rng out")
    else:
        x_new = generator(labels)
    _check_generated(x, x_new, len(labels))
    return x_new, labels


def _check_numbering(y: Tensor, generator: Augmenter) -> None:
    """A model fitted on fewer classes than ``y`` holds (a GAN, alone or inside a composition) numbers
    them otherwise: a folder of classes that gained one ("eight" before "one") shifts every index, and
    it would fill "eight" with "one"s."""
    known = generator._num_classes()
    if known is not None and len(y) and int(y.max()) >= known:
        raise ValueError(f"y has label {int(y.max())}, but generator was fitted on {known} classes (0 to "
                         f"{known - 1}): are the classes numbered as when it was fitted? Refit it on this data")


def _augmented_copies(x, y: Tensor, labels: Tensor, augmenter: Augmenter, rng):
    """One augmented copy of a sample of each label's class: the class's samples in a random order,
    cycled, so every sample is used before any is used twice."""
    g = augmenter.generator(rng)
    sources = []
    for c in labels.unique().tolist():   # labels come sorted by class (shortfall), as sources are built
        members = torch.nonzero(y.cpu() == c).flatten()
        if not len(members):
            raise ValueError(f"class {c} has no sample in y for {type(augmenter).__name__} to augment: a transform "
                             f"cannot make a class from nothing (top up absent classes with a generator)")
        need = int((labels == c).sum())
        order = torch.cat([members[torch.randperm(len(members), generator=g)]
                           for _ in range(-(-need // len(members)))])
        sources.append(order[:need])
    source = torch.cat(sources)
    picked = x[source.to(x.device)] if isinstance(x, Tensor) else [x[i] for i in source.tolist()]
    return augmenter.augment(picked, labels.to(y.device), rng=g)


def _check_generated(x, x_new, n: int) -> None:
    """``x_new`` must be ``n`` samples that can stand beside ``x``'s."""
    if isinstance(x, Tensor):
        if not isinstance(x_new, Tensor):
            raise TypeError(f"generator returned {type(x_new).__name__} for a tensor x: samples must be a tensor")
        if x_new.shape[1:] != x.shape[1:]:
            raise ValueError(f"generator returned samples of shape {list(x_new.shape[1:])}, but x holds "
                             f"{list(x.shape[1:])}: fit it on data like x")
    elif not isinstance(x_new, (list, tuple, Tensor)):   # a [n, T] batch of clips is a list of clips too
        raise TypeError(f"generator returned {type(x_new).__name__} for x, a list: samples must be a list")
    elif len(x) and any(_kind(sample) != _kind(x[0]) for sample in x_new):
        kinds = sorted({_kind(sample) for sample in x_new})
        raise TypeError(f"generator returned samples of kind {kinds} for x, a list of {_kind(x[0])}")
    if len(x_new) != n:
        raise ValueError(f"generator returned {len(x_new)} samples for {n} requested labels")


def _kind(sample) -> str:
    return "str" if isinstance(sample, str) else "Tensor" if isinstance(sample, Tensor) else type(sample).__name__


def balance(x, y, generator, target: int | None = None, *, num_classes: int | None = None, rng=None):
    """``x``, ``y`` with ``top_up``'s new samples appended (tensors concatenated, lists extended)."""
    x_new, y_new = top_up(x, y, generator, target, num_classes=num_classes, rng=rng)
    y = check_labels(y)
    x_all = torch.cat([x, x_new.to(x.device, x.dtype)]) if isinstance(x, Tensor) else list(x) + list(x_new)
    return x_all, torch.cat([y, y_new.to(y.device)])
