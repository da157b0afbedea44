"""Masked-LM fine-tuning on a corpus (domain adaptation), optionally label-conditioned (CBERT-style
"prepend": the label text is the first segment, ``label [SEP] text``, and only text is masked).

Runs in :class:`aad.training.TrainLoop` (step/time budget, progress bar, checkpoint + resume), and
caches the result in a folder keyed by sha256(base model + data + settings), written with
``save_pretrained`` (safetensors) and read back with ``from_pretrained``: the same fit is never
repeated. Cache root: ``cache_dir``, else ``$AAD_CACHE/mlm``, else ``~/.cache/aad/mlm``.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from aad.checks import check_path
from aad.seeding import make_generator
from aad.text.lm import fixed_init, head_parameters, masked_logits, model_id, quiet_transformers, transformers
from aad.training import GeneratorState, TrainLoop


@dataclass(frozen=True)
class AdaptSettings:
    steps: int = 300              # optimizer steps (the budget that ends first wins)
    seconds: float | None = None  # wall-clock budget, s
    batch_size: int = 32
    max_length: int = 40          # tokens per training sentence (label segment included)
    lr: float = 1e-4              # encoder
    head_lr: float = 2e-3         # prediction head (fresh heads need a larger step)
    mask_prob: float = 0.15
    seed: int = 0


def cache_root(cache_dir: str | None = None) -> Path:
    if cache_dir is not None and cache_dir != "":   # "" means the default, as None does
        return check_path(cache_dir, "cache_dir")
    if os.environ.get("AAD_CACHE"):
        return Path(os.environ["AAD_CACHE"]) / "mlm"
    return Path.home() / ".cache" / "aad" / "mlm"


def fit_key(base: str, texts: list[str], prefixes: list[str] | None, settings: AdaptSettings) -> str:
    data = hashlib.sha256(json.dumps([texts, prefixes]).encode()).hexdigest()
    recipe = {"base": model_id(base), "data": data, "settings": asdict(settings)}
    if prefixes is not None:  # labeled fits cached before they trained with segment ids are not reused
        recipe["segments"] = "token_type_ids"
    blob = json.dumps(recipe, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def adapt_cached(base: str, model, tokenizer, texts: list[str], prefixes: list[str] | None,
                 settings: AdaptSettings, cache_dir: str | None = None, progress: bool = True,
                 device="cpu") -> tuple[object, str]:
    """Fine-tune ``model`` (loaded from ``base``) on ``texts`` unless the cache holds this exact fit.
    Returns (the model in eval mode, its cache folder)."""
    folder = cache_root(cache_dir) / fit_key(base, texts, prefixes, settings)
    done = folder / "done.json"
    if done.is_file():
        with quiet_transformers(), fixed_init():
            model = transformers().AutoModelForMaskedLM.from_pretrained(folder)
        return model.to(device).eval(), str(folder)
    adapt(model, tokenizer, texts, prefixes, settings, checkpoint_dir=folder / "checkpoint",
          progress=progress, device=device)
    with quiet_transformers():
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    model.config._name_or_path = str(folder)  # model.name_or_path now names the adapted folder
    done.write_text(json.dumps({"base": base, "settings": asdict(settings), "n_texts": len(texts)}))
    for leftover in (folder / "checkpoint").glob("*"):
        leftover.unlink()
    return model.eval(), str(folder)


def adapt(model, tokenizer, texts: list[str], prefixes: list[str] | None, settings: AdaptSettings,
          checkpoint_dir: str | Path | None = None, progress: bool = True, device="cpu") -> int:
    """MLM fine-tuning of ``model`` in place; returns the number of steps run."""
    model.to(device).train()
    encoded = tokenizer(prefixes, texts, truncation="only_second", max_length=settings.max_length,
                        return_special_tokens_mask=True) if prefixes else \
        tokenizer(texts, truncation=True, max_length=settings.max_length, return_special_tokens_mask=True)
    rows = [r for r in _rows(encoded) if r[1].any()]
    if not rows:
        model.eval()
        return 0
    # The word embeddings (tied to the decoder) stay fixed: they already place words well, and
    # skipping their update and Adam state halves the cost of a step for a BERT-small model.
    embeddings = model.get_input_embeddings().weight
    embeddings.requires_grad_(False)
    head = [p for p in head_parameters(model) if p.requires_grad]
    head_ids = {id(p) for p in head}
    body = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    optimizer = torch.optim.AdamW([{"params": body, "lr": settings.lr},
                                   {"params": head, "lr": settings.head_lr}], weight_decay=0.01)
    g = make_generator(settings.seed)
    loop = TrainLoop({"model": model, "optimizer": optimizer, "rng": GeneratorState(g)},
                     steps=settings.steps, seconds=settings.seconds, checkpoint_dir=checkpoint_dir,
                     checkpoint_every=max(50, settings.steps // 4), progress=progress, desc="fit masked LM")
    special = torch.tensor(tokenizer.all_special_ids)

    def step(i: int) -> dict[str, float]:
        # dropout draws from torch's global RNG: seed it from our stream, so a fit depends only on
        # its seed (not on what ran before it) and a resumed fit matches an uninterrupted one
        _seed_dropout(int(torch.randint(0, 2**62, (), generator=g)), torch.device(device))
        pick = torch.randint(len(rows), (min(settings.batch_size, len(rows)),), generator=g).tolist()
        batch, labels = _masked_batch([rows[j] for j in pick], tokenizer, special, settings.mask_prob, g)
        batch = {k: v.to(device) for k, v in batch.items()}
        chosen = (labels != -100).to(device)
        # the vocabulary projection runs on the masked rows only (~15%), not on every token
        logits = masked_logits(model, batch, chosen)
        loss = torch.nn.functional.cross_entropy(logits.float(), labels.to(device)[chosen])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return {"loss": float(loss.detach())}

    cuda = [_cuda_index(torch.device(device))] if torch.device(device).type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda):  # the caller's global RNG state is left as it was
            steps = loop.run(step)
    finally:
        embeddings.requires_grad_(True)
        model.eval()
    return steps


def _seed_dropout(seed: int, device: torch.device) -> None:
    """Seed the CPU generator and the fit's own GPU, never the others (``torch.manual_seed`` would
    reseed every GPU, and ``fork_rng`` restores only the fit's device)."""
    torch.random.default_generator.manual_seed(seed)
    if device.type == "cuda":
        with torch.cuda.device(_cuda_index(device)):
            torch.cuda.manual_seed(seed)


