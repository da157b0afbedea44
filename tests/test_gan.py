"""The shared conditional-GAN core: shapes for any [C, H, W], DiffAugment, losses, EMA, training."""
import numpy as np
import pytest
import torch

import aad.gan
from aad.diffaugment import DIFFAUGMENT, diff_augment, diffaugment_policy
from aad.gan import (
    GANConfig,
    TrainConfig,
    build_networks,
    fit_fingerprint,
    hinge_d_loss,
    hinge_g_loss,
    linear_decay,
    mix_generated,
    mode_seeking_loss,
    recalibrate_batch_norm,
    sample,
    train_conditional_gan,
    update_ema,
)


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8), (3, 32, 32), (1, 64, 64), (1, 128, 64), (2, 10, 14)])
def test_networks_handle_any_shape(shape):
    config = GANConfig(shape, num_classes=3, z_dim=8, g_width=4, d_width=4)
    gen, ema, disc = build_networks(config, torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 1])
    fake = gen(torch.randn(4, 8), y)
    assert fake.shape == (4, *shape) and fake.abs().max() <= 1
    scores, logits = disc(fake, y)
    assert scores.shape == (4,) and logits.shape == (4, 3)
    out = sample(ema, y, torch.Generator().manual_seed(0))
    assert out.shape == (4, *shape) and 0 <= out.min() and out.max() <= 1


def test_levels_give_a_small_first_map():
    assert [GANConfig(s, 2).levels for s in [(1, 28, 28), (1, 8, 8), (3, 32, 32), (1, 128, 64)]] == [2, 1, 3, 4]


def test_networks_are_initialised_from_the_generator_only():
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)
    torch.manual_seed(123)
    a = build_networks(config, torch.Generator().manual_seed(7))[0].state_dict()
    global_state = torch.random.get_rng_state()
    b = build_networks(config, torch.Generator().manual_seed(7))[0].state_dict()
    assert torch.equal(torch.random.get_rng_state(), global_state), "global RNG must be left as it was"
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_diff_augment_keeps_shape_is_differentiable_and_seeded():
    x = torch.rand(5, 3, 12, 16, requires_grad=True)
    a = diff_augment(x, torch.Generator().manual_seed(0))
    b = diff_augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize("size", [28, 15])
def test_cutout_box_has_the_reference_size(size):
    # DiffAugment's reference cuts int(size / 2 + 0.5) pixels a side (14 at 28, 8 at 15), cut by the edges
    x = torch.ones(400, 1, size, size)
    kept = diff_augment(x, torch.Generator().manual_seed(0), policy=("cutout",))
    side = int(size * 0.5 + 0.5)
    cut_rows = (kept[:, 0] == 0).any(dim=2).sum(dim=1)
    cut = (kept == 0).flatten(1).sum(dim=1)
    assert cut_rows.max() == side and cut.max() == side * side
    assert (cut_rows < side).any(), "boxes near an edge are cut by it"


def test_hinge_losses():
    assert hinge_d_loss(torch.full((4,), 2.0), torch.full((4,), -2.0)) == 0
    assert hinge_d_loss(torch.zeros(4), torch.zeros(4)) == 2
    assert hinge_g_loss(torch.full((4,), 3.0)) == -3


def test_ema_moves_towards_model():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    before = a.weight.detach().clone()
    update_ema(a, b, decay=0.75)
    assert torch.allclose(a.weight, 0.75 * before + 0.25 * b.weight)


def two_class_data(n=64):
    """Class 0: dark images, class 1: bright images (8x8)."""
    y = torch.arange(n) % 2
    x = (0.15 + 0.7 * y.float()).view(-1, 1, 1, 1).expand(-1, 1, 8, 8).clone()
    return x, y


