"""The kernels: duration and pitch against librosa, batching, silence, bad input."""
import math

import librosa
import numpy as np
import pytest
import torch

from aad.audio import functional as F
from tests.audio.signals import SR, active_length, dominant_frequency, tone


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.0, 1.25, 2.0])
def test_time_stretch_duration_and_pitch_match_librosa(rate):
    x = tone(440.0)
    out, lengths = F.time_stretch(x, rate)
    ours = out[0, : lengths[0]].numpy()
    theirs = librosa.effects.time_stretch(x[0].numpy(), rate=rate)
    assert abs(len(ours) - len(theirs)) <= 0.01 * len(theirs)
    assert abs(len(ours) - SR / rate) <= 0.01 * SR / rate
    assert active_length(ours) >= 0.98 * len(ours), "the stretched tone must fill its new duration"
    assert dominant_frequency(ours) == pytest.approx(440.0, rel=0.01)
    assert dominant_frequency(ours) == pytest.approx(dominant_frequency(theirs), rel=0.01)


def test_time_stretch_per_clip_rates_equal_one_clip_at_a_time():
    x = torch.cat([tone(300.0), tone(700.0), tone(1000.0)])
    rates = torch.tensor([0.8, 1.1, 1.25])
    batched, lengths = F.time_stretch(x, rates)
    assert lengths.tolist() == [20000, 14545, 12800]
    for i in range(3):
        alone, n = F.time_stretch(x[i:i + 1], rates[i])
        assert int(n[0]) == int(lengths[i])
        # the end too: the silent frames past a shorter clip's end do not count in its normalisation
        assert torch.allclose(batched[i, :n[0]], alone[0, :n[0]], atol=1e-5)
        assert batched[i, n[0]:].abs().max() == 0 if n[0] < batched.shape[1] else True


@pytest.mark.parametrize("length", [16000, 15999, 8191])
def test_rate_1_and_0_semitones_give_the_clip_back(length):
    # silent frames past the clip counted in the overlap normalisation and faded its last samples
    x = tone(440.0)[:, :length]
    stretched, n = F.time_stretch(x, 1.0)
    assert int(n[0]) == length
    assert (stretched - x).abs().max() < 1e-4
    assert (F.pitch_shift(x, 0.0) - x).abs().max() < 1e-4
    assert torch.equal(F.change_speed(x, 1.0)[0], x)     # the float32 sinc is not 0 at whole offsets
    mixed, n = F.change_speed(torch.cat([x, x]), torch.tensor([0.8, 1.0]))
    assert torch.equal(mixed[1, :length], x[0]) and not mixed[1, length:].any()


def test_time_stretch_near_rate_1_keeps_the_clip_end():
    x = tone(440.0)[:, :15999]
    out, n = F.time_stretch(x, 1.001)
    end = out[0, n[0] - 200:n[0]]
    assert end.pow(2).mean().sqrt() > 0.9 * x.pow(2).mean().sqrt()


@pytest.mark.parametrize("n_fft, hop", [(512, 128), (2048, 512), (480, 160), (400, 100)])
@pytest.mark.parametrize("counts", [[12, 4, 7, 11], [12, 4, 1, 7]])   # the second has a clip too short
def test_per_clip_normalisation_is_the_per_clip_envelope_exactly(n_fft, hop, counts):
    # the fast path touches only each clip's last frames' tails; results must be the same floats
    frames, counts = 12, torch.tensor(counts)
    clips = torch.randn(len(counts), frames, n_fft, generator=torch.Generator().manual_seed(0),
                        dtype=torch.float64)
    clips[torch.arange(frames) >= counts.unsqueeze(1)] = 0        # past its count a clip is silent
    summed = F._overlap_add(clips, hop)
    expected = summed * F._overlap_envelope_per_clip(counts, n_fft, hop, frames, summed.dtype)
    assert torch.equal(F._normalise_per_clip(summed.clone(), counts, n_fft, hop, frames), expected)


