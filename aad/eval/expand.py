"""Fit an arm's augmenters on the k-shot subset (only on it), and make its new samples.

Transforms make ``factor`` augmented copies of each real sample; generators make ``factor * n_c``
new samples of each class c. With ``balance`` every class is topped up to ``(1 + factor) * max_c n_c``
(an arm of several augmenters shares that top-up among them).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor

from aad.base import Augmenter
from aad.compose import take
from aad.seeding import derive_seed, make_generator
from aad.serialization import is_numpy_scalar
from aad.training import tensor_digest

CHUNK = 256  # samples per augment/generate call: bounds memory of learned augmenters


def seed_tree(augmenter: Augmenter, seed: int) -> Augmenter:
    """Give ``augmenter`` and every nested augmenter a seed derived from ``seed`` (in place)."""
    augmenter.set_params(seed=seed)
    for name, value in augmenter.get_params().items():
        children = value if isinstance(value, (list, tuple)) else [value]
        for i, child in enumerate(children):
            if isinstance(child, Augmenter):
                seed_tree(child, derive_seed(seed, name, i))
    return augmenter


def _cache_key(augmenter: Augmenter, context: tuple) -> str:
    config = json.dumps(augmenter.to_config(), sort_keys=True)
    return hashlib.sha256(repr((config, context)).encode()).hexdigest()[:20]


def config_key(augmenter: Augmenter, context: tuple) -> str | None:
    """``_cache_key``, or None where a parameter cannot be written to config.json (a wrapped nlpaug
    object)."""
    try:
        return _cache_key(augmenter, context)
    except (TypeError, ValueError):
        return None


def describe(value, depth: int = 2):
    """A JSON-representable description of ``value``, equal across processes (never a repr, which may
    hold a memory address): an augmenter's parameters, a function's or class's qualified name, and an
    object's type with its public attributes, ``depth`` objects down. For augmenters whose config
    cannot be written to config.json (``Nlpaug`` holds an nlpaug object)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Augmenter):
        return {"class": _qualified_name(type(value)),
                "params": {k: describe(v, depth) for k, v in value.get_params().items()}}
    if isinstance(value, (list, tuple)):
        return [describe(v, depth) for v in value]
    if isinstance(value, (set, frozenset)):   # a set's order changes with the process's hash seed
        return sorted((describe(v, depth) for v in value), key=json.dumps)
    if isinstance(value, dict):
        return {str(k): describe(v, depth) for k, v in value.items()}
    if is_numpy_scalar(value):
        return value.item()
    if isinstance(value, (torch.device, ModuleType)) or type(value).__module__ == "numpy":   # or an array
        return str(value)
    if callable(value) and hasattr(value, "__qualname__"):   # a function, method or class
        return _qualified_name(value)
    public = sorted((k, v) for k, v in getattr(value, "__dict__", {}).items() if not k.startswith("_"))
    return {"type": _qualified_name(type(value)),
            "attributes": {k: describe(v, depth - 1) for k, v in public} if depth > 0 else {}}


def _qualified_name(value) -> str:
    return f"{value.__module__}:{value.__qualname__}"


def data_digest(x, y: Tensor) -> str:
    """A sha256 of a training set: samples (a tensor, or texts) and labels."""
    samples = tensor_digest(x) if isinstance(x, Tensor) else hashlib.sha256(json.dumps(list(x)).encode()).hexdigest()
    return f"{samples} {tensor_digest(y)}"


