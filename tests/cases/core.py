"""Contract cases for the core compositions, built on a tiny test-only image augmenter."""
import torch

from aad import Compose, Identity, OneOf, Sometimes
from aad.base import Augmenter
from tests.cases import Case, image_batch


class AddNoise(Augmenter):
    """Test-only: adds clamped Gaussian noise with a per-sample scale."""

    modality = "image"

    def __init__(self, scale: float = 0.1, seed=None):
        self.scale = scale
        self.seed = seed

    def _augment(self, x, y, g):
        s = self.scale * torch.rand(len(x), 1, 1, 1, generator=g)
        noise = torch.randn(x.shape, generator=g)
        return (x + s * noise).clamp(0, 1).to(x.device)


CASES = [
    Case("Identity", lambda seed: Identity(seed=seed), image_batch, random=False),
    Case("Compose", lambda seed: Compose([AddNoise(0.1), AddNoise(0.2)], seed=seed), image_batch),
    Case("OneOf", lambda seed: OneOf([AddNoise(0.1), Identity()], seed=seed), image_batch),
    Case("Sometimes", lambda seed: Sometimes(AddNoise(0.3), p=0.5, seed=seed), image_batch),
]
