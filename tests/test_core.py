"""Core mechanics beyond the per-augmenter contract: params, persistence safety, compositions."""
import json
import re

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from aad import Compose, Identity, OneOf, Sometimes, serialization
from aad.base import Augmenter, NotFittedError
from aad.checks import check_audio, check_device, check_images, check_labels, check_texts
from tests.cases import image_batch
from tests.cases.core import AddNoise


class Memorizer(Augmenter):
    """Test-only learned generator: 'generates' the per-class mean image plus noise."""

    modality = "image"
    generative = True
    learned = True

    def __init__(self, noise: float = 0.05, seed=None):
        self.noise = noise
        self.seed = seed

    def _fit(self, x, y):
        self.means_ = torch.stack([x[y == c].mean(0) for c in range(int(y.max()) + 1)])

    def _num_classes(self):
        return len(self.means_) if hasattr(self, "means_") else None

    def _generate(self, y, g):
        return (self.means_[y] + self.noise * torch.randn(self.means_[y].shape, generator=g)).clamp(0, 1)

    def _augment(self, x, y, g):
        return self._generate(y, g)

    def _get_state(self):
        return {"classes": len(self.means_)}, {"means": self.means_}

    def _set_state(self, meta, tensors):
        self.means_ = tensors["means"]
        assert meta["classes"] == len(self.means_)


class RandomFit(Augmenter):
    """Test-only learned augmenter whose fit draws one number from its fit stream; that number is its
    whole fitted state, JSON only: its saves have no weights file."""

    modality = "image"
    learned = True

    def __init__(self, seed=None):
        self.seed = seed

    def _fit(self, x, y):
        self.draw_ = float(torch.rand((), generator=self.fit_generator()))

    def _augment(self, x, y, g):
        return x.clone()

    def _get_state(self):
        return {"draw": self.draw_}, {}

    def _set_state(self, meta, tensors):
        assert not tensors, f"read weights of another save: {sorted(tensors)}"
        self.draw_ = meta["draw"]


def test_params_round_trip_and_unknown_param():
    a = AddNoise(scale=0.3, seed=4)
    assert a.get_params() == {"scale": 0.3, "seed": 4}
    assert a.set_params(scale=0.1).scale == 0.1
    with pytest.raises(ValueError, match="no parameter 'sigma'"):
        a.set_params(sigma=1)


def test_learned_augmenter_requires_fit_and_checks_labels(tmp_path):
    x, y = image_batch()
    m = Memorizer(seed=0)
    with pytest.raises(NotFittedError, match="call fit"):
        m.generate(torch.tensor([0]))
    m.fit(x, y)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\]"):
        m.generate(torch.tensor([5]))
    with pytest.raises(ValueError, match="empty"):
        m.generate(torch.tensor([], dtype=torch.long))
    m.save(tmp_path / "m")
    loaded = Augmenter.load(tmp_path / "m")
    assert torch.equal(loaded.means_, m.means_)
    assert torch.equal(loaded.generate(y, rng=1), m.generate(y, rng=1))


def test_unfitted_save_loads_unfitted(tmp_path):
    Memorizer(noise=0.2).save(tmp_path / "m")
    loaded = Augmenter.load(tmp_path / "m")
    assert not loaded.is_fitted() and loaded.noise == 0.2


def test_load_refuses_unknown_classes_and_never_imports_foreign_modules(tmp_path):
    (tmp_path / "evil").mkdir()
    config = {"class": "os:system", "params": {}}
    (tmp_path / "evil" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="unknown augmenter class 'os:system'"):
        Augmenter.load(tmp_path / "evil")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        Augmenter.load(tmp_path / "missing")


def test_load_checks_requested_type(tmp_path):
    Identity().save(tmp_path / "i")
    with pytest.raises(TypeError, match="holds a Identity, not a Compose"):
        Compose.load(tmp_path / "i")


