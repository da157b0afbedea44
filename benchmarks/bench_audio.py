"""Time-stretch and pitch-shift throughput and accuracy against audiomentations, librosa and
torch-audiomentations, in one run (torch-audiomentations has no time stretch).

    python benchmarks/bench_audio.py [--quick]

Throughput: 64 clips of 1 s at 16 kHz, rates drawn from [0.8, 1.25] or semitones from [-4, 4], CPU.
librosa and audiomentations run one clip at a time (their API); AAD and torch-audiomentations run
the whole batch in one call. Every library runs on one thread (AAD also on the default threads);
times are medians after warmup, as wall time and as process CPU time (the CPU time is robust when
the machine is shared).
Accuracy: duration vs T / rate and dominant frequency of a stretched 440 Hz tone.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import librosa
import numpy as np
import torch
from audiomentations import PitchShift as AmPitchShift
from audiomentations import TimeStretch as AmTimeStretch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aad.audio import functional as F
from benchmarks.common import machine_info, markdown_table, results_name, write_results

SR = 16000


def timed(fn, warmup: int = 2, repeats: int = 7) -> dict:
    """Median wall and CPU seconds of ``fn()`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return {"wall_s": statistics.median(wall), "cpu_s": statistics.median(cpu)}


def dominant_frequency(clip) -> float:
    clip = np.asarray(clip, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(len(clip)), 8 * len(clip)))
    return float(spectrum.argmax() * SR / (8 * len(clip)))


def clips(seed: int = 0) -> tuple[torch.Tensor, torch.Generator]:
    g = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(64, SR, generator=g), g


def compare(runs: dict, peers: dict, repeats: int) -> list[dict]:
    """Time every run on one thread (AAD's also on the default threads), with each row's speedup
    against every peer."""
    default_threads = torch.get_num_threads()
    rows = [{"op": name, "torch_threads": default_threads, **timed(fn, repeats=repeats)}
            for name, fn in runs.items() if name.startswith("aad")]
    # librosa and audiomentations run on one core; torch-audiomentations would take every thread
    torch.set_num_threads(1)
    rows += [{"op": name, "torch_threads": 1, **timed(fn, repeats=repeats)} for name, fn in runs.items()]
    torch.set_num_threads(default_threads)
    base = {r["op"]: r for r in rows}
    for r in rows:
        for short, peer in peers.items():
            r[f"speedup_vs_{short}_cpu"] = base[peer]["cpu_s"] / r["cpu_s"]
            r[f"speedup_vs_{short}_wall"] = base[peer]["wall_s"] / r["wall_s"]
        r["clips_per_s_wall"] = 64 / r["wall_s"]
    return rows


def seed_peers(seed: int = 0) -> None:
    """audiomentations and torch-audiomentations draw their parameters from the global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def stretch_throughput(repeats: int) -> list[dict]:
    x, g = clips()
    rates = 0.8 + 0.45 * torch.rand(64, generator=g, dtype=torch.float64)
    x_np = x.numpy()
    seed_peers()
    # clips of T / rate samples, as AAD and librosa return (audiomentations crops or pads by default)
    signalsmith = AmTimeStretch(0.8, 1.25, method="signalsmith_stretch", leave_length_unchanged=False, p=1.0)
    am_librosa = AmTimeStretch(0.8, 1.25, method="librosa_phase_vocoder", leave_length_unchanged=False, p=1.0)
    runs = {
        "aad time_stretch (batch, n_fft 512, hop 128)": lambda: F.time_stretch(x, rates),
        "aad time_stretch (batch, n_fft 2048, hop 512)": lambda: F.time_stretch(x, rates, 2048, 512),
        "librosa.effects.time_stretch (loop)": lambda: [
            librosa.effects.time_stretch(x_np[i], rate=float(rates[i])) for i in range(64)],
        "audiomentations TimeStretch (signalsmith, default)": lambda: [
            signalsmith(c, SR) for c in x_np],
        "audiomentations TimeStretch (librosa_phase_vocoder)": lambda: [am_librosa(c, SR) for c in x_np],
    }
    return compare(runs, {"librosa": "librosa.effects.time_stretch (loop)",
                          "am_signalsmith": "audiomentations TimeStretch (signalsmith, default)",
                          "am_librosa": "audiomentations TimeStretch (librosa_phase_vocoder)"}, repeats)


def pitch_throughput(repeats: int) -> list[dict]:
    """Pitch shift by U[-4, 4] semitones per clip. torch-audiomentations is batched like aad, and
    shifts each clip by the nearest ratio of small primes it can resample fast (its design)."""
    from torch_audiomentations import PitchShift as TamPitchShift

    x, g = clips()
    steps = 8 * torch.rand(64, generator=g) - 4
    x_np = x.numpy()
    seed_peers()
    signalsmith = AmPitchShift(-4.0, 4.0, method="signalsmith_stretch", p=1.0)
    tam = TamPitchShift(-4.0, 4.0, mode="per_example", p=1.0, sample_rate=SR, output_type="tensor")
    runs = {
        "aad pitch_shift (batch, n_fft 512, hop 128)": lambda: F.pitch_shift(x, steps),
        "librosa.effects.pitch_shift (loop)": lambda: [
            librosa.effects.pitch_shift(x_np[i], sr=SR, n_steps=float(steps[i])) for i in range(64)],
        "audiomentations PitchShift (signalsmith, default)": lambda: [signalsmith(c, SR) for c in x_np],
        "torch-audiomentations PitchShift (batch, per example)": lambda: tam(x.unsqueeze(1)),
    }
    return compare(runs, {"librosa": "librosa.effects.pitch_shift (loop)",
                          "am_signalsmith": "audiomentations PitchShift (signalsmith, default)",
                          "tam": "torch-audiomentations PitchShift (batch, per example)"}, repeats)


def accuracy() -> list[dict]:
    t = torch.arange(SR) / SR
    tone = (0.5 * torch.sin(2 * torch.pi * 440 * t)).float().unsqueeze(0)
    rows = []
    for rate in (0.5, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0):
        out, n = F.time_stretch(tone, rate)
        ours = out[0, : n[0]].numpy()
        theirs = librosa.effects.time_stretch(tone[0].numpy(), rate=rate)
        rows.append({"rate": rate, "expected_len": SR / rate, "aad_len": len(ours), "librosa_len": len(theirs),
                     "aad_len_err": abs(len(ours) - SR / rate) / (SR / rate),
                     "aad_freq_hz": dominant_frequency(ours), "librosa_freq_hz": dominant_frequency(theirs),
                     "aad_freq_err": abs(dominant_frequency(ours) - 440) / 440})
    for steps in (-4.0, 2.0, 7.0):
        ours = F.pitch_shift(tone, steps)[0].numpy()
        theirs = librosa.effects.pitch_shift(tone[0].numpy(), sr=SR, n_steps=steps)
        target = 440 * 2 ** (steps / 12)
        rows.append({"semitones": steps, "expected_freq_hz": target, "aad_freq_hz": dominant_frequency(ours),
                     "librosa_freq_hz": dominant_frequency(theirs), "aad_len": len(ours),
                     "aad_freq_err": abs(dominant_frequency(ours) - target) / target})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 9
    speed, pitch = stretch_throughput(repeats), pitch_throughput(repeats)
    acc = accuracy()
    machine = machine_info(librosa=librosa.__version__)
    timing = ["op", "torch_threads", "wall_s", "cpu_s", "clips_per_s_wall"]
    markdown = "\n\n".join([
        "# Time stretch: 64 clips x 1 s at 16 kHz, rates U[0.8, 1.25], CPU",
        f"Machine: {machine}. Median of repeats after warmup; CPU = process time (robust on a shared box).",
        markdown_table(speed, [*timing, "speedup_vs_librosa_cpu", "speedup_vs_am_signalsmith_cpu",
                               "speedup_vs_am_librosa_cpu", "speedup_vs_librosa_wall", "speedup_vs_am_signalsmith_wall"]),
        "# Pitch shift: 64 clips x 1 s at 16 kHz, semitones U[-4, 4], CPU",
        markdown_table(pitch, [*timing, "speedup_vs_librosa_cpu", "speedup_vs_am_signalsmith_cpu",
                               "speedup_vs_tam_cpu", "speedup_vs_librosa_wall", "speedup_vs_tam_wall"]),
        "# Accuracy on a 440 Hz tone (target: length within 1% of T / rate, frequency within 1%)",
        markdown_table(acc, ["rate", "semitones", "expected_len", "aad_len", "librosa_len", "aad_len_err",
                             "expected_freq_hz", "aad_freq_hz", "librosa_freq_hz", "aad_freq_err"]),
    ])
    write_results(results_name("bench_audio", args.quick), markdown, machine=machine, throughput=speed, pitch_throughput=pitch,
                  accuracy=acc)
    print(markdown)


if __name__ == "__main__":
    main()
