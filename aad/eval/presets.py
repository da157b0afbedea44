"""The default augmenters, datasets and budgets of ``aad evaluate``, in one place.

Adding an augmenter to the evaluation is one line in ``PRESETS``: a name and a factory
``quick -> Augmenter | Arm | None``. Modality packages are imported lazily, so an augmenter whose
class does not exist yet (or whose extra is missing) is skipped with the reason in the report.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aad.checks import check_bool

MODALITIES = ("image", "text", "audio")
DEFAULT_DATASETS = {"image": "mnist", "text": "tweets", "audio": "spoken-digits"}


@dataclass
class Arm:
    """One row of the comparison: the union of the new samples of ``parts`` (each fitted on the same
    k-shot subset), optionally balancing classes. ``Arm([])`` is the control: real samples only."""

    parts: list = field(default_factory=list)
    balance: bool = False

    def __post_init__(self):
        if not isinstance(self.parts, (list, tuple)):
            raise TypeError(f"Arm parts must be a list of augmenters, got {type(self.parts).__name__}")
        check_bool(self.balance, "Arm balance")


def make(module: str, name: str, **params) -> Any:
    """``module.name(**params)``, imported now: raises ImportError/AttributeError when missing."""
    return getattr(importlib.import_module(module), name)(**params)


def _compose(*augmenters):
    from aad import Compose
    return Compose(list(augmenters))


# Learned augmenters run without their own progress bars: the harness shows one for the whole run.


# Quick budgets of the learned generators are counted in steps, so a quick run repeats exactly on one
# machine (a time budget made their rows depend on the load); the seconds cap only guards a slow one.
QUICK_GAN = {"image": {"steps": 400, "seconds": 120.0}, "audio": {"steps": 250, "seconds": 120.0}}


# ---- image --------------------------------------------------------------------------------------
def _affine(quick):
    return make("aad.image", "RandomAffine")


def _elastic(quick):
    return make("aad.image", "ElasticDistortion")


def _affine_elastic(quick):
    return _compose(_affine(quick), _elastic(quick))


def _shape_affine_elastic(quick):
    # Affine that also slants (shear) and narrows or widens (aspect) each digit, as handwriting does.
    # Picked on mnist's tuning subsets (10 shots, seeds 3-8): +4.6 where affine + elastic gained +4.1;
    # then on seeds 0-2 +4.2 where affine + elastic gained +3.9 (6,000 training steps, factor 20).
    shape = make("aad.image", "RandomAffine", shear=(-15.0, 15.0), aspect=(0.75, 1.33))
    return _compose(shape, _elastic(quick))


def _sharp_warp(quick):
    # The same maps as affine + shear + aspect + elastic, chained and read once bicubic: strokes stay
    # nearer the test digits' (grey share of the ink 60%, not 82%; mnist's own 51%). On mnist (10 shots,
    # five trainings per subset) +5.05 on seeds 0-2, where the same warps read twice gained +4.7.
    shape = make("aad.image", "RandomAffine", shear=(-15.0, 15.0), aspect=(0.75, 1.33))
    return make("aad.image", "Warp", warps=[shape, _elastic(quick)])


def _warp_union(quick):
    # Every image gets ``factor`` copies of each: affine only, elastic only, both (3x the new samples).
    # On mnist (10 shots) +5.4 on seeds 3-5, then +1.5 on seeds 0-2, where affine + elastic gained +5.0.
    return Arm([_affine(quick), _elastic(quick), _affine_elastic(quick)])


def _albumentations_affine_elastic(quick):
    # The peer's version of affine + elastic: the same affine ranges as RandomAffine's defaults, then
    # Simard et al.'s elastic setting for digits (sigma 4, alpha 34), black borders as ours.
    from aad.image.albumentations_adapter import albumentations
    A = albumentations()
    affine = A.Affine(rotate=(-15, 15), translate_percent=(-0.1, 0.1), scale=(0.9, 1.1), keep_ratio=True,
                      border_mode=0, p=1.0)
    elastic = A.ElasticTransform(alpha=34.0, sigma=4.0, border_mode=0, p=1.0)   # 0: cv2.BORDER_CONSTANT
    return make("aad.image", "Albumentations", transform=A.Compose([affine, elastic]))


def _image_gan(quick, **params):
    # quick: about 30 s per k-shot fit on 2 cores (fits are cached in DIR/cache); full: the class default.
    return make("aad.image", "ConditionalGAN", progress=False, **params, **(QUICK_GAN["image"] if quick else {}))


def _image_gan_on_warps(quick):
    # The GAN learns from the digits and 20 shape-warped copies of each, then draws varied digits. On
    # mnist (10 shots) it took 0.7 points from the warps' gain on seeds 0-2 (0.5 on seeds 3-8).
    return _image_gan(quick, fit_augmenter=_shape_affine_elastic(quick))


# The GAN arms share one fit and one set of samples per subset: "gan+X" adds the GAN's samples to X's.
IMAGE = {
    "none": lambda quick: None,
    "affine": _affine,
    "elastic": _elastic,
    "affine+elastic": _affine_elastic,
    "affine+shear+aspect+elastic": _shape_affine_elastic,
    "sharp-warp": _sharp_warp,
    "warp-union": _warp_union,
    "albumentations-affine+elastic": _albumentations_affine_elastic,
    "gan": _image_gan,
    "gan+affine": lambda quick: Arm([_affine(quick), _image_gan(quick)]),
    "gan+affine+elastic": lambda quick: Arm([_affine_elastic(quick), _image_gan(quick)]),
    "gan+affine+shear+aspect+elastic": lambda quick: Arm([_shape_affine_elastic(quick), _image_gan(quick)]),
    "warped-gan+affine+shear+aspect+elastic":
        lambda quick: Arm([_shape_affine_elastic(quick), _image_gan_on_warps(quick)]),
}


# ---- text ---------------------------------------------------------------------------------------
def _nlpaug_swap(quick):
    from nlpaug.augmenter.word import RandomWordAug
    return make("aad.text", "Nlpaug", augmenter=RandomWordAug(action="swap"))


TEXT = {
    "none": lambda quick: None,
    "random-swap": lambda quick: make("aad.text", "RandomSwap"),
    "random-delete": lambda quick: make("aad.text", "RandomDelete"),
    "synonym": lambda quick: make("aad.text", "SynonymReplace"),
    "mlm-replace": lambda quick: make("aad.text", "MaskedLMReplace", progress=False,
                                      **({"fit_steps": 20} if quick else {})),
    "nlpaug-swap": _nlpaug_swap,
}


# ---- audio --------------------------------------------------------------------------------------
def _stretch_specaug(quick):
    return _compose(make("aad.audio", "TimeStretch"), make("aad.audio", "SpecAugment"))


def _audio_gan(quick):
    # quick: about 45 s per k-shot fit on 2 cores
    return make("aad.audio", "SpectrogramGAN", progress=False, **(QUICK_GAN["audio"] if quick else {}))


AUDIO = {
    "none": lambda quick: None,
    "time-stretch": lambda quick: make("aad.audio", "TimeStretch"),
    "specaugment": lambda quick: make("aad.audio", "SpecAugment"),
    "stretch+specaugment": _stretch_specaug,
    "pitch-shift": lambda quick: make("aad.audio", "PitchShift"),
    "spec-gan": _audio_gan,
    "spec-gan+stretch+specaugment": lambda quick: Arm([_stretch_specaug(quick), _audio_gan(quick)]),
}

PRESETS: dict[str, dict[str, Callable[[bool], Any]]] = {"image": IMAGE, "text": TEXT, "audio": AUDIO}

# Plain copies of the real samples, a second control: with --balance, the random oversampling that a
# balancing augmenter must beat; without, whether new samples beat seeing the same ones more often.
for _table in PRESETS.values():
    _table["copies"] = lambda quick: make("aad", "Identity")

# Arms a --quick run leaves out unless named: a second GAN fit per subset, for a measured loss, would
# cost the smoke test about two minutes; the copies control is for the user's own questions.
FULL_ONLY = {"warped-gan+affine+shear+aspect+elastic", "copies"}

# Downstream models per modality (the first is the default); text gets a second, pretrained probe.
MODELS = {"image": ("cnn",), "text": ("bag", "minilm"), "audio": ("cnn",)}


def build_presets(modality: str, quick: bool, names: list[str] | None = None,
                  data=None, device: str = "cpu") -> tuple[dict, dict]:
    """(augmenters by name, {name: reason} for those that could not be built). ``data``: the Dataset
    they will run on, whose class names, sample rate and clip length they are given (``for_data``);
    ``device``: where the learned augmenters (GANs, the masked LM) fit and draw."""
    table = PRESETS[modality]
    unknown = sorted(set(names or []) - set(table))
    if unknown:
        raise ValueError(f"unknown {modality} augmenter(s) {unknown}; available: {sorted(table)}")
    built, skipped = {}, {}
    for name in names or [n for n in table if not (quick and n in FULL_ONLY)]:
        try:
            augmenter = table[name](quick)
            built[name] = on_device(augmenter if data is None else for_data(augmenter, data), device)
        except (ImportError, AttributeError, TypeError) as e:
            skipped[name] = f"{type(e).__name__}: {e}"
    built.setdefault("none", None)
    return built, skipped


def for_data(augmenter, data):
    """``augmenter`` (each part of an ``Arm``, each child of a composition) told what it cannot learn
    from the samples alone, where it takes it and was left at its default:
    - the class names, as ``label_names``: a masked LM fine-tuned with "negative" before each text can
      use what the word means to it; "label 0" it learns from the few texts alone;
    - an audio dataset's ``sample_rate``, and its clips' length as ``clip_seconds``: a spectrogram GAN
      or SpecAugment set for 16 kHz misreads 8 kHz clips, and a user's own clips are rarely 1 s long.
    """
    from aad.base import Augmenter
    known = {"label_names": list(data.classes) if data.classes else None}
    if data.modality == "audio" and data.sample_rate:
        known.update(sample_rate=data.sample_rate, clip_seconds=data.x.shape[1] / data.sample_rate)
    for part in members(augmenter):
        if not isinstance(part, Augmenter):
            continue
        defaults = part._param_defaults()
        given = {name: value for name, value in known.items() if value is not None and name in defaults
                 and getattr(part, name) == defaults[name]}
        if given:
            part.set_params(**given)
    return augmenter


def members(augmenter) -> list:
    """``augmenter`` and everything it is made of: an ``Arm``'s parts, a composition's children."""
    from aad.compose import _Composite
    found = []
    for part in augmenter.parts if isinstance(augmenter, Arm) else [augmenter]:
        found.append(part)
        if isinstance(part, _Composite):
            found.extend(m for child in part._children() for m in members(child))
    return found


def on_device(augmenter, device: str):
    """``augmenter`` (each part of an ``Arm``, each child of a composition) set to fit and run on ``device``
    where it takes one: ``aad evaluate --device cuda`` is for training the GANs on the GPU, not only the
    small CNNs."""
    from aad.base import Augmenter
    for part in members(augmenter):
        if isinstance(part, Augmenter) and "device" in part._param_names():
            part.set_params(device=device)
    return augmenter


def balanced(augmenter):
    """``augmenter`` as an arm that tops every class up to ``(1 + factor)`` times the largest class's
    count (``aad evaluate --balance``): under the imbalance protocol its new samples fill the cut classes."""
    if augmenter is None:
        return None
    arm = augmenter if isinstance(augmenter, Arm) else Arm([augmenter])
    return Arm(list(arm.parts), balance=True)
