"""Datasets for AAD: packaged real and synthesized sets (``load``, ``catalog``), your own folders and
CSV files (``from_folder``, ``from_csv``, or ``load(path)``), and the ``Dataset`` type with splits and
k-shot subsets.

Heavy libraries (mlxtend, scikit-learn, soundfile, PIL) load only inside the loaders that need them.
"""
from aad.data.augmented import AugmentCollate, AugmentedDataset, PlainDataset
from aad.data.dataset import Dataset
from aad.data.folders import from_csv, from_folder, from_path
from aad.data.registry import DATASETS, DatasetInfo, DatasetNotInstalled, catalog, format_table, load

__all__ = [
           "DATASETS",
           "AugmentCollate",
           "AugmentedDataset",
           "Dataset",
           "DatasetInfo",
           "DatasetNotInstalled",
           "PlainDataset",
           "catalog",
           "format_table",
           "from_csv",
           "from_folder",
           "from_path",
           "load",
]
