"""Tiny masked LMs (random weights) with their tokenizers, written to a folder once: BERT with
WordPiece, and RoBERTa with byte-level BPE."""
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


@functools.lru_cache(maxsize=2)
def tiny_mlm_dir(padded_outputs: int = 0) -> str:
    """Folder with config.json, model.safetensors and a fast tokenizer, like a hub model.
    ``padded_outputs``: extra output columns past the tokenizer's vocabulary (as DeBERTa-v3 pads)."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    folder = Path(tempfile.mkdtemp(prefix="aad-tiny-mlm-"))
    vocab = {token: i for i, token in enumerate(VOCAB)}
    BertTokenizer(vocab=vocab, do_lower_case=True).save_pretrained(folder)
    config = BertConfig(vocab_size=len(VOCAB) + padded_outputs, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    import torch
    torch.manual_seed(0)  # test fixture only: the weights are fixed once, outside any augmenter
    BertForMaskedLM(config).save_pretrained(folder)
    return str(folder)


BPE_WORDS = [*WORDS[:40], "café", "naïve", "aquí", "está", "“quote”", "—"]


@functools.lru_cache(maxsize=1)
def tiny_roberta_dir() -> str:
    """A tiny RobertaForMaskedLM with a byte-level BPE tokenizer trained here on ``BPE_WORDS``."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForMaskedLM, RobertaTokenizerFast

    folder = Path(tempfile.mkdtemp(prefix="aad-tiny-roberta-"))
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([" ".join(BPE_WORDS)] * 50 + BPE_WORDS * 20, vocab_size=400, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False)
    bpe.save_model(str(folder))
    tokenizer = RobertaTokenizerFast(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"))
    tokenizer.save_pretrained(folder)
    config = RobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=80, pad_token_id=tokenizer.pad_token_id,
                           bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)  # test fixture only
    RobertaForMaskedLM(config).save_pretrained(folder)
    return str(folder)


@functools.lru_cache(maxsize=1)
def tiny_cache_dir() -> str:
    return tempfile.mkdtemp(prefix="aad-tiny-cache-")
