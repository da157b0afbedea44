"""The contract every public augmenter keeps (README: "The interface"), run over the table in tests/cases."""
import inspect
import pickle

import pytest
import torch

import aad
from aad.base import Augmenter, NotFittedError
from tests.cases import all_cases

CASES = all_cases()
PUBLIC_MODULES = ["aad", "aad.image", "aad.text", "aad.audio"]


def public_augmenters() -> set[type]:
    found = set()
    for name in PUBLIC_MODULES:
        module = __import__(name, fromlist=["__all__"])
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) and issubclass(obj, Augmenter) and obj is not Augmenter:
                found.add(obj)
    return found


def ready(case, seed=0):
    """A fresh augmenter from the case, fitted when it learns, and its batch."""
    x, y = case.batch()
    augmenter = case.make(seed)
    if augmenter.learned:
        augmenter.fit(x, y)
    return augmenter, x, y


def same(a, b, tolerance=0.0) -> bool:
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and torch.allclose(a, b, atol=tolerance, rtol=0)
    return a == b


def copy_of(x):
    return x.clone() if isinstance(x, torch.Tensor) else list(x)


def test_every_public_augmenter_has_a_case():
    covered = {type(case.make(0)) for case in CASES}
    missing = {cls.__name__ for cls in public_augmenters()} - {cls.__name__ for cls in covered}
    assert not missing, f"add contract cases in tests/cases/ for: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
class TestContract:
    def test_same_seed_same_output(self, case):
        a, x, y = ready(case, seed=0)
        b, _, _ = ready(case, seed=0)
        assert same(a.augment(x, y), b.augment(x, y))
        assert same(a.augment(x, y), b.augment(x, y)), "streams must advance identically"

    def test_rng_override(self, case):
        a, x, y = ready(case, seed=0)
        a.augment(x, y)  # advance its own stream: rng= must not depend on it
        b, _, _ = ready(case, seed=0)
        assert same(a.augment(x, y, rng=5), b.augment(x, y, rng=5))
        g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
        assert same(a.augment(x, y, rng=g1), a.augment(x, y, rng=g2))
        if case.random:
            assert not same(a.augment(x, y, rng=1), a.augment(x, y, rng=2))

    def test_seed_drives_the_fit(self, case):
        a, x, y = ready(case, seed=0)
        if not (a.learned and case.random):
            pytest.skip("nothing learned")
        b, _, _ = ready(case, seed=1)
        assert not same(a.augment(x, y, rng=5), b.augment(x, y, rng=5)), "another seed, another model"

    def test_fit_names_a_negative_label(self, case):
        augmenter, (x, y) = case.make(0), case.batch()
        if not augmenter.learned or y is None:
            pytest.skip("learns nothing from labels")
        y = y.clone()
        y[0] = -1
        with pytest.raises(ValueError, match=r"y must hold class indices >= 0 .*got label -1"):
            augmenter.fit(x, y)

    def test_stream_advances(self, case):
        if not case.random:
            pytest.skip("deterministic augmenter")
        a, x, y = ready(case)
        assert not same(a.augment(x, y), a.augment(x, y))

    def test_input_not_modified(self, case):
        a, x, y = ready(case)
        x0, y0 = copy_of(x), None if y is None else y.clone()
        a.augment(x, y)
        assert same(x, x0) and (y is None or torch.equal(y, y0))

    def test_type_length_dtype_device_kept(self, case):
        a, x, y = ready(case)
        out = a.augment(x, y)
        assert type(out) is type(x) and len(out) == len(x)
        if isinstance(x, torch.Tensor):
            assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device
            assert torch.isfinite(out).all()
            if out.dim() == 4:   # images stay in [0, 1]
                assert 0 <= out.min() and out.max() <= 1
        else:
            assert all(isinstance(t, str) for t in out)

    def test_clone_gives_same_output(self, case):
        a, x, y = ready(case)
        b = a.clone()
        assert b is not a and b.get_params().keys() == a.get_params().keys()
        if b.learned:
            assert not b.is_fitted()
            b.fit(x, y)
        assert same(a.augment(x, y, rng=3), b.augment(x, y, rng=3), case.tolerance)

    def test_save_load_gives_same_output(self, case, tmp_path):
        a, x, y = ready(case)
        if "unsaveable" in case.tags:   # an adapter around a foreign object may refuse, but must say so
            with pytest.raises(TypeError, match="cannot be saved"):
                a.save(tmp_path / "aug")
            return
        a.save(tmp_path / "aug")
        b = Augmenter.load(tmp_path / "aug")
        assert type(b) is type(a)
        assert same(a.augment(x, y, rng=3), b.augment(x, y, rng=3), case.tolerance)
        if a.generative:
            assert same(a.generate(y, rng=3), b.generate(y, rng=3), case.tolerance)
        weights = tmp_path / "aug" / "model.safetensors"
        if weights.is_file():
            weights.write_bytes(weights.read_bytes()[:100])   # cut short: named, not a safetensors dump
            with pytest.raises(ValueError, match="model.safetensors is not a readable"):
                Augmenter.load(tmp_path / "aug")
            weights.unlink()
            with pytest.raises(FileNotFoundError, match="model.safetensors is missing"):
                Augmenter.load(tmp_path / "aug")
            a.save(tmp_path / "aug")
            case.make(0).save(tmp_path / "aug")   # unfitted over fitted: the old weights must go
            assert not weights.exists() and not Augmenter.load(tmp_path / "aug").is_fitted()

    def test_pickle_keeps_stream(self, case):
        a, x, y = ready(case)
        b = pickle.loads(pickle.dumps(a))
        assert same(a.augment(x, y), b.augment(x, y), case.tolerance)

    def test_generate(self, case):
        a, x, y = ready(case)
        if not a.generative:
            with pytest.raises(TypeError, match="not generative"):
                a.generate(y)
            return
        out = a.generate(y)
        assert type(out) is type(x) and len(out) == len(y)
        if isinstance(x, torch.Tensor):
            assert out.shape[1:] == x.shape[1:] and out.dtype == x.dtype
        unfitted = case.make(0)
        with pytest.raises(NotFittedError, match="fit"):
            unfitted.generate(y)

    def test_rejects_wrong_type(self, case):
        a, _, y = ready(case)
        with pytest.raises(TypeError):
            a.augment(42, y)


def test_package_exports_version():
    assert aad.__version__
