"""ConditionalGAN: a class-conditional image generator for small labeled sets (aad.gan underneath)."""
from __future__ import annotations

import torch
from torch import Tensor

from aad.base import Augmenter
from aad.checks import check_bool, check_device, check_in_range, check_int
from aad.gan import (
    ConditionalGenerator,
    GANConfig,
    TrainConfig,
    check_seen_labels,
    mix_generated,
    num_classes_of,
    sample,
    train_conditional_gan,
)
from aad.image.classifier import SmallCNN, predict_proba, train_classifier
from aad.seeding import derive_seed, make_generator
from aad.serialization import load_module
from aad.training import tensor_digest

# No "color": on mnist its brightness shift let the generator draw grey, blotchy backgrounds
# (without it, after 700 steps at mode-seeking 0.1: Frechet distance 18.8 -> 8.7, CAS 0.49 -> 0.58,
# in probes scored as benchmarks/bench_image_gan.py scores).
IMAGE_DIFFAUGMENT = ("translation", "cutout")


# Copies warped per call: an elastic field and its sampling grid take several times their images' memory
# (8x for the shape warps), so 20 copies of 60,000 digits in one call would need about 30 GB.
FIT_COPIES_CHUNK = 8192


class ConditionalGAN(Augmenter):
    """Learns p(image | label) and draws new labeled images; ``augment`` swaps in a fraction ``mix``.

    Args:
        z_dim, g_width, d_width: noise size and the channel widths of the finest generator /
            discriminator stage (they double per halving of resolution, up to 4x).
        steps, seconds: the fit budget, whichever ends first (``seconds`` of wall time, or None).
            4,000 steps take about 8 minutes on one CPU core.
        batch_size, lr, ema_decay: optimisation (Adam, betas (0.5, 0.999), same lr for both nets;
            ema_decay in [0, 1)). A batch of 1, or a single image, trains without the mode-seeking term;
            1x1 images train only in batches of 2 or more (batch norm needs 2 values per channel).
            A step's CPU time grows with the batch, so in 10 CPU-minutes batch 32 takes ~4,600 steps
            and 64 ~2,400; at those step counts batch 32 gave the better mnist samples (CAS 0.906 vs
            0.897, mean of 3 and 2 seeds, fitted on a GPU; on the CPU, seed 0: FD 1.45 vs 2.10).
        lr_decay_from: the fraction of the budget (steps or seconds) after which both learning rates
            fall linearly to 0 at its end; 1.0 keeps them constant. On mnist (4,600 steps, about 10
            CPU-minutes; CAS as benchmarks/bench_image_gan.py scores it, seeds 0, 1, 2), a constant lr
            1e-3 gave CAS 0.891, 0.891, 0.883; decaying from 0.5 gave 0.901, 0.895, 0.886; with lr
            2e-3 (the default), 0.921, 0.895, 0.910. Decaying over the whole budget (0.0) did no better
            than 0.5, and lr 3e-3 scored like 2e-3 (0.912, 0.908 at seeds 0, 1).
        class_weight: weight of the auxiliary-classifier loss (AC-GAN), which pushes samples to be
            recognisable as their label. mode_seeking: weight of the MSGAN term against per-class
            collapse (at 700 steps 1.0 drew noisy samples, 0.3 samey ones, 0.6 gave the best CAS;
            at 4,950 steps 0.3 and 0.6 scored within seed noise).
        diffaugment: DiffAugment ops applied to real and fake before the discriminator: a list of
            "translation", "cutout", "color", or a comma-separated string of them ("" for none).
        mix: fraction of samples ``augment`` replaces by generated ones of the same label, in [0, 1].
        fit_augmenter, fit_copies: a fixed (not learned) image augmenter, e.g. ``Compose([RandomAffine(
            shear=(-15, 15), aspect=(0.75, 1.33)), ElasticDistortion()])``. When given, the GAN learns
            from ``x`` plus ``fit_copies`` copies of each image through it (memory: 1 + fit_copies times
            ``x``), so it draws labeled images as varied as those warps make them. On mnist it did
            not pay: 10 digits per class, the CNN of ``aad evaluate`` trained on the 100 digits, 2,000
            copies through those warps and 2,000 samples of the GAN fitted on 20 of them per digit
            scored 0.7 points below the digits and warped copies alone on seeds 0-2 (0.5 below on
            seeds 3-8, where a probe had seen 0.4 above; benchmarks/EFFICACY.md). The copies are
            drawn from a stream derived from ``seed`` (without one, from the data, so that a resumed
            fit learns from the copies it started with).
        quality_threshold: if set (in (0, 1]), ``fit`` also trains a classifier on the data the GAN
            learns from (warped copies included), and generated samples it does not assign to their
            label with at least this probability are redrawn, up to ``max_tries`` times (after that
            the last draw is kept). On 10 mnist digits per class that classifier scores 0.85-0.92 on
            held-out digits but gives only about 60% of them 0.9 for their label: at 0.9 the filter
            keeps samples that look like the training digits. A single image trains it only if it
            has a side of 3 pixels or more.
        checkpoint_dir, resume, progress: fit checkpoints (atomic; written every 200 steps and at the
            end, and an interrupted fit saves its last 10-step mark; resumed when present, time budget
            included), tqdm bar. A checkpoint records the data, the settings and the seed it was trained
            with, and one of another fit is refused (ValueError): use one folder per fit. ``steps`` and
            ``seconds`` are not part of that record, so raising them continues a finished fit.
        device: "cpu" (default) or "cuda".
        seed: seeds sampling and, through a separate derived stream, the fit (initial weights,
            batches, noise, DiffAugment): the same data and seed give the same model on CPU.
    """

    modality = "image"
    generative = True
    learned = True

    def __init__(self, z_dim: int = 64, g_width: int = 16, d_width: int = 32, steps: int = 4000,
                 seconds: float | None = None, batch_size: int = 32, lr: float = 2e-3,
                 lr_decay_from: float = 0.5, ema_decay: float = 0.999, class_weight: float = 1.0,
                 mode_seeking: float = 0.6, diffaugment=IMAGE_DIFFAUGMENT, mix: float = 0.5,
                 fit_augmenter: Augmenter | None = None, fit_copies: int = 20,
                 quality_threshold: float | None = None, max_tries: int = 5, checkpoint_dir: str | None = None,
                 resume: bool = True, progress: bool = True, device: str = "cpu",
                 seed: int | None = None):
        self.z_dim = z_dim
        self.g_width = g_width
        self.d_width = d_width
        self.steps = steps
        self.seconds = seconds
        self.batch_size = batch_size
        self.lr = lr
        self.lr_decay_from = lr_decay_from
        self.ema_decay = ema_decay
        self.class_weight = class_weight
        self.mode_seeking = mode_seeking
        self.diffaugment = diffaugment
        self.mix = mix
        self.fit_augmenter = fit_augmenter
        self.fit_copies = fit_copies
        self.quality_threshold = quality_threshold
        self.max_tries = max_tries
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress
        self.device = device
        self.seed = seed

    # ---- fitting ------------------------------------------------------------------------------
    def _fit(self, x: Tensor, y: Tensor | None) -> None:
        if y is None:
            raise ValueError("y is required: ConditionalGAN learns p(x | y) and needs a label per image")
        check_in_range(self.mix, "mix", 0, 1)
        check_device(self.device)
        check_bool(self.resume, "resume")   # `--param resume=False` gives the truthy string "False"
        check_bool(self.progress, "progress")
        self._check_filter_params()
        self._check_filter_trains(x)   # before the GAN's fit, which it would follow
        x = x.float()  # float64 images (numpy / 255.0): the networks are float32; the caller's x is kept
        x, y = self._with_copies(x, y)
        num_classes = num_classes_of(y)
        config = GANConfig(tuple(x.shape[1:]), num_classes, self.z_dim, self.g_width, self.d_width)
        train = TrainConfig.from_params(self.get_params())
        g = self.fit_generator()
        self.generator_ = train_conditional_gan(x, y, config, train, g, device=self.device,
                                                checkpoint_dir=self.checkpoint_dir, resume=self.resume,
                                                progress=self.progress, desc="fit ConditionalGAN",
                                                identity={"seed": self.seed})
        self.classes_ = sorted(set(y.tolist()))
        self.history_ = train.history
        self.steps_done_ = train.steps_done
        self.filter_ = None
        if self.quality_threshold is not None:
            # at least 200 steps: 5 epochs of 100 images are 15 steps at batch 32, which left it at chance
            self.filter_ = train_classifier(x.to(self.device), y.to(self.device), num_classes, g,
                                            batch_size=32, min_steps=200)

    def _with_copies(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``x`` and ``fit_copies`` copies of it through ``fit_augmenter`` (``x`` alone without one)."""
        augmenter = self.fit_augmenter
        if augmenter is None:
            return x, y
        if not isinstance(augmenter, Augmenter) or augmenter.modality not in ("image", None) or augmenter.learned:
            raise TypeError(f"fit_augmenter must be a fixed (not learned) image Augmenter or None, got "
                            f"{augmenter!r:.120}")
        copies = check_int(self.fit_copies, "fit_copies", 1)
        source = tensor_digest(x) if self.seed is None else self.seed
        g = make_generator(derive_seed(source, type(self).__name__, "fit_copies"))
        total, warped = copies * len(x), []
        for start in range(0, total, FIT_COPIES_CHUNK):   # copy i of image j is row i * len(x) + j
            rows = torch.arange(start, min(start + FIT_COPIES_CHUNK, total)) % len(x)
            warped.append(augmenter.augment(x[rows], y[rows], rng=g).to(x.dtype))
        return torch.cat([x, *warped]), torch.cat([y, y.repeat(copies)])

    def _check_filter_params(self) -> None:
        # again at every draw: set_params and load(..., quality_threshold=) can change them after fit
        if self.quality_threshold is not None:
            check_in_range(self.quality_threshold, "quality_threshold", 0, 1, low_inclusive=False)
            check_int(self.max_tries, "max_tries", 1)

    def _check_filter_trains(self, x: Tensor) -> None:
        # the classifier's last batch norm sees the images pooled 2x2: a single image of at most 2x2
        # pixels leaves it one value per channel, which batch norm cannot train on
        h, w = x.shape[2:]
        if self.quality_threshold is not None and len(x) == 1 and h <= 2 and w <= 2:
            raise ValueError(f"x holds a single {h}x{w} image, too small to train quality_threshold's "
                             f"classifier on (its batch norm needs 2 values per channel): pass 2 images or "
                             f"more, images with a side of 3 pixels or more, or quality_threshold=None")

    def _num_classes(self) -> int | None:
        return self.generator_.config.num_classes if self.is_fitted() else None

    # ---- sampling -----------------------------------------------------------------------------
    def _generate(self, y: Tensor, g: torch.Generator) -> Tensor:
        check_seen_labels(y, self.classes_)
        self._check_filter_params()
        if self.quality_threshold is not None and self.filter_ is None:
            raise ValueError("quality_threshold is set but this GAN was fitted without one, so it has no "
                             "classifier to filter with: refit with quality_threshold, or set it to None")
        out = sample(self.generator_, y, g)
        if self.quality_threshold is None:   # a fitted filter, switched off after fit
            return out
        y_dev = y.to(out.device)
        for _ in range(self.max_tries):
            confidence = predict_proba(self.filter_, out).gather(1, y_dev[:, None]).squeeze(1)
            redo = (confidence < self.quality_threshold).nonzero().squeeze(1)
            if len(redo) == 0:
                break
            out[redo] = sample(self.generator_, y_dev[redo].cpu(), g)
        return out

    def _augment(self, x: Tensor, y: Tensor | None, g: torch.Generator) -> Tensor:
        if y is None:
            raise ValueError("y is required: ConditionalGAN.augment replaces samples by generated ones "
                             "of the same label")
        shape = self.generator_.config.shape
        if tuple(x.shape[1:]) != shape:
            raise ValueError(f"x must hold images of shape {shape} (the shape fitted), got {tuple(x.shape[1:])}")
        check_seen_labels(y, self.classes_)
        return mix_generated(x, y, self.mix, self._generate, g)

    # ---- persistence --------------------------------------------------------------------------
    def _get_state(self):
        tensors = {f"generator.{k}": v for k, v in self.generator_.state_dict().items()}
        if self.filter_ is not None:
            tensors.update({f"filter.{k}": v for k, v in self.filter_.state_dict().items()})
        meta = {"gan": self.generator_.config.to_dict(), "filter": self.filter_ is not None,
                "steps_done": self.steps_done_, "classes": self.classes_}
        return meta, tensors

    def _set_state(self, meta, tensors):
        check_device(self.device)
        config = GANConfig(**meta["gan"])
        self.generator_ = load_module(ConditionalGenerator(config), tensors, "generator.", self.device)
        self.filter_ = None
        self.history_ = []
        self.steps_done_ = meta.get("steps_done", 0)
        self.classes_ = meta.get("classes", list(range(config.num_classes)))  # older saves: all
        if meta["filter"]:
            model = SmallCNN(config.shape[0], config.num_classes)
            self.filter_ = load_module(model, tensors, "filter.", self.device)
