"""Images: batched classic transforms with per-sample parameters, a class-conditional GAN, and an
adapter for albumentations transforms."""
from aad.image.albumentations_adapter import Albumentations
from aad.image.gan import ConditionalGAN
from aad.image.transforms import (
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

__all__ = [
    "Albumentations",
    "ConditionalGAN",
    "ElasticDistortion",
    "GaussianNoise",
    "RandomAffine",
    "RandomBrightnessContrast",
    "RandomErasing",
    "RandomHorizontalFlip",
    "RandomMorphology",
    "RandomVerticalFlip",
    "Warp",
]