def test_training_learns_the_condition():
    x, y = two_class_data()
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)
    settings = TrainConfig(steps=60, batch_size=16, lr_g=5e-3, lr_d=5e-3, ema_decay=0.5, diffaugment=())
    gen = train_conditional_gan(x, y, config, settings, torch.Generator().manual_seed(0), progress=False)
    out = sample(gen, torch.tensor([0] * 16 + [1] * 16), torch.Generator().manual_seed(1))
    assert out[16:].mean() - out[:16].mean() > 0.3, "bright class must come out brighter than the dark class"


def test_resumed_training_matches_an_uninterrupted_run(tmp_path):
    x, y = two_class_data(16)
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)

    def fit(steps, ckpt=None):
        settings = TrainConfig(steps=steps, batch_size=8)
        return train_conditional_gan(x, y, config, settings, torch.Generator().manual_seed(0),
                                     checkpoint_dir=ckpt, progress=False)

    fit(4, tmp_path)
    resumed, straight = fit(7, tmp_path), fit(7)
    assert (tmp_path / "checkpoint.safetensors").is_file()
    for k, v in straight.state_dict().items():
        assert torch.allclose(resumed.state_dict()[k], v), k


def test_mix_generated_replaces_a_fraction_with_samples_of_the_same_label():
    x, y = torch.zeros(200, 1, 2, 2), torch.arange(200) % 4
    generate = lambda labels, g: (labels.float() + 1).view(-1, 1, 1, 1).expand(-1, 1, 2, 2)
    out = mix_generated(x, y, 0.5, generate, torch.Generator().manual_seed(0))
    replaced = out.flatten(1).amax(1) > 0
    assert 60 < int(replaced.sum()) < 140 and (x == 0).all()  # about half; the input is untouched
    assert torch.equal(out[replaced, 0, 0, 0], y[replaced].float() + 1)  # each with its own label
    assert torch.equal(mix_generated(x, y, 0.0, generate, torch.Generator()), x)


def test_linear_decay_ends_at_zero_with_the_budget():
    assert [linear_decay(f, 0.5) for f in (0.0, 0.5, 0.75, 1.0)] == [1.0, 1.0, 0.5, 0.0]
    assert linear_decay(0.99, 1.0) == 1.0  # 1.0: a constant learning rate


def test_recalibration_measures_the_generators_own_statistics():
    config = GANConfig((1, 8, 8), 3, z_dim=4, g_width=4, d_width=4)
    gen = build_networks(config, torch.Generator().manual_seed(0))[1]
    norms = [m for m in gen.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    seen = {}
    for m in norms:
        m.running_mean.fill_(5.0)  # stale statistics, as copied from another network
        m.register_forward_hook(lambda mod, inp, out: seen.setdefault(mod, []).append(inp[0].detach()))
    recalibrate_batch_norm(gen, torch.tensor([0, 1, 2]), torch.Generator().manual_seed(1), samples=40, chunk=16)
    for m in norms:
        acts = torch.cat(seen[m])
        assert acts.shape[0] == 40 and len(seen[m]) == 3  # chunks of 16, 16 and 8
        batch_means = torch.stack([a.mean(dim=(0, 2, 3)) for a in seen[m]])
        assert torch.allclose(m.running_mean, batch_means.mean(0), atol=1e-5)  # the cumulative average
        assert m.momentum == 0.1
    assert not gen.training


def test_resume_refuses_a_checkpoint_of_other_data_or_settings(tmp_path):
    x, y = two_class_data(16)
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)

    def fit(x, settings, seed=0):
        return train_conditional_gan(x, y, config, settings, torch.Generator().manual_seed(seed),
                                     checkpoint_dir=tmp_path, progress=False)

    fit(x, TrainConfig(steps=2, batch_size=8))
    for data, settings, seed, what in [(1 - x, TrainConfig(steps=2, batch_size=8), 0, "x:"),
                                       (x, TrainConfig(steps=2, batch_size=8, lr_g=1e-4), 0, "lr_g: 0.001"),
                                       (x, TrainConfig(steps=2, batch_size=8), 1, "rng:")]:
        with pytest.raises(ValueError, match=f"another fit .*{what}"):
            fit(data, settings, seed)
    settings = TrainConfig(steps=4, batch_size=8, checkpoint_every=1, standing_samples=0)
    fit(x, settings)  # a larger budget, another saving schedule, no standing statistics: the fit continues
    assert settings.steps_done == 4