def test_load_overrides_parameters(tmp_path):
    AddNoise(scale=0.3).save(tmp_path / "a")
    assert Augmenter.load(tmp_path / "a", scale=0.5).scale == 0.5


def test_load_names_a_config_json_another_tool_wrote(tmp_path):
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json")
    for name in ("bert", "broken"):
        file = tmp_path / name / "config.json"
        with pytest.raises(ValueError, match=re.escape(f"{file} is not an aad augmenter config")):
            Augmenter.load(tmp_path / name)


def test_load_overrides_reach_nested_augmenters(tmp_path):
    x, y = image_batch()
    Compose([Memorizer(noise=0.1), Sometimes(AddNoise(0.2))], seed=0).fit(x, y).save(tmp_path / "p")
    loaded = Augmenter.load(tmp_path / "p", noise=0.0, scale=0.5, seed=1)
    assert loaded.augmenters[0].noise == 0.0 and loaded.augmenters[1].augmenter.scale == 0.5
    assert loaded.seed == 1 and loaded.augmenters[0].seed is None, "the outermost that takes it"
    assert loaded.is_fitted()
    with pytest.raises(ValueError, match=r"override\(s\) \['sigma'\] are parameters of no augmenter"):
        Augmenter.load(tmp_path / "p", sigma=1.0)


def test_load_on_a_device_accepts_saves_that_hold_no_device(tmp_path):
    x, y = image_batch()
    Compose([AddNoise(0.2), AddNoise(0.1)], seed=0).save(tmp_path / "p")
    loaded = Augmenter.load(tmp_path / "p", device="cpu")   # generic loading code: transforms follow x
    assert torch.equal(loaded.augment(x, y, rng=0), Augmenter.load(tmp_path / "p").augment(x, y, rng=0))


def test_nested_composition_saves_children_and_their_state(tmp_path):
    x, y = image_batch()
    pipeline = Compose([Memorizer(), Sometimes(AddNoise(0.2), p=0.5)], seed=0).fit(x, y)
    assert pipeline.generative and pipeline.is_fitted()
    pipeline.save(tmp_path / "p")
    loaded = Augmenter.load(tmp_path / "p")
    assert isinstance(loaded.augmenters[1], Sometimes)
    assert torch.equal(loaded.generate(y, rng=2), pipeline.generate(y, rng=2))


def test_compose_rejects_mixed_modalities():
    class Text(Augmenter):
        modality = "text"

        def __init__(self, seed=None):
            self.seed = seed

    with pytest.raises(ValueError, match="mixes modalities"):
        Compose([AddNoise(), Text()]).augment(image_batch()[0])


def test_oneof_choice_is_per_sample():
    x = torch.zeros(200, 1, 4, 4)
    out = OneOf([AddNoise(0.5), Identity()], seed=0).augment(x)
    changed = (out != 0).flatten(1).any(1)
    assert 60 < int(changed.sum()) < 140  # about half of the samples, not all or none


def test_oneof_weights_too_large_to_sum_still_pick_evenly():
    x = torch.zeros(200, 1, 4, 4)
    changed = (OneOf([AddNoise(0.5), Identity()], weights=[1e308, 1e308], seed=0).augment(x) != 0).flatten(1).any(1)
    assert 60 < int(changed.sum()) < 140   # their sum is inf: "invalid multinomial distribution"


def test_oneof_weights_validated():
    with pytest.raises(ValueError, match="weights must be 2 non-negative"):
        OneOf([AddNoise(), Identity()], weights=[1, -1]).augment(image_batch()[0])


def test_sometimes_probability_edges():
    x = torch.zeros(50, 1, 4, 4)
    assert torch.equal(Sometimes(AddNoise(0.5), p=0.0, seed=0).augment(x), x)
    assert (Sometimes(AddNoise(0.5), p=1.0, seed=0).augment(x) != 0).flatten(1).any(1).all()
    with pytest.raises(ValueError, match=r"p must be in \[0.0, 1.0\]"):
        Sometimes(AddNoise(), p=1.5).augment(x)


