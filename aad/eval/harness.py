"""``evaluate``: does augmentation help, by how much, and is it real?

For each shot count and seed: draw a k-shot subset of the training split, fit every arm's augmenters on
it (the test split is never seen), expand it, train the downstream model on real + new samples with
the same step budget for every arm, and score on the untouched test split. Rows are appended to
``rows.jsonl`` as they finish, so a run can be resumed.
"""
from __future__ import annotations

import hashlib
import json
import time
import traceback
import warnings
from pathlib import Path

import torch
from tqdm.auto import tqdm

from aad.base import Augmenter, modality_of
from aad.checks import check_bool, check_device, check_distinct, check_int, check_int_list
from aad.data.dataset import Dataset
from aad.eval import generative as gm
from aad.eval.expand import FitCache, config_key, data_digest, describe, expand, join, match_shape
from aad.eval.metrics import classification_scores
from aad.eval.models import AudioCNN, Downstream, ImageCNN, MiniLMProbe, SentenceEncoder, TextBag
from aad.eval.presets import MODELS, Arm
from aad.eval.report import Report
from aad.eval.runs import KEY, check_same_settings, drop_redone_errors, kept_rows, load_rows, prepare_out
from aad.seeding import derive_seed, make_generator

PROTOCOLS = ("kshot", "imbalance")
ALL = "all"   # shots: every sample of the training split, as imbalanced as it is


def make_model(modality: str, name: str, steps: int, sample_rate: int | None = None,
               device: str = "cpu") -> Downstream:
    """A downstream classifier by modality and name (see ``presets.MODELS``)."""
    if name not in MODELS.get(modality, ()):
        raise ValueError(f"model must be one of {MODELS.get(modality)} for {modality}, got {name!r}")
    if modality == "image":
        return ImageCNN(steps=steps, device=device)
    if modality == "audio":
        return AudioCNN(sample_rate=sample_rate or 16000, steps=steps, device=device)
    if name == "bag":
        return TextBag(steps=steps, device=device)
    return MiniLMProbe(_shared_encoder(), steps=steps, device=device)


_ENCODER: list[SentenceEncoder] = []


def _shared_encoder() -> SentenceEncoder:
    """One frozen MiniLM (and its embedding memo) per process: the probes share it."""
    if not _ENCODER:
        _ENCODER.append(SentenceEncoder())
    return _ENCODER[0]


