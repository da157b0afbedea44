"""Text augmenters: word ops (EDA), masked-LM replacement with label-conditioned adaptation, nlpaug adapter.

Batches are ``list[str]``; every op of ours keeps the text's spacing and punctuation outside the words it
edits. ``Nlpaug`` returns what nlpaug makes: it re-joins a text's tokens with single spaces.
"""
from aad.text.masked_lm import MaskedLMReplace
from aad.text.nlpaug_adapter import Nlpaug
from aad.text.ops import RandomDelete, RandomInsert, RandomSwap, SynonymReplace

__all__ = ["MaskedLMReplace", "Nlpaug", "RandomDelete", "RandomInsert", "RandomSwap", "SynonymReplace"]
