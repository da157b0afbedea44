"""ConditionalGAN: labels in, labelled images out; mix; quality filter; checkpoints; bad input."""
import numpy as np
import pytest
import torch

import aad.gan
from aad import Compose
from aad.base import Augmenter
from aad.export import save_samples
from aad.image import ConditionalGAN, ElasticDistortion, RandomAffine
from aad.image.classifier import predict_proba
from aad.text import RandomSwap
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
    x, y = image_batch(b=200)
    replaced = (tiny(mix=0.5).fit(x, y).augment(x, y) != x).flatten(1).any(1)
    assert 60 < int(replaced.sum()) < 140   # about half, drawn per sample


def test_quality_filter_redraws_rejected_samples():
    x, y = image_batch(b=12)
    plain = tiny().fit(x, y)
    strict = tiny(quality_threshold=0.99, max_tries=3).fit(x, y)
    labels = torch.tensor([0, 1, 2])
    assert strict.filter_ is not None and strict.generate(labels, rng=1).shape == (3, 1, 12, 12)
    assert not torch.equal(strict.generate(labels, rng=1), plain.generate(labels, rng=1))


def test_quality_filter_keeps_samples_that_pass_and_redraws_the_rest():
    x, y = image_batch(b=12)
    gan = tiny(quality_threshold=0.5, max_tries=3).fit(x, y)
    labels = torch.arange(3).repeat(10)
    first = gan.set_params(quality_threshold=None).generate(labels, rng=1)   # the filter's first draw
    confidence = lambda images: predict_proba(gan.filter_, images).gather(1, labels[:, None]).squeeze(1)
    threshold = float(confidence(first).median())
    kept = confidence(first) >= threshold
    out = gan.set_params(quality_threshold=threshold).generate(labels, rng=1)
    assert kept.any() and (~kept).any()
    assert torch.equal(out[kept], first[kept])                                   # passed: kept as drawn
    assert (out[~kept] != first[~kept]).flatten(1).any(1).all()                  # failed: redrawn
    assert confidence(out).mean() > confidence(first).mean()


def test_the_quality_filter_can_be_switched_off_after_fit(tmp_path):
    x, y = image_batch(b=12)
    strict = tiny(quality_threshold=0.99, max_tries=3).fit(x, y)
    strict.save(tmp_path / "gan")
    off = Augmenter.load(tmp_path / "gan", quality_threshold=None)   # fast, unfiltered samples
    labels = torch.tensor([0, 1, 2])
    assert torch.equal(off.generate(labels, rng=1), tiny().fit(x, y).generate(labels, rng=1))
    with pytest.raises(ValueError, match="quality_threshold must be"):
        strict.set_params(quality_threshold=5.0).generate(labels)


def test_checkpoint_resume_continues_the_same_run(tmp_path):
    x, y = image_batch()
    tiny(steps=2, checkpoint_dir=str(tmp_path)).fit(x, y)
    resumed = tiny(steps=5, checkpoint_dir=str(tmp_path)).fit(x, y)
    straight = tiny(steps=5).fit(x, y)
    assert resumed.steps_done_ == 5
    assert torch.allclose(resumed.generate(y, rng=0), straight.generate(y, rng=0), atol=1e-6)


def test_a_numpy_lr_fits_with_a_checkpoint_and_resumes(tmp_path):
    x, y = image_batch()
    tiny(steps=2, lr=np.float32(2e-3), checkpoint_dir=str(tmp_path)).fit(x, y)
    resumed = tiny(steps=5, lr=np.float32(2e-3), checkpoint_dir=str(tmp_path)).fit(x, y)
    straight = tiny(steps=5, lr=np.float32(2e-3)).fit(x, y)
    assert resumed.steps_done_ == 5
    assert torch.allclose(resumed.generate(y, rng=0), straight.generate(y, rng=0), atol=1e-6)


def test_a_float_setting_given_as_an_int_resumes_its_checkpoint(tmp_path):
    """`aad fit --param class_weight=1` passes the int 1: the same fit as the default 1.0."""
    x, y = image_batch()
    tiny(steps=2, checkpoint_dir=str(tmp_path / "a")).fit(x, y)
    assert tiny(steps=4, class_weight=1, checkpoint_dir=str(tmp_path / "a")).fit(x, y).steps_done_ == 4
    tiny(steps=2, lr_decay_from=1, checkpoint_dir=str(tmp_path / "b")).fit(x, y)
    assert tiny(steps=4, lr_decay_from=1.0, checkpoint_dir=str(tmp_path / "b")).fit(x, y).steps_done_ == 4


