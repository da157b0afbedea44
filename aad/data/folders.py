"""Your own data: a folder with one subfolder per class (images or audio files), or a CSV of texts."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from aad.data.dataset import Dataset
from aad.data.speech import fit_length, resample

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg"}


def from_folder(path: str | Path, modality: str | None = None, image_size: int | tuple[int, int] | None = None,
                sample_rate: int = 16_000, clip_seconds: float = 1.0, name: str | None = None) -> Dataset:
    """Load ``path/<class>/<file>``; class names are the subfolder names, in sorted order.

    Images become float32 ``[N, C, H, W]`` in [0, 1] (C = 3 if any image has colour, else 1), resized
    to ``image_size`` (int or (H, W), pixels) when given; otherwise all images must share one size.
    Audio becomes mono float32 ``[N, round(clip_seconds * sample_rate)]`` at ``sample_rate`` Hz,
    center-padded with silence or cut after ``clip_seconds``.
    ``modality`` ("image" or "audio") is inferred from the file suffixes when None.
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"path {str(root)!r} is not a folder")
    classes = tuple(sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")))
    if not classes:
        raise ValueError(f"path {str(root)!r} has no class subfolders (expected path/<class>/<file>)")
    files, labels = _class_files(root, classes)
    modality = modality or _infer_modality(files, root)
    name = name or root.name
    if modality == "image":
        x = _read_images(files, image_size)
        return Dataset(x=x, y=labels, classes=classes, modality="image", name=name)
    if modality == "audio":
        x = _read_audio(files, sample_rate, clip_seconds)
        return Dataset(x=x, y=labels, classes=classes, modality="audio", name=name, sample_rate=sample_rate)
    raise ValueError(f"modality must be 'image', 'audio' or None, got {modality!r}")


def from_csv(path: str | Path, text_col: str, label_col: str, name: str | None = None) -> Dataset:
    """Texts and labels from two columns of a CSV file with a header; classes in sorted order.

    Rows with an empty text or label are dropped; texts are kept as written (whitespace stripped).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        for arg, col in (("text_col", text_col), ("label_col", label_col)):
            if col not in columns:
                raise ValueError(f"{arg}={col!r} is not a column of {path.name}; columns: {columns}")
        rows = [(r[text_col].strip(), r[label_col].strip()) for r in reader
                if (r[text_col] or "").strip() and (r[label_col] or "").strip()]
    if not rows:
        raise ValueError(f"path {str(path)!r} has no rows with both {text_col!r} and {label_col!r}")
    classes = tuple(sorted({label for _, label in rows}))
    y = torch.tensor([classes.index(label) for _, label in rows], dtype=torch.long)
    return Dataset(x=[text for text, _ in rows], y=y, classes=classes, modality="text",
                   name=name or path.stem)


def _class_files(root: Path, classes: tuple[str, ...]) -> tuple[list[Path], torch.Tensor]:
    files, labels = [], []
    for index, cls in enumerate(classes):
        found = sorted(f for f in (root / cls).iterdir() if f.is_file() and not f.name.startswith("."))
        files += found
        labels += [index] * len(found)
    if not files:
        raise ValueError(f"path {str(root)!r} has class folders {list(classes)} but no files in them")
    return files, torch.tensor(labels, dtype=torch.long)


def _infer_modality(files: list[Path], root: Path) -> str:
    suffixes = {f.suffix.lower() for f in files}
    if suffixes <= IMAGE_SUFFIXES:
        return "image"
    if suffixes <= AUDIO_SUFFIXES:
        return "audio"
    raise ValueError(f"path {str(root)!r} mixes or holds unknown file types {sorted(suffixes)}; "
                     f"expected only images {sorted(IMAGE_SUFFIXES)} or only audio {sorted(AUDIO_SUFFIXES)}")


def _read_images(files: list[Path], image_size: int | tuple[int, int] | None) -> torch.Tensor:
    from PIL import Image

    images = [Image.open(f) for f in files]
    colour = any(im.mode not in ("L", "1", "I", "I;16", "F") for im in images)
    images = [im.convert("RGB" if colour else "L") for im in images]
    if image_size is not None:
        height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
        images = [im.resize((width, height), Image.BILINEAR) for im in images]
    sizes = {im.size for im in images}
    if len(sizes) > 1:
        raise ValueError(f"images have {len(sizes)} different sizes (e.g. {sorted(sizes)[:3]} as W x H); "
                         "pass image_size=(H, W) to resize them to one size")
    pixels = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])
    x = torch.from_numpy(pixels)
    return x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()  # [N, C, H, W]


def _read_audio(files: list[Path], sample_rate: int, clip_seconds: float) -> torch.Tensor:
    import soundfile

    if sample_rate <= 0 or clip_seconds <= 0:
        raise ValueError(f"sample_rate and clip_seconds must be > 0, got {sample_rate}, {clip_seconds}")
    length = round(clip_seconds * sample_rate)
    clips = []
    for f in files:
        audio, rate = soundfile.read(f, dtype="float64", always_2d=True)  # [T, channels]
        mono = resample(audio.mean(axis=1), rate, sample_rate)
        clips.append(fit_length(mono, length))
    return torch.from_numpy(np.stack(clips).astype(np.float32))
