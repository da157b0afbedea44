"""An unlabeled general English corpus from the packaged text sets, for offline MLM adaptation.

Only the training half of each set (``split(seed=0)``, the split the evaluation harness tests on) is
used, so a model adapted here has never read a text it is later judged on.
"""
from __future__ import annotations

from aad.data import DatasetNotInstalled, load

SOURCES = ("tweets", "fortunes")


def training_texts(name: str) -> list[str]:
    try:
        train, _ = load(name).split(seed=0)
    except DatasetNotInstalled:
        return []
    return list(train.x)


def general_corpus(max_texts: int | None = None) -> list[str]:
    """Tweets and fortunes interleaved (deterministic order); empty when neither is installed."""
    a, b = (training_texts(name) for name in SOURCES)
    mixed = [t for pair in zip(a, b) for t in pair] + a[len(b):] + b[len(a):]
    return mixed[:max_texts] if max_texts else mixed
