"""The shared conditional-GAN core: shapes for any [C, H, W], DiffAugment, losses, EMA, training."""
import pytest
import torch

from aad.gan import (
    GANConfig,
    TrainConfig,
    build_networks,
    diff_augment,
    hinge_d_loss,
    hinge_g_loss,
    linear_decay,
    mix_generated,
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
