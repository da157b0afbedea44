"""Pure, batched audio kernels on float waveforms ``[B, T]`` (CPU or CUDA, any float dtype).

Random parameters are drawn by the transform classes (``aad.audio.transforms``) and passed in
here as tensors, one value per clip, so every kernel is deterministic and testable on its own.
The phase vocoder takes a per-clip grid of fractional frame positions: time stretch, pitch shift
and SpecAugment's time warp are all one vectorized call over the whole batch.
"""
from __future__ import annotations

import functools
from numbers import Integral

import torch
from torch import Tensor

from aad.checks import check_audio, check_bool, check_int

N_FFT = 512          # 32 ms at 16 kHz: a speech-sized window
HOP = 128            # 4x overlap, as librosa's default ratio
MIN_RATE, MAX_RATE = 0.1, 10.0   # beyond these a "stretch" is no longer the same utterance
CPU_GROUP = 8        # clips per vectorized pass on the CPU
RESAMPLE_CPU_PRODUCTS = 600_000   # change_speed's [clips, samples, taps] per pass on the CPU
_TINY = 1e-18        # added to silent STFT bins; squared it stays a normal float32
ROLLOFF = 0.9        # change_speed's cutoff, as a fraction of the lower Nyquist frequency
KAISER_BETA = 6.0    # its window: ~60 dB down past a transition about a tenth of the band wide


def single_threaded(kernel):
    """Run a CPU kernel on one intra-op thread, then restore the setting.

    The tensors of one clip batch are small; measured here (2 cores, shared with other jobs),
    torch's intra-op threading on them cost 2-4x in wall time over one thread. CUDA is left alone.
    """
    @functools.wraps(kernel)
    def wrapper(wave, *args, **kwargs):
        threads = torch.get_num_threads()
        if not isinstance(wave, Tensor) or wave.device.type != "cpu" or threads == 1:
            return kernel(wave, *args, **kwargs)
        torch.set_num_threads(1)
        try:
            return kernel(wave, *args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return wrapper


def fft_in_float32(kernel):
    """Run a kernel on float16/bfloat16 clips in float32 and return its output in their dtype: torch's
    CPU FFT has no half types (and CUDA's only power-of-two sizes)."""
    @functools.wraps(kernel)
    def wrapper(wave, *args, **kwargs):
        if not isinstance(wave, Tensor) or wave.dtype not in (torch.float16, torch.bfloat16):
            return kernel(wave, *args, **kwargs)
        out = kernel(wave.float(), *args, **kwargs)
        return (out[0].to(wave.dtype), *out[1:]) if isinstance(out, tuple) else out.to(wave.dtype)
    return wrapper


# ---- parameters -------------------------------------------------------------------------------
def per_clip(value, n: int, name: str, device, low=None, high=None) -> Tensor:
    """A float or a ``[B]`` tensor of per-clip values as a float64 ``[n]`` tensor on ``device``."""
    v = torch.as_tensor(value, dtype=torch.float64)
    if v.dim() == 0:
        v = v.expand(n)
    if v.shape != (n,):
        raise ValueError(f"{name} must be a number or one value per clip ({n}), got shape {tuple(v.shape)}")
    if not torch.isfinite(v).all():
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v <= low).any() or high is not None and (v > high).any():
        raise ValueError(f"{name} must be in ({low}, {high}], got range "
                         f"[{float(v.min()):.4g}, {float(v.max()):.4g}]")
    return v.to(device)


def check_rates(rate, n: int, name: str = "rate", device=None) -> Tensor:
    """Stretch/speed factors: > 1 is faster (shorter), < 1 slower (longer); 0.1 .. 10."""
    v = per_clip(rate, n, name, device)
    if (v < MIN_RATE).any() or (v > MAX_RATE).any():
        raise ValueError(f"{name} must be in [{MIN_RATE}, {MAX_RATE}] (> 1 faster, < 1 slower), got range "
                         f"[{float(v.min()):.4g}, {float(v.max()):.4g}]")
    return v


# ---- STFT helpers -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _window(n_fft: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    return torch.hann_window(n_fft, device=device, dtype=dtype)


@functools.lru_cache(maxsize=16)
def _overlap_envelope(n_fft: int, hop: int, frames: int, device: torch.device, dtype) -> Tensor:
    """1 / (sum of squared windows) ``[1, samples]`` over ``frames`` overlapped frames."""
    squared = _window(n_fft, device, dtype).pow(2).expand(1, frames, n_fft)
    return 1 / _overlap_add(squared, hop).clamp_min(1e-8)


