"""The parameter table the contract suite runs over: one ``Case`` per public augmenter.

Each modality adds its cases in ``tests/cases/<modality>.py``; ``test_every_public_augmenter_has_a_case``
fails when an exported augmenter has none.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import torch


@dataclass
class Case:
    id: str
    make: Callable[[int | None], object]     # seed -> a fresh augmenter (tiny config for learned ones)
    batch: Callable[[], tuple[object, torch.Tensor | None]]  # -> (x, y)
    random: bool = True                      # different streams give different outputs
    tolerance: float = 0.0                   # for outputs compared across save/load
    tags: set = field(default_factory=set)


def all_cases() -> list[Case]:
    cases = []
    for name in ("core", "image", "text", "audio"):
        try:
            module = importlib.import_module(f"tests.cases.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"tests.cases.{name}":
                raise
            continue
        cases.extend(module.CASES)
    return cases


def image_batch(b=6, c=1, h=12, w=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, h, w, generator=g), torch.arange(b) % 3


def audio_batch(b=4, t=4000, seed=0, sample_rate=16000):
    g = torch.Generator().manual_seed(seed)
    time = torch.arange(t) / sample_rate
    freqs = 200 + 600 * torch.rand(b, 1, generator=g)
    wave = 0.5 * torch.sin(2 * torch.pi * freqs * time) + 0.05 * torch.randn(b, t, generator=g)
    return wave.float(), torch.arange(b) % 3


def text_batch():
    texts = ["the movie was really good and the actors were great",
             "I did not like the food at this restaurant at all",
             "the weather today is cold , grey and windy",
             "she drove her old car to work every single morning"]
    return texts, torch.tensor([2, 0, 1, 1])
