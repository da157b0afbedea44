"""Images: batched classic transforms with per-sample parameters, and a class-conditional GAN."""
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
)

__all__ = [
                                  "ConditionalGAN",
                                  "ElasticDistortion",
                                  "GaussianNoise",
                                  "RandomAffine",
                                  "RandomBrightnessContrast",
                                  "RandomErasing",
                                  "RandomHorizontalFlip",
                                  "RandomMorphology",
                                  "RandomVerticalFlip",
]