def test_vocoder_keeps_the_level_of_a_tone_sounding_from_sample_0():
    # reflect-padded STFTs gave frame 0 phases that the vocoder carried into every frame once it
    # read frame 0 twice (rate < 1): this tone lost 14 dB stretched and 34 dB shifted up an octave
    x = tone(1234.5, seconds=0.5)
    level = lambda out: 20 * torch.log10(out.pow(2).mean().sqrt() / x.pow(2).mean().sqrt())
    stretched, n = F.time_stretch(x, 0.8)
    assert abs(level(stretched[:, 500:n[0] - 500])) < 1.5
    assert abs(level(F.pitch_shift(x, 12.0)[:, 500:-500])) < 1.5
    empty = torch.zeros(1, 0, 2, dtype=torch.long)
    warped = F.spec_augment(x, empty, empty, warp=torch.tensor([[20.0, 6.0]]))   # frames 0..20 slowed
    assert abs(level(warped)) < 1.5


def test_time_stretch_keeps_speech_like_content_close_to_librosa():
    g = torch.Generator().manual_seed(0)
    # a gliding harmonic tone: a crude voiced sound with changing pitch
    t = torch.arange(SR) / SR
    f0 = 150 + 50 * t
    x = sum(torch.sin(2 * torch.pi * k * torch.cumsum(f0, 0) / SR) / k for k in range(1, 6))
    x = (0.3 * x + 0.001 * torch.randn(SR, generator=g)).float().unsqueeze(0)
    ours, n = F.time_stretch(x, 0.8)
    theirs = librosa.effects.time_stretch(x[0].numpy(), rate=0.8)
    spec = lambda c: np.log1p(np.abs(librosa.stft(np.asarray(c)[:len(theirs)], n_fft=512)))
    a, b = spec(ours[0, :n[0]]), spec(theirs)
    frames = min(a.shape[1], b.shape[1])
    corr = np.corrcoef(a[:, :frames].ravel(), b[:, :frames].ravel())[0, 1]
    assert corr > 0.9


@pytest.mark.parametrize("semitones", [-4.0, -1.0, 2.0, 7.0, 12.0])
def test_pitch_shift_matches_librosa(semitones):
    x = tone(440.0)
    ours = F.pitch_shift(x, semitones)
    theirs = librosa.effects.pitch_shift(x[0].numpy(), sr=SR, n_steps=semitones)
    assert ours.shape == x.shape
    target = 440.0 * 2 ** (semitones / 12)
    assert dominant_frequency(ours[0]) == pytest.approx(target, rel=0.01)
    assert dominant_frequency(theirs) == pytest.approx(dominant_frequency(ours[0]), rel=0.01)
    assert active_length(ours[0]) >= 0.97 * SR


def test_pitch_shift_of_a_clip_does_not_depend_on_its_batch():
    # round(round(T * f) / f) = T - 1 here: alone, the clip's last sample came out 0; next to a
    # clip stretched longer it was resampled from that clip's padding
    x = 0.2 * torch.randn(2, 8000, generator=torch.Generator().manual_seed(0))
    semitones = torch.tensor([-1.8421052631578947, 5.0], dtype=torch.float64)
    both = F.pitch_shift(x, semitones)
    for i in range(2):
        alone = F.pitch_shift(x[i:i + 1], semitones[i:i + 1])
        assert torch.allclose(alone[0], both[i], rtol=0, atol=1e-6)   # groups of the vocoder round apart
    assert both[:, -1].abs().min() > 1e-3


@pytest.mark.parametrize("rate", [0.5, 0.9, 1.25, 2.0])
def test_change_speed_changes_duration_and_pitch_together(rate):
    out, lengths = F.change_speed(tone(440.0), rate)
    assert int(lengths[0]) == round(SR / rate)
    assert dominant_frequency(out[0, :lengths[0]]) == pytest.approx(440.0 * rate, rel=0.01)


