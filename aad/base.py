"""The Augmenter contract shared by every transform and generator (README: "The interface").

Subclasses store their constructor arguments under the same names and implement small hooks:
``_augment(x, y, g)``, and for learned ones ``_fit(x, y)``, ``_generate(y, g)``,
``_get_state()`` / ``_set_state(meta, tensors)``. Validation, seeding and persistence live here.
"""
from __future__ import annotations

import copy
import importlib
import inspect
import os
import uuid
from pathlib import Path
from typing import Any, ClassVar

import torch

from aad import serialization
from aad.checks import (
    check_batch,
    check_class_indices,
    check_device,
    check_labels,
    check_path,
    infer_modality,
)
from aad.seeding import (
    as_generator,
    check_seed,
    derive_seed,
    generator_from_state,
    generator_state,
    make_generator,
)

# Every Augmenter subclass, by "module:qualname"; ``load`` only builds classes found here.
REGISTRY: dict[str, type[Augmenter]] = {}
# Modules ``load`` may import to find a saved class: the package's own, never a name from the file.
_LOADABLE_MODULES = ("aad", "aad.image", "aad.text", "aad.audio")
WEIGHTS = "model.safetensors"   # beside config.json in a saved folder


class NotFittedError(RuntimeError):
    """A learned augmenter was used before ``fit``."""


