"""Write samples for people to look at and listen to: PNG grids, WAV files, text listings."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from aad.checks import check_audio, check_distinct, check_images, check_int, check_labels, check_str_list
from aad.serialization import atomic_write


def image_grid(images: torch.Tensor, nrow: int, padding: int = 2) -> torch.Tensor:
    """Tile ``[B, C, H, W]`` images into one ``[C, rows*(H+p)+p, nrow*(W+p)+p]`` image, row-major."""
    images = check_images(images, "images").detach().float().cpu()
    check_int(nrow, "nrow", low=1)
    check_int(padding, "padding")
    b, c, h, w = images.shape
    rows = -(-b // nrow)
    grid = torch.ones(c, rows * (h + padding) + padding, nrow * (w + padding) + padding)
    for i, image in enumerate(images):
        top, left = padding + (i // nrow) * (h + padding), padding + (i % nrow) * (w + padding)
        grid[:, top : top + h, left : left + w] = image
    return grid


def _png(images: torch.Tensor):
    """``[C, H, W]`` in [0, 1] as a PIL image (C = 1, 2, 3 or 4: gray, gray + alpha, RGB, RGBA)."""
    from PIL import Image

    if images.shape[0] not in (1, 2, 3, 4):
        raise ValueError(f"images must have 1 to 4 channels to be saved as PNG, got {images.shape[0]}")
    return Image.fromarray((images * 255).round().to(torch.uint8).permute(1, 2, 0).squeeze(2).numpy())


def save_class_folders(x, y: torch.Tensor, modality: str, out: Path, classes, sample_rate=None) -> list[Path]:
    """One file per sample in a folder per class, ``out/<class>/NNN.png`` (or ``.wav``): the layout
    ``aad.data.from_folder`` and ``--dataset PATH`` read back, to train on or to add to your data."""
    out = Path(out)
    y = check_labels(y, len(x), len(classes)).cpu()
    names = {c: check_path_part(str(classes[c]), "classes") for c in y.unique().tolist()}
    paths = []
    if modality == "image":
        images = check_images(x, "x").detach().float().cpu()
        for i, (image, label) in enumerate(zip(images, y.tolist())):
            path = out / names[label] / f"{i:04d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, lambda tmp, image=image: _png(image).save(tmp, format="PNG"))
            paths.append(path)
        return paths
    if modality == "audio":
        if sample_rate is None:
            raise ValueError("sample_rate is needed to write WAV files")
        x = check_audio(x, "x").detach().float().cpu()
        x = x / max(float(x.abs().max()), 1.0)   # levels kept as drawn, all turned down together if any would clip
        for label, name in names.items():
            index = (y == label).nonzero().flatten()
            paths += save_wavs(x[index], [f"{i:04d}" for i in index.tolist()], out / name, sample_rate, peak=None)
        return paths
    raise ValueError(f"modality must be 'image' or 'audio' to write class folders, got {modality!r}")


def check_path_part(name: str, what: str) -> str:
    """``name`` as one file or folder name: a class named "a/b" or ".." would write elsewhere."""
    if _has_folder(name) or name in (".", ".."):
        raise ValueError(f"{what} must be usable as folder names, got {name!r}")
    return name


def _has_folder(name: str) -> bool:
    """Whether ``name`` is empty or holds a folder separator: no name of one file or folder."""
    return not name or "/" in name or "\\" in name


def save_image_grid(images: torch.Tensor, path: str | Path, nrow: int, padding: int = 2,
                    upscale: int = 3) -> Path:
    """Write ``images`` (``[B, C, H, W]`` in [0, 1]; C = 1, 2, 3 or 4: gray, gray + alpha, RGB, RGBA) as
    a PNG grid of ``nrow`` columns, each pixel enlarged ``upscale`` times."""
    from PIL import Image

    check_int(upscale, "upscale", low=1)
    picture = _png(image_grid(images, nrow, padding))
    if upscale > 1:
        picture = picture.resize((picture.width * upscale, picture.height * upscale), Image.NEAREST)
    path = Path(path)
    atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))
    return path


def log_spectrogram(wave: torch.Tensor, n_fft: int = 512, shared_scale: bool = False) -> torch.Tensor:
    """Log-magnitude spectrograms ``[B, F, frames]`` of ``[B, T]`` waves, scaled to [0, 1], each on
    its own or, with ``shared_scale``, all on one scale (a quieter clip shows darker)."""
    window = torch.hann_window(n_fft, device=wave.device)
    # a clip shorter than half a window cannot be mirrored at its ends: it is padded with silence
    pad_mode = "reflect" if wave.shape[-1] > n_fft // 2 else "constant"
    spec = torch.stft(wave, n_fft, hop_length=n_fft // 4, window=window, pad_mode=pad_mode,
                      return_complex=True).abs()
    db = 20 * torch.log10(spec + 1e-5)
    dims = (0, 1, 2) if shared_scale else (1, 2)
    db = db.clamp(min=db.amax(dim=dims, keepdim=True) - 80)
    low, high = db.amin(dim=dims, keepdim=True), db.amax(dim=dims, keepdim=True)
    return ((db - low) / (high - low + 1e-8)).flip(1)  # low frequencies at the bottom


def save_spectrogram_grid(waves: torch.Tensor, path: Path, nrow: int, shared_scale: bool = False) -> Path:
    specs = log_spectrogram(waves.detach().float().cpu(), shared_scale=shared_scale)
    return save_image_grid(specs.unsqueeze(1), path, nrow, upscale=1)


def save_wavs(waves: torch.Tensor, names: list[str], folder: Path, sample_rate: int,
              peak: float | None = 0.9) -> list[Path]:
    """One 16-bit WAV per clip, ``<name>.wav``, each normalised to ``peak`` (silence stays silence).
    ``peak=None`` keeps the levels, all clips turned down by one factor if any would clip."""
    import soundfile

    waves = check_audio(waves, "waves").detach().float().cpu()
    sample_rate = check_int(sample_rate, "sample_rate", 1)
    names = check_distinct(check_str_list(names, "names"), "names")   # a repeated name overwrote a clip
    if len(names) != len(waves):
        raise ValueError(f"names must give one name per clip ({len(waves)}), got {len(names)}")
    bad = [name for name in names if _has_folder(name)]
    if bad:
        raise ValueError(f"names must be file names without a folder, got {bad[:3]}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if peak is None:   # one factor for all: levels kept, turned down only if a clip would clip
        gains = [1.0 / max(float(waves.abs().max()), 1.0)] * len(waves)
    else:
        gains = [peak / top if (top := float(wave.abs().max())) > 0 else 1.0 for wave in waves]
    paths = []
    for wave, gain, name in zip(waves, gains, names):
        path = folder / f"{name}.wav"
        soundfile.write(path, (wave * gain).numpy(), sample_rate, subtype="PCM_16")
        paths.append(path)
    return paths


def _class_rows(tiles: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``tiles`` grouped by class in label order, each class's row padded with blank (white) tiles to
    the longest, so that a grid of ``per_row`` columns has one row per class; returns (tiles, per_row)."""
    per_row = int(torch.bincount(y).max())
    rows = []
    for label in torch.unique(y):
        row = tiles[y == label]
        rows += [row, torch.ones(per_row - len(row), *tiles.shape[1:])]
    return torch.cat(rows), per_row