def test_change_speed_per_clip_rates_equal_one_clip_at_a_time_and_the_exact_kernel():
    x = 0.1 * torch.randn(3, 4000, generator=torch.Generator().manual_seed(0))
    rates = torch.tensor([0.7, 2.5, 1.3], dtype=torch.float64)
    batched, lengths = F.change_speed(x, rates)
    for i, rate in enumerate(rates.tolist()):
        alone, n = F.change_speed(x[i:i + 1], rate)
        assert int(n[0]) == int(lengths[i]) == round(4000 / rate)
        assert torch.allclose(batched[i, :n[0]], alone[0, :n[0]], atol=1e-6)
        assert not batched[i, n[0]:].any()
        cutoff = 0.9 * min(1.0, 1 / rate)
        taps = math.ceil(16 * max(1.0, rate))              # the kernel widens as the cutoff drops
        for k in (0, 777, int(n[0]) - 1):                  # the Kaiser-windowed sinc evaluated directly
            pos = k * rate
            j = torch.arange(math.floor(pos) - taps + 1, math.floor(pos) + taps + 1)
            t = pos - j.double()
            kaiser = torch.special.i0(6 * (1 - (t / taps) ** 2).sqrt()) / torch.special.i0(torch.tensor(6.0))
            weights = cutoff * torch.sinc(cutoff * t) * kaiser
            source = torch.where((j >= 0) & (j < 4000), x[i, j.clamp(0, 3999)].double(), 0.0)
            assert batched[i, k].item() == pytest.approx((source * weights).sum().item(), abs=1e-6)


def test_change_speed_does_not_alias_when_speeding_up():
    out, n = F.change_speed(tone(6000.0), 2.0)   # 12 kHz is above the 8 kHz Nyquist: must vanish
    rms = out[0, 100:n[0] - 100].pow(2).mean().sqrt()
    assert rms < 0.02


@pytest.mark.parametrize("freq, rate", [(7500.0, 1.1), (7000.0, 1.2), (4400.0, 2.0)])
def test_change_speed_removes_tones_just_above_the_new_nyquist(freq, rate):
    # freq * rate is above 8 kHz; a cutoff right at the new Nyquist folded it back at -11 dB
    x = tone(freq, seconds=0.5)
    out, n = F.change_speed(x, rate)
    level = out[0, 300:n[0] - 300].pow(2).mean().sqrt() / x.pow(2).mean().sqrt()
    assert 20 * torch.log10(level) < -40


def test_change_speed_slowing_down_leaves_no_image():
    out, n = F.change_speed(tone(7500.0, seconds=0.5), 0.5)      # 3750 Hz, its image at 4250 Hz
    clip = out[0, 300:n[0] - 300].double().numpy()
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(len(clip))))
    at = lambda hz: spectrum[round(hz * len(clip) / SR)]
    assert 20 * np.log10(at(4250.0) / at(3750.0)) < -40


def test_silence_stays_silence():
    z = torch.zeros(2, SR)
    assert F.time_stretch(z, 1.3)[0].abs().max() == 0
    assert F.pitch_shift(z, 3.0).abs().max() == 0
    assert F.add_noise(z, 10.0, torch.randn(2, SR)).abs().max() == 0


def test_leading_digital_silence_does_not_mute_the_rest():
    x = tone(440.0)
    x[:, :4000] = 0
    out, n = F.time_stretch(x, 0.9)
    assert out[0, 8000:n[0] - 1000].abs().max() > 0.3


def test_gain_noise_shift():
    x = tone(440.0, n=2)
    assert torch.allclose(F.apply_gain(x, 20.0), 10 * x, atol=1e-5)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    noisy = F.add_noise(x, torch.tensor([10.0, 30.0]), noise)
    snr = 10 * torch.log10(x.pow(2).mean(1) / (noisy - x).pow(2).mean(1))
    assert torch.allclose(snr, torch.tensor([10.0, 30.0]), atol=0.01)
    shifted = F.time_shift(x, torch.tensor([100, -50]))
    assert torch.equal(shifted[0, 100:], x[0, :-100]) and shifted[0, :100].abs().max() == 0
    assert torch.equal(shifted[1, :-50], x[1, 50:]) and shifted[1, -50:].abs().max() == 0
    rolled = F.time_shift(x, torch.tensor([100, 0]), rollover=True)
    assert torch.equal(rolled[0], torch.roll(x[0], 100))


