"""Contract cases for aad.image: every transform, the albumentations adapter and a tiny ConditionalGAN
(fits in milliseconds)."""
import pytest

from aad.image import (
    Albumentations,
    ConditionalGAN,
    ElasticDistortion,
    GaussianNoise,
    RandomAffine,
    RandomBrightnessContrast,
    RandomErasing,
    RandomHorizontalFlip,
    RandomMorphology,
    RandomVerticalFlip,
    Warp,
)
from tests.cases import Case, image_batch


def tiny_gan(seed, **kw):
    return ConditionalGAN(z_dim=8, g_width=4, d_width=4, steps=3, batch_size=6, progress=False, seed=seed, **kw)


def albumentations_affine(seed):
    try:
        from aad.image.albumentations_adapter import albumentations
        A = albumentations()
    except ImportError:
        pytest.skip("albumentations is not installed (the bench extra)")
    return Albumentations(A.Compose([A.Affine(rotate=(-20, 20), p=1.0), A.GaussNoise(p=0.5)]), seed=seed)


def rgb_batch():
    return image_batch(b=6, c=3, h=10, w=14)


CASES = [
    Case("RandomAffine", lambda seed: RandomAffine(degrees=(-30, 30), shear=(-10, 10), seed=seed), image_batch),
    Case("RandomAffine-rgb", lambda seed: RandomAffine(scale=(0.7, 1.3), fill=0.5, p=0.7, seed=seed), rgb_batch),
    Case("RandomHorizontalFlip", lambda seed: RandomHorizontalFlip(seed=seed), image_batch),
    Case("RandomVerticalFlip", lambda seed: RandomVerticalFlip(seed=seed), rgb_batch),
    Case("RandomErasing", lambda seed: RandomErasing(p=0.8, seed=seed), image_batch),
    Case("RandomErasing-noise", lambda seed: RandomErasing(value="random", p=1.0, seed=seed), rgb_batch),
    Case("ElasticDistortion", lambda seed: ElasticDistortion(sigma=2.0, seed=seed), image_batch),
    Case("Warp", lambda seed: Warp([RandomAffine(shear=(-10, 10)), ElasticDistortion(sigma=2.0, p=0.5)], seed=seed),
         rgb_batch),
    Case("RandomMorphology", lambda seed: RandomMorphology(seed=seed), image_batch),
    Case("RandomMorphology-rgb", lambda seed: RandomMorphology(strength=(-1, 1), kernel=5, p=0.6, seed=seed),
         rgb_batch),
    Case("GaussianNoise", lambda seed: GaussianNoise(seed=seed), rgb_batch),
    Case("RandomBrightnessContrast", lambda seed: RandomBrightnessContrast(seed=seed), image_batch),
    Case("Albumentations", albumentations_affine, rgb_batch),
    Case("ConditionalGAN", tiny_gan, image_batch, tolerance=1e-5),
    Case("ConditionalGAN-filter", lambda seed: tiny_gan(seed, quality_threshold=0.2, max_tries=2),
         rgb_batch, tolerance=1e-5),
]