def test_numpy_settings_are_fingerprinted_as_python_numbers(tmp_path):
    x, y = two_class_data(16)
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)

    def fit(steps, lr):
        settings = TrainConfig(steps=steps, batch_size=8, lr_g=lr, lr_d=lr, standing_samples=0)
        train_conditional_gan(x, y, config, settings, torch.Generator().manual_seed(0),
                              checkpoint_dir=tmp_path, progress=False)
        return settings

    fit(2, np.float32(2e-3))
    assert fit(4, np.float32(2e-3)).steps_done == 4   # resumed: the same fingerprint
    with pytest.raises(ValueError, match="lr_g: 0.0020000000949949026 in the checkpoint, 0.001 now"):
        fit(4, 1e-3)


def test_the_fingerprint_compares_float_settings_as_floats():
    x, y = two_class_data(4)
    config = GANConfig((1, 8, 8), 2)
    default = fit_fingerprint(x, y, config, TrainConfig(), {})
    # the strings checkpoints written before hold: they must keep resuming
    assert [default[k] for k in ("lr_g", "betas", "ema_decay", "class_weight", "lr_decay_from")] == [
        "0.001", "[0.5, 0.999]", "0.999", "1.0", "1.0"]
    ints = TrainConfig(class_weight=1, lr_decay_from=1, betas=(0.5, 0.999))
    assert fit_fingerprint(x, y, config, ints, {}) == default


def odd_batch_labels(monkeypatch, x, y, batch_size):
    """The labels of the first training batch of fakes."""
    seen = []
    forward = aad.gan.ConditionalGenerator.forward

    def spy(self, z, labels):
        seen.append(labels)
        return forward(self, z, labels)

    monkeypatch.setattr(aad.gan.ConditionalGenerator, "forward", spy)
    config = GANConfig((1, 8, 8), 5, z_dim=4, g_width=4, d_width=4)
    train_conditional_gan(x, y, config, TrainConfig(steps=1, batch_size=batch_size, standing_samples=0),
                          torch.Generator().manual_seed(0), progress=False)
    return seen[0]


@pytest.mark.parametrize("batch_size", [7, 5])
def test_mode_seeking_pairs_fakes_of_the_same_label_in_odd_batches(monkeypatch, batch_size):
    y = torch.arange(40) % 5
    labels = odd_batch_labels(monkeypatch, torch.rand(40, 1, 8, 8), y, batch_size)
    h = batch_size // 2
    assert len(labels) == batch_size and torch.equal(labels[:h], labels[h : 2 * h])


def test_a_single_sample_trains_without_the_mode_seeking_term():
    assert mode_seeking_loss(torch.rand(1, 1, 4, 4), torch.randn(1, 3)) == 0
    x, y = two_class_data(2)
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)
    for data, labels, batch_size in [(x[:1], y[:1], 32), (x, y, 1)]:
        gen = train_conditional_gan(data, labels, config, TrainConfig(steps=3, batch_size=batch_size),
                                    torch.Generator().manual_seed(0), progress=False)
        assert torch.isfinite(sample(gen, labels, torch.Generator().manual_seed(1))).all()


def test_1x1_images_in_batches_of_1_are_refused_up_front():
    config = GANConfig((1, 1, 1), 2, z_dim=4, g_width=4, d_width=4)
    x, y = torch.rand(4, 1, 1, 1), torch.arange(4) % 2
    for data, labels, batch_size in [(x[:1], y[:1], 32), (x, y, 1)]:
        with pytest.raises(ValueError, match="x holds 1x1 images, which train only in batches of 2 or more"):
            train_conditional_gan(data, labels, config, TrainConfig(steps=1, batch_size=batch_size),
                                  torch.Generator().manual_seed(0), progress=False)
    gen = train_conditional_gan(x, y, config, TrainConfig(steps=1, batch_size=2),
                                torch.Generator().manual_seed(0), progress=False)
    assert sample(gen, y, torch.Generator().manual_seed(1)).shape == (4, 1, 1, 1)