def test_spec_augment_masks_bands_and_spans():
    g = torch.Generator().manual_seed(0)
    x = 0.1 * torch.randn(1, SR, generator=g)
    freq = torch.tensor([[[64, 128]]])          # bins 64..127 = 2..4 kHz
    time = torch.tensor([[[40, 60]]])           # frames 40..59 = 0.32..0.47 s
    out = F.spec_augment(x, freq, time)
    spec = F.stft(out).abs()
    # resynthesis leaks a little across the band edge: ask for > 40 dB less energy inside it
    assert spec[0, 66:126, 5:35].pow(2).mean() < 1e-4 * spec[0, 10:50, 5:35].pow(2).mean()
    assert out[0, 44 * 128:56 * 128].abs().max() < 1e-4
    kept = F.stft(x).abs()[0, 10:50, 5:35]
    assert torch.allclose(spec[0, 10:50, 5:35], kept, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("n_fft, hop", [(512, 128), (400, 160)])
def test_stft_round_trip_and_spec_augment_without_masks_give_the_clip_back(n_fft, hop):
    x = 0.1 * torch.randn(2, 4001, generator=torch.Generator().manual_seed(0))
    assert (F.istft(F.stft(x, n_fft, hop), 4001, n_fft, hop) - x).abs().max() < 1e-5
    empty = torch.zeros(2, 0, 2, dtype=torch.long)
    assert (F.spec_augment(x, empty, empty, n_fft=n_fft, hop=hop) - x).abs().max() < 1e-5


@pytest.mark.parametrize("n_fft, hop", [(512, 256), (1024, 512), (400, 200), (512, 200)])
@pytest.mark.parametrize("warp", [None, [[8.0, 3.0]]])
def test_spec_augment_stays_bounded_at_the_clip_end_under_4x_overlap(n_fft, hop, warp):
    # the last frame's window nears 0 at the clip's end, and the inverse divided the changed
    # spectrum there by a near-zero window sum: up to 200x the input in the last samples
    length = 16 * hop + hop - 1
    x = 0.3 * torch.randn(2, length, generator=torch.Generator().manual_seed(0))
    band = torch.tensor([[[n_fft // 16, n_fft // 4]]]).expand(2, 1, 2)
    empty = torch.zeros(2, 0, 2, dtype=torch.long)
    warp = None if warp is None else torch.tensor(warp).expand(2, 2)
    out = F.spec_augment(x, band, empty, warp, n_fft=n_fft, hop=hop)
    assert out.shape == x.shape
    assert out[:, -hop:].abs().max() < x.abs().max()
    assert (F.spec_augment(x, empty, empty, n_fft=n_fft, hop=hop) - x).abs().max() < 1e-5


def test_time_warp_keeps_length_and_pitch():
    x = tone(440.0)
    empty = torch.zeros(1, 0, 2, dtype=torch.long)
    out = F.spec_augment(x, empty, empty, warp=torch.tensor([[60.0, 8.0]]))
    assert out.shape == x.shape
    assert dominant_frequency(out[0]) == pytest.approx(440.0, rel=0.01)


def test_mask_spectrogram_on_features():
    spec = torch.ones(2, 8, 10)
    out = F.mask_spectrogram(spec, torch.tensor([[[1, 3]], [[0, 0]]]), torch.tensor([[[5, 6]], [[0, 2]]]))
    assert out[0, 1:3].sum() == 0 and out[0, :, 5].sum() == 0 and out[0].sum() == 80 - 20 - 6
    assert out[1, :, :2].sum() == 0 and out[1].sum() == 64
    assert spec.sum() == 160


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(SR), "wave must be a batch of mono clips"),
    (torch.zeros(1, 1, SR), "wave must be a batch of mono clips"),
    (torch.zeros(1, 100), "at least 512"),
    (torch.full((1, SR), float("nan")), "NaN"),
])
def test_time_stretch_rejects_bad_waves(bad, match):
    with pytest.raises(ValueError, match=match):
        F.time_stretch(bad, 1.1)


def test_integer_pcm_is_rejected_with_a_conversion_hint():
    with pytest.raises(TypeError, match="32768"):
        F.time_stretch(torch.zeros(1, SR, dtype=torch.int16), 1.1)


@pytest.mark.parametrize("rate", [0.0, -1.0, 0.05, 50.0, float("inf"), float("nan")])
def test_absurd_rates_are_rejected(rate):
    with pytest.raises(ValueError, match="rate"):
        F.time_stretch(tone(), rate)
    with pytest.raises(ValueError, match="rate"):
        F.change_speed(tone(), rate)


@pytest.mark.parametrize("taps", [0, -3, 2.5])
def test_change_speed_refuses_taps_that_are_not_a_positive_int(taps):
    with pytest.raises(ValueError, match="taps must be an int"):
        F.change_speed(tone(), 0.9, taps=taps)


@pytest.mark.parametrize("freq, time, error, match", [
    (torch.tensor([[10, 20]]), torch.zeros(2, 0, 2, dtype=torch.long), ValueError, "freq_spans must be \\[B, M, 2\\]"),
    (torch.zeros(1, 1, 2, dtype=torch.long), torch.zeros(2, 0, 2, dtype=torch.long), ValueError, "B = 2"),
    (torch.zeros(2, 0, 2, dtype=torch.long), torch.tensor([[[1.5, 3.2]]] * 2), TypeError, "time_spans must be an int"),
])
def test_mask_spans_must_be_int_spans_per_clip(freq, time, error, match):
    with pytest.raises(error, match=match):
        F.spec_augment(tone(n=2), freq, time)


@pytest.mark.parametrize("warp", [[[31.0, 0.0]], [[float("nan"), 0.0]], [[10.0, 30.0]], [[10.0, -10.0]], [[4.0]]])
def test_a_warp_that_leaves_a_piece_without_frames_is_refused(warp):
    x = 0.1 * torch.randn(1, 4000, generator=torch.Generator().manual_seed(0))   # 32 frames
    empty = torch.zeros(1, 0, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="warp must"):   # the map divided by zero: NaN, or silence
        F.spec_augment(x, empty, empty, torch.tensor(warp))


def test_rate_per_clip_must_match_batch():
    with pytest.raises(ValueError, match="one value per clip"):
        F.time_stretch(tone(n=3), torch.tensor([1.0, 1.1]))


@pytest.fixture(scope="module")
def spoken_digit():
    from aad.data import load
    try:
        clips = load("spoken-digits").x
    except (OSError, RuntimeError, ValueError) as error:   # data not present on this machine
        pytest.skip(f"spoken-digits not available: {error}")
    return clips[clips.pow(2).mean(1).argmax()].unsqueeze(0).float()   # the loudest clip: real speech


@pytest.mark.parametrize("rate", [0.8, 1.25])
def test_time_stretch_of_real_speech_matches_librosa(spoken_digit, rate):
    theirs = librosa.effects.time_stretch(spoken_digit[0].numpy(), rate=rate)   # n_fft 2048, hop 512
    spec = lambda c: np.log1p(np.abs(librosa.stft(np.asarray(c), n_fft=512)))
    same, n = F.time_stretch(spoken_digit, rate, n_fft=2048, hop=512)
    assert int(n[0]) == len(theirs)
    # with librosa's frame sizes the vocoder is the same algorithm: near-identical output
    assert np.corrcoef(spec(same[0, :n[0]]).ravel(), spec(theirs).ravel())[0, 1] > 0.999
    # our default 32 ms frames resolve speech differently, but the content must stay close
    ours, n = F.time_stretch(spoken_digit, rate)
    assert int(n[0]) == len(theirs)
    assert np.corrcoef(spec(ours[0, :n[0]]).ravel(), spec(theirs).ravel())[0, 1] > 0.8


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_clips_run_in_float32_and_keep_their_dtype(dtype):
    clip = tone(440, n=2)
    tolerance = 1e-2 if dtype == torch.float16 else 5e-2
    for kernel in (lambda w: F.time_stretch(w, 1.2)[0], lambda w: F.pitch_shift(w, 2.0)):
        out = kernel(clip.to(dtype))
        assert out.dtype == dtype
        assert (out.float() - kernel(clip.to(dtype).float())).abs().max() < tolerance


def test_shift_and_noise_arguments_are_named():
    wave = tone(n=2)
    with pytest.raises(TypeError, match="shift must be whole samples"):
        F.time_shift(wave, 1.5)
    with pytest.raises(ValueError, match=r"one per clip \(2\)"):
        F.time_shift(wave, torch.tensor([1, 2, 3]))
    assert torch.equal(F.time_shift(wave, 3), F.time_shift(wave, torch.tensor([3, 3])))
    with pytest.raises(TypeError, match="rollover must be True or False"):
        F.time_shift(wave, 3, rollover="False")
    with pytest.raises(TypeError, match="noise must be a torch.Tensor"):
        F.add_noise(wave, 10.0, wave.numpy())