def test_the_filter_is_saved_with_the_generator(tmp_path):
    x, y = image_batch()
    gan = tiny(quality_threshold=0.5).fit(x, y)
    gan.save(tmp_path / "gan")
    loaded = Augmenter.load(tmp_path / "gan")
    saved, fitted = loaded.filter_.state_dict(), gan.filter_.state_dict()
    assert saved.keys() == fitted.keys() and all(torch.equal(saved[k], fitted[k]) for k in saved)


def test_a_composition_fitted_on_a_gpu_loads_onto_the_cpu(tmp_path):
    x, y = image_batch()
    gan = tiny().fit(x, y)
    gan.device = "cuda"  # as a GAN fitted on a GPU records it
    Compose([gan, RandomAffine(degrees=(-5, 5))], seed=0).save(tmp_path / "pipeline")
    gan.device = "cpu"
    loaded = Augmenter.load(tmp_path / "pipeline", device="cpu")
    assert loaded.augmenters[0].device == "cpu"
    original = Compose([gan, RandomAffine(degrees=(-5, 5))])
    assert torch.equal(loaded.generate(y, rng=1), original.generate(y, rng=1))


@pytest.mark.parametrize("call, words", [
    (lambda gan, x, y: gan.fit(x, None), "y is required"),
    (lambda gan, x, y: gan.fit(x, y).generate(torch.tensor([7])), r"labels must be in \[0, 2\]"),
    (lambda gan, x, y: gan.fit(x, y).augment(x, None), "y is required"),
    (lambda gan, x, y: gan.fit(x, y).augment(torch.rand(2, 1, 5, 5), y[:2]), "shape"),
    (lambda gan, x, y: gan.fit(x, y[:3]), "3 labels"),
    (lambda gan, x, y: gan.set_params(mix=2).fit(x, y), "mix"),
    (lambda gan, x, y: gan.set_params(lr_decay_from=1.5).fit(x, y), "lr_decay_from"),
    (lambda gan, x, y: gan.set_params(steps=-5).fit(x, y), "steps must be an int >= 1"),
    (lambda gan, x, y: gan.set_params(batch_size=0).fit(x, y), "batch_size must be an int >= 1"),
    (lambda gan, x, y: gan.set_params(z_dim=0).fit(x, y), "z_dim must be an int >= 1"),
    (lambda gan, x, y: gan.set_params(ema_decay=2.0).fit(x, y), "ema_decay"),
    (lambda gan, x, y: gan.set_params(diffaugment="translation,warp").fit(x, y), r"diffaugment .*\['warp'\]"),
    (lambda gan, x, y: gan.set_params(quality_threshold=0.5, max_tries=0).fit(x, y), "max_tries"),
    (lambda gan, x, y: gan.fit(x, y).set_params(mix=5.0).augment(x, y), "mix"),
    (lambda gan, x, y: gan.fit(x, y).set_params(mix=-1.0).augment(x, y), "mix"),
    (lambda gan, x, y: gan.fit(x, y).set_params(quality_threshold=0.9).generate(y), "fitted without one"),
    (lambda gan, x, y: gan.set_params(device="gpu").fit(x, y), "device must be a torch device"),
])
def test_bad_input_is_named(call, words):
    x, y = image_batch()
    with pytest.raises(ValueError, match=words):
        call(tiny(), x, y)


@pytest.mark.parametrize("name", ["resume", "progress"])
def test_resume_and_progress_must_be_bools(tmp_path, name):
    """`aad fit --param resume=False` passes the string "False", which is truthy: it resumed."""
    x, y = image_batch()
    with pytest.raises(TypeError, match=f"{name} must be True or False, got 'False'"):
        tiny(checkpoint_dir=str(tmp_path), **{name: "False"}).fit(x, y)


def test_grid_png_has_one_row_per_class(tmp_path):
    from PIL import Image

    x, y = image_batch()
    labels = torch.arange(3).repeat_interleave(4)
    [path] = save_samples(tiny().fit(x, y).generate(labels), labels, "image", tmp_path, classes="abc")
    assert Image.open(path).size == (3 * (4 * 14 + 2), 3 * (3 * 14 + 2))


def test_float64_images_fit_as_float32():
    x, y = image_batch()
    x64 = x.double()
    gan = tiny().fit(x64, y)
    assert x64.dtype == torch.float64, "the caller's tensor is not changed"
    assert torch.equal(gan.generate(y, rng=0), tiny().fit(x, y).generate(y, rng=0))


def test_a_single_image_or_batch_size_1_fits():
    x, y = image_batch()
    for gan, data, labels in [(tiny(), x[:1], y[:1]), (tiny(batch_size=1), x, y)]:
        assert torch.isfinite(gan.fit(data, labels).generate(labels)).all()