class ScaleShift(Augmenter):
    """Test-only, deterministic: ``x * scale + shift``, so a composition's output can be pinned."""

    modality = "image"

    def __init__(self, scale: float = 1.0, shift: float = 0.0, seed=None):
        self.scale = scale
        self.shift = shift
        self.seed = seed

    def _augment(self, x, y, g):
        return x * self.scale + self.shift


def test_compose_applies_every_child_in_order():
    x = image_batch()[0] * 0.4   # every step stays in [0, 1], where images must be
    assert torch.allclose(Compose([ScaleShift(shift=0.1), ScaleShift(scale=2.0)]).augment(x), (x + 0.1) * 2)
    assert torch.allclose(Compose([ScaleShift(scale=2.0), ScaleShift(shift=0.1)]).augment(x), x * 2 + 0.1)


def test_compose_passes_generated_samples_through_the_rest():
    x, y = image_batch()
    pipeline = Compose([Memorizer(noise=0.0), ScaleShift(scale=2.0)]).fit(x, y)
    assert torch.allclose(pipeline.generate(y, rng=0), pipeline.augmenters[0].means_[y] * 2)


def test_identity_returns_a_copy_of_its_input():
    x, _ = image_batch()
    out = Identity().augment(x)
    assert torch.equal(out, x) and out.data_ptr() != x.data_ptr()
    texts = ["a b", "c"]
    assert Identity(modality="text").augment(texts) == texts


def test_sometimes_changes_about_p_of_the_samples_and_leaves_the_rest_alone():
    x = torch.rand(200, 1, 4, 4) / 2
    out = Sometimes(ScaleShift(shift=0.5), p=0.5, seed=0).augment(x)
    changed = (out != x).flatten(1).any(1)
    assert 60 < int(changed.sum()) < 140
    assert torch.allclose(out[changed], x[changed] + 0.5) and torch.equal(out[~changed], x[~changed])


def test_composition_children_draw_from_its_stream():
    x, _ = image_batch()
    a = Compose([AddNoise(seed=1)], seed=0).augment(x)
    b = Compose([AddNoise(seed=2)], seed=0).augment(x)
    assert torch.equal(a, b)


def test_one_seed_fixes_the_fit_of_children_without_their_own():
    x, y = image_batch()

    def draws(*children, seed=0):
        pipeline = Compose(list(children), seed=seed).fit(x, y)
        return [child.draw_ for child in pipeline.augmenters]

    first, second = RandomFit(), RandomFit()
    assert draws(first, second) == draws(RandomFit(), RandomFit())
    assert first.seed is None and second.seed is None, "the children's parameters are left as they were"
    assert len(set(draws(first, second))) == 2, "each child has its own stream"
    assert draws(RandomFit(), seed=1) != draws(RandomFit(), seed=0)
    assert draws(RandomFit(seed=5)) == [RandomFit(seed=5).fit(x, y).draw_], "a child's own seed is kept"
    nested = [Compose([Sometimes(RandomFit())], seed=0).fit(x, y) for _ in range(2)]
    assert nested[0].augmenters[0].augmenter.draw_ == nested[1].augmenters[0].augmenter.draw_


@pytest.mark.parametrize("bad, match", [
    (torch.rand(2, 3, 4), r"\[B, C, H, W\]"),
    (torch.zeros(0, 1, 4, 4), "empty batch"),
    (torch.full((1, 1, 2, 2), 2.0), r"in \[0, 1\]"),
    (torch.full((1, 1, 2, 2), float("nan")), "NaN"),
    (torch.zeros(2, 1, 0, 5), "height and width >= 1"),
    (torch.zeros(2, 0, 4, 4), "channels"),
])
def test_image_checks(bad, match):
    with pytest.raises(ValueError, match=match):
        check_images(bad)


