"""Tiny test-only datasets and augmenters for the harness tests."""
import torch

from aad.base import Augmenter
from aad.data.dataset import Dataset


def image_dataset(n_per_class=30, classes=3, size=8, seed=0, name="toy-images"):
    """Each class is a bright bar at its own row band, plus noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(classes).repeat_interleave(n_per_class)
    x = 0.2 * torch.rand(len(y), 1, size, size, generator=g)
    for c in range(classes):
        rows = slice(c * size // classes, (c + 1) * size // classes)
        x[y == c, :, rows, :] += 0.7
    return Dataset(x=x.clamp(0, 1), y=y, classes=tuple(f"c{i}" for i in range(classes)), modality="image",
                   name=name)


def text_dataset(n_per_class=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    words = {0: ["bad", "awful", "terrible", "sad"], 1: ["good", "great", "lovely", "happy"]}
    filler = ["the", "movie", "was", "really", "quite", "and", "day", "food"]
    texts, labels = [], []
    for c, vocab in words.items():
        for _ in range(n_per_class):
            pick = torch.randint(0, 8, (4,), generator=g).tolist()
            texts.append(" ".join([filler[pick[0]], vocab[pick[1] % 4], filler[pick[2]], filler[pick[3]]]))
            labels.append(c)
    return Dataset(x=texts, y=torch.tensor(labels), classes=("neg", "pos"), modality="text", name="toy-text")


def audio_dataset(n_per_class=16, classes=2, t=1600, sample_rate=8000, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(classes).repeat_interleave(n_per_class)
    time = torch.arange(t) / sample_rate
    freq = (300 + 900 * y.float())[:, None] * (1 + 0.05 * torch.rand(len(y), 1, generator=g))
    x = 0.5 * torch.sin(2 * torch.pi * freq * time) + 0.02 * torch.randn(len(y), t, generator=g)
    return Dataset(x=x.float(), y=y, classes=("low", "high"), modality="audio", name="toy-audio",
                   sample_rate=sample_rate)


class Jitter(Augmenter):
    """Test-only transform: clamped Gaussian noise."""

    modality = "image"

    def __init__(self, scale: float = 0.05, seed=None):
        self.scale = scale
        self.seed = seed

    def _augment(self, x, y, g):
        return (x + self.scale * torch.randn(x.shape, generator=g)).clamp(0, 1)


class ClassMeans(Augmenter):
    """Test-only generator: the class mean of the training images plus noise. Counts its fits."""

    modality = "image"
    generative = True
    learned = True
    fits = 0

    def __init__(self, noise: float = 0.05, seed=None):
        self.noise = noise
        self.seed = seed

    def _fit(self, x, y):
        type(self).fits += 1
        self.means_ = torch.stack([x[y == c].mean(0) for c in range(int(y.max()) + 1)])

    def _num_classes(self):
        return len(self.means_)

    def _generate(self, y, g):
        x = self.means_[y]
        return (x + self.noise * torch.randn(x.shape, generator=g)).clamp(0, 1)

    def _get_state(self):
        return {}, {"means": self.means_}

    def _set_state(self, meta, tensors):
        self.means_ = tensors["means"]


class Broken(Augmenter):
    """Test-only: always fails."""

    modality = "image"

    def __init__(self, seed=None):
        self.seed = seed

    def _augment(self, x, y, g):
        raise RuntimeError("boom")


class TextDup(Augmenter):
    """Test-only text transform: repeats the last word."""

    modality = "text"

    def __init__(self, seed=None):
        self.seed = seed

    def _augment(self, x, y, g):
        return [t + " " + t.split()[-1] for t in x]


class AudioGain(Augmenter):
    modality = "audio"

    def __init__(self, seed=None):
        self.seed = seed

    def _augment(self, x, y, g):
        return x * (0.5 + torch.rand(len(x), 1, generator=g))
