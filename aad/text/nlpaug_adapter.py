"""Nlpaug: any nlpaug augmenter as an aad Augmenter (batch in, batch out, same length, seeded).

nlpaug draws from the global ``random``, NumPy and torch generators; the adapter seeds them from
the augmenter's own stream for the duration of each call and restores them afterwards, so the
usual seeding contract holds and the caller's global state is untouched.

nlpaug 1.1.11 calls the slow-tokenizer hooks ``_convert_token_to_id`` / ``_convert_id_to_token``,
which transformers 5 tokenizers lack, both when ``ContextualWordEmbsAug`` is built and when it
runs. :func:`transformers5_compat` adds the two hooks (as calls to the public
``convert_tokens_to_ids`` / ``convert_ids_to_tokens``) for the duration of a ``with`` block and
removes them after; :class:`Nlpaug` applies it around every call, and
:func:`contextual_word_embs_aug` builds the augmenter inside it. No fork of nlpaug is needed.
"""
from __future__ import annotations

import contextlib
import random

import numpy as np
import torch

from aad.base import Augmenter

_HOOKS = {"_convert_token_to_id": lambda self, token: self.convert_tokens_to_ids(token),
          "_convert_id_to_token": lambda self, index: self.convert_ids_to_tokens(index)}


@contextlib.contextmanager
def transformers5_compat():
    """Give transformers 5 tokenizers the two private hooks nlpaug 1.1.11 calls, inside the block."""
    from transformers import PreTrainedTokenizerBase

    added = [name for name in _HOOKS if name not in vars(PreTrainedTokenizerBase)]
    for name in added:
        setattr(PreTrainedTokenizerBase, name, _HOOKS[name])
    try:
        yield
    finally:
        for name in added:
            delattr(PreTrainedTokenizerBase, name)


def contextual_word_embs_aug(model_path: str, **kwargs):
    """``nlpaug.augmenter.word.ContextualWordEmbsAug(model_path, **kwargs)`` built under transformers 5."""
    try:
        import nlpaug.augmenter.word as naw
    except ImportError as e:
        raise ImportError("contextual_word_embs_aug needs `pip install nlpaug`") from e
    kwargs.setdefault("model_type", "bert")
    with transformers5_compat():
        return naw.ContextualWordEmbsAug(model_path=model_path, **kwargs)


@contextlib.contextmanager
def global_seed(seed: int):
    """Seed Python's, NumPy's and torch's global generators, and restore them on exit. The GPUs'
    generators are seeded (and restored) only once CUDA is initialised: seeding it before would
    queue a seed that lands, unrestored, when CUDA starts."""
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    saved = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=cuda):
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed_all(seed)
        try:
            yield
        finally:
            random.setstate(saved[0])
            np.random.set_state(saved[1])


def _compat_if_installed():
    """``transformers5_compat()``, or nothing without transformers (nlpaug's other augmenters work so).
    Checked here: the context manager would only fail to import on entering the block."""
    try:
        import transformers  # noqa: F401
    except ImportError:
        return contextlib.nullcontext()
    return transformers5_compat()


class Nlpaug(Augmenter):
    """Wrap ``augmenter``, an nlpaug augmenter (e.g. ``naw.ContextualWordEmbsAug(...)``).

    Empty and whitespace-only texts pass through unchanged; a text nlpaug returns nothing for is
    kept as is. It cannot be saved to config.json (it wraps a foreign object); pickling works.
    """

    modality = "text"

    def __init__(self, augmenter, seed: int | None = None):
        self.augmenter = augmenter
        self.seed = seed

    def _augment(self, x: list[str], y, g: torch.Generator) -> list[str]:
        if not callable(getattr(self.augmenter, "augment", None)):
            raise TypeError(f"augmenter must be an nlpaug augmenter with .augment(), "
                            f"got {type(self.augmenter).__name__}")
        seed = int(torch.randint(0, 2**62, (), generator=g))
        todo = [i for i, text in enumerate(x) if text.strip()]
        out = list(x)
        if not todo:
            return out
        with global_seed(seed), _compat_if_installed():
            results = self.augmenter.augment([x[i] for i in todo])
            if not isinstance(results, list) or len(results) != len(todo):
                results = [self._one(x[i]) for i in todo]
        for i, text in zip(todo, results):
            out[i] = text if isinstance(text, str) and text else x[i]
        return out

    def _one(self, text: str) -> str:
        result = self.augmenter.augment(text)
        return result[0] if isinstance(result, list) and result else text