def _cuda_index(device: torch.device) -> int:
    return torch.cuda.current_device() if device.index is None else device.index


def _rows(encoded) -> list[tuple[list[int], torch.Tensor, list[int] | None]]:
    """(token ids, maskable positions, segment ids) per text. The segment ids are the tokenizer's,
    as augmentation passes them: a label-conditioned fit learns the text as segment 1 (CBERT)."""
    types = encoded.get("token_type_ids")
    return [(ids, _maskable(encoded, i), None if types is None else types[i])
            for i, ids in enumerate(encoded["input_ids"])]


def _maskable(encoded, i: int) -> torch.Tensor:
    """Positions of the text segment that are not special tokens (label segment never masked)."""
    special = torch.tensor(encoded["special_tokens_mask"][i], dtype=torch.bool)
    seq = encoded.sequence_ids(i)
    last_segment = max(s for s in seq if s is not None) if any(s is not None for s in seq) else 0
    in_text = torch.tensor([s == last_segment for s in seq])
    return in_text & ~special


def _masked_batch(rows, tokenizer, special: torch.Tensor, mask_prob: float, g: torch.Generator):
    """Pad ``rows`` and apply BERT masking (80% [MASK], 10% random, 10% kept) to maskable tokens."""
    length = max(len(ids) for ids, _, _ in rows)
    ids = torch.full((len(rows), length), tokenizer.pad_token_id, dtype=torch.long)
    maskable = torch.zeros(len(rows), length, dtype=torch.bool)
    types = torch.zeros(len(rows), length, dtype=torch.long)
    for r, (row_ids, row_mask, row_types) in enumerate(rows):
        ids[r, :len(row_ids)] = torch.tensor(row_ids)
        maskable[r, :len(row_ids)] = row_mask
        if row_types is not None:
            types[r, :len(row_types)] = torch.tensor(row_types)
    attention = (torch.arange(length) < torch.tensor([len(i) for i, _, _ in rows])[:, None]).long()
    chosen = maskable & (torch.rand(ids.shape, generator=g) < mask_prob)
    # every row learns something: force one masked token where the draw picked none
    for r in torch.nonzero(~chosen.any(1)).flatten().tolist():
        options = torch.nonzero(maskable[r]).flatten()
        chosen[r, options[torch.randint(len(options), (), generator=g)]] = True
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=g)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = tokenizer.mask_token_id
    randomize = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[randomize] = torch.randint(len(tokenizer), ids.shape, generator=g)[randomize]
    batch = {"input_ids": inputs, "attention_mask": attention}
    if rows[0][2] is not None:
        batch["token_type_ids"] = types
    return batch, labels