def test_images_too_small_for_batch_norm_are_refused_up_front(monkeypatch):
    monkeypatch.setattr(aad.gan.TrainLoop, "run", lambda *a: pytest.fail("refused only after training"))
    with pytest.raises(ValueError, match="x holds a single 2x2 image, too small to train quality_threshold"):
        tiny(quality_threshold=0.5).fit(torch.rand(1, 1, 2, 2), torch.tensor([0]))
    with pytest.raises(ValueError, match="x holds 1x1 images, which train only in batches of 2 or more"):
        tiny().fit(torch.rand(1, 3, 1, 1), torch.tensor([0]))
    monkeypatch.undo()
    one_by_three = tiny(quality_threshold=0.5, max_tries=1).fit(torch.rand(1, 1, 1, 3), torch.tensor([0]))
    assert one_by_three.filter_ is not None   # the smallest single image it trains on


def test_labels_unseen_in_fit_are_refused_and_remembered(tmp_path):
    x, y = image_batch(b=8)
    y = torch.tensor([0, 1, 3, 0, 1, 3, 0, 1])   # no 2
    gan = tiny().fit(x, y)
    for call in (lambda: gan.generate(torch.tensor([0, 2])), lambda: gan.augment(x, torch.full((8,), 2))):
        with pytest.raises(ValueError, match=r"y has label\(s\) \[2\] that fit never saw.*\[0, 1, 3\]"):
            call()
    gan.save(tmp_path / "gan")
    with pytest.raises(ValueError, match="never saw"):
        Augmenter.load(tmp_path / "gan").generate(torch.tensor([2]))
    assert gan.generate(torch.tensor([3, 0])).shape == (2, 1, 12, 12)


def test_checkpoint_of_another_fit_is_refused(tmp_path):
    x, y = image_batch()
    tiny(checkpoint_dir=str(tmp_path)).fit(x, y)
    with pytest.raises(ValueError, match=r"another fit \(seed: 0 in the checkpoint, 1 now\)"):
        tiny(seed=1, checkpoint_dir=str(tmp_path)).fit(x, y)
    with pytest.raises(ValueError, match="x: .* in the checkpoint"):
        tiny(checkpoint_dir=str(tmp_path)).fit(1 - x, y)
    with pytest.raises(ValueError, match="shape: .* z_dim: 8 in the checkpoint, 4 now"):
        tiny(z_dim=4, checkpoint_dir=str(tmp_path)).fit(torch.rand(6, 3, 12, 12), y)
    assert tiny(seed=1, resume=False, checkpoint_dir=str(tmp_path)).fit(x, y).steps_done_ == 3


def test_time_budget_fit_is_not_trained_again(tmp_path):
    x, y = image_batch()
    kw = {"steps": 10**6, "seconds": 0.3, "checkpoint_dir": str(tmp_path)}
    first = tiny(**kw).fit(x, y)
    again = tiny(**kw).fit(x, y)
    assert again.steps_done_ == first.steps_done_
    assert torch.equal(again.generate(y, rng=0), first.generate(y, rng=0))


def test_interrupted_fit_saves_and_resumes(tmp_path, monkeypatch):
    x, y = image_batch()
    calls, update = [], aad.gan.update_ema

    def interrupt_at_step_13(*args):
        calls.append(1)
        if len(calls) == 14:  # half-way through step 13: the networks are updated, the EMA not yet
            raise KeyboardInterrupt
        update(*args)

    monkeypatch.setattr(aad.gan, "update_ema", interrupt_at_step_13)
    with pytest.raises(KeyboardInterrupt):
        tiny(steps=16, checkpoint_dir=str(tmp_path)).fit(x, y)
    monkeypatch.setattr(aad.gan, "update_ema", update)
    assert (tmp_path / "checkpoint.safetensors").is_file(), "an interrupted fit keeps its last snapshot"
    resumed, straight = tiny(steps=16, checkpoint_dir=str(tmp_path)).fit(x, y), tiny(steps=16).fit(x, y)
    assert torch.allclose(resumed.generate(y, rng=0), straight.generate(y, rng=0), atol=1e-6)


