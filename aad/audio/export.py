"""Write generated audio for people: WAV files and a PNG grid of spectrograms (for ``aad generate``)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from aad.checks import check_audio, check_labels


def write_wavs(folder: str | Path, waves: Tensor, labels: Tensor, classes: Sequence[str],
               sample_rate: int, peak: float = 0.9) -> list[Path]:
    """One 16-bit WAV per clip, ``<class>_<index>.wav``, each normalised to ``peak`` (silence kept)."""
    import soundfile

    waves = check_audio(waves, "waves").detach().cpu()
    labels = check_labels(labels, len(waves), len(classes), "labels")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (wave, label) in enumerate(zip(waves, labels.tolist())):
        top = float(wave.abs().max())
        path = folder / f"{classes[label]}_{i:04d}.wav"
        soundfile.write(path, (wave * (peak / top if top > 0 else 1.0)).numpy(), sample_rate, subtype="PCM_16")
        paths.append(path)
    return paths


def save_spectrogram_grid(path: str | Path, images: Tensor, labels: Tensor, classes: Sequence[str],
                          title: str = "generated log-mel spectrograms") -> Path:
    """A PNG grid of ``[B, 1, n_mels, frames]`` images, one column per class present."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = check_labels(labels, len(images), len(classes), "labels").cpu()
    present = sorted(set(labels.tolist()))
    rows = max(int((labels == c).sum()) for c in present)
    fig, axes = plt.subplots(rows, len(present), figsize=(1.6 * len(present), 1.5 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for col, c in enumerate(present):
        for row, i in enumerate(torch.nonzero(labels == c).flatten().tolist()):
            ax = axes[row, col]
            ax.imshow(images[i, 0].detach().cpu().numpy(), origin="lower", aspect="auto", cmap="magma")
            ax.set_title(classes[c], fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
