"""Write samples for people to look at and listen to: PNG grids, WAV files, text listings."""
from __future__ import annotations

from pathlib import Path

import torch


def image_grid(images: torch.Tensor, nrow: int, pad: int = 1) -> torch.Tensor:
    """Tile ``[B, C, H, W]`` images into one ``[C, H', W']`` image, ``nrow`` images per row."""
    b, c, h, w = images.shape
    rows = -(-b // nrow)
    grid = torch.ones(c, rows * (h + pad) + pad, nrow * (w + pad) + pad)
    for i, img in enumerate(images.detach().float().cpu()):
        r, col = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top : top + h, left : left + w] = img
    return grid


def save_image_grid(images: torch.Tensor, path: Path, nrow: int, scale: int = 3) -> Path:
    """Save a grid PNG; grayscale stays grayscale, pixels are enlarged ``scale`` times."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = image_grid(images, nrow).clamp(0, 1)
    grid = grid.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
    array = grid[0].numpy() if grid.shape[0] == 1 else grid.permute(1, 2, 0).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, array, cmap="gray" if grid.shape[0] == 1 else None, vmin=0, vmax=1)
    return path


def log_spectrogram(wave: torch.Tensor, n_fft: int = 512) -> torch.Tensor:
    """Log-magnitude spectrograms ``[B, F, frames]`` of ``[B, T]`` waves, scaled to [0, 1]."""
    window = torch.hann_window(n_fft, device=wave.device)
    spec = torch.stft(wave, n_fft, hop_length=n_fft // 4, window=window, return_complex=True).abs()
    db = 20 * torch.log10(spec + 1e-5)
    db = db.clamp(min=db.amax(dim=(1, 2), keepdim=True) - 80)
    low, high = db.amin(dim=(1, 2), keepdim=True), db.amax(dim=(1, 2), keepdim=True)
    return ((db - low) / (high - low + 1e-8)).flip(1)  # low frequencies at the bottom


def save_spectrogram_grid(waves: torch.Tensor, path: Path, nrow: int) -> Path:
    specs = log_spectrogram(waves.detach().float().cpu())
    return save_image_grid(specs.unsqueeze(1), path, nrow, scale=1)


def save_wavs(waves: torch.Tensor, names: list[str], folder: Path, sample_rate: int) -> list[Path]:
    import soundfile

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for wave, name in zip(waves.detach().float().cpu(), names):
        peak = float(wave.abs().max())
        path = folder / f"{name}.wav"
        soundfile.write(path, (wave / peak * 0.9 if peak > 1 else wave).numpy(), sample_rate)
        paths.append(path)
    return paths


def save_samples(x, y: torch.Tensor, modality: str, out: Path, classes, sample_rate=None) -> list[Path]:
    """Write generated samples: one grid row per requested class (images, spectrograms), WAVs, texts."""
    out = Path(out)
    per_row = max(int(torch.bincount(y).max()), 1)
    order = torch.argsort(y, stable=True)
    names = [f"{i:03d}_{classes[int(label)]}" for i, label in enumerate(y.tolist())]
    if modality == "image":
        return [save_image_grid(x[order], out / "grid.png", per_row)]
    if modality == "audio":
        if sample_rate is None:
            raise ValueError("sample_rate is needed to write WAV files")
        wavs = save_wavs(x, names, out / "wav", sample_rate)
        return [save_spectrogram_grid(x[order], out / "spectrograms.png", per_row), *wavs]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "samples.txt"
    path.write_text("".join(f"{classes[int(label)]}\t{text}\n" for label, text in zip(y.tolist(), x)))
    return [path]


def save_before_after(before, after, out: Path) -> list[Path]:
    """Originals of an aad ``Dataset`` beside their augmented versions (first row before, second after)."""
    out = Path(out)
    if before.modality == "image":
        pair = torch.cat([before.x, after])
        return [save_image_grid(pair, out / "before_after.png", nrow=len(before))]
    if before.modality == "audio":
        names = [f"{i:03d}_{before.classes[int(c)]}" for i, c in enumerate(before.y.tolist())]
        wavs = save_wavs(after, names, out / "wav", before.sample_rate)
        pair = torch.cat([before.x, after])
        return [save_spectrogram_grid(pair, out / "before_after.png", nrow=len(before)), *wavs]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "before_after.md"
    cell = lambda text: text.replace("|", "\\|").replace("\n", " ")
    rows = [f"| {before.classes[int(c)]} | {cell(a)} | {cell(b)} |"
            for c, a, b in zip(before.y.tolist(), before.x, after)]
    path.write_text("| label | before | after |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n")
    return [path]