def test_type_errors_name_the_argument():
    import numpy as np

    with pytest.raises(TypeError, match="x must be a torch.Tensor.*from_numpy"):
        check_images(np.zeros((1, 1, 2, 2)))
    with pytest.raises(TypeError, match="float tensor"):
        check_images(torch.zeros(1, 1, 2, 2, dtype=torch.uint8))
    with pytest.raises(TypeError, match="/ 32768 for PCM"):
        check_audio(torch.zeros(1, 100, dtype=torch.int16))
    with pytest.raises(TypeError, match=r"x\[1\] must be a str"):
        check_texts(["ok", None])
    with pytest.raises(TypeError, match="list of strings"):
        check_texts("just one string")
    with pytest.raises(TypeError, match="y must be an integer tensor"):
        check_labels(torch.zeros(2), 2)
    with pytest.raises(ValueError, match="y has 3 labels for a batch of 2"):
        check_labels(torch.zeros(3, dtype=torch.long), 2)


def test_audio_checks_minimum_length():
    with pytest.raises(ValueError, match="at least 512"):
        check_audio(torch.zeros(2, 100), min_length=512)


def test_identity_names_an_unknown_modality():
    with pytest.raises(ValueError, match=r"modality must be one of \['audio', 'image', 'text'\] or None"):
        Identity(modality="images").augment(image_batch()[0])
    for composite in (Compose, OneOf):   # was a bare KeyError 'images'
        with pytest.raises(ValueError, match=r"modality must be one of \['audio', 'image', 'text'\], got 'images'"):
            composite([Identity(modality="images")]).augment(image_batch()[0])


def test_oneof_weights_that_are_no_numbers_are_named():
    for weights in ([1, "a"], [[1], [2, 3]], "ab"):
        with pytest.raises(ValueError, match="weights must be 2 non-negative numbers"):
            OneOf([AddNoise(), Identity()], weights=weights).augment(image_batch()[0])


def _save_cut_short_after_the_weights(augmenter, path, monkeypatch):
    """``augmenter.save(path)`` stopped (a kill, a full disk) before it wrote config.json."""
    def stop(*args):
        raise KeyboardInterrupt
    with monkeypatch.context() as m:
        m.setattr(serialization, "write_json", stop)
        with pytest.raises(KeyboardInterrupt):
            augmenter.save(path)


def test_a_resave_cut_short_between_its_files_loads_as_the_new_save(tmp_path, monkeypatch):
    x, y = image_batch(6)
    Memorizer(noise=0.1).fit(x, y).save(tmp_path)
    new = Memorizer(noise=0.2).fit(x[:4], y[:4])
    _save_cut_short_after_the_weights(new, tmp_path, monkeypatch)
    loaded = Augmenter.load(tmp_path)   # the weights carry their config: the new save, whole
    assert loaded.noise == 0.2 and torch.equal(loaded.generate(y[:4], rng=1), new.generate(y[:4], rng=1))
    # a fitted save over an unfitted one, cut short: the unfitted save stands, the new weights unread
    Memorizer(noise=0.3).save(tmp_path)
    _save_cut_short_after_the_weights(new, tmp_path, monkeypatch)
    assert not Augmenter.load(tmp_path).is_fitted() and Augmenter.load(tmp_path).noise == 0.3


def test_a_save_without_weights_never_reads_a_weights_file_left_beside_it(tmp_path):
    x, y = image_batch(6)
    Memorizer().fit(x, y).save(tmp_path)
    old_weights = (tmp_path / "model.safetensors").read_bytes()
    fitted = RandomFit(seed=3).fit(x, y)
    fitted.save(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(old_weights)   # cut short before the old file went
    assert Augmenter.load(tmp_path).draw_ == fitted.draw_


def test_a_mix_of_two_saves_without_the_carried_config_is_refused(tmp_path):
    x, y = image_batch(6)
    Memorizer(noise=0.1).fit(x, y).save(tmp_path)
    old_config = (tmp_path / "config.json").read_text()
    Memorizer(noise=0.2).fit(x[:4], y[:4]).save(tmp_path)   # new weights (2 classes) ...
    (tmp_path / "config.json").write_text(old_config)        # ... but the old config: stopped in between
    weights = tmp_path / "model.safetensors"
    with safe_open(str(weights), framework="pt") as f:      # as saves before the carried config wrote it
        metadata = {k: v for k, v in f.metadata().items() if k != "config"}
    save_file(load_file(weights), weights, metadata=metadata)
    with pytest.raises(ValueError, match="belongs to another save than the config.json"):
        Augmenter.load(tmp_path)


def test_a_hand_edited_state_is_named_not_a_key_error(tmp_path):
    x, y = image_batch(4)
    Memorizer().fit(x, y).save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["state"] = {}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="is not a complete save: its state lacks 'classes'"):
        Augmenter.load(tmp_path)