class Augmenter:
    modality: ClassVar[str] = ""          # "image" | "text" | "audio"
    generative: ClassVar[bool] = False    # can make new samples for requested labels
    learned: ClassVar[bool] = False       # needs fit() before use

    seed: int | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        REGISTRY[f"{cls.__module__}:{cls.__qualname__}"] = cls

    # ---- parameters ---------------------------------------------------------------------------
    @classmethod
    def _param_defaults(cls) -> dict[str, Any]:
        """Constructor parameters and their defaults (``inspect.Parameter.empty``: none, required)."""
        sig = inspect.signature(cls.__init__)
        return {p.name: p.default for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}

    @classmethod
    def _param_names(cls) -> list[str]:
        return list(cls._param_defaults())

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> Augmenter:
        valid = self._param_names()
        for name in params:
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; valid: {valid}")
        if "device" in params and self.is_fitted():
            self._move_fitted(check_device(params["device"]))
        for name, value in params.items():
            setattr(self, name, value)
        if "seed" in params:
            self._rng = None
        return self

    def _move_fitted(self, device: torch.device) -> None:
        """Move the fitted networks and tensors (attributes ending in ``_``) to ``device``: sampling runs
        where the networks are, so ``set_params(device=...)`` after a fit must take them along."""
        for name, value in list(vars(self).items()):
            if name.endswith("_") and isinstance(value, (torch.nn.Module, torch.Tensor)):
                setattr(self, name, value.to(device))

    def clone(self) -> Augmenter:
        """A new, unfitted augmenter with the same parameters and a fresh stream from the same seed."""
        return type(self)(**{k: _clone_value(v) for k, v in self.get_params().items()})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- randomness ---------------------------------------------------------------------------
    def generator(self, rng=None) -> torch.Generator:
        """``rng`` when given (a Generator, or an int seed), else this augmenter's own stream."""
        if rng is not None:
            return as_generator(rng)
        if getattr(self, "_rng", None) is None:
            self._rng = make_generator(self.sampling_seed(self.seed))
        return self._rng

    def sampling_seed(self, seed: int | None) -> int | None:
        """The seed of the samples' stream that ``seed`` gives this augmenter (None stays None): mixed
        with the class name, so a flip and an erasing both seeded 0 do not pick the same samples."""
        return None if seed is None else derive_seed(check_seed(seed), type(self).__name__, "augment")

    def fit_generator(self) -> torch.Generator:
        """The stream a fit draws from (initial weights, batches, noise): derived from ``seed`` and
        apart from the sampling stream, so the same data and seed give the same model."""
        return make_generator(None if self.seed is None else derive_seed(self.seed, type(self).__name__, "fit"))

    def reseed(self, seed: int | None) -> Augmenter:
        """Restart this augmenter's own stream without changing ``seed``."""
        self._rng = make_generator(self.sampling_seed(seed))
        return self

    def __getstate__(self):
        # torch.Generator does not pickle; keep its state so DataLoader workers can be spawned.
        state = self.__dict__.copy()
        rng = state.pop("_rng", None)
        state["_rng_state"] = generator_state(rng)
        return state

    def __setstate__(self, state):
        rng_state = state.pop("_rng_state", None)
        self.__dict__.update(state)
        self._rng = generator_from_state(rng_state)

    # ---- the contract -------------------------------------------------------------------------
    def fit(self, x, y=None) -> Augmenter:
        """Learn from data; fixed transforms return ``self`` unchanged."""
        if not self.learned:
            return self
        if self.seed is not None:   # before a long fit, not at the first augment after it
            check_seed(self.seed)
        x = self._check_x(x)
        if isinstance(x, torch.Tensor):   # a fit learns from the data, never into it: a graph would be
            x = x.detach()                # backpropagated through again at every training step
        y = None if y is None else check_class_indices(check_labels(y, len(x)))
        self._fit(x, y)
        return self

    def augment(self, x, y=None, *, rng=None):
        """One output per input, of the same type, length and device; labels are kept."""
        given = x
        x = self._check_x(x)
        if y is not None:
            y = check_labels(y, len(x), self._num_classes())
        self._check_fitted()
        out = self._augment(x, y, self.generator(rng))
        return tuple(out) if isinstance(given, tuple) and isinstance(out, list) else out   # texts in a tuple

    __call__ = augment

    def generate(self, y, *, rng=None):
        """One new sample per requested label (generative augmenters only)."""
        if not self.generative:
            raise TypeError(f"{type(self).__name__} is not generative; use augment(x, y)")
        self._check_fitted()
        y = check_labels(y, None, self._num_classes())
        if len(y) == 0:
            raise ValueError("y is empty: request at least one label")
        return self._generate(y, self.generator(rng))

    def is_fitted(self) -> bool:
        return not self.learned or any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    # ---- hooks for subclasses -----------------------------------------------------------------
    def _augment(self, x, y, g: torch.Generator):
        raise NotImplementedError

    def _fit(self, x, y) -> None:
        raise NotImplementedError

    def _generate(self, y: torch.Tensor, g: torch.Generator):
        raise NotImplementedError

    def _num_classes(self) -> int | None:
        """Known number of classes (learned conditional models), to range-check labels."""
        return None

    def _get_state(self) -> tuple[dict, dict[str, torch.Tensor]]:
        """Fitted state as (JSON metadata, named tensors)."""
        return {}, {}

    def _set_state(self, meta: dict, tensors: dict[str, torch.Tensor]) -> None:
        pass

    # ---- helpers ------------------------------------------------------------------------------
    def _check_x(self, x):
        return check_batch(x, modality_of(self) or infer_modality(x))   # None: any batch, by its type

    def _check_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(x, y) first")

    # ---- persistence --------------------------------------------------------------------------
    def to_config(self) -> dict:
        cls = type(self)
        return {"class": f"{cls.__module__}:{cls.__qualname__}",
                "params": {k: _encode(v, k) for k, v in self.get_params().items()}}

    def save(self, path: str | Path) -> None:
        """Write ``config.json`` (+ ``model.safetensors`` for fitted state) into folder ``path``."""
        path = check_path(path, "path")
        _check_save_folder(path)
        meta, tensors = self._get_state() if self.is_fitted() else ({}, {})
        # the config names its weights file by a fresh tag, and the weights file carries the config: a
        # re-save cut short between the two writes loads as one whole save (the new one, or an unfitted
        # old one), never as a mix of both
        tag = uuid.uuid4().hex if tensors else None
        config = {**self.to_config(), "fitted": self.is_fitted() and self.learned, "state": meta,
                  "weights": bool(tensors), "weights_tag": tag}
        weights = path / WEIGHTS
        if tensors:
            serialization.save_state(weights, tensors, tag=tag, config=config)
            serialization.write_json(path / "config.json", config)
        else:  # config first: cut short before the unlink, this save loads and ignores the old weights
            serialization.write_json(path / "config.json", config)
            weights.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | Path, **overrides) -> Augmenter:
        """Rebuild a saved augmenter; ``overrides`` replace saved parameters (e.g. ``device="cpu"``) in
        every augmenter of the saved tree that takes them, a composition's children included."""
        path = check_path(path, "path")
        config = _read_config(path)
        obj = from_config(config, **overrides)
        if not isinstance(obj, cls):
            raise TypeError(f"{path} holds a {type(obj).__name__}, not a {cls.__name__}")
        if config.get("fitted"):
            weights = path / WEIGHTS
            if config.get("weights") and not weights.is_file():
                raise FileNotFoundError(f"{weights} is missing: {path} was saved fitted, with its weights there")
            tag = config.get("weights_tag")   # saves before the tag have none
            # a legacy save has no "weights" key; one that says False must not read a file left there
            tensors = serialization.load_state(weights, tag=tag) \
                if config.get("weights", True) and weights.is_file() else {}
            try:
                obj._set_state(config.get("state", {}), tensors)
            except KeyError as e:   # a hand-edited or foreign file, not one save wrote
                raise ValueError(f"{path} is not a complete save: its state lacks {e}") from None
            except RuntimeError as e:   # weights of other shapes than its (hand-edited) config builds
                if "loading state_dict" not in str(e):
                    raise
                raise ValueError(f"{path} is not a consistent save: its weights do not fit the networks its "
                                 f"config.json describes ({str(e).splitlines()[-1].strip()})") from None
        return obj


def modality_of(augmenter: Augmenter) -> str | None:
    """The modality ``augmenter`` takes (None: any batch); a subclass that set none is named."""
    if augmenter.modality == "":
        raise TypeError(f"{type(augmenter).__name__} sets no modality: an Augmenter subclass must set "
                        f"modality = 'image', 'text' or 'audio' (or None for any batch)")
    return augmenter.modality


