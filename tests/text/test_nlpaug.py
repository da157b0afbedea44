"""Nlpaug adapter: batch in/out, seeding without leaking global RNG state, transformers 5 compat."""
import random

import numpy as np
import pytest
import torch

from aad.text import Nlpaug
from aad.text.nlpaug_adapter import contextual_word_embs_aug, transformers5_compat
from tests.text.tiny_mlm import tiny_mlm_dir

naw = pytest.importorskip("nlpaug.augmenter.word")
TEXTS = ["the movie was really good and the actors were great", "", "   ", "cold grey windy day"]


def test_batch_in_batch_out_blank_texts_pass_through():
    out = Nlpaug(naw.RandomWordAug(action="swap", aug_p=0.5), seed=0).augment(TEXTS)
    assert len(out) == len(TEXTS) and out[1:3] == TEXTS[1:3]
    assert sorted(out[0].split()) == sorted(TEXTS[0].split()) and out[0] != TEXTS[0]


def test_seeded_and_global_generators_untouched():
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    expected = random.random(), np.random.rand(), torch.rand(1)
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    aug = Nlpaug(naw.RandomWordAug(action="delete", aug_p=0.5))
    a, b = aug.augment(TEXTS, rng=4), aug.augment(TEXTS, rng=4)
    assert a == b
    assert (random.random(), np.random.rand(), torch.rand(1)) == expected


def test_gpu_generators_are_not_reseeded(monkeypatch):
    reseeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", reseeded.append)
    Nlpaug(naw.RandomWordAug(action="swap"), seed=0).augment(TEXTS)
    assert not reseeded


def test_contextual_word_embs_runs_under_transformers_5():
    from transformers import PreTrainedTokenizerBase

    nlp = contextual_word_embs_aug(tiny_mlm_dir(), action="substitute", aug_p=0.3, device="cpu")
    assert not hasattr(PreTrainedTokenizerBase, "_convert_token_to_id")  # nothing left patched
    out = Nlpaug(nlp, seed=0).augment(TEXTS)
    assert len(out) == len(TEXTS) and out[0] != TEXTS[0]
    with transformers5_compat():
        assert hasattr(PreTrainedTokenizerBase, "_convert_token_to_id")
    assert not hasattr(PreTrainedTokenizerBase, "_convert_token_to_id")


def test_wrapping_something_else_is_a_type_error():
    with pytest.raises(TypeError, match="nlpaug augmenter"):
        Nlpaug(object()).augment(["a b"])


def test_non_transformers_augmenters_work_without_transformers(monkeypatch):
    import sys

    swap = naw.RandomWordAug(action="swap", aug_p=0.5)
    monkeypatch.setitem(sys.modules, "transformers", None)   # import transformers now fails
    out = Nlpaug(swap, seed=0).augment(TEXTS[:1])
    assert sorted(out[0].split()) == sorted(TEXTS[0].split())