def _overlap_envelope_per_clip(signal_frames: Tensor, n_fft: int, hop: int, frames: int, dtype) -> Tensor:
    """As ``_overlap_envelope``, per clip ``[B, samples]``, counting only each clip's first
    ``signal_frames[b]`` frames."""
    counted = torch.arange(frames, device=signal_frames.device) < signal_frames.unsqueeze(1)   # [B, K]
    squared = _window(n_fft, signal_frames.device, dtype).pow(2)
    return 1 / _overlap_add(counted.unsqueeze(2) * squared, hop).clamp_min(1e-8)


def _normalise_per_clip(summed: Tensor, signal_frames: Tensor, n_fft: int, hop: int, frames: int) -> Tensor:
    """``summed * _overlap_envelope_per_clip(...)``, in place, without building the per-clip envelopes.

    A clip's envelope is the shared one up to sample ``s * hop`` (frame ``s``, its first silent one);
    then, for ``n_fft - hop`` samples, the sum of its last counted frames' tails, the same profile for
    every ``s``; past that the sum is 0, as it is in ``summed``. The same floats: in each sum the
    silent frames' zeros come first and change nothing.
    """
    overlap = n_fft // hop
    device, dtype = summed.device, summed.dtype
    if n_fft % hop or int(signal_frames.min()) < overlap:   # tails reach back to the first frame
        return summed.mul_(_overlap_envelope_per_clip(signal_frames, n_fft, hop, frames, dtype))
    tail = (signal_frames * hop).unsqueeze(1) + torch.arange(n_fft - hop, device=device)   # [B, n_fft - hop]
    tails = summed.gather(1, tail).mul_(_tail_profile(n_fft, hop, device, dtype))
    return summed.mul_(_overlap_envelope(n_fft, hop, frames, device, dtype)).scatter_(1, tail, tails)


@functools.lru_cache(maxsize=16)
def _tail_profile(n_fft: int, hop: int, device: torch.device, dtype) -> Tensor:
    """The per-clip envelope's samples after the counted frames' last start (see ``_normalise_per_clip``)."""
    overlap = n_fft // hop
    envelope = _overlap_envelope_per_clip(torch.tensor([overlap], device=device), n_fft, hop, overlap + 1, dtype)
    return envelope[0, overlap * hop:overlap * hop + n_fft - hop]


def _overlap_add(frames: Tensor, hop: int) -> Tensor:
    """Sum frames ``[B, K, n]`` placed ``hop`` apart: ``[B, (K - 1) * hop + n]``.

    By shifted slices when ``hop`` divides ``n``: about twice as fast as ``fold`` (which
    ``torch.istft`` uses) on the CPU.
    """
    b, k, n = frames.shape
    if n % hop:
        size = (k - 1) * hop + n
        out = torch.nn.functional.fold(frames.transpose(1, 2), (1, size), (1, n), stride=(1, hop))
        return out.view(b, size)
    overlap = n // hop
    pieces = frames.reshape(b, k, overlap, hop)
    out = frames.new_zeros(b, k + overlap - 1, hop)
    for j in range(overlap):
        out[:, j:j + k] += pieces[:, :, j]
    return out.view(b, -1)


def stft(wave: Tensor, n_fft: int = N_FFT, hop: int = HOP) -> Tensor:
    """Complex STFT ``[B, n_fft // 2 + 1, T // hop + 1]`` with a Hann window, centred frames.

    Zero-padded at the ends, as librosa: with reflected padding frame 0's bins have phases that
    disagree with frame 1's, and the phase vocoder, once it reads frame 0 twice (rate < 1),
    carries that disagreement into every later frame: tones came out up to 30 dB quieter.
    """
    window = _window(n_fft, wave.device, wave.dtype)
    return torch.stft(wave, n_fft, hop, window=window, center=True, pad_mode="constant", return_complex=True)