def test_quality_filter_learns_a_small_set():
    """30 images: 5 epochs are 5 steps, which left the filter at chance; it now trains >= 200 steps."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(30) % 3
    x = 0.1 * torch.rand(30, 1, 12, 12, generator=g)
    x[y == 0, :, :6] += 0.8     # top half lit
    x[y == 1, :, :, :6] += 0.8  # left half lit
    x[y == 2] = 1 - x[y == 2]   # inverted
    gan = tiny(quality_threshold=0.9).fit(x, y)
    confidence = predict_proba(gan.filter_, x).gather(1, y[:, None])
    assert (confidence >= 0.9).float().mean() >= 0.9


def test_seed_dcgan_baseline_trains_samples_and_names_a_wrong_size():
    from aad.image.dcgan import dcgan_sample, train_dcgan

    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    gen, done = train_dcgan(x, torch.Generator().manual_seed(0), steps=2, batch_size=8)
    out = dcgan_sample(gen, 5, torch.Generator().manual_seed(1))
    assert done == 2 and out.shape == (5, 1, 28, 28) and 0 <= out.min() and out.max() <= 1
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]"):
        train_dcgan(torch.rand(4, 1, 32, 32), torch.Generator(), steps=1)


def test_fits_leave_the_global_cuda_streams_alone(monkeypatch):
    """torch.manual_seed would reseed every CUDA device's default generator, and nothing restores it."""
    from aad.image.dcgan import train_dcgan

    reseeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", reseeded.append)
    x, y = image_batch()
    digits = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    cpu_stream = torch.random.get_rng_state()
    tiny(steps=1, quality_threshold=0.5, max_tries=1).fit(x, y)  # the GAN's networks and its filter
    train_dcgan(digits, torch.Generator().manual_seed(0), steps=1, batch_size=2)
    assert reseeded == [] and torch.equal(torch.random.get_rng_state(), cpu_stream)


def _data_learned(monkeypatch, gan, x, y):
    """The images and labels ``gan``'s fit trains its networks on."""
    seen = {}
    train = aad.image.gan.train_conditional_gan

    def spy(x, y, *args, **kwargs):
        seen["x"], seen["y"] = x.clone(), y.clone()
        return train(x, y, *args, **kwargs)
    monkeypatch.setattr(aad.image.gan, "train_conditional_gan", spy)
    gan.fit(x, y)
    return seen["x"], seen["y"]


def test_fit_augmenter_adds_warped_copies_to_what_the_gan_learns_from(monkeypatch):
    x, y = image_batch(b=6)
    before = x.clone()
    warp = RandomAffine(degrees=(20.0, 30.0), translate=(0.0, 0.0), scale=(1.0, 1.0))
    learned_x, learned_y = _data_learned(monkeypatch, tiny(fit_augmenter=warp, fit_copies=3), x, y)
    assert learned_x.shape == (24, *x.shape[1:]) and torch.equal(learned_y, y.repeat(4))
    assert torch.equal(learned_x[:6], x) and torch.equal(x, before)
    copies = learned_x[6:].view(3, *x.shape)
    assert not torch.equal(copies[0], copies[1])            # each copy is warped anew
    for copy in copies:   # rotated by 20-30 degrees: near, never equal to, the digit it came from
        assert ((copy - x).abs().flatten(1).max(1).values > 0.1).all()
    assert torch.equal(_data_learned(monkeypatch, tiny(), x, y)[0], x)


@pytest.mark.parametrize("seed", [0, None])
def test_fit_copies_repeat_for_a_seed_and_for_the_same_data_without_one(monkeypatch, seed):
    """Without a seed the copies still repeat: a resumed fit must learn from those it started with."""
    x, y = image_batch(b=6)
    first, second, other = (_data_learned(monkeypatch, tiny(fit_augmenter=RandomAffine(), seed=s), x, y)[0]
                            for s in (seed, seed, 1))
    assert torch.equal(first, second) and not torch.equal(first, other)


def test_a_seedless_fit_on_warped_copies_resumes_its_checkpoint(tmp_path):
    x, y = image_batch()
    tiny(seed=None, steps=2, fit_augmenter=RandomAffine(), checkpoint_dir=str(tmp_path)).fit(x, y)
    resumed = tiny(seed=None, steps=4, fit_augmenter=RandomAffine(), checkpoint_dir=str(tmp_path)).fit(x, y)
    assert resumed.steps_done_ == 4


def test_fit_augmenter_is_saved_and_loaded_with_the_gan(tmp_path):
    x, y = image_batch()
    warp = Compose([RandomAffine(shear=(-15.0, 15.0)), ElasticDistortion()])
    gan = tiny(fit_augmenter=warp, fit_copies=2).fit(x, y)
    gan.save(tmp_path / "gan")
    loaded = Augmenter.load(tmp_path / "gan")
    assert loaded.fit_augmenter.to_config() == warp.to_config() and loaded.fit_copies == 2
    assert torch.equal(loaded.generate(y, rng=3), gan.generate(y, rng=3))


