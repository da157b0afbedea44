"""Waveform augmenters: batches in, batches out (float32 ``[B, T]`` mono at ``sample_rate``).

Each class draws one set of parameters per clip from the generator it is given (on the CPU, so
results do not depend on the device) and calls the matching kernel in ``aad.audio.functional``.
"""
from __future__ import annotations

import math
from numbers import Integral

import torch
from torch import Tensor

from aad.audio import functional as F
from aad.base import Augmenter
from aad.checks import check_audio, check_bool, check_in_range, check_pair


def uniform(low: float, high: float, n: int, g: torch.Generator) -> Tensor:
    """``n`` float64 draws from U[low, high] on the CPU."""
    return low + (high - low) * torch.rand(n, generator=g, dtype=torch.float64)


def check_sample_rate(sample_rate, name: str = "sample_rate") -> int:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, Integral):
        raise TypeError(f"{name} must be an int number of samples per second, got {sample_rate!r}")
    check_in_range(sample_rate, name, 1000, 192_000)
    return int(sample_rate)


class _WaveAugmenter(Augmenter):
    modality = "audio"
    min_length = 1      # shortest clip (samples) the op accepts

    def _check_x(self, x):
        return check_audio(x, "x", min_length=self.min_length)


# Louder clips overflow the float32 spectra (inf, then NaN, from about 1e18); int32 PCM read as floats
# (up to 2.1e9) is still far below.
MAX_STFT_AMPLITUDE = 1e15


class _StftAugmenter(_WaveAugmenter):
    @property
    def min_length(self) -> int:
        return self.n_fft

    def _check_x(self, x):
        F.check_stft(self.n_fft, self.hop)     # first: the clip-length check compares with n_fft
        x = super()._check_x(x)
        peak = float(x.detach().abs().max())
        if peak > MAX_STFT_AMPLITUDE:
            raise ValueError(f"x reaches amplitude {peak:.3g}: beyond {MAX_STFT_AMPLITUDE:.0e} the float32 spectra "
                             f"of {type(self).__name__} overflow; scale the clips (to [-1, 1])")
        return x


class TimeStretch(_StftAugmenter):
    """Change duration, keep pitch (phase vocoder), by a rate drawn per clip from [min_rate, max_rate].

    rate > 1 is faster (shorter), < 1 slower (longer); rates must lie in [0.1, 10].
    ``keep_length=True`` zero-pads or crops each clip back to the input length; ``False`` returns a
    list of 1-D clips of their new lengths (round(T / rate)).
    """

    def __init__(self, min_rate: float = 0.8, max_rate: float = 1.25, keep_length: bool = True,
                 n_fft: int = F.N_FFT, hop: int = F.HOP, seed: int | None = None):
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.keep_length = keep_length
        self.n_fft = n_fft
        self.hop = hop
        self.seed = seed

    def _augment(self, x, y, g):
        lo, hi = check_pair((self.min_rate, self.max_rate), "(min_rate, max_rate)", F.MIN_RATE, F.MAX_RATE)
        check_bool(self.keep_length, "keep_length")
        out, lengths = F.time_stretch(x, uniform(lo, hi, len(x), g), self.n_fft, self.hop)
        return F.fit_length(out, x.shape[1]) if self.keep_length else F.split_clips(out, lengths)


class Speed(_WaveAugmenter):
    """Play faster or slower (resampling: duration and pitch change together), rate per clip.

    rate in [min_rate, max_rate] within [0.1, 10]; 1.1 is 10% faster and ~1.65 semitones higher.
    ``keep_length`` as in ``TimeStretch``.
    """

    def __init__(self, min_rate: float = 0.9, max_rate: float = 1.1, keep_length: bool = True,
                 seed: int | None = None):
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.keep_length = keep_length
        self.seed = seed

    @property
    def min_length(self) -> int:
        _, hi = check_pair((self.min_rate, self.max_rate), "(min_rate, max_rate)", F.MIN_RATE, F.MAX_RATE)
        return math.floor(hi / 2) + 1   # round(T / max_rate) >= 1 sample

    def _augment(self, x, y, g):
        lo, hi = check_pair((self.min_rate, self.max_rate), "(min_rate, max_rate)", F.MIN_RATE, F.MAX_RATE)
        check_bool(self.keep_length, "keep_length")
        out, lengths = F.change_speed(x, uniform(lo, hi, len(x), g))
        return F.fit_length(out, x.shape[1]) if self.keep_length else F.split_clips(out, lengths)


