"""Safe persistence: JSON configs and safetensors weights, written atomically, never pickled."""
from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

_TENSOR = "__tensor__"


@functools.cache
def _umask() -> int:
    """The process's umask. Read once: it can only be read by setting it, and another thread creating
    a file in between would get mode 0o666."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def new_mode(directory: bool = False) -> int:
    """The mode ``open()`` gives a new file (0o666), or ``mkdir()`` a new folder (0o777), less the umask:
    for what ``tempfile`` made private (0o600, 0o700) before it takes its final name."""
    return (0o777 if directory else 0o666) & ~_umask()


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(tmp_path)`` and move the result over ``path``: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, new_mode())  # mkstemp's 0o600 would hide saved models from the rest of a group
        _sync(tmp)   # on disk before the name points at it: after a power cut, the old file or the new
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync(path.parent, directory=True)   # the rename itself


def _sync(path, directory: bool = False) -> None:
    """fsync a file or folder; where the system cannot (a folder on Windows), nothing."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_numpy_scalar(value) -> bool:
    """A numpy number such as ``np.float32(0.8)``, whose ``item()`` is the Python number to store."""
    return type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(value, "item")


def write_json(path: str | Path, obj: Any) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(obj, indent=2) + "\n"))


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def flatten_state(obj: Any, prefix: str = "") -> tuple[Any, dict[str, torch.Tensor]]:
    """Split a nested state (dicts, lists, tensors, numbers) into a JSON skeleton and named tensors.

    Works for module and optimizer ``state_dict()``s alike; keys become strings in the skeleton.
    """
    tensors: dict[str, torch.Tensor] = {}

    def walk(value, key):
        if isinstance(value, torch.Tensor):
            if key in tensors:   # {"a": {"b": t}} and {"a.b": t} name the same tensor: one would be lost
                raise ValueError(f"cannot save state: two entries have the name {key!r}")
            tensors[key] = value.detach().cpu().contiguous()
            return {_TENSOR: key}
        if isinstance(value, dict):
            return {"__dict__": [[k, walk(v, f"{key}.{k}")] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{key}.{i}") for i, v in enumerate(value)]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if is_numpy_scalar(value):
            return value.item()   # e.g. an optimizer's lr=np.float32(2e-3)
        raise TypeError(f"cannot save state entry {key!r} of type {type(value).__name__}")

    return walk(obj, prefix or "state"), tensors


def unflatten_state(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(skeleton, dict) and _TENSOR in skeleton:
        return tensors[skeleton[_TENSOR]]
    if isinstance(skeleton, dict) and "__dict__" in skeleton:
        return {k: unflatten_state(v, tensors) for k, v in skeleton["__dict__"]}
    if isinstance(skeleton, list):
        return [unflatten_state(v, tensors) for v in skeleton]
    return skeleton


def save_state(path: str | Path, state: Any, tag: str | None = None, config: dict | None = None) -> None:
    """Write a nested state to one safetensors file (skeleton in its metadata), atomically.
    ``tag`` is stored beside it, for a config written next to the file to name the file it belongs to;
    ``config``, a JSON dict, is stored too (read it back with ``read_config``)."""
    skeleton, tensors = flatten_state(state)
    # safetensors refuses tensors that share memory; cloning is cheap at our model sizes.
    tensors = {k: v.clone() for k, v in tensors.items()}
    metadata = {"skeleton": json.dumps(skeleton), **({"tag": tag} if tag is not None else {}),
                **({"config": json.dumps(config)} if config is not None else {})}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def read_config(path: str | Path) -> tuple[str | None, dict | None]:
    """The (tag, config) a ``save_state`` file carries; (None, None) for a file that carries none or
    cannot be read (``load_state`` says what is wrong with it)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        config = json.loads(metadata["config"]) if "config" in metadata else None
    except (SafetensorError, OSError, TypeError, json.JSONDecodeError):
        return None, None
    return metadata.get("tag"), config


def load_state(path: str | Path, device: str | torch.device = "cpu", tag: str | None = None) -> Any:
    """Read a file written by ``save_state``; no code from the file is ever run. With ``tag``, the file
    must carry that tag: a save interrupted between its two files leaves one of the other save."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata()
            skeleton = json.loads(metadata["skeleton"])
        tensors = load_file(str(path), device=str(device))
    except (SafetensorError, KeyError, TypeError, json.JSONDecodeError) as e:   # cut short, or not ours
        raise ValueError(f"{path} is not a readable aad state file ({type(e).__name__}: {e})") from e
    if tag is not None and metadata.get("tag") != tag:
        raise ValueError(f"{path} belongs to another save than the config.json beside it (was a save "
                         f"interrupted?): save the augmenter again")
    return unflatten_state(skeleton, tensors)


def strip_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries of ``tensors`` whose keys start with ``prefix``, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def load_module(module: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str, device) -> torch.nn.Module:
    """``module`` with the weights stored under ``prefix``, on ``device``, in eval mode and frozen."""
    module.load_state_dict(strip_prefix(tensors, prefix))
    return module.to(device).eval().requires_grad_(False)
