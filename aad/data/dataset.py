"""One labeled dataset type for every modality, with deterministic splits and few-shot subsets."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor


@dataclass(frozen=True, eq=False)
class Dataset:
    """Labeled samples of one modality.

    x: images float32 ``[N, C, H, W]`` in [0, 1]; texts ``list[str]``; audio float32 ``[N, T]``.
    y: int64 ``[N]`` class indices into ``classes``.
    groups: optional int64 ``[N]`` (e.g. speaker id); ``split`` keeps groups disjoint.
    is_test: optional bool ``[N]``, an official train/test split that ``split`` honours.
    """

    x: Tensor | list[str]
    y: Tensor
    classes: tuple[str, ...]
    modality: str
    name: str = ""
    sample_rate: int | None = None
    groups: Tensor | None = None
    is_test: Tensor | None = None

    def __post_init__(self):
        n = len(self.y)
        if len(self.x) != n:
            raise ValueError(f"x has {len(self.x)} samples but y has {n} labels")
        if self.y.dtype != torch.long:
            raise TypeError(f"y must be int64, got {self.y.dtype}")
        if n and (int(self.y.min()) < 0 or int(self.y.max()) >= len(self.classes)):
            raise ValueError(f"y must hold class indices in [0, {len(self.classes)}), "
                             f"got [{int(self.y.min())}, {int(self.y.max())}]")
        for field_name in ("groups", "is_test"):
            value = getattr(self, field_name)
            if value is not None and len(value) != n:
                raise ValueError(f"{field_name} has {len(value)} entries but y has {n} labels")

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        shape = tuple(self.x.shape) if isinstance(self.x, Tensor) else f"{len(self.x)} texts"
        return f"Dataset({self.name!r}, {self.modality}, x={shape}, classes={len(self.classes)})"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def class_counts(self) -> Tensor:
        """Samples per class, int64 ``[num_classes]``."""
        return torch.bincount(self.y, minlength=self.num_classes)

    def subset(self, indices: Tensor | Sequence[int]) -> Dataset:
        """The samples at ``indices`` (in that order), as a new Dataset."""
        idx = torch.as_tensor(indices, dtype=torch.long)
        x = self.x[idx] if isinstance(self.x, Tensor) else [self.x[i] for i in idx.tolist()]
        pick = lambda t: None if t is None else t[idx]
        return replace(self, x=x, y=self.y[idx], groups=pick(self.groups), is_test=pick(self.is_test))

    def split(self, test_fraction: float | None = None, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Deterministic (train, test) split.

        An official split (``is_test``) is used when ``test_fraction`` is None. Otherwise the split is
        stratified by class, or group-disjoint when ``groups`` is set (no speaker in both halves).
        """
        if test_fraction is None and self.is_test is not None:
            test = self.is_test
        else:
            fraction = 0.2 if test_fraction is None else test_fraction
            if not 0.0 < fraction < 1.0:
                raise ValueError(f"test_fraction must be in (0, 1), got {fraction}")
            test = self._group_test_mask(fraction, seed) if self.groups is not None \
                else self._stratified_test_mask(fraction, seed)
        train_idx, test_idx = torch.nonzero(~test).flatten(), torch.nonzero(test).flatten()
        return self.subset(train_idx), self.subset(test_idx)

    def kshot(self, k: int, seed: int = 0) -> Dataset:
        """``k`` samples of every class, drawn without replacement."""
        counts = self.class_counts()
        if k < 1 or k > int(counts.min()):
            raise ValueError(f"k must be in [1, {int(counts.min())}] (the smallest class size), got {k}")
        return self.subsample_classes({c: k for c in range(self.num_classes)}, seed=seed)

    def subsample_classes(self, counts: Mapping[int | str, int] | int, seed: int = 0) -> Dataset:
        """Keep at most ``counts[c]`` samples of class ``c`` (by index or name); others are kept whole.

        An int keeps that many of every class. Used to build imbalanced studies.
        """
        wanted = self._resolve_counts(counts)
        g = torch.Generator().manual_seed(seed)
        keep = []
        for c in range(self.num_classes):
            members = torch.nonzero(self.y == c).flatten()
            members = members[torch.randperm(len(members), generator=g)]
            keep.append(members[: wanted.get(c, len(members))])
        return self.subset(torch.cat(keep))

    def _resolve_counts(self, counts: Mapping[int | str, int] | int) -> dict[int, int]:
        if isinstance(counts, int):
            return {c: counts for c in range(self.num_classes)}
        resolved = {}
        for key, n in counts.items():
            c = self.classes.index(key) if isinstance(key, str) and key in self.classes else key
            if not isinstance(c, int) or not 0 <= c < self.num_classes:
                raise ValueError(f"counts has unknown class {key!r}; expected one of {self.classes}")
            if n < 0:
                raise ValueError(f"counts[{key!r}] must be >= 0, got {n}")
            resolved[c] = n
        return resolved

    def _stratified_test_mask(self, fraction: float, seed: int) -> Tensor:
        g = torch.Generator().manual_seed(seed)
        test = torch.zeros(len(self), dtype=torch.bool)
        for c in range(self.num_classes):
            members = torch.nonzero(self.y == c).flatten()
            members = members[torch.randperm(len(members), generator=g)]
            test[members[: round(fraction * len(members))]] = True
        return test

    def _group_test_mask(self, fraction: float, seed: int) -> Tensor:
        g = torch.Generator().manual_seed(seed)
        ids = torch.unique(self.groups)
        ids = ids[torch.randperm(len(ids), generator=g)]
        test_ids = ids[: max(1, round(fraction * len(ids)))]
        return torch.isin(self.groups, test_ids)
