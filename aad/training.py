"""The fit loop of learned augmenters: a step/time budget, a progress bar, atomic checkpoints,
resume, and recovery from divergence (a non-finite loss rolls back to the last good state)."""
from __future__ import annotations

import copy
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from tqdm.auto import tqdm

from aad import serialization
from aad.checks import check_folder


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


def tensor_digest(t: torch.Tensor) -> str:
    """Shape, dtype and a sha256 of the bytes of ``t``: names a training set in a checkpoint's fingerprint."""
    data = t.detach().cpu().contiguous().flatten().view(torch.uint8)
    digest = hashlib.sha256(data.numpy()).hexdigest()[:16]
    return f"{list(t.shape)} {str(t.dtype).removeprefix('torch.')} sha256:{digest}"


@dataclass
class TrainLoop:
    """Runs ``step(i) -> dict of losses`` for ``steps`` steps or ``seconds``, whichever ends first.

    ``state`` names everything that must survive a restart (modules, optimizers, EMA copies,
    generators). With ``checkpoint_dir`` the state is written atomically every ``checkpoint_every``
    steps and at the end, and ``resume=True`` continues from it, time budget included (the seconds
    already spent are saved with it). A run stopped by an exception (Ctrl-C included) saves its last
    consistent state: a step cut half-way leaves the live state inconsistent, so the loop keeps an
    in-memory copy every ``snapshot_every`` steps (0: only at checkpoints, for models too big to copy
    often) and saves that copy when it is newer than the checkpoint.

    A non-finite loss rolls the state back to the last checkpoint (or the start) and calls
    ``on_rollback(rollbacks)``; ``rollbacks`` counts them over the whole fit, resumed runs' included (it is
    saved with the checkpoint), so a schedule that depends on it continues where it was.

    ``fingerprint`` names the run (data, settings, seed by name: strings, numbers or lists of them). It is saved with the
    checkpoint, and a checkpoint with another fingerprint is refused with a ValueError instead of being
    resumed. Leave the budget (``steps``, ``seconds``) out of it, so that raising it continues a fit.
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
    fingerprint: dict[str, object] | None = None
    snapshot_every: int = 0
    _started: float | None = field(default=None, init=False, repr=False)  # wall clock at run()'s start
    _resumed_seconds: float = field(default=0.0, init=False, repr=False)  # spent before this run()
    rollbacks: int = field(default=0, init=False)  # so far, resumed runs' included; a rollback keeps the count

    @property
    def checkpoint_path(self) -> Path | None:
        if self.checkpoint_dir is None:
            return None
        return check_folder(self.checkpoint_dir, "checkpoint_dir") / "checkpoint.safetensors"

    def run(self, step: Callable[[int], dict[str, float]]) -> int:
        """Train; returns the number of steps completed in total (resumed ones included)."""
        self._resumed_seconds, self.rollbacks = 0.0, 0
        _ = self.checkpoint_path   # a checkpoint_dir that cannot be a folder is named now, not at the first save
        start = self._restore() if self.resume else 0
        self._started = time.monotonic()
        good = last = self._snapshot(start)  # good: where a rollback returns; last: what an interrupt saves
        saved = start
        deadline = None if self.seconds is None else self._started + self.seconds - self._resumed_seconds
        bar = tqdm(total=self.steps, initial=start, desc=self.desc, disable=not self.progress,
                   dynamic_ncols=True, leave=False)
        i = start
        try:
            while i < self.steps and (deadline is None or time.monotonic() < deadline):
                losses = step(i)
                if not all(math.isfinite(v) for v in losses.values()):
                    self.rollbacks += 1
                    if self.rollbacks > self.max_rollbacks:
                        raise DivergenceError(f"{self.desc}: non-finite loss {losses} at step {i} after "
                                              f"{self.max_rollbacks} rollbacks")
                    i = self._load_snapshot(good)
                    last = good
                    if self.on_rollback:
                        self.on_rollback(self.rollbacks)
                    bar.n = i
                    continue
                i += 1
                bar.update(1)
                if i % 25 == 0:
                    self.history.append({"step": i, **losses})
                    bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()})
                if i % self.checkpoint_every == 0:
                    good = last = self._snapshot(i)
                    self._save(good)
                    saved = i
                elif self.snapshot_every and self.checkpoint_path is not None and i % self.snapshot_every == 0:
                    last = self._snapshot(i)
        except BaseException:
            if last["step"] > saved:
                self._save(last)
            raise
        finally:
            bar.close()
        self._save(self._snapshot(i))
        return i

    @property
    def elapsed(self) -> float:
        """Seconds of training so far, resumed runs' included."""
        running = 0.0 if self._started is None else time.monotonic() - self._started
        return self._resumed_seconds + running

    def fraction_done(self, step: int) -> float:
        """How much of the budget is spent at ``step``, in [0, 1]: steps or seconds, whichever is further
        along (for schedules that must end with the budget, e.g. a learning-rate decay)."""
        done = step / self.steps
        if self.seconds is not None and self._started is not None:
            done = max(done, self.elapsed / self.seconds)
        return min(done, 1.0)

    def _snapshot(self, step: int) -> dict:
        return {"step": step, "elapsed": self.elapsed, "rollbacks": self.rollbacks, "history": list(self.history),
                **{k: copy.deepcopy(v.state_dict()) for k, v in self.state.items()}}

    def _load_snapshot(self, snap: dict) -> int:
        for k, v in self.state.items():
            v.load_state_dict(copy.deepcopy(snap[k]))
        # in place: the caller holds this list; a rollback drops the steps it repeats
        self.history[:] = snap.get("history", [])   # older checkpoints did not keep it
        return snap["step"]

    def _save(self, snap: dict) -> None:
        if self.checkpoint_path is not None:
            serialization.save_state(self.checkpoint_path, {**snap, "fingerprint": self.fingerprint})

    def _restore(self) -> int:
        path = self.checkpoint_path
        if path is None or not path.is_file():
            return 0
        snap = serialization.load_state(path)
        self._check_fingerprint(snap.get("fingerprint"))
        if snap["step"] > self.steps:
            raise ValueError(f"{path} holds a fit of {snap['step']} steps, more than steps={self.steps}: "
                             f"raise steps to continue it, or pass another checkpoint_dir")
        self._resumed_seconds = float(snap.get("elapsed", 0.0))  # older checkpoints did not record these
        self.rollbacks = int(snap.get("rollbacks", 0))
        return self._load_snapshot(snap)

    def _check_fingerprint(self, saved: dict | None) -> None:
        """Refuse to resume a checkpoint of another run (other data, settings or seed)."""
        if self.fingerprint is None or saved == _as_saved(self.fingerprint):
            return
        if saved is None:
            what = "it has no fingerprint to compare (written by an older version, or without one)"
        else:
            names = sorted(set(saved) | set(self.fingerprint))
            what = "; ".join(f"{k}: {_short(saved.get(k))} in the checkpoint, {_short(self.fingerprint.get(k))} now"
                             for k in names if saved.get(k) != self.fingerprint.get(k))
        raise ValueError(f"checkpoint_dir {str(self.checkpoint_dir)!r} holds a checkpoint of another fit ({what}); "
                         f"use a new checkpoint_dir, delete {str(self.checkpoint_path)!r}, or pass resume=False "
                         f"to start over and overwrite it")


def _as_saved(value):
    """``value`` as a checkpoint gives it back (a tuple as a list): what a saved fingerprint is compared with."""
    return serialization.unflatten_state(*serialization.flatten_state(value))


def _short(value, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