@pytest.mark.parametrize("name, value, error", [
    ("steps", -5, ValueError), ("steps", 0, ValueError), ("seconds", 0, ValueError),
    ("batch_size", 0, ValueError), ("lr", 0.0, ValueError), ("ema_decay", 2.0, ValueError),
    ("ema_decay", 1.0, ValueError), ("ema_decay", -0.1, ValueError), ("ema_decay", float("nan"), ValueError),
    ("class_weight", -1, ValueError),
    ("mode_seeking", float("nan"), ValueError), ("diffaugment", ["warp"], ValueError),
    ("diffaugment", 3, TypeError),
])
def test_bad_training_settings_are_named(name, value, error):
    params = {"steps": 10, "seconds": None, "batch_size": 8, "lr": 1e-3, "lr_decay_from": 0.5, "ema_decay": 0.9,
              "class_weight": 1.0, "mode_seeking": 0.6, "diffaugment": DIFFAUGMENT}
    TrainConfig.from_params(params)
    with pytest.raises(error, match=name):
        TrainConfig.from_params({**params, name: value})


@pytest.mark.parametrize("name", ["z_dim", "g_width", "d_width", "num_classes"])
def test_bad_network_sizes_are_named(name):
    with pytest.raises(ValueError, match=f"{name} must be an int >= 1"):
        GANConfig(**{"shape": (1, 8, 8), "num_classes": 2, name: 0})


def test_diffaugment_takes_a_list_or_a_comma_separated_string():
    assert diffaugment_policy("translation, cutout") == diffaugment_policy(["translation", "cutout"])
    assert diffaugment_policy("") == diffaugment_policy(()) == ()


def test_mix_is_checked_at_every_call():
    x, y = torch.zeros(4, 1, 2, 2), torch.arange(4)
    with pytest.raises(ValueError, match="mix"):
        mix_generated(x, y, 1.5, lambda labels, g: x[: len(labels)], torch.Generator())


def test_a_fit_resumed_after_a_rollback_keeps_the_halved_lr(tmp_path, monkeypatch):
    """A non-finite loss halves the lr; an interrupted fit resumed after it must go on at that lr."""
    x, y = two_class_data(16)
    config = GANConfig((1, 8, 8), 2, z_dim=4, g_width=4, d_width=4)
    loss, calls = aad.gan.hinge_d_loss, []

    def flaky(stop_at=None):
        def d_loss(real, fake):
            calls.append(1)
            if len(calls) == 4:  # step 3: the loop rolls back to step 0 and halves the lr
                return loss(real, fake) * float("nan")
            if len(calls) == stop_at:
                raise RuntimeError("preempted")
            return loss(real, fake)
        calls.clear()
        monkeypatch.setattr(aad.gan, "hinge_d_loss", d_loss)

    def fit(ckpt=None):
        settings = TrainConfig(steps=10, batch_size=8, snapshot_every=2, standing_samples=0)
        gen = train_conditional_gan(x, y, config, settings, torch.Generator().manual_seed(0),
                                    checkpoint_dir=ckpt, progress=False)
        return gen.state_dict()

    flaky()
    straight = fit()
    flaky(stop_at=13)  # in step 8 after the rollback: the snapshot taken at step 8 is saved
    with pytest.raises(RuntimeError, match="preempted"):
        fit(tmp_path)
    monkeypatch.setattr(aad.gan, "hinge_d_loss", loss)
    resumed = fit(tmp_path)
    assert all(torch.equal(resumed[k], v) for k, v in straight.items())

