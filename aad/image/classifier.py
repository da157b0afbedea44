"""A small CNN image classifier: the GAN's quality filter, and the feature space of its metrics."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aad.seeding import global_rng_from


class SmallCNN(nn.Module):
    """Two conv blocks, global average pooling, a hidden layer (the features), a linear head."""

    def __init__(self, channels: int, num_classes: int, width: int = 32, features: int = 128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(8 * width, features), nn.ReLU())
        self.head = nn.Linear(features, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x * 2 - 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def train_classifier(x: Tensor, y: Tensor, num_classes: int, g: torch.Generator, *, epochs: int = 5,
                     batch_size: int = 64, lr: float = 2e-3, width: int = 32, min_steps: int = 0) -> SmallCNN:
    """Fit a ``SmallCNN`` on images ``x`` in [0, 1] with Adam; batches are drawn from ``g``.

    Trains ``epochs`` passes over ``x``, and at least ``min_steps`` steps: on a small set a few epochs
    are a handful of steps (5 for 100 images at batch 64), which leave the model at chance. On 10 mnist
    digits per class, 200 steps at batch 32 reach 0.85-0.92 held-out accuracy (under 10 s on one CPU
    core). 0 keeps the epochs alone, the recipe of the benchmarks' judges and CAS classifiers.
    """
    with global_rng_from(g):  # built on the CPU, then moved: the same weights on any device
        model = SmallCNN(x.shape[1], num_classes, width).to(x.device)
    opt = torch.optim.Adam(model.parameters(), lr)
    steps = max(epochs * max(1, len(x) // batch_size), min_steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (min(batch_size, len(x)),), generator=g).to(x.device)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


@torch.no_grad()
def predict_proba(model: nn.Module, x: Tensor, chunk: int = 1024) -> Tensor:
    model.eval()
    return torch.cat([F.softmax(model(x[i:i + chunk]), dim=1) for i in range(0, len(x), chunk)])


@torch.no_grad()
def extract_features(model: SmallCNN, x: Tensor, chunk: int = 1024) -> Tensor:
    model.eval()
    return torch.cat([model.features(x[i:i + chunk]) for i in range(0, len(x), chunk)])
