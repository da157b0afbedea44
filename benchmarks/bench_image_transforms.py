"""Throughput of batched per-sample transforms vs torchvision v2 (per image) and kornia, same run.

    python benchmarks/bench_image_transforms.py [--quick] [--threads 1]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aad.gan import GANConfig, build_networks, sample
from aad.image import ElasticDistortion, RandomAffine, RandomErasing
from benchmarks.common import markdown_table, timeit, write_results

AFFINE = {"degrees": (-15.0, 15.0), "translate": 0.1, "scale": (0.9, 1.1), "shear": (-10.0, 10.0)}


def peers_affine():
    """Equivalent random affines: torchvision v2 (one image at a time) and kornia (batched)."""
    import kornia.augmentation as K
    from torchvision.transforms import v2

    tv = v2.RandomAffine(degrees=AFFINE["degrees"], translate=(0.1, 0.1), scale=AFFINE["scale"],
                         shear=AFFINE["shear"])
    ko = K.RandomAffine(degrees=AFFINE["degrees"], translate=(0.1, 0.1), scale=AFFINE["scale"],
                        shear=AFFINE["shear"], p=1.0)
    return (lambda x: torch.stack([tv(img) for img in x])), ko


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    repeats = 3 if args.quick else 15
    x = torch.rand(256, 1, 28, 28)
    ours = RandomAffine(degrees=AFFINE["degrees"], translate=(-0.1, 0.1), scale=AFFINE["scale"],
                        shear=AFFINE["shear"], seed=0)
    tv_loop, kornia_affine = peers_affine()
    times = {
        "aad RandomAffine (batched, per-sample)": timeit(lambda: ours(x), 2, repeats),
        "torchvision v2 RandomAffine (per image)": timeit(lambda: tv_loop(x), 1, max(3, repeats // 3)),
        "kornia RandomAffine (batched)": timeit(lambda: kornia_affine(x), 2, repeats),
        "aad ElasticDistortion": timeit(lambda: ElasticDistortion(seed=0)(x), 2, repeats),
        "aad RandomErasing": timeit(lambda: RandomErasing(p=1.0, seed=0)(x), 2, repeats),
    }
    base = times["aad RandomAffine (batched, per-sample)"]
    rows = [{"op": name, "ms_per_batch": t * 1e3, "images_per_s": 256 / t, "aad_affine_speedup": t / base}
            for name, t in times.items()]

    config = GANConfig((1, 28, 28), 10)  # ConditionalGAN defaults: g_width 16, z_dim 64
    generator = build_networks(config, torch.Generator().manual_seed(0))[1]
    labels = torch.arange(10).repeat(100)
    t = timeit(lambda: sample(generator, labels, torch.Generator().manual_seed(0)), 1, max(3, repeats // 3))
    rows.append({"op": "aad ConditionalGAN generate (1000 images)", "ms_per_batch": t * 1e3,
                 "images_per_s": 1000 / t, "aad_affine_speedup": float("nan")})
    md = (f"# Image transform throughput (CPU, {args.threads} thread(s), batch 256 x 1x28x28)\n\n"
          "`aad_affine_speedup`: time of the row / time of aad RandomAffine (> 1: aad is faster).\n\n"
          + markdown_table(rows))
    print(md)
    write_results("bench_image_transforms", rows, md, {"threads": args.threads, "repeats": repeats})


if __name__ == "__main__":
    main()
