"""Input validation shared by every augmenter: clear errors that name the argument."""
from __future__ import annotations

import math
import numbers
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor


def require_tensor(x, name: str, purpose: str = "") -> Tensor:
    """``x`` if it is a tensor; ``purpose`` (" for image data") ends the error's first clause."""
    if not isinstance(x, Tensor):
        hint = " (use torch.from_numpy)" if type(x).__module__ == "numpy" else ""
        raise TypeError(f"{name} must be a torch.Tensor{purpose}, got {type(x).__name__}{hint}")
    return x


def _require_float(x: Tensor, name: str) -> None:
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor (float32 expected), got {x.dtype}; "
                        f"convert integer data first, e.g. x.float() / 255 for images or / 32768 for PCM")


def _require_float_finite(x: Tensor, name: str) -> None:
    _require_float(x, name)
    # a finite sum proves every element finite (NaN and inf propagate); only an overflowing sum,
    # or a real NaN/inf, needs the elementwise test. About 5x cheaper on a batch of clips.
    if not torch.isfinite(x.sum()) and not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or inf values")


def check_images(x, name: str = "x") -> Tensor:
    """A float image batch ``[B, C, H, W]`` with values in [0, 1]."""
    x = require_tensor(x, name)
    if x.dim() != 4:
        raise ValueError(f"{name} must be a batch of images [B, C, H, W], got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch")
    if 0 in x.shape:
        raise ValueError(f"{name} images must have channels, height and width >= 1, got shape {tuple(x.shape)}")
    _require_float(x, name)
    lo, hi = (float(v) for v in torch.aminmax(x.detach()))   # NaN and inf show in the extremes: one pass
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} contains NaN or inf values")
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(f"{name} values must be in [0, 1], got range [{lo:.3g}, {hi:.3g}]")
    return x


def check_audio(x, name: str = "x", min_length: int = 1) -> Tensor:
    """A float waveform batch ``[B, T]`` (mono), at least ``min_length`` samples long."""
    x = require_tensor(x, name)
    if x.dim() != 2:
        raise ValueError(f"{name} must be a batch of mono clips [B, T], got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch")
    _require_float_finite(x, name)
    if x.shape[1] < min_length:
        raise ValueError(f"{name} clips are {x.shape[1]} samples long; at least {min_length} are needed")
    return x


def check_texts(x, name: str = "x") -> list[str]:
    """A non-empty list of strings (a tuple is accepted and copied to a list)."""
    x = check_str_list(x, name)
    if len(x) == 0:
        raise ValueError(f"{name} is an empty batch")
    return x


def check_str_list(values, name: str) -> list[str]:
    """A list (or tuple) of strings, copied to a list; a bare string is refused: it would be read
    letter by letter."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of strings, got {type(values).__name__}")
    for i, item in enumerate(values):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(item).__name__}")
    return list(values)


CHECKERS = {"image": check_images, "audio": check_audio, "text": check_texts}


def check_batch(x, modality: str, name: str = "x"):
    if modality not in CHECKERS:   # e.g. an Identity(modality="images") inside a Compose
        raise ValueError(f"modality must be one of {sorted(CHECKERS)}, got {modality!r}")
    return CHECKERS[modality](x, name)


def check_labels(y, n: int | None = None, num_classes: int | None = None, name: str = "y") -> Tensor:
    """Class indices as int64 ``[B]``; a list of ints is accepted (and copied)."""
    if isinstance(y, (list, tuple)):
        for i, v in enumerate(y):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"{name} must contain ints, got {name}[{i}] = {v!r}")
        y = torch.tensor([int(v) for v in y], dtype=torch.long)
    y = require_tensor(y, name)
    if y.dtype.is_floating_point or y.dtype == torch.bool or y.dtype.is_complex:
        raise TypeError(f"{name} must be an integer tensor (int64), got {y.dtype}")
    if y.dim() != 1:
        raise ValueError(f"{name} must be 1-D [B], got shape {tuple(y.shape)}")
    if n is not None and len(y) != n:
        raise ValueError(f"{name} has {len(y)} labels for a batch of {n}")
    if num_classes is not None and len(y) and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"{name} labels must be in [0, {num_classes - 1}], got range "
                         f"[{int(y.min())}, {int(y.max())}]")
    return y.long()


def check_class_indices(y: Tensor, name: str = "y") -> Tensor:
    """Raise ValueError on a negative label: labels index classes (embeddings, label names, counts)."""
    if len(y) and int(y.min()) < 0:
        raise ValueError(f"{name} must hold class indices >= 0 (0 to num_classes - 1), got label {int(y.min())}")
    return y


def check_int(value, name: str, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int, or ValueError unless it is an integer (a numpy one too; a bool is not),
    ``>= low`` and, given, ``<= high``."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or (high is not None and value > high)):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an int {bounds}, got {value!r}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """A real bool: a string such as "False" (from a CLI or a config) is truthy and would mean True."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_path(value, name: str) -> Path:
    """A file or folder path, a non-empty str or an ``os.PathLike``, as a Path."""
    if isinstance(value, os.PathLike) or (isinstance(value, str) and value):
        return Path(value)
    raise TypeError(f"{name} must be a path (a non-empty str or os.PathLike), got {value!r:.80}")