def test_devices_and_numpy_scalars_are_saved_as_plain_values(tmp_path):
    import numpy as np

    from aad.image import ConditionalGAN, RandomAffine

    RandomAffine(degrees=(np.float32(-5), np.float64(5))).save(tmp_path / "affine")
    assert Augmenter.load(tmp_path / "affine").degrees == [-5.0, 5.0]
    ConditionalGAN(device=torch.device("cpu")).save(tmp_path / "gan")
    assert Augmenter.load(tmp_path / "gan").device == "cpu"


def test_a_path_parameter_is_saved_as_a_string(tmp_path):
    from aad.image import ConditionalGAN

    ConditionalGAN(checkpoint_dir=tmp_path / "checkpoints").save(tmp_path / "gan")
    assert Augmenter.load(tmp_path / "gan").checkpoint_dir == str(tmp_path / "checkpoints")


def test_seeds_beyond_64_bits_are_named():
    with pytest.raises(ValueError, match="seed must be at most 2\\*\\*64 - 1"):
        AddNoise(seed=2**64).augment(image_batch(1)[0])
    assert AddNoise(seed=2**64 - 1).augment(image_batch(1)[0]).shape == (1, 1, 12, 12)


def test_a_child_that_changes_the_batch_shape_inside_sometimes_is_named():
    from aad.audio import TimeStretch

    for p in (1.0, 0.0):   # whatever the draw: with p=0 it passed, with 0.5 it failed on some calls only
        with pytest.raises(TypeError, match="keep_length=False"):
            Sometimes(TimeStretch(keep_length=False), p=p, seed=0).augment(torch.rand(2, 4000) - 0.5)


def test_a_generator_inside_one_of_needs_labels_whatever_the_draw():
    """OneOf([gan, Identity()]) without y failed on the draws that picked the GAN, passed on the others."""
    class Drawer(Memorizer):
        generative = True

    x, y = image_batch(4)
    with pytest.raises(ValueError, match="y is required: Drawer in a OneOf draws new samples"):
        OneOf([Drawer().fit(x, y), Identity()], weights=[0.0, 1.0]).augment(x, rng=0)
    drawer = Drawer().fit(x, y)
    drawer.classes_ = [0]   # as a GAN fitted on class 0 only
    with pytest.raises(ValueError, match=r"y has label\(s\) \[1\] that Drawer in a OneOf never saw in fit"):
        OneOf([drawer, Identity()], weights=[0.0, 1.0]).augment(x, torch.tensor([0, 1, 0, 1]), rng=0)


def test_a_child_that_changes_lengths_inside_compose_is_named_unless_it_is_the_last():
    from aad.audio import SpecAugment, TimeStretch

    clips = torch.rand(2, 4000) - 0.5
    with pytest.raises(TypeError, match=r"augmenters\[0\] \(TimeStretch\) returned a list.*keep_length=False"):
        Compose([TimeStretch(keep_length=False), SpecAugment()], seed=0).augment(clips)
    out = Compose([SpecAugment(), TimeStretch(keep_length=False)], seed=0).augment(clips)
    assert isinstance(out, list) and len(out) == 2


