"""The transform classes: parameter ranges reach the kernels, lengths, devices, bad parameters."""
import pytest
import torch

from aad import Compose
from aad.audio import AddNoise, Gain, PitchShift, SpecAugment, Speed, TimeShift, TimeStretch
from aad.audio import functional as F
from tests.audio.signals import SR, dominant_frequency, tone


def test_time_stretch_keep_length_false_gives_clips_of_their_new_lengths():
    x = tone(n=4)
    clips = TimeStretch(0.8, 1.25, keep_length=False, seed=0)(x)
    assert isinstance(clips, list) and len(clips) == 4
    for clip in clips:
        rate = SR / len(clip)
        assert 0.8 - 1e-3 <= rate <= 1.25 + 1e-3
        assert dominant_frequency(clip) == pytest.approx(440.0, rel=0.01)
    assert len({len(c) for c in clips}) > 1, "rates are drawn per clip"


def test_time_stretch_fixed_rate_keeps_input_length():
    out = TimeStretch(0.5, 0.5, seed=0)(tone(n=2))
    assert out.shape == (2, SR)
    assert dominant_frequency(out[0]) == pytest.approx(440.0, rel=0.01)


def test_speed_and_pitch_shift_move_the_pitch_as_asked():
    x = tone(n=1)
    faster = Speed(1.25, 1.25, keep_length=False, seed=0)(x)[0]
    assert len(faster) == 12800 and dominant_frequency(faster) == pytest.approx(550.0, rel=0.01)
    up = PitchShift(12, 12, seed=0)(x)
    assert up.shape == x.shape and dominant_frequency(up[0]) == pytest.approx(880.0, rel=0.01)


def test_gain_range_is_respected():
    x = tone(n=64)
    out = Gain(-6, 6, seed=0)(x)
    db = 20 * torch.log10(out.abs().amax(1) / x.abs().amax(1))
    assert db.min() >= -6 - 1e-4 and db.max() <= 6 + 1e-4 and db.std() > 1


def test_add_noise_snr_range_is_respected():
    x = tone(n=32)
    out = AddNoise(10, 20, seed=0)(x)
    snr = 10 * torch.log10(x.pow(2).mean(1) / (out - x).pow(2).mean(1))
    assert snr.min() >= 10 - 0.01 and snr.max() <= 20 + 0.01


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("level", [2e-4, 5e-5])
def test_add_noise_snr_holds_on_quiet_half_precision_clips(dtype, level):
    # the RMS was computed in half precision: float16 squares under 6e-8 are 0 (18 dB, or no noise)
    x = (level * tone(n=4) / tone().pow(2).mean().sqrt()).to(dtype)
    out = AddNoise(20, 20, seed=0)(x)
    assert out.dtype == dtype
    signal, noise = x.double(), out.double() - x.double()
    snr = 10 * torch.log10(signal.pow(2).mean(1) / noise.pow(2).mean(1))
    assert torch.allclose(snr, torch.full_like(snr, 20.0), atol=0.02)


def test_time_shift_moves_onsets_within_range():
    x = torch.zeros(16, 4000)
    x[:, 2000] = 1.0
    out = TimeShift(0.1, seed=0)(x)
    positions = out.argmax(1)
    assert (positions - 2000).abs().max() <= 400 and len(set(positions.tolist())) > 1


def test_spec_augment_silences_part_of_every_clip_and_keeps_the_rest():
    g = torch.Generator().manual_seed(0)
    x = 0.1 * torch.randn(8, SR, generator=g)
    out = SpecAugment(freq_masks=1, max_freq_width=0.3, time_masks=1, max_time_width=0.2, seed=0)(x)
    removed = 1 - out.pow(2).sum(1) / x.pow(2).sum(1)
    assert (removed > 0).all() and (removed < 0.6).all()


@pytest.mark.parametrize("n_fft, hop", [(512, 128), (512, 256)])
def test_spec_augment_time_masks_reach_both_ends_of_a_clip(n_fft, hop):
    # a mask started at most (frames - length) frames in, and counted the frames of the unpadded clip:
    # the last frame was never masked
    x = 0.1 * torch.randn(200, 4000, generator=torch.Generator().manual_seed(0))
    out = SpecAugment(freq_masks=0, time_masks=4, max_time_width=0.5, n_fft=n_fft, hop=hop, seed=0)(x)
    silenced = lambda part: (part.abs().amax(1) < 1e-6).float().mean()
    assert silenced(out[:, :100]) > 0.05 and silenced(out[:, -100:]) > 0.05


@pytest.mark.parametrize("time_warp, n_fft, hop, length", [(0.001, 512, 128, SR), (0.4, 512, 256, 512),
                                                          (0.4, 512, 128, 512), (0.2, 512, 128, SR)])
def test_time_warp_moves_a_frame_by_at_most_time_warp_of_the_frames(monkeypatch, time_warp, n_fft, hop, length):
    # the reach was at least 1 frame: 8x time_warp on a 1 s clip at 0.001, and on 3 frames the
    # centre was drawn outside the clip, so frames moved before frame 0
    warps, real = [], F.spec_augment

    def spy(wave, freq_spans, time_spans, warp, n_fft, hop):
        warps.append(warp)
        return real(wave, freq_spans, time_spans, warp, n_fft, hop)

    monkeypatch.setattr(F, "spec_augment", spy)
    SpecAugment(time_warp=time_warp, n_fft=n_fft, hop=hop, seed=0)(tone(n=64)[:, :length])
    centre, shift = warps[0].T
    frames = length // hop + 1
    assert shift.abs().max() <= time_warp * frames
    assert (centre - shift.abs() >= 1).all() and (centre + shift.abs() <= frames - 2).all()