def check_folder(value, name: str) -> Path:
    """A folder path that is one or can be made and written: neither it nor a folder above it is a
    file, and the nearest existing one lets us write."""
    path = check_path(value, name)
    existing = next(p for p in (path.absolute(), *path.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{name} {str(path)!r} cannot be a folder: {str(existing)!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"{name} {str(path)!r} cannot be written: no permission to write in {str(existing)!r}")
    return path


def check_distinct(values: Sequence, name: str) -> list:
    """Raise ValueError if ``values`` repeats an item (a repeated seed is not an independent result)."""
    values = list(values)
    repeated = sorted((v for v, n in Counter(values).items() if n > 1), key=str)
    if repeated:
        raise ValueError(f"{name} must not repeat values, got {repeated[:10]} more than once")
    return values


def check_int_list(values, name: str, low: int = 0) -> list[int]:
    """A non-empty list of distinct ints ``>= low`` (a single int, a bool or a float is refused)."""
    if isinstance(values, (int, str, bytes, torch.Tensor)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of ints, got {values!r}")
    values = list(values)
    if not values:
        raise ValueError(f"{name} must not be empty")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must hold ints >= {low}, got {value!r} in {values}")
    return check_distinct([int(value) for value in values], name)   # np.arange(3) gives numpy ints


def check_device(device, name: str = "device") -> torch.device:
    """A torch device that exists on this machine: the CPU, or its accelerator (``"cuda"`` where CUDA
    is available), with an index below its device count."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"{name} must be a torch device such as 'cpu' or 'cuda', got {device!r}") from e
    if device.type == "cpu":
        return device
    available = torch.accelerator.is_available() and torch.accelerator.current_accelerator().type == device.type
    if not available:   # "meta" holds no data, and a backend torch was not built with fails deep inside it
        kind = "CUDA" if device.type == "cuda" else repr(device.type)
        raise ValueError(f"{name} is {str(device)!r} but {kind} is not available on this machine; use 'cpu'")
    if device.index is not None and device.index >= torch.accelerator.device_count():
        raise ValueError(f"{name} is {str(device)!r} but this machine has {torch.accelerator.device_count()} "
                         f"{device.type} device(s), numbered from 0")
    return device


def check_in_range(value, name: str, low=None, high=None, *, low_inclusive=True) -> None:
    """Raise ValueError unless ``value`` is a finite number with ``low <(=) value <= high``."""
    bounds = _bounds(low, high, low_inclusive)
    # NaN compares False with everything, and an open bound (None) lets inf through
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number{' ' + bounds if bounds else ''}, got {value!r}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    if too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be {bounds}, got {value}")


def _bounds(low, high, low_inclusive: bool) -> str:
    """"in [0, 1]", "> 0", "<= 5" or "" (no bounds), as people write them."""
    if low is not None and high is not None:
        return f"in {'[' if low_inclusive else '('}{low}, {high}]"
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {low}"
    return "" if high is None else f"<= {high}"


def check_pair(pair: Sequence[float], name: str, low=None, high=None, *, low_inclusive=True):
    """A (min, max) pair with min <= max, each within bounds; returns a tuple of floats."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{name} must be a (min, max) pair of numbers, got {pair!r}")
    for i, value in enumerate(pair):
        check_in_range(value, f"{name}[{i}]", low, high, low_inclusive=low_inclusive)
    lo, hi = float(pair[0]), float(pair[1])
    if lo > hi:
        raise ValueError(f"{name} must be (min, max) with min <= max, got {pair!r}")
    return lo, hi


def infer_modality(x) -> str:
    if isinstance(x, (list, tuple)):
        return "text"
    if isinstance(x, torch.Tensor) and x.dim() == 4:
        return "image"
    if isinstance(x, torch.Tensor) and x.dim() == 2:
        return "audio"
    raise TypeError(f"x must be an image batch [B, C, H, W], an audio batch [B, T] or a list of "
                    f"strings, got {type(x).__name__} {tuple(getattr(x, 'shape', ()))}")