class PitchShift(_StftAugmenter):
    """Shift pitch by semitones drawn per clip from [min_semitones, max_semitones] (within +-24),
    keeping duration."""

    def __init__(self, min_semitones: float = -2.0, max_semitones: float = 2.0,
                 n_fft: int = F.N_FFT, hop: int = F.HOP, seed: int | None = None):
        self.min_semitones = min_semitones
        self.max_semitones = max_semitones
        self.n_fft = n_fft
        self.hop = hop
        self.seed = seed

    def _augment(self, x, y, g):
        lo, hi = check_pair((self.min_semitones, self.max_semitones), "(min_semitones, max_semitones)",
                            -24, 24)
        return F.pitch_shift(x, uniform(lo, hi, len(x), g), self.n_fft, self.hop)


def hz_to_mel(hz):
    return 2595.0 * torch.log10(1 + torch.as_tensor(hz, dtype=torch.float64) / 700)


def mel_to_hz(mel):
    return 700 * (10 ** (torch.as_tensor(mel, dtype=torch.float64) / 2595.0) - 1)


class SpecAugment(_StftAugmenter):
    """SpecAugment (Park et al. 2019) applied to waveforms: waveform in, waveform out.

    Each clip gets ``freq_masks`` frequency bands silenced, each up to ``max_freq_width`` of the
    mel-scale bandwidth wide (placed uniformly on the mel scale, as masks on log-mel features are),
    ``time_masks`` spans of STFT frames silenced, each up to ``max_time_width`` of the clip's frames
    long, and, when ``time_warp > 0``, a time warp moving a random frame by up to ``time_warp`` of
    the clip's frames (less on clips of a few frames, so that the warp stays inside; pitch kept).
    Overlapping frames share each sample, so a time mask of L frames silences about
    ``(L + 1 - n_fft / hop) * hop`` samples of the waveform (``(L - 3) * hop`` at the defaults),
    with a fade of up to ``n_fft - hop`` samples either side; a mask of ``n_fft / hop - 1`` frames
    or fewer (3 at the defaults) only attenuates. Working on the STFT of the waveform keeps the
    batch contract, so any downstream model (and any feature extractor) sees SpecAugmented audio.
    For masks on features the model already computed, use ``aad.audio.functional.mask_spectrogram``.
    """

    def __init__(self, freq_masks: int = 2, max_freq_width: float = 0.15, time_masks: int = 2,
                 max_time_width: float = 0.1, time_warp: float = 0.0, sample_rate: int = 16000,
                 n_fft: int = F.N_FFT, hop: int = F.HOP, seed: int | None = None):
        self.freq_masks = freq_masks
        self.max_freq_width = max_freq_width
        self.time_masks = time_masks
        self.max_time_width = max_time_width
        self.time_warp = time_warp
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop = hop
        self.seed = seed

    def _augment(self, x, y, g):
        self._check_params()
        b, frames = len(x), F.spec_augment_frames(x.shape[1], self.n_fft, self.hop)
        top_mel = float(hz_to_mel(self.sample_rate / 2))
        width = uniform(0, self.max_freq_width * top_mel, b * self.freq_masks, g)
        start = torch.rand(b * self.freq_masks, generator=g, dtype=torch.float64) * (top_mel - width)
        to_bin = lambda mel: torch.round(mel_to_hz(mel) * self.n_fft / self.sample_rate).long()
        freq = torch.stack([to_bin(start), to_bin(start + width)], -1).view(b, self.freq_masks, 2)
        length = torch.floor(uniform(0, self.max_time_width * frames, b * self.time_masks, g))
        first = torch.floor(torch.rand(b * self.time_masks, generator=g, dtype=torch.float64)
                            * (frames - length + 1))   # up to the last frame
        time = torch.stack([first, first + length], -1).long().view(b, self.time_masks, 2)
        warp = self._draw_warp(b, frames, g) if self.time_warp > 0 else None
        out = F.spec_augment(x, freq.to(x.device), time.to(x.device),
                             None if warp is None else warp.to(x.device), self.n_fft, self.hop)
        return out.to(x.dtype)

    def _draw_warp(self, b: int, frames: int, g: torch.Generator) -> Tensor:
        # the moved frame stays >= 1 frame from either end, so both pieces of the map have frames;
        # on 3-4 frames that leaves no room: reach 0, no warp
        reach = max(0.0, min(self.time_warp * frames, frames / 2 - 2))
        centre = uniform(reach + 1, frames - 2 - reach, b, g)
        shift = uniform(-reach, reach, b, g)
        return torch.stack([centre, shift], -1)

    def _check_params(self) -> None:
        check_sample_rate(self.sample_rate)
        for name in ("freq_masks", "time_masks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value <= 16:
                raise ValueError(f"{name} must be an int in [0, 16], got {value!r}")
        check_in_range(self.max_freq_width, "max_freq_width", 0.0, 1.0)
        check_in_range(self.max_time_width, "max_time_width", 0.0, 1.0)
        check_in_range(self.time_warp, "time_warp", 0.0, 0.4)


class Gain(_WaveAugmenter):
    """Scale each clip by a gain drawn from [min_gain_db, max_gain_db] decibels (within +-60)."""

    def __init__(self, min_gain_db: float = -6.0, max_gain_db: float = 6.0, seed: int | None = None):
        self.min_gain_db = min_gain_db
        self.max_gain_db = max_gain_db
        self.seed = seed

    def _augment(self, x, y, g):
        lo, hi = check_pair((self.min_gain_db, self.max_gain_db), "(min_gain_db, max_gain_db)", -60, 60)
        return F.apply_gain(x, uniform(lo, hi, len(x), g))


class AddNoise(_WaveAugmenter):
    """Add white Gaussian noise at a signal-to-noise ratio drawn from [min_snr_db, max_snr_db].

    The SNR is measured per clip against its own RMS; a silent clip stays silent.
    """

    def __init__(self, min_snr_db: float = 10.0, max_snr_db: float = 40.0, seed: int | None = None):
        self.min_snr_db = min_snr_db
        self.max_snr_db = max_snr_db
        self.seed = seed

    def _augment(self, x, y, g):
        lo, hi = check_pair((self.min_snr_db, self.max_snr_db), "(min_snr_db, max_snr_db)", -40, 120)
        noise = torch.randn(x.shape, generator=g, dtype=x.dtype).to(x.device)
        return F.add_noise(x, uniform(lo, hi, len(x), g), noise)


class TimeShift(_WaveAugmenter):
    """Shift each clip in time by up to ``max_shift`` of its length either way (0 .. 1).

    The gap is filled with silence, or with the clip's other end when ``rollover=True``.
    """

    def __init__(self, max_shift: float = 0.1, rollover: bool = False, seed: int | None = None):
        self.max_shift = max_shift
        self.rollover = rollover
        self.seed = seed

    def _augment(self, x, y, g):
        check_in_range(self.max_shift, "max_shift", 0.0, 1.0)
        reach = math.floor(self.max_shift * x.shape[1])
        shift = torch.randint(-reach, reach + 1, (len(x),), generator=g)
        return F.time_shift(x, shift.to(x.device), self.rollover)
