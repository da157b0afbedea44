"""The albumentations adapter: images round-trip exactly, the user's transform is untouched, saving
stores albumentations' own description, bad transforms are refused by name."""
import copy
import json

import numpy as np
import pytest
import torch

from aad.base import Augmenter
from aad.image import Albumentations
from aad.image.albumentations_adapter import albumentations

try:
    A = albumentations()
except ImportError:
    pytest.skip("albumentations is not installed (the bench extra)", allow_module_level=True)


def identity(image, **kwargs):
    return image


@pytest.mark.parametrize("channels", [1, 3])
def test_a_deterministic_transform_round_trips_exactly(channels):
    x = torch.rand(4, channels, 9, 13, dtype=torch.float64)
    out = Albumentations(A.HorizontalFlip(p=1.0), seed=0)(x)
    assert out.dtype == torch.float64 and out.shape == x.shape
    assert torch.allclose(out, x.flip(-1), atol=1e-7)         # float32 inside, nothing rounded to 8 bits


def test_outputs_are_clipped_to_the_unit_range():
    checkerboard = (torch.arange(16).view(-1, 1) + torch.arange(16)) % 2
    x = checkerboard.float().expand(2, 1, 16, 16)
    cubic = A.Affine(rotate=(30, 30), interpolation=2, p=1.0)   # 2: cv2.INTER_CUBIC, which undershoots
    assert cubic(image=x[0].permute(1, 2, 0).numpy())["image"].min() < -0.05
    out = Albumentations(cubic)(x)
    assert out.min() == 0.0 and out.max() <= 1.0


def test_eight_bit_output_is_read_as_eight_bit():
    """A FromFloat without its ToFloat returns 0..255: clipped as it was, every pixel became 0 or 1."""
    x = torch.linspace(0.25, 0.75, 16).view(1, 1, 4, 4)
    out = Albumentations(A.FromFloat(max_value=255, p=1.0))(x)
    assert torch.allclose(out, x, atol=1 / 255)


def test_the_transform_passed_in_is_not_touched():
    transform = A.Affine(rotate=(-30, 30), p=1.0)
    transform.set_random_seed(7)
    untouched = copy.deepcopy(transform)
    Albumentations(transform, seed=0)(torch.rand(3, 1, 10, 10))
    image = np.random.default_rng(0).random((10, 10, 1), dtype=np.float32)
    assert np.array_equal(transform(image=image)["image"], untouched(image=image)["image"])


def test_saving_stores_albumentations_description_and_reloads_the_same_augmenter(tmp_path):
    x = torch.rand(5, 3, 12, 12)
    augmenter = Albumentations(A.Compose([A.Affine(rotate=(-20, 20), p=1.0), A.ElasticTransform(p=0.5)]), seed=3)
    augmenter.save(tmp_path / "aug")
    config = json.loads((tmp_path / "aug" / "config.json").read_text())
    assert config["params"]["transform"]["transform"]["__class_fullname__"] == "Compose"
    loaded = Augmenter.load(tmp_path / "aug")
    assert isinstance(loaded.transform, dict)
    assert torch.equal(loaded(x, rng=1), augmenter(x, rng=1))


def test_a_transform_albumentations_cannot_describe_is_not_saved(tmp_path):
    augmenter = Albumentations(A.Lambda(image=identity))
    with pytest.raises(TypeError, match="'transform' cannot be saved"):
        augmenter.save(tmp_path / "aug")


def test_bad_transforms_are_refused_by_name():
    with pytest.raises(TypeError, match="transform must be an albumentations transform.*function"):
        Albumentations(lambda image: image)(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"keep each image's shape \(8, 8, 1\).*\(4, 4, 1\)"):
        Albumentations(A.CenterCrop(4, 4))(torch.rand(2, 1, 8, 8))


@pytest.mark.parametrize("seed", [None, 0])
def test_the_transforms_of_a_compose_draw_independently(seed):
    """albumentations gives every child of a Compose its parent's seed: two flips at p=0.5 then flip
    together or not at all. Each child draws from its own seed here, as without any seed."""
    x = torch.rand(1, 1, 6, 6).repeat(400, 1, 1, 1)
    flips = Albumentations(A.Compose([A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5)]), seed=seed)(x)
    horizontal = (flips - x.flip(-1)).abs().amax((1, 2, 3)) == 0
    horizontal |= (flips - x.flip(-1).flip(-2)).abs().amax((1, 2, 3)) == 0
    vertical = (flips - x.flip(-2)).abs().amax((1, 2, 3)) == 0
    vertical |= (flips - x.flip(-1).flip(-2)).abs().amax((1, 2, 3)) == 0
    one_way = (horizontal != vertical).float().mean()
    assert 0.4 < one_way < 0.6     # half the images flip one way only
