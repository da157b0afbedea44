"""The seed design's DCGAN (unconditional, 28x28x1, BCE losses, Adam 1e-4), kept as a baseline.

Generator: Dense(7*7*256, no bias)+BN+LeakyReLU -> 7x7x256 -> ConvT(128,5,s1)+BN+LReLU ->
ConvT(64,5,s2)+BN+LReLU -> ConvT(1,5,s2,tanh). Discriminator: Conv(64,5,s2)+LReLU+Dropout(0.3) ->
Conv(128,5,s2)+LReLU+Dropout(0.3) -> Flatten -> Dense(1). Noise dimension 100.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from aad.seeding import global_rng_from

NOISE_DIM = 100


def dcgan_generator() -> nn.Module:
    return nn.Sequential(
        nn.Linear(NOISE_DIM, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.3),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False), nn.BatchNorm2d(64),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh())


def dcgan_discriminator() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


def train_dcgan(x: Tensor, g: torch.Generator, *, steps: int, cpu_seconds: float | None = None,
                batch_size: int = 256) -> tuple[nn.Module, int]:
    """Train on ``x`` in [0, 1] ``[N, 1, 28, 28]`` for ``steps`` or ``cpu_seconds`` of process CPU time;
    returns (generator, steps done)."""
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):  # the seed design's fixed layer sizes
        raise ValueError(f"x must be [N, 1, 28, 28] images (the seed DCGAN's only size), got {tuple(x.shape)}")
    with global_rng_from(g):  # init and dropout (all on the CPU) draw from a stream seeded by g
        gen, disc = dcgan_generator(), dcgan_discriminator()
        opt_g, opt_d = torch.optim.Adam(gen.parameters(), 1e-4), torch.optim.Adam(disc.parameters(), 1e-4)
        real_all = x * 2 - 1
        deadline = None if cpu_seconds is None else time.process_time() + cpu_seconds
        done = 0
        while done < steps and (deadline is None or time.process_time() < deadline):
            real = real_all[torch.randint(0, len(x), (batch_size,), generator=g)]
            fake = gen(torch.randn(batch_size, NOISE_DIM, generator=g))
            real_out, fake_out = disc(real), disc(fake)
            bce = F.binary_cross_entropy_with_logits
            g_loss = bce(fake_out, torch.ones_like(fake_out))
            d_loss = bce(real_out, torch.ones_like(real_out)) + bce(fake_out, torch.zeros_like(fake_out))
            opt_g.zero_grad()
            opt_d.zero_grad()
            g_grads = torch.autograd.grad(g_loss, list(gen.parameters()), retain_graph=True)
            d_grads = torch.autograd.grad(d_loss, list(disc.parameters()))
            for p, grad in zip(gen.parameters(), g_grads):
                p.grad = grad
            for p, grad in zip(disc.parameters(), d_grads):
                p.grad = grad
            opt_g.step()
            opt_d.step()
            done += 1
    return gen.eval(), done


@torch.no_grad()
def dcgan_sample(gen: nn.Module, n: int, g: torch.Generator, chunk: int = 1000) -> Tensor:
    gen.eval()
    z = torch.randn(n, NOISE_DIM, generator=g)
    return torch.cat([(gen(z[i:i + chunk]) + 1) / 2 for i in range(0, n, chunk)]).clamp(0, 1)
