"""Explicit random streams: every augmenter owns a ``torch.Generator``; nothing touches global RNG."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from numbers import Integral

import torch

RngLike = "torch.Generator | int | None"


def make_generator(seed: int | None = None) -> torch.Generator:
    """A CPU generator: parameters are drawn on the CPU and moved, so results do not depend on device."""
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(check_seed(seed))
    return g


MAX_SEED = 2**64 - 1   # torch's generators take 64-bit seeds


def check_seed(seed, name: str = "seed", optional: bool = True) -> int:
    """``seed`` as an int in [0, 2**64 - 1]; a numpy integer (from ``np.arange``, say) is taken as its value.
    ``optional`` says whether the caller also takes None, for the message."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise TypeError(f"{name} must be a non-negative int{' or None' if optional else ''}, got {seed!r}")
    if seed > MAX_SEED:
        raise ValueError(f"{name} must be at most 2**64 - 1 (a 64-bit seed), got {seed}")
    return int(seed)


def as_generator(rng, name: str = "rng") -> torch.Generator:
    """``rng`` as a generator: a Generator is used as is, an int seeds a new one."""
    if isinstance(rng, torch.Generator):
        return rng
    return make_generator(check_seed(rng, name))


def derive_seed(*parts) -> int:
    """A 63-bit seed mixed from ``parts`` (ints or strings); distinct parts give unrelated streams."""
    # a numpy integer counts as its value: seed=np.int64(3) must give seed=3's streams
    parts = tuple(int(p) if isinstance(p, Integral) and not isinstance(p, (bool, int)) else p for p in parts)
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def spawn(g: torch.Generator) -> torch.Generator:
    """A new generator seeded from ``g`` (advances ``g``)."""
    return make_generator(int(torch.randint(0, 2**62, (), generator=g)))


def generator_state(g: torch.Generator | None) -> bytes | None:
    """``g``'s state as bytes, for pickling. Not a tensor: one made while pickling for a spawned
    DataLoader worker is shared with it and freed before the worker reads it."""
    return None if g is None else g.get_state().numpy().tobytes()


def generator_from_state(state: bytes | None) -> torch.Generator | None:
    if state is None:
        return None
    g = torch.Generator()
    g.set_state(torch.frombuffer(bytearray(state), dtype=torch.uint8))
    return g


@contextmanager
def global_rng_from(g: torch.Generator) -> Iterator[None]:
    """Seed torch's global CPU stream from ``g`` (advancing ``g``) for the block, and restore it after: for
    what draws from it and takes no generator (module init, dropout). CUDA streams are left alone, as
    ``torch.manual_seed`` would reseed them all: build modules on the CPU, then move them."""
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(int(torch.randint(0, 2**62, (), generator=g)))
        yield
