"""One labeled dataset type for every modality, with deterministic splits and few-shot subsets."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Integral, Real

import torch
from torch import Tensor

from aad.checks import check_audio, check_distinct, check_images, check_int, check_str_list, require_tensor
from aad.seeding import check_seed


@dataclass(frozen=True, eq=False)
class Dataset:
    """Labeled samples of one modality.

    x: images float32 ``[N, C, H, W]`` in [0, 1]; texts ``list[str]``; audio float32 ``[N, T]``.
    y: int64 ``[N]`` class indices into ``classes``.
    groups: optional int64 ``[N]`` (e.g. speaker id); ``split`` keeps groups disjoint.
    y and groups may be given as NumPy arrays or lists of integers; they are stored as int64 tensors.
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

    def __post_init__(self):  # frozen: fields are converted through object.__setattr__
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {self.modality!r}")
        object.__setattr__(self, "classes", tuple(check_distinct(check_str_list(self.classes, "classes"), "classes")))
        _check_samples(self.x, self.modality)
        if self.sample_rate is not None:
            object.__setattr__(self, "sample_rate", check_int(self.sample_rate, "sample_rate", 1))
        object.__setattr__(self, "y", _as_index_tensor(self.y, "y"))
        if self.groups is not None:
            object.__setattr__(self, "groups", _as_index_tensor(self.groups, "groups"))
        n = len(self.y)
        if len(self.x) != n:
            raise ValueError(f"x has {len(self.x)} samples but y has {n} labels")
        if n and (int(self.y.min()) < 0 or int(self.y.max()) >= len(self.classes)):
            raise ValueError(f"y must hold class indices in [0, {len(self.classes)}), "
                             f"got [{int(self.y.min())}, {int(self.y.max())}]")
        if self.is_test is not None:
            object.__setattr__(self, "is_test", _as_test_mask(self.is_test))
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

    def subset(self, indices: Tensor | Sequence[int] | Sequence[bool]) -> Dataset:
        """The samples at ``indices`` (in that order), or where a bool mask of length N is True."""
        try:
            idx = torch.as_tensor(indices)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"indices must be integers or a bool mask, got {indices!r:.80}") from None
        if idx.numel() == 0:   # [] comes out as float32
            idx = idx.long()
        if idx.is_floating_point() or idx.is_complex():   # long() would truncate 1.9 to sample 1
            raise TypeError(f"indices must be integers or a bool mask, got {idx.dtype}")
        if idx.dim() != 1:
            raise ValueError(f"indices must be 1-D, got shape {list(idx.shape)}")
        if idx.dtype == torch.bool:
            if idx.shape != (len(self),):
                raise ValueError(f"a bool mask must have shape [{len(self)}] (one entry per sample), "
                                 f"got {list(idx.shape)}")
            idx = torch.nonzero(idx).flatten()
        else:
            idx = idx.long()
            if len(idx) and not (-len(self) <= int(idx.min()) and int(idx.max()) < len(self)):
                raise IndexError(f"indices must be in [{-len(self)}, {len(self) - 1}] ({len(self)} samples), "
                                 f"got {int(idx.min())} .. {int(idx.max())}")
        x = self.x[idx] if isinstance(self.x, Tensor) else [self.x[i] for i in idx.tolist()]
        pick = lambda t: None if t is None else t[idx]
        return replace(self, x=x, y=self.y[idx], groups=pick(self.groups), is_test=pick(self.is_test))

    def split(self, test_fraction: float | None = None, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Deterministic (train, test) split.

        An official split (``is_test``) is used when ``test_fraction`` is None. Otherwise the split is
        stratified by class, or group-disjoint when ``groups`` is set (no speaker in both halves).
        A stratified split keeps at least one sample of every class in train. Raises ValueError when
        either half would be empty.
        """
        if len(self) == 0:
            raise ValueError("cannot split an empty dataset")
        seed = check_seed(seed, optional=False)
        if test_fraction is None and self.is_test is not None:
            test = self.is_test
            if bool(test.all()) or not bool(test.any()):
                raise ValueError(f"is_test marks {'all' if bool(test.all()) else 'none'} of the {len(self)} "
                                 "samples as test, so one half would be empty; pass test_fraction")
        else:
            fraction = 0.2 if test_fraction is None else test_fraction
            if isinstance(fraction, bool) or not isinstance(fraction, Real) or not 0.0 < fraction < 1.0:
                raise ValueError(f"test_fraction must be a number in (0, 1), got {fraction!r}")
            test = self._group_test_mask(fraction, seed) if self.groups is not None \
                else self._stratified_test_mask(fraction, seed)
        train_idx, test_idx = torch.nonzero(~test).flatten(), torch.nonzero(test).flatten()
        return self.subset(train_idx), self.subset(test_idx)

    def kshot(self, k: int, seed: int = 0) -> Dataset:
        """``k`` samples of every class, drawn without replacement."""
        k = self.check_shots(k)
        return self.subsample_classes({c: k for c in range(self.num_classes)}, seed=seed)

    def check_shots(self, k, name: str = "k", part: str = "") -> int:
        """``k`` as an int, checked to be a k-shot size every class can give; errors name ``name``, and
        ``part`` (e.g. "training split") says which part of the dataset this one is."""
        counts = self.class_counts()
        empty = [self.classes[c] for c in range(self.num_classes) if counts[c] == 0]
        if empty:
            raise ValueError(f"k-shot needs samples of every class of {self.name or 'the data'}; "
                             f"classes {empty} have none")
        if isinstance(k, bool) or not isinstance(k, Integral) or not 1 <= k <= int(counts.min()):
            smallest = self.classes[int(counts.argmin())]
            whole = f"the {part} of " if part else ""
            raise ValueError(f"{name} must be an int in [1, {int(counts.min())}] (the size of the smallest "
                             f"class of {whole}{self.name or 'the data'}, {smallest!r}), got {k!r}")
        return int(k)

    def subsample_classes(self, counts: Mapping[int | str, int] | int, seed: int = 0) -> Dataset:
        """Keep at most ``counts[c]`` samples of class ``c`` (by index or name); others are kept whole.

        An int keeps that many of every class. Used to build imbalanced studies.
        """
        wanted = self._resolve_counts(counts)
        g = torch.Generator().manual_seed(check_seed(seed, optional=False))
        keep = []
        for c in range(self.num_classes):
            members = torch.nonzero(self.y == c).flatten()
            members = members[torch.randperm(len(members), generator=g)]
            keep.append(members[: wanted.get(c, len(members))])
        return self.subset(torch.cat(keep))

    def _resolve_counts(self, counts: Mapping[int | str, int] | int) -> dict[int, int]:
        if isinstance(counts, Integral) and not isinstance(counts, bool):
            if counts < 0:
                raise ValueError(f"counts must be >= 0, got {counts}")
            return {c: int(counts) for c in range(self.num_classes)}
        if not isinstance(counts, Mapping):
            raise TypeError(f"counts must be an int or a mapping from class (index or name) to an int, "
                            f"got {type(counts).__name__}")
        resolved = {}
        for key, n in counts.items():
            c = self.classes.index(key) if isinstance(key, str) and key in self.classes else key
            if isinstance(c, bool) or not isinstance(c, Integral) or not 0 <= c < self.num_classes:
                raise ValueError(f"counts has unknown class {key!r}; expected one of {self.classes}")
            if not isinstance(n, Integral) or n < 0:
                raise ValueError(f"counts[{key!r}] must be an integer >= 0, got {n!r}")
            resolved[int(c)] = int(n)
        return resolved

    def _stratified_test_mask(self, fraction: float, seed: int) -> Tensor:
        g = torch.Generator().manual_seed(seed)
        test = torch.zeros(len(self), dtype=torch.bool)
        for c in range(self.num_classes):
            members = torch.nonzero(self.y == c).flatten()
            members = members[torch.randperm(len(members), generator=g)]
            n_test = round(fraction * len(members))
            if n_test == len(members):  # the share rounds up to a whole small class: keep one for train
                n_test = max(len(members) - 1, 0)
            test[members[:n_test]] = True
        if not bool(test.any()):
            largest = int(self.class_counts().max())
            if largest == 1:
                raise ValueError("every class has 1 sample, which stays in train: no split leaves a test half")
            raise ValueError(f"test_fraction {fraction} leaves the test half empty: the largest class has "
                             f"{largest} samples and round({fraction} * {largest}) = "
                             f"{round(fraction * largest)}; use a larger test_fraction")
        return test

    def _group_test_mask(self, fraction: float, seed: int) -> Tensor:
        g = torch.Generator().manual_seed(seed)
        ids = torch.unique(self.groups)
        ids = ids[torch.randperm(len(ids), generator=g)]
        n_test = max(1, round(fraction * len(ids)))
        if len(ids) == 1:
            raise ValueError(f"only 1 group ({int(ids[0])}): a group-disjoint split needs at least 2")
        if n_test == len(ids):
            raise ValueError(f"only {len(ids)} groups: test_fraction {fraction} leaves no group for train")
        return torch.isin(self.groups, ids[:n_test])


MODALITIES = ("image", "audio", "text")
SAMPLE_DIMS = {"image": (4, "[N, C, H, W]"), "audio": (2, "[N, T]")}



def _check_samples(x, modality: str) -> None:
    """Images ``[N, C, H, W]`` and audio ``[N, T]`` as tensors (a NumPy array would become a list in
    ``subset``), texts as a list of str: a wrong layout fails here, not deep inside a model."""
    if modality == "text":
        check_str_list(x, "x")
    elif modality in SAMPLE_DIMS:
        dims, layout = SAMPLE_DIMS[modality]
        require_tensor(x, "x", f" for {modality} data")
        if x.dim() != dims:
            raise ValueError(f"x must be {modality} samples {layout} ({dims}-D), got shape {list(x.shape)}")
        if len(x):   # what every augmenter and model expects: a 0-255 or NaN batch would train on garbage
            check_images(x) if modality == "image" else check_audio(x)


def _as_index_tensor(values, name: str) -> Tensor:
    """``values`` (a tensor, NumPy array or list of integers) as int64 ``[N]``."""
    try:
        t = torch.as_tensor(values)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(f"{name} must hold integers (int64 [N]), got {type(values).__name__}: {e}") from e
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise TypeError(f"{name} must be int64, got {t.dtype}")
    if t.dim() != 1:
        raise ValueError(f"{name} must be 1-D [N], got shape {list(t.shape)}")
    return t.long()


def _as_test_mask(is_test) -> Tensor:
    """``is_test`` as a bool ``[N]`` tensor; 0/1 integers are accepted (e.g. a pandas column)."""
    mask = torch.as_tensor(is_test)
    if mask.dim() != 1:
        raise ValueError(f"is_test must be 1-D [N], got shape {list(mask.shape)}")
    if mask.dtype == torch.bool:
        return mask
    if mask.is_floating_point() or mask.is_complex() or not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError(f"is_test must be bool or hold only 0/1 integers, got dtype {mask.dtype} "
                         f"with values {torch.unique(mask)[:5].tolist()}")
    return mask.bool()