@pytest.mark.parametrize("child", [{"class": "aad.compose:Identity"}, "aad.compose:Identity"])
def test_a_nested_config_without_class_and_params_is_named(tmp_path, child):
    # a bare KeyError 'params', or "string indices must be integers"
    config = {"class": "aad.compose:Compose", "params": {"augmenters": [{"__augmenter__": child}]}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="an augmenter config must be a dict with the 'class' and 'params'"):
        Augmenter.load(tmp_path)


def test_a_numpy_integer_seed_is_its_value():
    """Seeds taken from ``np.arange`` used to be refused by augmenters (and accepted by Dataset)."""
    import numpy as np

    from aad.seeding import derive_seed

    batch = image_batch(2)[0]
    assert torch.equal(AddNoise(seed=np.int64(3)).augment(batch), AddNoise(seed=3).augment(batch))
    assert derive_seed(np.uint32(3), "fit") == derive_seed(3, "fit")   # the fit stream too
    assert derive_seed(True) != derive_seed(1)   # a bool keeps its own stream, as before


def test_numpy_integer_settings_and_labels_are_their_values():
    """Sizes and labels taken from NumPy (np.arange, a pandas column) used to be refused, while
    check_int took them: "hop must be an int ..., got np.int64(128)"."""
    import numpy as np

    from aad.audio import SpecAugment, TimeStretch
    from aad.balance import shortfall
    from aad.image import RandomMorphology

    clips, images = torch.randn(2, 4000) * 0.1, image_batch(3)[0]
    assert torch.equal(TimeStretch(n_fft=np.int64(512), hop=np.int64(128), seed=0).augment(clips),
                       TimeStretch(n_fft=512, hop=128, seed=0).augment(clips))
    assert torch.equal(SpecAugment(freq_masks=np.int64(2), seed=0).augment(clips),
                       SpecAugment(freq_masks=2, seed=0).augment(clips))
    assert torch.equal(RandomMorphology(kernel=np.int64(3), seed=0).augment(images),
                       RandomMorphology(kernel=3, seed=0).augment(images))
    assert shortfall(torch.tensor([0, 0, 1]), target=np.int64(3)).tolist() == [0, 1, 1]
    assert check_labels(list(np.array([0, 2, 1]))).tolist() == [0, 2, 1]
    with pytest.raises(TypeError, match=r"y must contain ints, got y\[1\] = 1.0"):
        check_labels([0, 1.0])


def test_paths_that_are_no_paths_are_named(tmp_path):
    """They failed in pathlib: "expected str, bytes or os.PathLike object, not int", naming nothing."""
    from aad.data import from_csv, from_folder
    from aad.image import ConditionalGAN
    from aad.text import SynonymReplace

    calls = [
        (lambda: Augmenter.load(None), "path"),
        (lambda: Identity().save(3), "path"),
        (lambda: from_folder(None), "path"),
        (lambda: from_csv(3, text_col="t", label_col="l"), "path"),
        (lambda: ConditionalGAN(checkpoint_dir=5, steps=1, progress=False).fit(*image_batch(4)), "checkpoint_dir"),
        (lambda: SynonymReplace(wordnet_dir=5).augment(["a good movie"]), "wordnet_dir"),
    ]
    for call, name in calls:
        with pytest.raises(TypeError, match=rf"^{name} must be a path \(a non-empty str or os.PathLike\), got"):
            call()
    Identity().save(tmp_path / "i")
    assert isinstance(Augmenter.load(str(tmp_path / "i")), Identity)   # a str is a path


@pytest.mark.parametrize("device", ["meta", "xpu", "mps", *(["cuda"] if not torch.cuda.is_available() else [])])
def test_a_device_this_machine_lacks_is_named_with_the_cpu_to_use(device):
    with pytest.raises(ValueError, match=f"--device is '{device}' but .* is not available on this machine; use 'cpu'"):
        check_device(device, "--device")