def train_steps(n_real: int, quick: bool, batch_size: int = 32) -> int:
    """One budget for every arm of a (shots, seed): ~60 epochs of the real subset, within bounds.
    Arms with new samples get more varied data, not more compute. Augmented arms need longer training
    to pay off (mnist, 10 shots: affine -0.3 points at 500 steps, +1.5 at 1000), so full runs use more."""
    lo, hi = (300, 400) if quick else (1000, 3000)
    return int(min(hi, max(lo, 60 * n_real // batch_size)))


def draw_subset(train: Dataset, shots: int | str, seed: int, protocol: str, minority: int) -> Dataset:
    """k-shot subset (``ALL``: the whole training split); under "imbalance" a seeded half of the classes
    is cut to ``minority`` samples."""
    subset = train if shots == ALL else train.kshot(shots, seed=seed)
    if protocol == "imbalance":
        g = torch.Generator().manual_seed(derive_seed("minority", seed) % 2**62)
        cut = torch.randperm(train.num_classes, generator=g)[: train.num_classes // 2]
        subset = subset.subsample_classes({int(c): minority for c in cut}, seed=seed)
    return subset


def _normalize_arms(augmenters: dict, modality: str) -> dict[str, Arm]:
    if not isinstance(augmenters, dict):
        raise TypeError(f"augmenters must be a dict name -> Augmenter | Arm | None, got {type(augmenters).__name__}")
    arms = {"none": Arm()}
    for name, value in augmenters.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"augmenters must be named by non-empty strings (a row's name), got {name!r}")
        arm = value if isinstance(value, Arm) else Arm([] if value is None else [value])
        if name == "none" and (arm.parts or arm.balance):   # every gain is measured against it
            raise ValueError("augmenters['none'] is the control (real samples only): give None or leave it out")
        for part in arm.parts:
            if not isinstance(part, Augmenter):
                raise TypeError(f"augmenters[{name!r}] must be an Augmenter, an Arm or None, "
                                f"got {type(part).__name__}")
            if modality_of(part) not in (None, modality):
                raise ValueError(f"augmenter {name!r} ({type(part).__name__}) is for {part.modality} data, "
                                 f"but the dataset is {modality}")
        arms[name] = arm
    return arms


def _split(data, test_size: int | None) -> tuple[Dataset, Dataset]:
    if isinstance(data, Dataset):
        train, test = data.split()
    elif isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(d, Dataset) for d in data):
        train, test = data
        if (train.modality, list(train.classes)) != (test.modality, list(test.classes)):
            raise ValueError(f"data: the train and test sets must share modality and classes (label i means "
                             f"the same class in both), got {train.modality} {list(train.classes)} and "
                             f"{test.modality} {list(test.classes)}")
        if train.modality == "image" and len(test) and train.x.shape[1:] != test.x.shape[1:]:
            raise ValueError(f"data: the train and test images must have one shape, got "
                             f"{list(train.x.shape[1:])} and {list(test.x.shape[1:])}")
        if None not in (train.sample_rate, test.sample_rate) and train.sample_rate != test.sample_rate:
            raise ValueError(f"data: the train and test clips must share a sample rate, got "
                             f"{train.sample_rate} and {test.sample_rate}")
    else:
        raise TypeError(f"data must be an aad.data.Dataset or a (train, test) pair, got {type(data).__name__}")
    if train.modality not in MODELS:
        raise ValueError(f"data must have modality {' / '.join(MODELS)}, got modality {train.modality!r}")
    if test_size is not None:
        test = random_subset(test, test_size)
    return train, test


def random_subset(data: Dataset, n: int, seed: int = 0) -> Dataset:
    """At most ``n`` samples of ``data``, a fixed random draw (the first ``n`` could be a single class:
    splits often keep their data's order); all of it, as it is, when it has no more."""
    if len(data) <= n:
        return data
    return data.subset(torch.randperm(len(data), generator=make_generator(seed))[:n])


def judge_reference(test: Dataset, n: int = 1000) -> Dataset:
    """The real samples generated ones are compared with: a fixed random ``n`` of the test split."""
    return random_subset(test, n)


class _Judge:
    """The downstream model trained on the whole training split (never the test split): the feature
    space for Frechet distance and precision/recall, and the classifier for IS and label flips."""

    def __init__(self, modality, model_name, train, test, sample_rate, device, quick, steps=None):
        train = random_subset(train, 2000 if quick else 5000, seed=1)
        self.model = make_model(modality, model_name, steps or (400 if quick else 1000), sample_rate, device)
        self.model.fit(train.x, train.y, train.num_classes, seed=12345)
        self.real_features = self.model.features(judge_reference(test).x)
        self.modality = modality

    def metrics(self, subset: Dataset, new_x, new_y, source) -> dict:
        out = {}
        if len(new_y) >= 4:
            feats = self.model.features(new_x)
            out["frechet_distance"] = gm.frechet_distance(self.real_features, feats)
            out.update(gm.precision_recall(self.real_features, feats))
        probs = self.model.predict_proba(new_x)
        if self.modality == "audio":
            out["inception_score"] = gm.inception_score(probs)
        if self.modality == "text":
            reference = new_y.clone()
            from_real = source >= 0
            if from_real.any():  # a transform keeps its source's meaning: compare with the judge on it
                reference[from_real] = self.model.predict([subset.x[i] for i in source[from_real].tolist()])
            out["label_flip_rate"] = gm.label_flip_rate(probs.argmax(-1), reference)
            out["distinct_2"] = gm.distinct_n(list(new_x), 2)
        return out


def arm_config(arm: Arm) -> str:
    """A short hash of the arm's augmenter configurations (a ``describe`` of those config.json cannot
    hold: a class name alone would let resume take rows of other parameters)."""
    keys = [config_key(part, ()) or describe(part) for part in arm.parts]
    return hashlib.sha256(json.dumps(keys, sort_keys=True).encode()).hexdigest()[:12]


def check_arguments(data, augmenters: dict, *, shots, seeds, factor, protocol, minority, models, test_size,
                    steps, device, repeats=1, option=str) -> tuple:
    """Check ``evaluate``'s arguments before any work: (train, test, arms, shots, seeds, models).
    ``option`` names an argument in messages (the command line gives its --flag)."""
    if test_size is not None:
        check_int(test_size, option("test_size"), 1)
    train, test = _split(data, test_size)
    modality = train.modality
    if protocol not in PROTOCOLS:
        raise ValueError(f"{option('protocol')} must be one of {PROTOCOLS}, got {protocol!r}")
    arms = _normalize_arms(augmenters, modality)
    check_int(factor, option("factor"), 0)
    idle = [a for a, arm in arms.items() if arm.parts and not arm.balance]
    if factor == 0 and idle:
        raise ValueError(f"{option('factor')} must be >= 1 (new samples per real one): with 0, {idle} "
                         f"would add nothing")
    if steps is not None:
        check_int(steps, option("steps"), 1)
    check_int(repeats, option("repeats"), 1)
    check_device(device, option("device"))
    shots, seeds = _check_shots(shots, option("shots")), check_int_list(seeds, option("seeds"), 0)
    if max(seeds) >= 2**63:   # seeds torch generators, with room for the offsets derived from it
        raise ValueError(f"{option('seeds')} must be ints below 2**63, got {max(seeds)}")
    counts = [k for k in shots if k != ALL]
    train.check_shots(max(counts, default=1), option("shots"), "training split")
    fewest = min(k if k != ALL else int(train.class_counts().min()) for k in shots)
    untested = [train.classes[c] for c, n in enumerate(test.class_counts().tolist()) if n == 0]
    if untested:   # a class of 1-2 samples keeps them all for training
        warnings.warn(f"classes {untested} have no sample in the test split of {train.name or 'the data'}: "
                      f"every score leaves them out (a class needs 3 or more samples to be tested)", stacklevel=3)
    if protocol == "imbalance":
        if fewest < 2:
            raise ValueError(f"{option('shots')} must be >= 2 under protocol 'imbalance' (cut classes keep "
                             f"fewer), got {fewest}")
        if isinstance(minority, bool) or not isinstance(minority, int) or not 1 <= minority < fewest:
            raise ValueError(f"{option('minority')} must be an int in [1, {fewest - 1}] (fewer than "
                             f"shots), got {minority!r}")
    if isinstance(models, str):   # a string would be read letter by letter
        raise TypeError(f"{option('models')} must be a list of model names, got {models!r}")
    models = check_distinct(models or MODELS[modality][:1], option("models"))
    for model in models:
        make_model(modality, model, 1)  # validates the name early
    return train, test, arms, shots, seeds, models


def _check_shots(shots, name: str) -> list:
    """Distinct ints >= 1, and ``ALL``, in the order given."""
    try:
        if isinstance(shots, (list, tuple)) and ALL in shots:
            check_distinct(list(shots), name)
            check_int_list([k for k in shots if k != ALL] or [1], name, 1)
            return [k if k == ALL else int(k) for k in shots]
        return check_int_list(shots, name, 1)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{e} (or {ALL!r}: the whole training split)") from None


def plan_rows(train: Dataset, test: Dataset, arms: dict[str, Arm], shots: list[int], seeds: list[int],
              models: list[str], *, factor, protocol, minority, repeats, quick, steps) -> tuple:
    """What a run will do: (subsets, step budgets, and the rows it will write by ``KEY`` with the
    settings each is made with, for resume to compare: the data among them, so that rows of a
    dataset whose files changed under the same name are not resumed)."""
    name = train.name or "data"
    subsets = {(k, seed): draw_subset(train, k, seed, protocol, minority) for k in shots for seed in seeds}
    budget = {ks: steps or train_steps(len(subset), quick) for ks, subset in subsets.items()}
    test_digest = data_digest(test.x, test.y)
    data = {ks: _short_digest(data_digest(subset.x, subset.y), test_digest) for ks, subset in subsets.items()}
    settings = {a: {"factor": factor, "balance": arm.balance, "n_test": len(test), "arm_config": arm_config(arm),
                    "repeats": repeats, "quick": quick,   # quick: the judge of the sample metrics
                    **({"minority": minority} if protocol == "imbalance" else {})}
                for a, arm in arms.items()}
    planned = {(name, m, protocol, a, k, seed): {**settings[a], "steps": budget[k, seed], "data": data[k, seed]}
               for m in models for a in arms for k, seed in subsets}
    return subsets, budget, planned


def _short_digest(*digests: str) -> str:
    return hashlib.sha256(" ".join(digests).encode()).hexdigest()[:16]


def evaluate(data, augmenters: dict, *, shots=(10,), seeds=(0, 1, 2), factor: int = 4,
             protocol: str = "kshot", minority: int = 2, models=None, test_size: int | None = None,
             quick: bool = False, out: str | Path | None = None, resume: bool = False,
             overwrite: bool = False, generative_metrics: bool = True, device: str = "cpu",
             steps: int | None = None, repeats: int = 1, progress: bool = True,
             skipped: dict | None = None) -> Report:
    """Compare ``augmenters`` (name -> Augmenter | Arm | None; the control "none" is always added) on
    ``data`` (a Dataset, split with ``Dataset.split``, or a (train, test) pair).

    shots: samples per class of the training subsets, or "all" for the whole training split as it is
    (your own imbalanced data); seeds: one subset (and model init) per seed;
    factor: new samples per real one; protocol: "kshot", or "imbalance" (half the classes cut to
    ``minority`` samples; use ``Arm([gan], balance=True)`` to top them up); models: downstream model
    names (default: the modality's first); test_size: cap on test samples (a fixed random subset);
    steps: training steps of every downstream model (default: ``train_steps`` of the subset size);
    repeats: downstream trainings per subset and arm, each from its own initialization: a row's scores
    are their mean (with 100 digits, the init alone moves mnist accuracy by about two points).
    Returns a ``Report``; with ``out`` rows are also appended to ``out/rows.jsonl`` as they finish.
    """
    flags = {"quick": quick, "resume": resume, "overwrite": overwrite, "generative_metrics": generative_metrics,
             "progress": progress}
    for flag, value in flags.items():   # overwrite="no" is truthy: it would delete an earlier run
        check_bool(value, flag)
    if skipped is not None and not isinstance(skipped, dict):
        raise TypeError(f"skipped must be a dict (augmenter name -> why), got {type(skipped).__name__}")
    train, test, arms, shots, seeds, models = check_arguments(
        data, augmenters, shots=shots, seeds=seeds, factor=factor, protocol=protocol, minority=minority,
        models=models, test_size=test_size, steps=steps, device=device, repeats=repeats)
    modality, name = train.modality, train.name or "data"
    subsets, budget, planned = plan_rows(train, test, arms, shots, seeds, models, factor=factor,
                                         protocol=protocol, minority=minority, repeats=repeats,
                                         quick=quick, steps=steps)

    rows_path = None if out is None else prepare_out(out, resume, overwrite) / "rows.jsonl"
    previous = load_rows(rows_path) if rows_path is not None else []
    rows = kept_rows(previous, planned)
    check_same_settings(rows, planned, rows_path)
    if rows_path is not None:
        drop_redone_errors(rows_path, previous, planned)
    done = {tuple(r.get(k) for k in KEY) for r in rows}
    report = Report(rows=rows, skipped=dict(skipped or {}))
    cache = FitCache(None if out is None else Path(out) / "cache" / "fits")
    judge = None

    total = len(shots) * len(seeds) * len(arms) * len(models)
    bar = tqdm(total=total, desc=f"{modality}/{name}", disable=not progress, dynamic_ncols=True)
    for k in shots:
        for seed in seeds:
            subset, n_steps = subsets[k, seed], budget[k, seed]
            memo = {}  # new samples of each augmenter on this subset, shared by the arms using it
            for arm_name, arm in arms.items():
                keys = {m: (name, m, protocol, arm_name, k, seed) for m in models}
                todo = [m for m in models if keys[m] not in done]
                bar.update(len(models) - len(todo))
                if not todo:
                    if seed == seeds[0] and k == shots[0]:   # finished before a resume: redo its pictures
                        _add_resumed_samples(report, cache, arm_name, arm, train, subset, (name, protocol, k, seed),
                                             factor)
                    continue
                base = {"modality": modality, "dataset": name, "protocol": protocol, "augmenter": arm_name,
                        "shots": k, "seed": seed, "n_real": len(subset), **planned[keys[todo[0]]]}
                bar.set_postfix_str(f"k={k} seed={seed} {arm_name}: fit")
                started = time.perf_counter()
                try:
                    context = (name, protocol, k, seed)
                    parts = [cache.fitted(p, subset.x, subset.y, context) for p in arm.parts]
                    fit_s = time.perf_counter() - started
                    new_x, new_y, source = expand(parts, subset.x, subset.y, train.num_classes, factor,
                                                  arm.balance, derive_seed(k, seed), memo)
                    extra = {"n_new": len(new_y), "fit_seconds": round(fit_s, 2),
                             "expand_seconds": round(time.perf_counter() - started - fit_s, 2)}
                    if generative_metrics and len(new_y):
                        try:
                            judge = judge or _Judge(modality, MODELS[modality][0], train, test,
                                                    train.sample_rate, device, quick, steps)
                            extra.update(judge.metrics(subset, new_x, new_y, source))
                        except Exception as e:  # noqa: BLE001 - the arm's accuracy does not need them
                            extra["metrics_error"] = f"{type(e).__name__}: {e}"
                    if seed == seeds[0] and k == shots[0]:
                        report.add_samples(name, arm_name, modality, subset, new_x, new_y, source,
                                           train.sample_rate)
                except Exception as e:  # noqa: BLE001 - one arm's crash is a result; the others still run
                    new_x = None
                    extra = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(limit=4)}
                for m in todo:
                    bar.set_postfix_str(f"k={k} seed={seed} {arm_name}: train {m}")
                    row = {**base, "model": m, **extra}
                    if "error" not in extra:
                        row.update(_train_and_score(modality, m, n_steps, train, test, subset, new_x, new_y,
                                                    source, seed, device, repeats))
                    report.rows.append(row)
                    if rows_path is not None:
                        with rows_path.open("a") as f:
                            f.write(json.dumps(row) + "\n")
                    bar.update(1)
    bar.close()
    return report


def _add_resumed_samples(report: Report, cache: FitCache, arm_name: str, arm: Arm, train: Dataset, subset: Dataset,
                         context: tuple, factor: int) -> None:
    """The sample pictures of an arm whose rows an earlier run wrote: its (cached) fit expanded again,
    with no downstream training. A failure costs only the pictures, never the run."""
    name, _, k, seed = context
    try:
        parts = [cache.fitted(p, subset.x, subset.y, context) for p in arm.parts]
        new_x, new_y, source = expand(parts, subset.x, subset.y, train.num_classes, factor, arm.balance,
                                      derive_seed(k, seed))
        report.add_samples(name, arm_name, train.modality, subset, new_x, new_y, source, train.sample_rate)
    except Exception as e:  # noqa: BLE001 - the rows are what the run is for
        warnings.warn(f"could not rebuild the samples of arm {arm_name!r}: {type(e).__name__}: {e}", stacklevel=2)


def downstream_seed(seed: int, repeat: int) -> int:
    """The downstream model's seed in repeat ``repeat`` of a subset's ``seed``; the first is ``seed``
    itself, as it was before repeats existed."""
    return seed if repeat == 0 else derive_seed("downstream", seed, repeat) % 2**62


def _train_and_score(modality, model_name, steps, train, test, subset, new_x, new_y, source, seed, device,
                     repeats=1):
    row = {}
    try:
        started = time.perf_counter()
        x = join(subset.x, new_x)
        y = torch.cat([subset.y, new_y])
        runs = []
        for repeat in range(repeats):
            model = make_model(modality, model_name, steps, train.sample_rate, device)
            model.fit(x, y, train.num_classes, seed=downstream_seed(seed, repeat))
            runs.append(classification_scores(test.y, model.predict(test.x), train.num_classes))
        row.update({metric: sum(run[metric] for run in runs) / repeats for metric in runs[0]})
        if repeats > 1:
            row["accuracy_runs"] = [run["accuracy"] for run in runs]
        row["train_seconds"] = round(time.perf_counter() - started, 2)
        generated = source < 0
        if generated.any():  # CAS: train on generated samples only, test on real (one training)
            if isinstance(new_x, torch.Tensor):
                gen_x = match_shape(new_x[generated], subset.x)
            else:
                gen_x = [new_x[i] for i in torch.nonzero(generated).flatten().tolist()]
            cas = make_model(modality, model_name, steps, train.sample_rate, device)
            cas.fit(gen_x, new_y[generated], train.num_classes, seed=seed)
            row["cas_accuracy"] = classification_scores(test.y, cas.predict(test.x), train.num_classes)["accuracy"]
    except Exception as e:  # noqa: BLE001 - recorded in the row, the other arms still run
        row = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(limit=4)}
    return row
