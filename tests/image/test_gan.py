"""ConditionalGAN: labels in, labelled images out; mix; quality filter; checkpoints; bad input."""
import pytest
import torch

from aad.base import Augmenter
from aad.export import save_samples
from aad.image import ConditionalGAN
from tests.cases import image_batch


def tiny(**kw):
    return ConditionalGAN(**{"z_dim": 8, "g_width": 4, "d_width": 4, "steps": 3, "batch_size": 6,
                             "progress": False, "seed": 0, **kw})


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_generates_one_image_per_label_in_the_data_shape(shape):
    x, y = torch.rand(6, *shape), torch.tensor([0, 1, 2, 0, 1, 2])
    out = tiny().fit(x, y).generate(torch.tensor([2, 2, 0]))
    assert out.shape == (3, *shape) and out.dtype == torch.float32 and 0 <= out.min() and out.max() <= 1


def test_mix_controls_the_replaced_fraction():
    x, y = image_batch(b=40)
    gan = tiny(mix=0.0).fit(x, y)
    assert torch.equal(gan.augment(x, y), x)
    gan.set_params(mix=1.0)
    assert (gan.augment(x, y) != x).flatten(1).any(1).all()


def test_quality_filter_redraws_rejected_samples():
    x, y = image_batch(b=12)
    plain = tiny().fit(x, y)
    strict = tiny(quality_threshold=0.99, max_tries=3).fit(x, y)
    labels = torch.tensor([0, 1, 2])
    assert strict.filter_ is not None and strict.generate(labels, rng=1).shape == (3, 1, 12, 12)
    assert not torch.equal(strict.generate(labels, rng=1), plain.generate(labels, rng=1))


def test_checkpoint_resume_continues_the_same_run(tmp_path):
    x, y = image_batch()
    tiny(steps=2, checkpoint_dir=str(tmp_path)).fit(x, y)
    resumed = tiny(steps=5, checkpoint_dir=str(tmp_path)).fit(x, y)
    straight = tiny(steps=5).fit(x, y)
    assert resumed.steps_done_ == 5
    assert torch.allclose(resumed.generate(y, rng=0), straight.generate(y, rng=0), atol=1e-6)


def test_save_load_round_trip_with_filter(tmp_path):
    x, y = image_batch()
    gan = tiny(quality_threshold=0.5).fit(x, y)
    gan.save(tmp_path / "gan")
    loaded = Augmenter.load(tmp_path / "gan")
    assert torch.allclose(gan.generate(y, rng=4), loaded.generate(y, rng=4), atol=1e-6)


@pytest.mark.parametrize("call, words", [
    (lambda gan, x, y: gan.fit(x, None), "y is required"),
    (lambda gan, x, y: gan.fit(x, y).generate(torch.tensor([7])), r"labels must be in \[0, 2\]"),
    (lambda gan, x, y: gan.fit(x, y).augment(x, None), "y is required"),
    (lambda gan, x, y: gan.fit(x, y).augment(torch.rand(2, 1, 5, 5), y[:2]), "shape"),
    (lambda gan, x, y: gan.fit(x, y[:3]), "3 labels"),
    (lambda gan, x, y: gan.set_params(mix=2).fit(x, y), "mix"),
    (lambda gan, x, y: gan.set_params(lr_decay_from=1.5).fit(x, y), "lr_decay_from"),
])
def test_bad_input_is_named(call, words):
    x, y = image_batch()
    with pytest.raises(ValueError, match=words):
        call(tiny(), x, y)


def test_grid_png_has_one_row_per_class(tmp_path):
    from PIL import Image

    x, y = image_batch()
    labels = torch.arange(3).repeat_interleave(4)
    [path] = save_samples(tiny().fit(x, y).generate(labels), labels, "image", tmp_path, classes="abc")
    assert Image.open(path).size == (3 * (4 * 14 + 2), 3 * (3 * 14 + 2))
