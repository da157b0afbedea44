"""Log-mel spectrograms as GAN images in [0, 1], and their inversion back to waveforms.

Forward: |STFT|^2 -> mel filterbank -> log -> per-mel-bin standardisation (statistics of the
training clips, as SpecGAN does) -> clip to +-3 std -> [0, 1].
Inverse: undo the scaling -> mel power -> linear power by the filterbank's pseudo-inverse (one
matmul, negatives clipped) -> magnitude -> Griffin-Lim (torchaudio, zero-phase start: deterministic).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio
from torch import Tensor

CLIP_STD = 3.0       # standardised log-mel values beyond +-3 std are clipped (SpecGAN)
EPS = 1e-6           # power floor before the log (-60 dB re full scale)


@dataclass(frozen=True)
class MelImage:
    """Maps ``[B, T]`` clips to ``[B, 1, n_mels, T // hop + 1]`` images in [0, 1] and back."""

    sample_rate: int = 16000
    n_fft: int = 1024
    hop: int = 256
    n_mels: int = 64
    griffin_lim_iters: int = 32

    def filterbank(self, device=None) -> Tensor:
        """Mel filterbank ``[n_fft // 2 + 1, n_mels]`` (HTK-free Slaney-normalised, as librosa)."""
        return torchaudio.functional.melscale_fbanks(
            self.n_fft // 2 + 1, 0.0, self.sample_rate / 2, self.n_mels, self.sample_rate,
            norm="slaney", mel_scale="slaney").to(device)

    def log_mel(self, wave: Tensor) -> Tensor:
        """Log mel power ``[B, n_mels, frames]``."""
        window = torch.hann_window(self.n_fft, device=wave.device, dtype=wave.dtype)   # float64 clips too
        spec = torch.stft(wave, self.n_fft, self.hop, window=window, center=True, return_complex=True)
        power = spec.real.square() + spec.imag.square()
        mel = torch.einsum("bft,fm->bmt", power, self.filterbank(wave.device).to(power.dtype))
        return torch.log(mel + EPS)

    @staticmethod
    def statistics(log_mel: Tensor) -> tuple[Tensor, Tensor]:
        """Per-mel-bin mean and std ``[n_mels]`` over clips and frames."""
        return log_mel.mean(dim=(0, 2)), log_mel.std(dim=(0, 2)).clamp_min(1e-3)

    def to_image(self, log_mel: Tensor, mean: Tensor, std: Tensor) -> Tensor:
        z = (log_mel - mean[:, None]) / std[:, None]
        return ((z.clamp(-CLIP_STD, CLIP_STD) + CLIP_STD) / (2 * CLIP_STD)).unsqueeze(1)

    def to_wave(self, image: Tensor, mean: Tensor, std: Tensor, length: int) -> Tensor:
        """Invert ``[B, 1, n_mels, frames]`` images to ``[B, length]`` waveforms."""
        z = image.squeeze(1) * (2 * CLIP_STD) - CLIP_STD
        mel = torch.exp(z * std[:, None].to(z.device) + mean[:, None].to(z.device)) - EPS
        inverse = torch.linalg.pinv(self.filterbank(z.device))                    # [n_mels, F]
        power = torch.einsum("bmt,mf->bft", mel.clamp_min(0), inverse).clamp_min(0)
        window = torch.hann_window(self.n_fft, device=z.device)
        return torchaudio.functional.griffinlim(
            power.sqrt(), window, self.n_fft, self.hop, self.n_fft, power=1.0, n_iter=self.griffin_lim_iters,
            momentum=0.99, length=length, rand_init=False)
