"""Tuning probe for the image GAN: fit at a fixed step budget (not wall time, so a busy machine cannot
change the result), with any setting overridden, and score as ``bench_image_gan.py`` does (same split,
judge and CAS recipe). Each EMA generator is scored twice: as trained ("raw") and after standing
batch-norm statistics ("standing", what ``ConditionalGAN`` returns). ~4,600 steps is what one core
manages in the bench's 10 CPU-minutes. Rows are appended to ``results/sweep_image_gan.jsonl``.

    python benchmarks/sweep_image_gan.py --seed 0 --steps 4600 --set lr=0.002 lr_decay_from=0.5
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aad.gan import GANConfig, TrainConfig, recalibrate_batch_norm, sample, train_conditional_gan
from aad.image import ConditionalGAN
from aad.image.classifier import train_classifier
from benchmarks.bench_image_gan import PER_CLASS, evaluate, load, split
from benchmarks.common import RESULTS

NETWORK = ("z_dim", "g_width", "d_width", "max_mult")


def settings(overrides: dict, seed: int, steps: int) -> tuple[dict, TrainConfig, torch.Generator]:
    """(network sizes, training settings, fit stream) of a default ConditionalGAN with ``overrides``."""
    gan = ConditionalGAN(steps=steps, progress=False, seed=seed)
    params = {**gan.get_params(), **{k: v for k, v in overrides.items() if k in gan.get_params()}}
    train = TrainConfig.from_params(params)
    train.standing_samples = 0  # applied below, so both versions can be scored
    for key, value in overrides.items():
        if key not in params and key not in NETWORK:
            if not hasattr(train, key):
                raise ValueError(f"unknown setting {key!r}")
            setattr(train, key, tuple(value) if isinstance(value, list) else value)
    network = {k: overrides.get(k, params.get(k)) for k in NETWORK if k in overrides or k in params}
    return network, train, gan.fit_generator()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=4600)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=JSON",
                        help="ConditionalGAN parameters, network sizes or TrainConfig fields, e.g. lr=0.002")
    parser.add_argument("--cas-epochs", type=int, nargs="+", default=[5])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    x_train, y_train, x_test, y_test = split(*load(args.dataset), 0.2, args.seed)
    classes = int(y_train.max()) + 1
    judge = train_classifier(x_train, y_train, classes, torch.Generator().manual_seed(args.seed), epochs=4)
    network, train, g = settings(overrides, args.seed, args.steps)
    cpu = time.process_time()
    config = GANConfig(tuple(x_train.shape[1:]), classes, **network)
    ema = train_conditional_gan(x_train, y_train, config, train, g, progress=False)
    row = {"dataset": args.dataset, "seed": args.seed, "set": args.set, "steps": train.steps_done,
           "ms_per_step": round(1000 * (time.process_time() - cpu) / train.steps_done, 1)}
    standing = copy.deepcopy(ema)
    recalibrate_batch_norm(standing, y_train, torch.Generator().manual_seed(99))
    labels = torch.arange(classes).repeat_interleave(PER_CLASS)
    for name, generator in (("raw", ema), ("standing", standing)):
        for i, epochs in enumerate(args.cas_epochs):
            rng = torch.Generator().manual_seed(args.seed + 1000)
            scores = evaluate(sample(generator, labels, rng), labels, judge, x_train, x_test, y_test, rng, epochs)
            row[f"{name}_CAS{epochs}"] = round(scores["CAS"], 3)
            if i == 0:
                row.update({f"{name}_{k}": round(scores[k], 3) for k in ("FD", "precision", "recall")})
    print(json.dumps(row), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "sweep_image_gan.jsonl").open("a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