class FitCache:
    """Fitted learned augmenters by (config, data context): in memory, and on disk under ``folder``."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[str, Augmenter] = {}

    def fitted(self, proto: Augmenter, x, y: Tensor, context: tuple) -> Augmenter:
        """A clone of ``proto`` seeded from ``context`` and fitted on (x, y), reusing earlier fits of
        the same configuration on the same data (a fit on another split or subset is never reused).
        One whose configuration cannot be written to config.json is fitted each time."""
        augmenter = seed_tree(proto.clone(), derive_seed("fit", *context))
        if not augmenter.learned:
            return augmenter
        key = config_key(augmenter, (*context, data_digest(x, y)))
        if key is None:   # no config tells two such augmenters apart: fitted anew, never reused
            augmenter.fit(x, y)
            return augmenter
        if key in self._memory:
            return self._memory[key]
        path = None if self.folder is None else self.folder / key
        if path is not None and (path / "config.json").is_file():
            augmenter = Augmenter.load(path)
        else:
            augmenter.fit(x, y)
            if path is not None:
                try:
                    augmenter.save(path)
                except (TypeError, ValueError):  # not serializable: keep it in memory only
                    pass
        self._memory[key] = augmenter
        return augmenter


def class_needs(y: Tensor, num_classes: int, factor: int, balance: bool) -> Tensor:
    """New samples wanted per class, int64 ``[num_classes]``."""
    counts = torch.bincount(y, minlength=num_classes)
    if balance:
        return ((1 + factor) * counts.max() - counts).clamp(min=0)
    return factor * counts


def share_need(need: Tensor, parts: int) -> list[Tensor]:
    """Split per-class counts among ``parts`` (the first parts take the remainder): a balancing arm of
    several augmenters tops each class up once, not once per augmenter."""
    return [need // parts + (i < need % parts).long() for i in range(parts)]


def _concat(batches: list):
    if not batches:
        return None
    if isinstance(batches[0], Tensor):
        return torch.cat(batches)
    return [item for batch in batches for item in batch]


def expand_part(augmenter: Augmenter, x, y: Tensor, need: Tensor, g: torch.Generator):
    """(new x, new y, source) for one fitted augmenter; ``source`` indexes x, or is -1 for generated."""
    labels = torch.repeat_interleave(torch.arange(len(need)), need)
    if augmenter.generative:
        source = torch.full((len(labels),), -1, dtype=torch.long)
    else:
        picks = []
        for c, n in enumerate(need.tolist()):
            members = torch.nonzero(y == c).flatten()
            if n and not len(members):
                raise ValueError(f"class {c} has no real sample to augment")
            picks.append(members[torch.arange(n) % max(len(members), 1)])
        source = torch.cat(picks) if picks else torch.zeros(0, dtype=torch.long)
    outs = []
    for i in range(0, len(labels), CHUNK):
        part_y = labels[i:i + CHUNK]
        if augmenter.generative:
            out = augmenter.generate(part_y, rng=g)
        else:
            out = augmenter.augment(take(x, source[i:i + CHUNK]), part_y, rng=g)
        outs.append(_one_per_label(augmenter, out, len(part_y), x))
    return _concat(outs), labels, source


def _one_per_label(augmenter: Augmenter, out, n: int, like):
    """``out`` as a batch like the real ``like``, checked to hold one sample per label: a surplus would
    shift every later label onto another sample. Clips of their own lengths (``keep_length=False``)
    are cropped or padded to the real length, as the downstream model takes one length. A GAN on the
    GPU draws there: its samples join the real ones (and the other parts') on their device."""
    if isinstance(like, Tensor) and isinstance(out, (list, tuple)):
        out = torch.stack([match_shape(clip[None], like)[0] for clip in out]) if len(out) else like[:0]
    if isinstance(like, Tensor) and isinstance(out, Tensor):
        out = out.to(like.device)
    if len(out) != n:
        raise ValueError(f"{type(augmenter).__name__} returned {len(out)} samples for {n} "
                         f"{'labels' if augmenter.generative else 'inputs'}: the harness needs one per sample")
    return out


def expand(parts: list[Augmenter], x, y: Tensor, num_classes: int, factor: int, balance: bool, seed: int,
           memo: dict | None = None):
    """The union of every part's new samples: (x or None, y int64, source int64).

    A part's samples depend on its configuration and ``seed``, not on the arm it belongs to: the
    same fitted GAN gives the same samples in "gan" and "gan+affine", so the two arms differ only
    by what was added, and ``memo`` (a dict kept across arms) lets them be generated once.
    """
    need = class_needs(y, num_classes, factor, balance)
    memo = {} if memo is None else memo
    xs, ys, sources = [], [], []
    drawn = Counter()   # parts of this arm configured alike each draw anew: [A, A] makes two draws
    for augmenter, part_need in zip(parts, share_need(need, len(parts)) if balance else [need] * len(parts)):
        shared = config_key(augmenter, (seed,))
        counts = tuple(part_need.tolist())
        name = shared or type(augmenter).__name__
        again = (drawn[name, counts],) if drawn[name, counts] else ()
        drawn[name, counts] += 1
        g = make_generator(derive_seed("expand", name, seed, *counts, *again))
        if shared is None:   # no config tells two such augmenters apart: seeded by class, never shared
            new_x, new_y, source = expand_part(augmenter, x, y, part_need, g)
        else:
            key = (shared, counts, *again)
            if key not in memo:
                memo[key] = expand_part(augmenter, x, y, part_need, g)
            new_x, new_y, source = memo[key]
        if new_x is not None:
            xs.append(new_x)
            ys.append(new_y)
            sources.append(source)
    if not xs:
        return None, torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    return _concat(xs), torch.cat(ys), torch.cat(sources)


def join(x_real, x_new):
    """Real samples followed by new ones (either may be None)."""
    if x_new is None:
        return x_real
    if isinstance(x_real, Tensor):
        return torch.cat([x_real, match_shape(x_new, x_real).to(x_real.device, x_real.dtype)])
    return list(x_real) + list(x_new)


def match_shape(x_new: Tensor, like: Tensor) -> Tensor:
    """New clips cropped/zero-padded to the real length; new images resized to the real size."""
    if x_new.shape[1:] == like.shape[1:]:
        return x_new
    if x_new.dim() == 2:
        t = like.shape[1]
        return torch.nn.functional.pad(x_new[:, :t], (0, max(0, t - x_new.shape[1])))
    resized = torch.nn.functional.interpolate(x_new, size=like.shape[2:], mode="bilinear", align_corners=False)
    return resized.clamp(0, 1)