def resolve_class(name: str) -> type[Augmenter]:
    if name not in REGISTRY:
        module = name.split(":")[0]
        if module.split(".")[0] == "aad":
            for candidate in _LOADABLE_MODULES:  # importing our own packages registers their classes
                if module == candidate or module.startswith(candidate + "."):
                    importlib.import_module(candidate)
    if name not in REGISTRY:
        raise ValueError(f"unknown augmenter class {name!r}: import the module that defines it first")
    return REGISTRY[name]


def _check_save_folder(path: Path) -> None:
    """A save goes into a folder of its own: not onto a file, and not over another tool's
    ``config.json`` and ``model.safetensors`` (a Hugging Face model folder uses the same names)."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"path {str(path)!r} is a file: Augmenter.save writes a folder")
    if (path / "config.json").is_file():
        try:
            _read_config_json(path)
        except ValueError as e:
            raise ValueError(f"{e}; {str(path)!r} holds another tool's files, which a save would replace: "
                             f"save into another folder") from None


def _read_config(path: Path) -> dict:
    """The config of the save in folder ``path``: its ``config.json``, checked to be one ``save`` wrote,
    or the newer config its weights file carries."""
    config = _read_config_json(path)
    if not config.get("weights"):
        return config
    tag, carried = serialization.read_config(path / WEIGHTS)
    # weights are written first: a tag other than config.json's means a re-save stopped between its writes
    if tag != config.get("weights_tag") and _is_config(carried) and carried.get("weights_tag") == tag:
        return carried
    return config


def _read_config_json(path: Path) -> dict:
    """The ``config.json`` in folder ``path``, checked to be one ``save`` wrote."""
    file = path / "config.json"
    if path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is a file: pass the folder a save wrote ({str(path.parent)!r})")
    if not file.is_file():
        raise FileNotFoundError(f"path {str(path)!r} holds no config.json: not a saved augmenter")
    try:
        config = serialization.read_json(file)
    except ValueError as e:  # not JSON, or not UTF-8
        raise ValueError(f"{file} is not an aad augmenter config: {e}") from None
    if not _is_config(config):
        raise ValueError(
            f"{file} is not an aad augmenter config: it lacks the 'class' and 'params' that Augmenter.save "
            f"writes (is {str(path)!r} another tool's folder?)")
    return config


def _is_config(config) -> bool:
    return isinstance(config, dict) and isinstance(config.get("class"), str) and isinstance(config.get("params"), dict)


def from_config(config: dict, **overrides) -> Augmenter:
    """The augmenter ``config`` describes. Each override replaces that parameter in the outermost
    augmenters that take it: ``device="cpu"`` reaches a GAN inside a ``Compose``, while ``seed=`` stays
    the composition's (its children keep streams of their own). ``device`` is accepted where no
    augmenter takes it: transforms run where their input is, so generic loading code need not ask."""
    names: set[str] = set()
    obj = _build(config, overrides, names)
    unknown = sorted(set(overrides) - names - {"device"})
    if unknown:
        raise ValueError(f"override(s) {unknown} are parameters of no augmenter in this config; "
                         f"valid: {sorted(names)}")
    return obj


def _build(config: dict, overrides: dict, names: set[str]) -> Augmenter:
    """``config``'s augmenter with the overrides it takes; the others go on to its nested augmenters.
    Adds the parameter names of each to ``names``."""
    if not _is_config(config):   # a hand-edited or truncated file: say so, not KeyError 'params'
        raise ValueError(f"an augmenter config must be a dict with the 'class' and 'params' Augmenter.save "
                         f"writes, got {config!r:.120}")
    cls = resolve_class(config["class"])
    names.update(cls._param_names())
    own = {k: v for k, v in overrides.items() if k in cls._param_names()}
    inner = {k: v for k, v in overrides.items() if k not in own}
    params = {k: _decode(v, inner, names) for k, v in config["params"].items()}
    stale = sorted(set(params) - set(cls._param_names()))
    if stale:   # a save of an older version, or a hand-edited file
        raise ValueError(f"the config of {cls.__name__} has parameter(s) {stale} that it does not take "
                         f"(saved by another version of aad?); valid: {cls._param_names()}")
    return cls(**{**params, **own})


def _encode(value, name: str):
    if isinstance(value, Augmenter):
        return {"__augmenter__": value.to_config()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v, name) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fsdecode(value)   # checkpoint_dir=pathlib.Path(...): the same folder, as a string
    if serialization.is_numpy_scalar(value):
        return value.item()   # e.g. np.float32(0.8)
    raise TypeError(f"parameter {name!r} of type {type(value).__name__} cannot be saved to config.json")


def _decode(value, overrides: dict, names: set[str]):
    if isinstance(value, dict) and "__augmenter__" in value:
        return _build(value["__augmenter__"], overrides, names)
    if isinstance(value, list):
        return [_decode(v, overrides, names) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v, overrides, names) for k, v in value.items()}
    return value


def _clone_value(value):
    if isinstance(value, Augmenter):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_clone_value(v) for v in value)
    return copy.deepcopy(value)
