"""The fit loop of learned augmenters: a step/time budget, a progress bar, atomic checkpoints,
resume, and recovery from divergence (a non-finite loss rolls back to the last good state)."""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from tqdm.auto import tqdm

from aad import serialization


class Stateful(Protocol):
    def state_dict(self) -> dict: ...
    def load_state_dict(self, state: dict) -> object: ...


class GeneratorState:
    """Adapts a ``torch.Generator`` to the state_dict protocol so resumed runs draw the same noise."""

    def __init__(self, generator: torch.Generator):
        self.generator = generator

    def state_dict(self) -> dict:
        return {"state": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["state"].to(torch.uint8).cpu())


class DivergenceError(RuntimeError):
    """Training kept producing non-finite losses after every allowed rollback."""


@dataclass
class TrainLoop:
    """Runs ``step(i) -> dict of losses`` for ``steps`` steps or ``seconds``, whichever ends first.

    ``state`` names everything that must survive a restart (modules, optimizers, EMA copies,
    generators). With ``checkpoint_dir`` the state is written atomically every
    ``checkpoint_every`` steps and on exit, and ``resume=True`` continues from it.
    """

    state: dict[str, Stateful]
    steps: int
    seconds: float | None = None
    checkpoint_dir: str | Path | None = None
    checkpoint_every: int = 200
    resume: bool = True
    progress: bool = True
    desc: str = "fit"
    max_rollbacks: int = 3
    on_rollback: Callable[[int], None] | None = None  # e.g. lower the learning rate
    history: list[dict] = field(default_factory=list)
    _started: float | None = field(default=None, init=False, repr=False)  # wall clock at run()'s start

    @property
    def checkpoint_path(self) -> Path | None:
        return None if self.checkpoint_dir is None else Path(self.checkpoint_dir) / "checkpoint.safetensors"

    def run(self, step: Callable[[int], dict[str, float]]) -> int:
        """Train; returns the number of steps completed in total (resumed ones included)."""
        start = self._restore() if self.resume else 0
        good = self._snapshot(start)
        rollbacks = 0
        self._started = time.monotonic()
        deadline = None if self.seconds is None else self._started + self.seconds
        bar = tqdm(total=self.steps, initial=start, desc=self.desc, disable=not self.progress,
                   dynamic_ncols=True, leave=False)
        i = start
        try:
            while i < self.steps and (deadline is None or time.monotonic() < deadline):
                losses = step(i)
                if not all(math.isfinite(v) for v in losses.values()):
                    rollbacks += 1
                    if rollbacks > self.max_rollbacks:
                        raise DivergenceError(f"{self.desc}: non-finite loss {losses} at step {i} after "
                                              f"{self.max_rollbacks} rollbacks")
                    i = self._load_snapshot(good)
                    if self.on_rollback:
                        self.on_rollback(rollbacks)
                    bar.n = i
                    continue
                i += 1
                bar.update(1)
                if i % 25 == 0:
                    self.history.append({"step": i, **losses})
                    bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()})
                if i % self.checkpoint_every == 0:
                    good = self._snapshot(i)
                    self._save(i)
        finally:
            bar.close()
        self._save(i)
        return i

    def fraction_done(self, step: int) -> float:
        """How much of the budget is spent at ``step``, in [0, 1]: steps or seconds, whichever is further
        along (for schedules that must end with the budget, e.g. a learning-rate decay)."""
        done = step / self.steps
        if self.seconds is not None and self._started is not None:
            done = max(done, (time.monotonic() - self._started) / self.seconds)
        return min(done, 1.0)

    def _snapshot(self, step: int) -> dict:
        return {"step": step, **{k: copy.deepcopy(v.state_dict()) for k, v in self.state.items()}}

    def _load_snapshot(self, snap: dict) -> int:
        for k, v in self.state.items():
            v.load_state_dict(copy.deepcopy(snap[k]))
        return snap["step"]

    def _save(self, step: int) -> None:
        if self.checkpoint_path is not None:
            serialization.save_state(self.checkpoint_path, self._snapshot(step))

    def _restore(self) -> int:
        path = self.checkpoint_path
        if path is None or not path.is_file():
            return 0
        return self._load_snapshot(serialization.load_state(path))
