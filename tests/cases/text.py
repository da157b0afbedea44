"""Contract cases for the text augmenters (tiny masked LM built from config; WordNet when installed)."""
from aad.text import MaskedLMReplace, Nlpaug, RandomDelete, RandomInsert, RandomSwap, SynonymReplace
from tests.cases import Case, text_batch
from tests.text.tiny_mlm import tiny_cache_dir, tiny_mlm_dir


def tiny_masked_lm(seed, **kw):
    return MaskedLMReplace(model=tiny_mlm_dir(), fraction=0.3, fit_steps=3, cache_dir=tiny_cache_dir(),
                           progress=False, seed=seed, **kw)


def nlpaug_swap(seed):
    import nlpaug.augmenter.word as naw
    return Nlpaug(naw.RandomWordAug(action="swap", aug_p=0.3), seed=seed)


CASES = [
    Case("RandomSwap", lambda seed: RandomSwap(0.2, seed=seed), text_batch),
    Case("RandomDelete", lambda seed: RandomDelete(0.3, seed=seed), text_batch),
    Case("RandomInsert", lambda seed: RandomInsert(0.2, seed=seed), text_batch),
    Case("RandomInsert-sentence", lambda seed: RandomInsert(0.2, source="sentence", seed=seed), text_batch),
    Case("SynonymReplace", lambda seed: SynonymReplace(0.3, seed=seed), text_batch),
    Case("MaskedLMReplace", tiny_masked_lm, text_batch),
    Case("MaskedLMReplace-labels", lambda seed: tiny_masked_lm(seed, label_names=["neg", "neu", "pos"]),
         text_batch),
    Case("Nlpaug", nlpaug_swap, text_batch, tags={"unsaveable"}),   # wraps a foreign, unpicklable object
]