def istft(spec: Tensor, length: int, n_fft: int = N_FFT, hop: int = HOP,
          signal_frames: Tensor | None = None) -> Tensor:
    """Inverse of ``stft`` (least-squares overlap-add), cropped or zero-padded to ``length`` samples.

    signal_frames: int ``[B]``, how many leading frames of each clip hold signal; the silent frames
    after them are left out of the normalisation, where they would fade the clip's end.
    """
    window = _window(n_fft, spec.device, spec.real.dtype)
    frames = torch.fft.irfft(spec.transpose(1, 2), n=n_fft).mul_(window)  # [B, K, n_fft]
    k = frames.shape[1]
    out = _overlap_add(frames, hop)
    if signal_frames is None:
        out.mul_(_overlap_envelope(n_fft, hop, k, spec.device, window.dtype))
    else:
        _normalise_per_clip(out, signal_frames, n_fft, hop, k)
    return fit_length(out[:, n_fft // 2:], length)


def check_stft(n_fft, hop) -> None:
    """Integer sizes whose frames overlap by at least half: the inverse divides by the summed
    squared windows, which nears zero between frames that overlap less, and the output explodes."""
    check_int(n_fft, "n_fft", 16, 16384)
    if isinstance(hop, bool) or not isinstance(hop, Integral) or not 1 <= hop <= n_fft // 2:
        raise ValueError(f"hop must be an int in [1, n_fft // 2 = {n_fft // 2}] (frames overlapping by at "
                         f"least half), got {hop!r}")


def _check_wave(wave, n_fft: int, hop: int, name: str = "wave") -> Tensor:
    check_stft(n_fft, hop)
    return check_audio(wave, name, min_length=n_fft)


def phase_vocode(spec: Tensor, positions: Tensor, valid: Tensor) -> Tensor:
    """Resample STFT frames ``[B, F, n]`` at fractional ``positions`` ``[B, K]``, keeping pitch.

    Frames where ``valid`` ``[B, K]`` is False come out silent. See ``_vocode_frames``.
    """
    n = spec.shape[-1]
    positions = torch.where(valid, positions, float(n))      # past the end: the silent frame
    frames = spec.transpose(1, 2).clone(memory_format=torch.contiguous_format)   # consumed below
    return _vocode_frames(frames, positions).transpose(1, 2)


def _vocode_frames(spec: Tensor, positions: Tensor) -> Tensor:
    """Phase vocoder on frame-major spectra ``[B, n, F]`` -> ``[B, K, F]``; positions >= n are silent.

    ``spec`` must be a contiguous tensor the caller no longer needs: it is overwritten.

    Magnitudes are interpolated between neighbouring frames; each bin's phase advances by the
    phase step measured between those frames (its instantaneous frequency times one hop), so
    pitch is kept whatever the frame spacing (as librosa's and torchaudio's ``phase_vocoder``).

    With unit phasors u (a silent bin counts as phase 0, as librosa's angle of 0), output frame k
    reading input frames a_0 <= a_1 <= ... has phase u[0] * prod_{j<k} u[a_j + 1] conj(u[a_j]).
    That chain telescopes to u[a_{k-1} + 1] times the product of the few "events" where a_j is
    not a_{j-1} + 1 (a frame read twice or skipped: a fraction |1 - rate| of frames), so the
    sequential complex product runs over those events only. Frame lookups are row copies in
    this layout, and no angle/polar/abs runs on complex tensors (5-10x slower per element).
    """
    b, n, f = spec.shape
    power = torch.addcmul(spec.real * spec.real, spec.imag, spec.imag)
    inverse = (power + _TINY * _TINY).rsqrt_()
    unit = spec.add_(_TINY).mul_(inverse)    # in place (spec is ours); a silent bin gets phase 0
    magnitude = power.mul_(inverse)
    magnitude = torch.cat([magnitude, magnitude.new_zeros(b, 1, f)], 1)    # row n: silence
    i0 = positions.floor().long().clamp(0, n)
    alpha = (positions - i0).clamp(0, 1).to(magnitude.dtype).unsqueeze(-1)
    i1 = torch.where(i0 < n, (i0 + 1).clamp(max=n - 1), n)
    out_magnitude = _rows(magnitude, i0).lerp_(_rows(magnitude, i1), alpha)
    read = i0.clamp(max=n - 2)                        # a_j; a_{-1} = -1 so that u[a_{-1} + 1] = u[0]
    previous = torch.cat([read.new_full((b, 1), -1), read[:, :-1]], 1)
    # in place: fewer fresh buffers, whose first touch (page faults) costs as much as the math
    return _rows(unit, previous + 1).mul_(_phase_events(unit, read, previous)).mul_(out_magnitude)


def _phase_events(unit: Tensor, read: Tensor, previous: Tensor) -> Tensor:
    """``[B, K, F]``: product of u[a_{j-1} + 1] conj(u[a_j]) over the events j < k (see above)."""
    event = read != previous + 1                                             # [B, K]
    events = int(event.sum(1).max())
    # each clip's events first, in order; shorter rows padded with the pair (0, 0): factor 1
    order = torch.sort(event.to(torch.uint8), dim=1, descending=True, stable=True).indices[:, :events]
    is_event = event.gather(1, order)
    after = torch.where(is_event, previous.gather(1, order) + 1, 0)
    current = torch.where(is_event, read.gather(1, order), 0)
    factors = _rows(unit, after).mul_(_rows(unit, current).conj())
    running = torch.cat([torch.ones_like(unit[:, :1]), factors], 1).cumprod(1)   # [B, E + 1, F]
    before = event.long().cumsum(1) - event.long()                           # events j < k
    return _rows(running, before)


def _rows(frames: Tensor, index: Tensor) -> Tensor:
    """``frames[b, index[b, k]]`` for ``frames`` ``[B, n, F]`` and ``index`` ``[B, K]``: row copies."""
    b, n, f = frames.shape
    flat = index + torch.arange(b, device=index.device).unsqueeze(1) * n
    return frames.reshape(b * n, f).index_select(0, flat.flatten()).view(b, index.shape[1], f)


# ---- time and pitch ---------------------------------------------------------------------------
def stretched_lengths(length: int, rate: Tensor) -> Tensor:
    """Samples of a clip of ``length`` after stretching by ``rate`` (round(length / rate))."""
    return torch.round(length / rate.cpu()).long()


@fft_in_float32
@single_threaded
def time_stretch(wave: Tensor, rate, n_fft: int = N_FFT, hop: int = HOP) -> tuple[Tensor, Tensor]:
    """Change duration, keep pitch: a batched phase vocoder with one rate per clip.

    wave: float ``[B, T]``, at least ``n_fft`` samples. rate: float or ``[B]`` in [0.1, 10];
    > 1 compresses (faster, shorter), < 1 stretches (slower, longer).
    Returns ``(out, lengths)``: ``out`` ``[B, max(lengths)]``, clip ``i`` valid up to
    ``lengths[i] = round(T / rate[i])`` and zero after. Silence stays silence.
    """
    wave = _check_wave(wave, n_fft, hop)
    rates = check_rates(rate, len(wave), device=wave.device)
    lengths = stretched_lengths(wave.shape[1], rates)
    out = wave.new_empty(len(wave), int(lengths.max()))   # every tail is zeroed at the end
    # on the CPU, groups of a few clips stay in cache: ~2x faster than one batch-wide pass;
    # grouping clips of similar rate lets each group stop at its own longest output
    group = CPU_GROUP if wave.device.type == "cpu" else len(wave)
    for index, group_len in _length_groups(lengths, group, wave.device):
        out[index, :group_len] = _stretch_group(wave.index_select(0, index), rates[index], group_len, n_fft, hop)
    return _zero_tails(out, lengths), lengths


def _length_groups(lengths: Tensor, group: int, device):
    """Indices (on ``device``) of ``group`` clips at a time, shortest outputs first, each with the
    group's longest output: a group of similar rates stops there, not at the batch's longest."""
    order = torch.argsort(lengths, stable=True)
    for start in range(0, len(lengths), group):
        members = order[start:start + group]
        yield members.to(device), int(lengths[members[-1]])


def _stretch_group(wave: Tensor, rates: Tensor, out_len: int, n_fft: int, hop: int) -> Tensor:
    # padded so that stft gives every frame that overlaps the clip: positions between its last
    # frame and the silence after would fade the clip's end
    covering = torch.nn.functional.pad(wave, (0, n_fft // 2 - 1))
    spec = stft(covering, n_fft, hop).transpose(1, 2)     # frame-major [b, n, F], contiguous
    frames = _frames_covering(out_len, n_fft, hop)
    positions = torch.arange(frames, device=wave.device, dtype=torch.float64) * rates.unsqueeze(1)
    signal_frames = (positions < spec.shape[1]).sum(1)   # later ones read past the end: silent
    return istft(_vocode_frames(spec, positions).transpose(1, 2), out_len, n_fft, hop, signal_frames)


def _frames_covering(length: int, n_fft: int, hop: int) -> int:
    """How many centred frames overlap a clip of ``length`` samples."""
    return (length + n_fft // 2 - 1) // hop + 1


@fft_in_float32
@single_threaded
def change_speed(wave: Tensor, rate, taps: int = 16) -> tuple[Tensor, Tensor]:
    """Play faster or slower by resampling: duration and pitch change together (tape speed).

    rate: float or ``[B]`` in [0.1, 10]; 2.0 is twice as fast and an octave up. Band-limited by a
    Kaiser-windowed sinc over ``taps`` source samples each side (``taps * rate`` when speeding up,
    so the filter is as sharp at every rate) with its cutoff at 0.9 of the lower Nyquist
    frequency: what is above the new Nyquist is removed, not folded back (aliases and images
    under -40 dB, under -65 dB below 0.9 of the new Nyquist); the top tenth of the band fades
    out. A rate of exactly 1 changes nothing.
    Returns ``(out, lengths)`` as ``time_stretch`` does.
    """
    wave = check_audio(wave, "wave")
    check_int(taps, "taps", 1, 1024)
    rates = check_rates(rate, len(wave), device=wave.device)
    lengths = stretched_lengths(wave.shape[1], rates)
    if int(lengths.min()) < 1:
        raise ValueError(f"wave clips of {wave.shape[1]} samples give no sample at rate {float(rates.max()):.4g}; "
                         f"rate r needs clips of at least floor(r / 2) + 1 samples")
    out = wave.new_empty(len(wave), int(lengths.max()))   # every tail is zeroed at the end
    # clips of similar rate share a group, which stops at its own longest output; groups bound
    # the memory of the [clips, samples, taps] products (T / rate samples of taps * rate taps),
    # on the CPU to what stays in cache: about one 1-s clip at 16 kHz, ~2x faster than 4M at once
    products = RESAMPLE_CPU_PRODUCTS if wave.device.type == "cpu" else 4_000_000
    group = max(1, products // (max(out.shape[1], wave.shape[1]) * 2 * (taps + 1)))
    for index, group_len in _length_groups(lengths, group, wave.device):
        out[index, :group_len] = _sinc_resample(wave.index_select(0, index), rates[index], group_len, taps)
    # rate 1 samples the sinc at whole offsets, which in float32 is not exactly 0 there: copy instead
    same = rates == 1
    if same.any():
        out[same, :wave.shape[1]] = wave[same]
    return _zero_tails(out, lengths), lengths


def _zero_tails(out: Tensor, lengths: Tensor) -> Tensor:
    """Zero each padded clip after its own length (in place on a fresh tensor)."""
    beyond = torch.arange(out.shape[1], device=out.device) >= lengths.to(out.device).unsqueeze(1)
    return out.masked_fill_(beyond, 0)


def _sinc_resample(wave: Tensor, rates: Tensor, out_len: int, taps: int, phases: int = 1024) -> Tensor:
    """Output sample k of clip b reads ``wave[b]`` around source position k * rates[b].

    The kernel is tabulated at ``phases`` fractional offsets per clip and interpolated linearly
    between them (weights within 4e-7 of the exact ones, -128 dB): 4x faster than evaluating it
    for every product. More phases make a short clip's table cost more than its products.
    """
    reaches = _reaches(rates, taps)
    reach = int(reaches.max())                             # source samples each side, this group
    padded = torch.nn.functional.pad(wave, (reach, reach + 1))
    b, n = padded.shape
    pos = torch.arange(out_len, device=padded.device, dtype=torch.float64) * rates.unsqueeze(1)  # [b, L]
    pos = pos.clamp(max=n - 2 * reach - 1)                # past a clip's end: zeroed by the caller
    start = pos.floor()
    phase = (pos - start) * phases
    phase_index = phase.floor()
    between = (phase - phase_index).to(padded.dtype).unsqueeze(-1)
    below = phase_index.long()
    table = _sinc_table(rates, reaches, reach, phases, padded.dtype)      # [b, phases + 1, 2R]
    kernel = _rows(table, below).lerp_(_rows(table, below + 1), between)
    # [b, L, 2R] source samples: rows of one flat unfolded view (3x faster than 2-D indexing)
    first = start.long() + 1 + torch.arange(b, device=padded.device).unsqueeze(1) * n
    windows = padded.view(-1).unfold(0, 2 * reach, 1).index_select(0, first.flatten())
    return windows.view(b, out_len, 2 * reach).mul_(kernel).sum(-1)


def _reaches(rates: Tensor, taps: int) -> Tensor:
    """Source samples each side of the kernel, per clip (CPU): ``taps``, times the rate when
    speeding up (the cutoff is lower by that factor, and a kernel as short as at rate 1 would
    blur it into aliasing)."""
    return torch.ceil(taps * rates.clamp(min=1)).long().cpu()


def _sinc_table(rates: Tensor, reaches: Tensor, reach: int, phases: int, dtype: torch.dtype) -> Tensor:
    """Windowed-sinc weights ``[B, phases + 1, 2 * reach]`` of the source samples at offsets
    -reach + 1 .. reach from a position ``p / phases`` past a sample, for each clip's cutoff
    and its own reach (zero weights beyond it: a clip's output does not depend on its batch)."""
    t = _tap_distances(reach, phases, rates.device, dtype)
    cutoff = (ROLLOFF / rates.clamp(min=1)).to(dtype).view(-1, 1, 1)
    window = t.new_zeros(len(rates), phases + 1, 2 * reach)
    for clip, own in enumerate(reaches.tolist()):     # the clip's offsets -own + 1 .. own
        window[clip, :, reach - own:reach + own] = _kaiser(own, phases, rates.device, dtype)
    return cutoff * torch.sinc(cutoff * t) * window


def _tap_distances(reach: int, phases: int, device, dtype) -> Tensor:
    """``[phases + 1, 2 * reach]``: from position ``p / phases`` to source offsets -reach + 1 .. reach."""
    offsets = torch.arange(-reach + 1, reach + 1, device=device, dtype=dtype)
    fractions = torch.arange(phases + 1, device=device, dtype=dtype) / phases
    return fractions.unsqueeze(1) - offsets


@functools.lru_cache(maxsize=16)
def _kaiser(reach: int, phases: int, device, dtype) -> Tensor:
    """Kaiser window, ``reach`` samples each side, at the distances of ``_tap_distances``."""
    t = _tap_distances(reach, phases, device, torch.float64)
    inside = (1 - (t / reach).pow(2)).clamp_min(0).sqrt()
    beta = torch.tensor(KAISER_BETA, dtype=torch.float64)
    return (torch.special.i0(beta * inside) / torch.special.i0(beta)).to(dtype)


@fft_in_float32
@single_threaded
def pitch_shift(wave: Tensor, semitones, n_fft: int = N_FFT, hop: int = HOP) -> Tensor:
    """Shift pitch by ``semitones`` (float or ``[B]``, within +-24), keeping duration ``[B, T]``.

    As librosa: stretch by 2^(-s/12) with the phase vocoder, then resample by 2^(s/12).
    """
    wave = _check_wave(wave, n_fft, hop)
    steps = per_clip(semitones, len(wave), "semitones", wave.device, low=-24.0001, high=24)
    factor = 2.0 ** (steps / 12)
    stretched, _ = time_stretch(wave, 1 / factor, n_fft, hop)
    # round(T * f) samples resampled by f can give round(round(T * f) / f) = T - 1: a zero last
    # sample, unless a longer clip in the batch padded this one. One more zero gives every clip
    # T or more samples on its own, and the same output in any batch.
    out, _ = change_speed(torch.nn.functional.pad(stretched, (0, 1)), factor)
    return fit_length(out, wave.shape[1])


def fit_length(wave: Tensor, length: int) -> Tensor:
    """Crop or zero-pad clips at the end to ``length`` samples (a contiguous tensor: a cropped
    view would keep the whole longer buffer alive, and ``view`` fails on it)."""
    if wave.shape[1] >= length:
        return wave[:, :length].contiguous()
    return torch.nn.functional.pad(wave, (0, length - wave.shape[1]))


def split_clips(wave: Tensor, lengths: Tensor) -> list[Tensor]:
    """The valid part of each padded clip, as a list of 1-D tensors of their own (a view would keep
    the whole padded batch alive)."""
    return [clip[:n].clone() for clip, n in zip(wave, lengths.tolist())]


# ---- level, noise, shift ----------------------------------------------------------------------
def apply_gain(wave: Tensor, gain_db) -> Tensor:
    """Scale each clip by ``gain_db`` decibels (float or ``[B]``, within +-60)."""
    wave = check_audio(wave, "wave")
    db = per_clip(gain_db, len(wave), "gain_db", wave.device, low=-60.0001, high=60)
    return wave * (10 ** (db / 20)).to(wave.dtype).unsqueeze(1)


def add_noise(wave: Tensor, snr_db, noise: Tensor) -> Tensor:
    """Add ``noise`` ``[B, T]`` scaled so each clip's signal-to-noise ratio is ``snr_db`` dB.

    A silent clip gets no noise (its SNR is undefined): silence stays silence.
    """
    wave = check_audio(wave, "wave")
    noise = check_audio(noise, "noise").to(wave.device)
    snr = per_clip(snr_db, len(wave), "snr_db", wave.device, low=-40.0001, high=120)
    if noise.shape != wave.shape:
        raise ValueError(f"noise must have the shape of wave {tuple(wave.shape)}, got {tuple(noise.shape)}")
    # in float32 at least: float16 squares under 6e-8 are 0, so a quiet clip got too little noise or none
    dtype = torch.promote_types(wave.dtype, torch.float32)
    signal_rms = wave.to(dtype).pow(2).mean(1).sqrt()
    noise_rms = noise.to(dtype).pow(2).mean(1).sqrt().clamp_min(1e-12)
    scale = signal_rms / noise_rms / (10 ** (snr / 20)).to(dtype)
    return (wave.to(dtype) + scale.unsqueeze(1) * noise.to(dtype)).to(wave.dtype)


def time_shift(wave: Tensor, shift: Tensor, rollover: bool = False) -> Tensor:
    """Shift each clip by ``shift[i]`` samples (an int or int ``[B]``; > 0 later); zero-fill unless ``rollover``."""
    wave = check_audio(wave, "wave")
    check_bool(rollover, "rollover")
    t = wave.shape[1]
    shift = torch.as_tensor(shift, device=wave.device)
    if shift.is_floating_point() or shift.is_complex() or shift.dtype == torch.bool:
        raise TypeError(f"shift must be whole samples (an int or an int tensor [B]), got {shift.dtype}")
    shift = shift.long().expand(len(wave)) if shift.dim() == 0 else shift.long()
    if shift.shape != (len(wave),):
        raise ValueError(f"shift must be an int or one per clip ({len(wave)}), got shape {tuple(shift.shape)}")
    source = torch.arange(t, device=wave.device) - shift.unsqueeze(1)       # [B, T]
    inside = (source >= 0) & (source < t)
    out = wave.gather(1, source.remainder(t))
    return out if rollover else out * inside


# ---- SpecAugment ------------------------------------------------------------------------------
def mask_spectrogram(spec: Tensor, freq_spans: Tensor, time_spans: Tensor, value: float = 0.0) -> Tensor:
    """SpecAugment masks on features ``[B, F, T]`` (any real or complex spectrogram).

    freq_spans: int ``[B, M, 2]`` (start, end) bin ranges; time_spans: int ``[B, M', 2]`` frame
    ranges; end is exclusive, an empty span (start == end) masks nothing. Returns a new tensor.
    """
    if spec.dim() != 3:
        raise ValueError(f"spec must be features [B, F, T], got shape {tuple(spec.shape)}")
    bins = torch.arange(spec.shape[1], device=spec.device)
    frames = torch.arange(spec.shape[2], device=spec.device)
    masked = _in_spans(bins, _check_spans(freq_spans, "freq_spans", spec)).unsqueeze(2) | \
        _in_spans(frames, _check_spans(time_spans, "time_spans", spec)).unsqueeze(1)        # [B, F, T]
    return spec.masked_fill(masked, value)


def _check_spans(spans, name: str, spec: Tensor) -> Tensor:
    """``spans`` as int ``[B, M, 2]`` on ``spec``'s device, one row of spans per clip of ``spec``."""
    spans = torch.as_tensor(spans)
    if spans.is_floating_point() or spans.is_complex() or spans.dtype == torch.bool:
        raise TypeError(f"{name} must be an int tensor [B, M, 2] of (start, end), got {spans.dtype}")
    if spans.dim() != 3 or spans.shape[0] != len(spec) or spans.shape[2] != 2:
        raise ValueError(f"{name} must be [B, M, 2] (start, end) with B = {len(spec)} clips, "
                         f"got shape {tuple(spans.shape)}")
    return spans.to(spec.device)


def _in_spans(index: Tensor, spans: Tensor) -> Tensor:
    """[B, N] True where ``index`` falls in any of the ``[B, M, 2]`` half-open spans."""
    inside = (index >= spans[..., :1]) & (index < spans[..., 1:])         # [B, M, N]
    return inside.any(1)


def time_warp_positions(frames: int, centre: Tensor, shift: Tensor) -> Tensor:
    """Piecewise-linear frame map ``[B, frames]`` moving frame ``centre`` to ``centre + shift``.

    Output frame k reads input position p(k): 0 -> 0, centre + shift -> centre, last -> last, so the
    part before the centre is stretched and the part after compressed (or the reverse).
    """
    k = torch.arange(frames, device=centre.device, dtype=torch.float64).unsqueeze(0)
    c, d = centre.double().unsqueeze(1), shift.double().unsqueeze(1)
    last = frames - 1
    before = k * c / (c + d)
    after = c + (k - c - d) * (last - c) / (last - c - d)
    return torch.where(k < c + d, before, after).clamp(0, last)


@fft_in_float32
@single_threaded
def spec_augment(wave: Tensor, freq_spans: Tensor, time_spans: Tensor, warp: Tensor | None = None,
                 n_fft: int = N_FFT, hop: int = HOP) -> Tensor:
    """SpecAugment on waveforms: STFT, optional time warp, frequency/time masks, inverse STFT.

    freq_spans: int ``[B, M, 2]`` STFT-bin ranges to silence; time_spans: int ``[B, M', 2]`` frame
    ranges to silence (frames overlap: L frames silence about ``(L + 1 - n_fft / hop) * hop``
    samples, fewer than ``n_fft / hop`` frames none); warp: float ``[B, 2]`` (centre frame, shift
    in frames) or None. The warp is a phase-vocoder resampling of the frame grid, so pitch is kept.
    Returns ``[B, T]``.
    """
    wave = _check_wave(wave, n_fft, hop)
    spec = stft(_cover_end(wave, n_fft, hop), n_fft, hop)
    if warp is not None:
        warp = _check_warp(warp, len(wave), spec.shape[-1], spec.device)
        positions = time_warp_positions(spec.shape[-1], warp[:, 0], warp[:, 1])
        spec = phase_vocode(spec, positions, torch.ones_like(positions, dtype=torch.bool))
    spec = mask_spectrogram(spec, freq_spans, time_spans)
    return istft(spec, wave.shape[1], n_fft, hop)


def _check_warp(warp, batch: int, frames: int, device: torch.device) -> Tensor:
    """(centre, shift) ``[B, 2]`` with the centre a frame and centre + shift strictly inside the
    clip's frames: the warp's two pieces each keep a frame (else the map divides by zero). On ``device``,
    the spectrogram's: the warped frame positions index it."""
    warp = torch.as_tensor(warp)
    if not warp.is_floating_point() or warp.shape != (batch, 2):
        raise ValueError(f"warp must be a float tensor [B, 2] of (centre, shift) frames with B = {batch}, "
                         f"got {warp.dtype} of shape {tuple(warp.shape)}")
    centre, moved = warp[:, 0].double(), (warp[:, 0] + warp[:, 1]).double()
    if not (centre.ge(0) & centre.le(frames - 1) & moved.gt(0) & moved.lt(frames - 1)).all():
        raise ValueError(f"warp must keep its centre in [0, {frames - 1}] and centre + shift in (0, {frames - 1}) "
                         f"(the clip's frames), got {warp.tolist()}")
    return warp.to(device)


def spec_augment_frames(length: int, n_fft: int = N_FFT, hop: int = HOP) -> int:
    """The STFT frames ``spec_augment`` masks and warps on a clip of ``length`` samples."""
    return _frames_covering(length, n_fft, hop) if 4 * hop > n_fft else length // hop + 1


def _cover_end(wave: Tensor, n_fft: int, hop: int) -> Tensor:
    """``wave``, zero-padded at the end where ``stft``'s frames would not cover its last samples.

    The clip's last sample can lie up to ``n_fft // 2 + hop - 1`` samples into the last of the
    ``T // hop + 1`` frames, and no later frame covers it. At 4x overlap or more the window is
    still >= 0.5 there; with less it nears 0, and ``istft`` divides the changed spectrum by a
    near-zero window sum. Padding by ``n_fft // 2 - 1`` adds the frames that overlap the end, as
    ``_stretch_group`` does.
    """
    if 4 * hop <= n_fft:
        return wave
    return torch.nn.functional.pad(wave, (0, n_fft // 2 - 1))