def test_silence_stays_silence_through_every_transform():
    z = torch.zeros(2, SR)
    for aug in [TimeStretch(), Speed(), PitchShift(), SpecAugment(time_warp=0.05), Gain(), AddNoise(),
                TimeShift()]:
        assert aug(z, rng=0).abs().max() == 0, type(aug).__name__


def test_compose_pipeline_for_speech():
    pipeline = Compose([TimeStretch(0.9, 1.1), PitchShift(-1, 1), SpecAugment(), AddNoise(20, 40)], seed=0)
    out = pipeline(tone(n=3))
    assert out.shape == (3, SR) and torch.isfinite(out).all()


@pytest.mark.parametrize("aug, match", [
    (TimeStretch(0.0, 1.2), "min_rate"),
    (TimeStretch(1.3, 1.2), "min <= max"),
    (TimeStretch(0.8, 100.0), "max_rate"),
    (Speed(-1.0, 1.0), "min_rate"),
    (PitchShift(-40, 0), "min_semitones"),
    (SpecAugment(freq_masks=-1), "freq_masks"),
    (SpecAugment(max_time_width=2.0), "max_time_width"),
    (SpecAugment(sample_rate=10), "sample_rate"),
    (Gain(-100, 0), "min_gain_db"),
    (TimeShift(1.5), "max_shift"),
    (TimeShift(float("nan")), "max_shift must be a finite number"),
    (SpecAugment(time_warp=float("nan")), "time_warp must be a finite number"),
    (TimeStretch(hop=512), r"hop must be an int in \[1, n_fft // 2 = 256\]"),   # frames would not overlap
    (PitchShift(n_fft=512.0), "n_fft must be an int"),
    # a raw "'<' not supported" TypeError came from the clip-length check, before n_fft was checked
    (TimeStretch(n_fft=None), "n_fft must be an int"),
    (SpecAugment(n_fft="512"), "n_fft must be an int"),
    (PitchShift(n_fft=None), "n_fft must be an int"),
])
def test_bad_parameters_are_named_at_call_time(aug, match):
    with pytest.raises(ValueError, match=match):
        aug(tone(n=1))


@pytest.mark.parametrize("aug, name", [(TimeShift(0.5, rollover="False"), "rollover"),
                                       (TimeStretch(keep_length="False"), "keep_length"),
                                       (Speed(keep_length=None), "keep_length")])
def test_flags_must_be_bools(aug, name):
    # "False" is truthy: TimeShift wrapped clips around, TimeStretch returned a tensor, not a list
    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        aug(tone(n=1))


def test_clip_shorter_than_one_window_is_rejected_for_stft_ops():
    for aug in [TimeStretch(), PitchShift(), SpecAugment()]:
        with pytest.raises(ValueError, match="at least 512"):
            aug(torch.zeros(2, 300))
    assert Gain()(torch.zeros(2, 300)).shape == (2, 300)


def test_speed_refuses_clips_too_short_to_give_a_sample():
    # 4 samples at rate 10 gave clips of 0 samples
    for keep_length in (True, False):
        with pytest.raises(ValueError, match="x clips are 4 samples long; at least 6"):
            Speed(10, 10, keep_length=keep_length)(torch.ones(2, 4))
    with pytest.raises(ValueError, match="wave clips of 1 samples give no sample at rate 3"):
        F.change_speed(torch.ones(2, 1), 3.0)
    assert [len(c) for c in Speed(10, 10, keep_length=False)(torch.ones(2, 6))] == [1, 1]
    assert Speed()(torch.ones(2, 1)).shape == (2, 1)


def test_outputs_are_contiguous_and_own_their_memory():
    # cropped views kept a buffer up to 1 / rate times the output alive, and .view() failed on them
    x = tone(n=2)
    for aug in [TimeStretch(0.5, 0.5, seed=0), Speed(0.5, 0.5, seed=0), PitchShift(seed=0), SpecAugment(seed=0)]:
        out = aug(x)
        assert out.is_contiguous(), type(aug).__name__
        assert out.untyped_storage().nbytes() == out.numel() * out.element_size(), type(aug).__name__
    for aug in [TimeStretch(0.5, 2.0, keep_length=False, seed=0), Speed(0.5, 2.0, keep_length=False, seed=0)]:
        for clip in aug(x):   # clips of their own lengths: each its own buffer, not a view of the batch
            assert clip.untyped_storage().nbytes() == clip.numel() * clip.element_size(), type(aug).__name__


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    x = tone(n=4)
    for aug in [TimeStretch(), Speed(), PitchShift(), SpecAugment(time_warp=0.05), AddNoise(), TimeShift()]:
        cpu, gpu = aug(x, rng=3), aug(x.cuda(), rng=3)
        assert gpu.device.type == "cuda"
        # cuFFT and the CPU's FFT round differently, and the phase vocoder carries phases across
        # frames: sample-wise gaps reach 2e-3 (TimeStretch, PitchShift on an H100: 80-84 dB SNR)
        error = (cpu - gpu.cpu()).pow(2).sum().clamp_min(1e-30)
        assert 10 * torch.log10(cpu.pow(2).sum() / error) > 60, type(aug).__name__


@pytest.mark.parametrize("cls", [TimeStretch, PitchShift, SpecAugment])
def test_clips_too_loud_for_float32_spectra_are_named(cls):
    """At 1e18 TimeStretch returned inf and NaN, and PitchShift named an internal ``wave``."""
    with pytest.raises(ValueError, match=r"x reaches amplitude 4e\+18: beyond 1e\+15 the float32 spectra"):
        cls(seed=0).augment(torch.full((1, 4000), 4e18))
    assert torch.isfinite(cls(seed=0).augment(torch.randn(1, 4000) * 2.1e9)).all(), "int32 PCM as floats is fine"
