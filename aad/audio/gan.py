"""SpectrogramGAN: a class-conditional GAN on log-mel spectrograms of short clips (after SpecGAN,
Donahue et al. 2018), inverted to waveforms with Griffin-Lim. The networks, losses, DiffAugment,
EMA and training loop are the shared core in ``aad.gan``; this module only maps clips to
spectrogram images and back."""
from __future__ import annotations

import torch
from torch import Tensor

from aad.audio.functional import check_stft
from aad.audio.spectrogram import MelImage
from aad.audio.transforms import check_sample_rate
from aad.base import Augmenter
from aad.checks import check_audio, check_bool, check_device, check_in_range, check_int, check_labels
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
from aad.seeding import derive_seed, make_generator
from aad.serialization import load_module

# No DiffAugment by default. Translation moves formants, which carry the word (label accuracy 0.25
# -> 0.48 without it), and on spoken-digits' 2,040 clips colour and cutout cost too: after 600 steps,
# colour + cutout 0.42, cutout 0.62, none 0.77 (lr 1e-3, mode-seeking 0.3; probes judged as
# benchmarks/bench_audio_gan.py judges).
SPECTROGRAM_DIFFAUGMENT = ()


class SpectrogramGAN(Augmenter):
    """Learns p(clip | label) on log-mel spectrograms; ``generate(y)`` returns ``[B, T]`` waveforms.

    Args:
        sample_rate, clip_seconds: the clips ``fit`` expects (``[N, sample_rate * clip_seconds]``);
            a different length is refused, as it means another rate or duration.
        n_mels, n_fft, hop: the spectrogram image (64 mel bins x T // hop + 1 frames by default:
            64 x 63 for 1 s at 16 kHz); ints, hop at most n_fft // 2 (Griffin-Lim inverts
            overlapping frames).
        griffin_lim_iters: phase-reconstruction iterations per generated batch (more: cleaner, slower).
        z_dim, g_width, d_width, steps, seconds, batch_size, lr, lr_decay_from, ema_decay, class_weight,
            mode_seeking, diffaugment: as in ``ConditionalGAN`` (the fit
            budget is ``steps`` or ``seconds`` of wall time, whichever ends first).
        mix: fraction of clips ``augment`` replaces by generated clips of the same label, in [0, 1].
        checkpoint_dir, resume, progress, device, seed: checkpoints (atomic, resumed when present;
            one of another fit, data, settings or seed, is refused, as in ``ConditionalGAN``), a tqdm
            bar, "cpu" or "cuda", and the seed that makes fit and sampling reproducible.
    """

    modality = "audio"
    generative = True
    learned = True

    def __init__(self, sample_rate: int = 16000, clip_seconds: float = 1.0, n_mels: int = 64,
                 n_fft: int = 1024, hop: int = 256, griffin_lim_iters: int = 32, z_dim: int = 64,
                 g_width: int = 16, d_width: int = 16, steps: int = 2000, seconds: float | None = None,
                 batch_size: int = 32, lr: float = 1e-3, lr_decay_from: float = 1.0, ema_decay: float = 0.995,
                 class_weight: float = 1.0, mode_seeking: float = 0.6, diffaugment=SPECTROGRAM_DIFFAUGMENT,
                 mix: float = 0.5, checkpoint_dir: str | None = None,
                 resume: bool = True, progress: bool = True, device: str = "cpu", seed: int | None = None):
        self.sample_rate = sample_rate
        self.clip_seconds = clip_seconds
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop = hop
        self.griffin_lim_iters = griffin_lim_iters
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
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress
        self.device = device
        self.seed = seed

    # ---- spectrogram images -------------------------------------------------------------------
    def mel_image(self) -> MelImage:
        check_sample_rate(self.sample_rate)
        check_stft(self.n_fft, self.hop)    # Griffin-Lim's inverse STFT needs overlapping frames
        check_in_range(self.n_fft, "n_fft", 64, 8192)
        check_int(self.n_mels, "n_mels", 8, self.n_fft // 2)
        check_int(self.griffin_lim_iters, "griffin_lim_iters", 1, 1000)
        return MelImage(self.sample_rate, self.n_fft, self.hop, self.n_mels, self.griffin_lim_iters)

    @property
    def clip_length(self) -> int:
        check_in_range(self.clip_seconds, "clip_seconds", 0, 60, low_inclusive=False)
        return round(self.sample_rate * self.clip_seconds)

    def _check_x(self, x):
        self.mel_image()      # settings first: the length check below compares with n_fft
        x = check_audio(x, "x", min_length=self.n_fft)
        if x.shape[1] != self.clip_length:
            raise ValueError(f"x clips are {x.shape[1]} samples long; SpectrogramGAN(sample_rate="
                             f"{self.sample_rate}, clip_seconds={self.clip_seconds}) expects "
                             f"{self.clip_length}: resample to {self.sample_rate} Hz and cut or pad the clips, "
                             f"or set sample_rate / clip_seconds to match")
        return x

    def to_images(self, x: Tensor) -> Tensor:
        """Clips ``[B, T]`` as the model's ``[B, 1, n_mels, frames]`` images in [0, 1] (fitted stats)."""
        self._check_fitted()
        mel = self._fitted_mel_image()
        x = self._check_x(x).float()  # float64 clips, as fit takes them: the mel filterbank is float32
        return mel.to_image(mel.log_mel(x), self.mel_mean_.to(x.device), self.mel_std_.to(x.device))

    def _spectrogram_settings(self) -> dict:
        return {"sample_rate": self.sample_rate, "clip_length": self.clip_length, "n_fft": self.n_fft,
                "hop": self.hop, "n_mels": self.n_mels}

    def _fitted_mel_image(self) -> MelImage:
        """``mel_image()``, refused where a setting differs from the fit's (``set_params`` or
        ``load(**overrides)``): the networks know only the images they were fitted on, and another
        rate or hop would invert them to the wrong pitch or length."""
        mel = self.mel_image()
        now = self._spectrogram_settings()
        for name, fitted in self.spectrogram_.items():
            if now[name] != fitted:
                what = "clip_length (sample_rate * clip_seconds)" if name == "clip_length" else name
                raise ValueError(f"{what} is {now[name]!r}, but this SpectrogramGAN was fitted with {fitted!r}: "
                                 f"set it back, or fit again with the new value")
        return mel

    # ---- fitting ------------------------------------------------------------------------------
    def _fit(self, x: Tensor, y: Tensor | None) -> None:
        if y is None:
            raise ValueError("y is required: SpectrogramGAN learns p(x | y) and needs a label per clip")
        check_in_range(self.mix, "mix", 0, 1)
        check_device(self.device)
        check_bool(self.resume, "resume")   # `--param resume=False` gives the truthy string "False"
        check_bool(self.progress, "progress")
        mel = self.mel_image()
        log_mel = mel.log_mel(x.to(self.device, torch.float32))  # float64 clips: the networks are float32
        mean, std = mel.statistics(log_mel)
        images = mel.to_image(log_mel, mean, std)
        config = GANConfig(tuple(images.shape[1:]), num_classes_of(y), self.z_dim, self.g_width, self.d_width)
        train = TrainConfig.from_params(self.get_params())
        # Standing batch-norm statistics, which ConditionalGAN uses, did not help here: label accuracy
        # 0.714 and 0.674 with them, 0.716 and 0.696 without (3,000 steps, seeds 0 and 1, one fit each).
        train.standing_samples = 0
        g = make_generator(None if self.seed is None else derive_seed(self.seed, "fit"))
        self.generator_ = train_conditional_gan(images, y, config, train, g, device=self.device,
                                                checkpoint_dir=self.checkpoint_dir, resume=self.resume,
                                                progress=self.progress, desc="fit SpectrogramGAN",
                                                identity={"seed": self.seed})
        self.classes_ = sorted(set(y.tolist()))
        self.spectrogram_ = self._spectrogram_settings()
        self.mel_mean_, self.mel_std_ = mean.cpu(), std.cpu()
        self.history_ = train.history
        self.steps_done_ = train.steps_done

    def _num_classes(self) -> int | None:
        return self.generator_.config.num_classes if self.is_fitted() else None

    # ---- sampling -----------------------------------------------------------------------------
    def generate_images(self, y, rng=None) -> Tensor:
        """Generated spectrogram images ``[B, 1, n_mels, frames]`` in [0, 1]; ``rng`` as in ``generate``."""
        self._check_fitted()
        y = check_labels(y, None, self._num_classes())
        self._fitted_mel_image()
        check_seen_labels(y, self.classes_)
        return sample(self.generator_, y, self.generator(rng))

    @torch.no_grad()
    def _generate(self, y: Tensor, g: torch.Generator) -> Tensor:
        images = self.generate_images(y, g)   # refuses settings other than the fit's
        wave = self.mel_image().to_wave(images, self.mel_mean_, self.mel_std_, self.clip_length)
        return wave.float()

    def _augment(self, x: Tensor, y: Tensor | None, g: torch.Generator) -> Tensor:
        if y is None:
            raise ValueError("y is required: SpectrogramGAN.augment replaces clips by generated ones "
                             "of the same label")
        check_seen_labels(y, self.classes_)
        self._fitted_mel_image()
        return mix_generated(x, y, self.mix, self._generate, g)

    # ---- persistence --------------------------------------------------------------------------
    def _get_state(self):
        tensors = {f"generator.{k}": v for k, v in self.generator_.state_dict().items()}
        tensors.update({"mel_mean": self.mel_mean_, "mel_std": self.mel_std_})
        meta = {"gan": self.generator_.config.to_dict(), "steps_done": self.steps_done_, "classes": self.classes_,
                "spectrogram": self.spectrogram_}
        return meta, tensors

    def _set_state(self, meta, tensors):
        check_device(self.device)
        config = GANConfig(**meta["gan"])
        self.generator_ = load_module(ConditionalGenerator(config), tensors, "generator.", self.device)
        self.classes_ = meta.get("classes", list(range(config.num_classes)))  # older saves: all
        self.spectrogram_ = meta.get("spectrogram", {"n_mels": config.shape[1]})  # older saves: n_mels
        self.mel_mean_, self.mel_std_ = tensors["mel_mean"].float(), tensors["mel_std"].float()
        self.history_ = []
        self.steps_done_ = meta.get("steps_done", 0)