def test_a_device_index_past_the_count_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda: torch.device("cuda"))
    monkeypatch.setattr(torch.accelerator, "device_count", lambda: 1)
    assert check_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="device is 'cuda:1' but this machine has 1 cuda device"):
        check_device("cuda:1")
    assert check_device("cpu") == torch.device("cpu")


def test_save_refuses_another_tools_folder_and_a_file(tmp_path):
    """A Hugging Face model folder's config.json was replaced and its model.safetensors deleted."""
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text('{"architectures": ["BertModel"]}')
    (hf / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(ValueError, match="holds another tool's files, which a save would replace"):
        Identity().save(hf)
    assert (hf / "model.safetensors").read_bytes() == b"weights"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file: Augmenter.save writes a folder"):
        Identity().save(tmp_path / "file")
    Identity().save(tmp_path / "mine")
    with pytest.raises(FileNotFoundError, match="is a file: pass the folder a save wrote"):
        Augmenter.load(tmp_path / "mine" / "config.json")


def test_a_config_with_a_parameter_the_class_does_not_take_is_named(tmp_path):
    Identity().save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["params"]["fit_seed"] = 3   # as a save of an older version could hold
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"Identity has parameter\(s\) \['fit_seed'\] that it does not take"):
        Augmenter.load(tmp_path)


def test_a_composition_with_a_fitted_and_an_unfitted_child_refuses_to_save(tmp_path):
    """It saved no weights at all: the fitted child's state was silently lost."""
    x, y = image_batch(4)
    with pytest.raises(ValueError, match=r"fitted children and unfitted ones \(\['Memorizer'\]\)"):
        OneOf([Memorizer().fit(x, y), Memorizer()]).save(tmp_path)
    OneOf([Memorizer().fit(x, y), Memorizer().fit(x, y)]).save(tmp_path)
    assert Augmenter.load(tmp_path).is_fitted()


def test_a_bad_seed_is_named_before_a_fit_not_after_it():
    """seed=-1 fitted for its whole budget, then failed at the first augment."""
    x, y = image_batch(4)
    for seed, error in ((-1, TypeError), (2**70, ValueError), ("abc", TypeError)):
        with pytest.raises(error, match="seed must be"):
            Memorizer(seed=seed).fit(x, y)


def test_a_subclass_for_any_batch_augments_and_one_without_a_modality_is_named():
    """modality = None failed with "modality must be one of [...], got None"; unset, it said "got ''"."""
    class AnyBatch(Augmenter):
        modality = None

        def _augment(self, x, y, g):
            return x.clone() if isinstance(x, torch.Tensor) else list(x)

    class Unset(AnyBatch):
        modality = ""

    assert AnyBatch().augment(["a b"]) == ["a b"] and AnyBatch().augment(torch.zeros(1, 8)).shape == (1, 8)
    assert Compose([AnyBatch()]).augment(image_batch(1)[0]).shape == (1, 1, 12, 12)
    with pytest.raises(TypeError, match="Unset sets no modality"):
        Unset().augment(["a b"])


def test_the_readme_augmenter_of_ones_own_runs_saves_and_repeats(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    snippet = re.search(r"```python\n(import torch\nimport aad\n\nclass Invert.*?)```", readme, re.DOTALL).group(1)
    scope = {}
    exec(snippet, scope)  # noqa: S102 (our own README)
    x = image_batch(6)[0]
    invert = scope["Invert"](p=0.5, seed=3)
    out = invert.augment(x)
    assert all(torch.equal(o, xi) or torch.allclose(o, 1 - xi) for o, xi in zip(out, x))
    invert.save(tmp_path)
    assert torch.equal(Augmenter.load(tmp_path).augment(x), out), "saved, loaded, seeded alike: the same draw"


def test_a_composition_of_mixed_modalities_is_refused_when_saved(tmp_path):
    from aad.text import RandomSwap

    with pytest.raises(ValueError, match=r"Compose mixes modalities \['image', 'text'\]"):
        Compose([AddNoise(), RandomSwap()]).save(tmp_path / "mixed")
    assert not (tmp_path / "mixed").exists()
