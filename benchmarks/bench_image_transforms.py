"""Throughput of batched per-sample transforms vs torchvision v2, albumentations and kornia, same run.

torchvision and albumentations transform one image at a time; albumentations is fed uint8 HxW
arrays, its fastest path, with the conversion from the tensor batch left out of its time.

    python benchmarks/bench_image_transforms.py [--quick] [--threads 1]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aad.gan import GANConfig, build_networks, sample
from aad.image import ConditionalGAN, ElasticDistortion, RandomAffine, RandomErasing
from aad.image.albumentations_adapter import albumentations
from benchmarks.common import markdown_table, results_name, timeit, write_results

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


def peers_albumentations():
    """albumentations' affine and elastic transforms, one uint8 image at a time."""
    import cv2

    A = albumentations()  # imported without its online version check
    cv2.setNumThreads(1)
    affine = A.Affine(rotate=AFFINE["degrees"], translate_percent=(-0.1, 0.1), scale=AFFINE["scale"],
                      shear=AFFINE["shear"], p=1.0)
    elastic = A.ElasticTransform(alpha=34.0, sigma=4.0, p=1.0)  # sigma as aad's default
    return [lambda images, t=t: [t(image=img)["image"] for img in images] for t in (affine, elastic)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    repeats = 3 if args.quick else 15
    x = torch.rand(256, 1, 28, 28)
    ours = RandomAffine(degrees=AFFINE["degrees"], translate=(-0.1, 0.1), scale=AFFINE["scale"],
                        shear=AFFINE["shear"], seed=0)
    tv_loop, kornia_affine = peers_affine()
    alb_affine, alb_elastic = peers_albumentations()
    x_uint8 = list((x[:, 0] * 255).to(torch.uint8).numpy())
    elastic = ElasticDistortion(seed=0)
    few = max(3, repeats // 3)  # for the slow per-image loop
    rows = []
    for kind, ops in {
        "affine": {"aad RandomAffine (batched, per-sample)": (lambda: ours(x), repeats),
                   "torchvision v2 RandomAffine (per image)": (lambda: tv_loop(x), few),
                   "albumentations Affine (per image, uint8)": (lambda: alb_affine(x_uint8), repeats),
                   "kornia RandomAffine (batched)": (lambda: kornia_affine(x), repeats)},
        "elastic": {"aad ElasticDistortion (batched, per-sample)": (lambda: elastic(x), repeats),
                    "albumentations ElasticTransform (per image, uint8)": (lambda: alb_elastic(x_uint8), repeats)},
        "erasing": {"aad RandomErasing": (lambda: RandomErasing(p=1.0, seed=0)(x), repeats)},
    }.items():
        times = {name: timeit(fn, 2, n) for name, (fn, n) in ops.items()}
        ours_time = next(iter(times.values()))  # the aad row leads each kind
        rows += [{"kind": kind, "op": name, "ms_per_batch": t * 1e3, "images_per_s": 256 / t, "aad_speedup": t / ours_time}
                 for name, t in times.items()]

    sizes = {k: ConditionalGAN().get_params()[k] for k in ("z_dim", "g_width", "d_width")}
    config = GANConfig((1, 28, 28), 10, **sizes)   # the generator ConditionalGAN() builds
    generator = build_networks(config, torch.Generator().manual_seed(0))[1]
    labels = torch.arange(10).repeat(100)
    t = timeit(lambda: sample(generator, labels, torch.Generator().manual_seed(0)), 1, max(3, repeats // 3))
    rows.append({"kind": "generator", "op": "aad ConditionalGAN generate (1000 images)", "ms_per_batch": t * 1e3,
                 "images_per_s": 1000 / t, "aad_speedup": float("nan")})
    md = (f"# Image transform throughput (CPU, {args.threads} thread(s), batch 256 x 1x28x28)\n\n"
          "`aad_speedup`: time of the row / time of the aad transform of its kind (> 1: aad is faster).\n\n"
          + markdown_table(rows))
    print(md)
    write_results(results_name("bench_image_transforms", args.quick), md, rows=rows, threads=args.threads, repeats=repeats)


if __name__ == "__main__":
    main()
