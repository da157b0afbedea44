"""Simple seeded word ops as augmenters (EDA, Wei & Zou 2019): swap, delete, insert, synonyms."""
from __future__ import annotations

import torch

from aad.base import Augmenter
from aad.checks import check_bool, check_in_range
from aad.text import functional as F
from aad.text.wordnet import wordnet
from aad.text.words import is_stopword

SOURCES = ("synonym", "sentence")


class _WordOp(Augmenter):
    """Applies a one-text op to every text of the batch, drawing from one stream in order."""

    modality = "text"

    def _augment(self, x: list[str], y, g: torch.Generator) -> list[str]:
        self._validate()
        return [self._one(text, g) for text in x]

    def _validate(self) -> None:
        pass

    def _one(self, text: str, g: torch.Generator) -> str:
        raise NotImplementedError


class RandomSwap(_WordOp):
    """Move 2 x ``fraction`` x (number of words) random words (at least two when ``fraction`` > 0, at
    most all), each to another chosen word's place; fraction in [0, 1]."""

    def __init__(self, fraction: float = 0.1, seed: int | None = None):
        self.fraction = fraction
        self.seed = seed

    def _validate(self):
        check_in_range(self.fraction, "fraction", 0, 1)

    def _one(self, text, g):
        return F.random_swap(text, self.fraction, g)


class RandomDelete(_WordOp):
    """Delete each word with probability ``p`` in [0, 1]; one word always survives."""

    def __init__(self, p: float = 0.1, seed: int | None = None):
        self.p = p
        self.seed = seed

    def _validate(self):
        check_in_range(self.p, "p", 0, 1)

    def _one(self, text, g):
        return F.random_delete(text, self.p, g)


class SynonymReplace(_WordOp):
    """Replace ``fraction`` of the words that have WordNet synonyms with a random synonym.

    WordNet 3.0 is read from Debian's ``wordnet-base`` (/usr/share/wordnet), $WORDNET_DIR or
    ``wordnet_dir``; a missing database raises an error that says what to install. Without a POS
    tagger, each word's most frequent part of speech and its three most frequent senses are used.
    """

    def __init__(self, fraction: float = 0.1, skip_stopwords: bool = True,
                 wordnet_dir: str | None = None, seed: int | None = None):
        self.fraction = fraction
        self.skip_stopwords = skip_stopwords
        self.wordnet_dir = wordnet_dir
        self.seed = seed

    def _validate(self):
        check_in_range(self.fraction, "fraction", 0, 1)
        check_bool(self.skip_stopwords, "skip_stopwords")
        self._wordnet = wordnet(self.wordnet_dir)

    def _one(self, text, g):
        return F.synonym_replace(text, self.fraction, g, self._wordnet.synonyms, self.skip_stopwords)


class RandomInsert(_WordOp):
    """Insert ``fraction`` x (number of words) new words at random places (at least one when
    ``fraction`` > 0).

    ``source="synonym"`` inserts a WordNet synonym of a random non-stopword of the text (EDA; needs
    WordNet as :class:`SynonymReplace` does); ``"sentence"`` repeats a random word of the text.
    """

    def __init__(self, fraction: float = 0.1, source: str = "synonym",
                 wordnet_dir: str | None = None, seed: int | None = None):
        self.fraction = fraction
        self.source = source
        self.wordnet_dir = wordnet_dir
        self.seed = seed

    def _validate(self):
        check_in_range(self.fraction, "fraction", 0, 1)
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        self._wordnet = wordnet(self.wordnet_dir) if self.source == "synonym" else None

    def _options(self, word: str) -> list[str]:
        if self._wordnet is None:
            return [word]
        return [] if is_stopword(word) else self._wordnet.synonyms(word)

    def _one(self, text, g):
        return F.random_insert(text, self.fraction, g, self._options)
