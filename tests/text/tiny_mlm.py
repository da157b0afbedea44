"""A tiny BertForMaskedLM (random weights) and its WordPiece tokenizer, written to a folder once."""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

WORDS = """the movie was really good and actors were great i did not like food at this restaurant all
weather today is cold grey windy she drove her old car to work every single morning film bad awful nice
happy sad day night city house dog cat red blue fast slow big small label class positive negative neutral
""".split()  # noqa: SIM905
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ",", ".", "!", "?", "'", "0", "1", "2", "3",
         "##s", "##ing", "##ed", "##ly", *WORDS]


@functools.lru_cache(maxsize=1)
def tiny_mlm_dir() -> str:
    """Folder with config.json, model.safetensors and a fast tokenizer, like a hub model."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    folder = Path(tempfile.mkdtemp(prefix="aad-tiny-mlm-"))
    vocab = {token: i for i, token in enumerate(VOCAB)}
    BertTokenizer(vocab=vocab, do_lower_case=True).save_pretrained(folder)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    import torch
    torch.manual_seed(0)  # test fixture only: the weights are fixed once, outside any augmenter
    BertForMaskedLM(config).save_pretrained(folder)
    return str(folder)


@functools.lru_cache(maxsize=1)
def tiny_cache_dir() -> str:
    return tempfile.mkdtemp(prefix="aad-tiny-cache-")