@pytest.mark.parametrize("params, error, words", [
    ({"fit_augmenter": ConditionalGAN()}, TypeError, "fit_augmenter must be a fixed"),
    ({"fit_augmenter": RandomSwap()}, TypeError, "fit_augmenter must be a fixed .* image Augmenter"),
    ({"fit_augmenter": "affine"}, TypeError, "fit_augmenter"),
    ({"fit_augmenter": RandomAffine(), "fit_copies": 0}, ValueError, "fit_copies must be an int >= 1"),
])
def test_a_wrong_fit_augmenter_or_fit_copies_is_named(params, error, words):
    x, y = image_batch()
    with pytest.raises(error, match=words):
        tiny(**params).fit(x, y)


def test_fit_copies_are_warped_in_chunks_of_bounded_size(monkeypatch):
    """Bounded memory on a large dataset: each call warps at most FIT_COPIES_CHUNK images, and copy i
    of image j still lands at row len(x) * (i + 1) + j."""
    x, y = image_batch(b=6)
    calls = []
    augment = RandomAffine.augment

    def counted(self, x, *args, **kwargs):
        calls.append(len(x))
        return augment(self, x, *args, **kwargs)
    monkeypatch.setattr(RandomAffine, "augment", counted)
    monkeypatch.setattr(aad.image.gan, "FIT_COPIES_CHUNK", 4)
    still = RandomAffine(degrees=(0.0, 0.0), translate=(0.0, 0.0), scale=(1.0, 1.0))
    learned_x, learned_y = _data_learned(monkeypatch, tiny(fit_augmenter=still, fit_copies=3), x, y)
    assert calls == [4, 4, 4, 4, 2]
    assert torch.allclose(learned_x, x.repeat(4, 1, 1, 1), atol=1e-5) and torch.equal(learned_y, y.repeat(4))


def test_a_label_far_past_the_others_is_named_not_embedded():
    x, _ = image_batch(b=2)
    with pytest.raises(ValueError, match=r"y has label 1000000000: .* torch.unique\(y, return_inverse=True\)"):
        tiny().fit(x, torch.tensor([0, 10**9]))


def test_a_checkpoint_dir_that_is_a_file_is_named_before_training(tmp_path, monkeypatch):
    """It failed with a bare FileExistsError at the first checkpoint, after up to 200 steps."""
    import aad.training

    (tmp_path / "ckfile").write_text("x")
    monkeypatch.setattr(aad.training.TrainLoop, "_snapshot",
                        lambda *a: pytest.fail("trained before checkpoint_dir was checked"), raising=False)
    gan = ConditionalGAN(steps=5, checkpoint_dir=str(tmp_path / "ckfile" / "sub"), progress=False, seed=0)
    with pytest.raises(ValueError, match=r"checkpoint_dir .* cannot be a folder: .*ckfile' is a file"):
        gan.fit(torch.rand(4, 1, 8, 8), torch.tensor([0, 0, 1, 1]))


def test_a_hand_edited_network_shape_is_named_not_a_state_dict_error(tmp_path):
    import json

    ConditionalGAN(steps=1, g_width=4, d_width=4, progress=False, seed=0) \
        .fit(torch.rand(4, 1, 8, 8), torch.tensor([0, 0, 1, 1])).save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["state"]["gan"]["g_width"] = 8
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="not a consistent save: its weights do not fit the networks"):
        Augmenter.load(tmp_path)


def test_images_that_require_grad_fit_and_are_left_as_they_were():
    # the discriminator's loss was backpropagated into x's graph: the second step failed
    x, y = image_batch()
    x = x.clone().requires_grad_()
    tiny(steps=3, quality_threshold=0.5).fit(x, y)
    assert x.grad is None


def test_set_params_device_after_a_fit_moves_the_fitted_networks(monkeypatch):
    # sampling runs where the generator is: a new device alone was silently ignored
    import aad.base
    x, y = image_batch()
    gan = tiny(steps=2, quality_threshold=0.5).fit(x, y)
    monkeypatch.setattr(aad.base, "check_device", lambda device: torch.device("meta"))
    gan.set_params(device="meta")
    assert {p.device.type for net in (gan.generator_, gan.filter_) for p in net.parameters()} == {"meta"}


def test_set_params_refuses_a_missing_device_and_keeps_the_old_one():
    x, y = image_batch()
    gan = tiny(steps=2).fit(x, y)
    with pytest.raises(ValueError, match="device is 'cuda:99'"):
        gan.set_params(device="cuda:99")
    assert gan.device == "cpu" and next(gan.generator_.parameters()).device.type == "cpu"
