"""Figures of a Report (matplotlib, Agg backend): gains with error bars, image sample grids,
spectrograms of audio samples."""
from __future__ import annotations

import math
import re
from pathlib import Path

import torch

from aad.eval.report import SETTINGS, headline_metric, settings_text


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-")


def _unused(stem: str, used: set) -> str:
    """``stem``.png, or ``stem``-2.png, ... when an earlier figure took it ("gan+affine" and
    "gan-affine" share a slug); adds the name to ``used``."""
    name, n = f"{stem}.png", 1
    while name in used:
        n += 1
        name = f"{stem}-{n}.png"
    used.add(name)
    return name


def save_figures(report, out: Path) -> list[str]:
    """Write every figure into ``out``; returns their file names."""
    names = []
    if path := gains_chart(report.summary(), out / "gains.png"):
        names.append(path.name)
    used = set()
    for (dataset, arm), s in report.samples.items():
        path = out / _unused(f"samples_{_slug(dataset)}_{_slug(arm)}", used)
        if s["modality"] == "image":
            names.append(sample_grid(s, f"{dataset} / {arm}", path).name)
        elif s["modality"] == "audio":
            names.append(spectrograms(s, f"{dataset} / {arm}", path).name)
    return names


def gains_chart(summary: list[dict], path: Path) -> Path | None:
    """Horizontal bars: the gain over "none" in points (accuracy, or balanced accuracy under the
    imbalance protocol and on a whole imbalanced training split) with its 95% interval, one bar per
    augmenter and setting."""
    bars = gain_bars(summary)
    if not bars:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(bars) + 1.2))
    labels, gains, errors = zip(*bars)
    colors = ["tab:green" if v > 0 else "tab:red" for v in gains]
    ax.barh(range(len(bars)), gains, xerr=errors, color=colors, alpha=0.8, capsize=3)
    ax.set_yticks(range(len(bars)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel('gain over "none" (points; 95% CI over seeds)')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def gain_bars(summary: list[dict]) -> list[tuple[str, float, float]]:
    """(label, gain, half-width of its interval) in points per summary entry that has a gain; the
    labels name the run settings when the summary holds runs of more than one."""
    several = len({tuple(e.get(k) for k in SETTINGS) for e in summary}) > 1
    bars = []
    for e in summary:
        metric = headline_metric(e)
        g = e.get(f"gain_{metric}")
        if g is not None:
            where = settings_text(e) if several else ""
            label = f"{e['dataset']} {e['model']} k={e['shots']}{where}: {e['augmenter']}"
            half = 0.0 if math.isnan(g["ci_low"]) else (g["ci_high"] - g["ci_low"]) / 2
            bars.append((label, 100 * g["gain"], 100 * half))
    return bars


def sample_grid(samples: dict, title: str, path: Path) -> Path:
    """Top row: the real source (blank for generated samples); bottom row: the new sample."""
    plt = _pyplot()
    n = len(samples["after"])
    fig, axes = plt.subplots(2, n, figsize=(1.2 * n, 2.8), squeeze=False)
    for i in range(n):
        for row, image in enumerate((samples["before"][i], samples["after"][i])):
            ax = axes[row][i]
            ax.axis("off")
            if image is not None:
                image = image.detach().float().cpu()
                cmap = "gray" if image.shape[0] == 1 else None
                ax.imshow((image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)).numpy(), cmap=cmap, vmin=0, vmax=1)
        axes[0][i].set_title(samples["names"][i], fontsize=8)
    fig.suptitle(f"{title} (top: real, bottom: new)", fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def spectrograms(samples: dict, title: str, path: Path, n: int = 4) -> Path:
    """Log-power spectrograms of a few new clips, with their sources above them when they have one."""
    plt = _pyplot()
    n = min(n, len(samples["after"]))
    fig, axes = plt.subplots(2, n, figsize=(2.6 * n, 4), squeeze=False)
    for i in range(n):
        for row, clip in enumerate((samples["before"][i], samples["after"][i])):
            ax = axes[row][i]
            ax.set_xticks([])
            ax.set_yticks([])
            if clip is not None:
                spec = torch.stft(clip.detach().float().cpu(), 512, 128, window=torch.hann_window(512),
                                  return_complex=True).abs().pow(2).add(1e-10).log10()
                ax.imshow(spec.numpy(), origin="lower", aspect="auto", cmap="magma")
        axes[0][i].set_title(samples["names"][i], fontsize=8)
    fig.suptitle(f"{title} (top: real, bottom: new)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