def save_samples(x, y: torch.Tensor, modality: str, out: Path, classes, sample_rate=None) -> list[Path]:
    """Write generated samples: one grid row per requested class (images, spectrograms), WAVs, texts."""
    out = Path(out)
    if modality not in ("image", "audio", "text"):
        raise ValueError(f"modality must be 'image', 'audio' or 'text', got {modality!r}")
    y = check_labels(y, len(x), len(classes)).cpu()
    names = [f"{i:03d}_{classes[int(label)]}" for i, label in enumerate(y.tolist())]
    if modality == "image":
        tiles, per_row = _class_rows(x.detach().float().cpu(), y)
        return [save_image_grid(tiles, out / "grid.png", per_row)]
    if modality == "audio":
        if sample_rate is None:
            raise ValueError("sample_rate is needed to write WAV files")
        wavs = save_wavs(x, names, out / "wav", sample_rate)
        tiles, per_row = _class_rows(log_spectrogram(x.detach().float().cpu()).unsqueeze(1), y)
        return [save_image_grid(tiles, out / "spectrograms.png", per_row, upscale=1), *wavs]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "samples.txt"
    path.write_text("".join(f"{classes[int(label)]}\t{text}\n" for label, text in zip(y.tolist(), x)),
                    encoding="utf-8")
    return [path]


# Originals per row of a before/after picture: -n 1000 makes 63 pairs of rows, not one row 1000 wide.
PAIRS_PER_ROW = 16


def paired_rows(before: Tensor, after: Tensor, width: int = PAIRS_PER_ROW) -> Tensor:
    """A grid of ``width`` columns: a row of originals, their augmented versions beneath, and so on;
    the last rows padded with blank samples."""
    blank = width - (len(before) % width or width)
    before, after = (torch.cat([t, t.new_zeros(blank, *t.shape[1:])]) for t in (before, after))
    return torch.stack([before.unflatten(0, (-1, width)), after.unflatten(0, (-1, width))], 1).flatten(0, 2)


def save_before_after(before, after, out: Path) -> list[Path]:
    """Originals of an aad ``Dataset`` above their augmented versions, ``PAIRS_PER_ROW`` per row."""
    out = Path(out)
    if len(after) != len(before):
        raise ValueError(f"after must hold one sample per original ({len(before)}), got {len(after)}")
    if before.modality != "text" and after.shape[1:] != before.x.shape[1:]:
        raise ValueError(f"after must hold samples of the originals' shape {list(before.x.shape[1:])}, "
                         f"got {list(after.shape[1:])}")
    if before.modality in ("image", "audio"):
        width = max(1, min(len(before), PAIRS_PER_ROW))
        grid = paired_rows(before.x, after, width)
    if before.modality == "image":
        return [save_image_grid(grid, out / "before_after.png", nrow=width)]
    if before.modality == "audio":   # levels kept, in the picture too: a gain change must show
        names = [f"{i:03d}_{before.classes[int(c)]}" for i, c in enumerate(before.y.tolist())]
        pairs = torch.stack([before.x, after], 1).flatten(0, 1)
        wavs = save_wavs(pairs, [f"{name}_{when}" for name in names for when in ("before", "after")],
                         out / "wav", before.sample_rate, peak=None)
        return [save_spectrogram_grid(grid, out / "before_after.png", nrow=width, shared_scale=True), *wavs]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "before_after.md"
    cell = lambda text: " ".join(text.replace("|", "\\|").splitlines())   # "\r" ends a table row too
    rows = [f"| {cell(before.classes[int(c)])} | {cell(a)} | {cell(b)} |"
            for c, a, b in zip(before.y.tolist(), before.x, after)]
    path.write_text("| label | before | after |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return [path]
