"""``spoken-digits``: an SC09-like corpus ("zero".."nine", many speakers) synthesized once with eSpeak NG
and cached, plus the clip helpers (resample, trim, pad/crop, peak-normalize) shared with user folders.

A speaker is one (accent, voice variant, base pitch, base rate); each take of a word jitters rate and
pitch a little around the speaker's base. Every value is drawn from fixed seeds, and each speaker is
synthesized in a fresh process, so the cache is bit-for-bit reproducible.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from math import gcd
from pathlib import Path

import numpy as np
import torch

from aad.data import espeak
from aad.data.dataset import Dataset
from aad.serialization import new_mode

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = ("en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-029", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
            "klatt", "klatt2", "klatt3", "klatt4")
MAX_SPEAKERS = len(ACCENTS) * len(VARIANTS)  # 128
SAMPLE_RATE = 16_000
CLIP_SECONDS = 1.0
PEAK = 0.8                 # leaves headroom for gain augmentations
TRIM_THRESHOLD = 0.02      # of the clip's peak: quieter edges count as silence
FORMAT_VERSION = 1         # bump when the recipe changes, so old caches are rebuilt
SPEAKER_SEED, TAKE_SEED = 20_240_901, 7
SPEAKERS_PER_PROCESS = 8   # a fresh synthesizer process costs ~0.4 s, a speaker's 20 words ~0.05 s


def default_cache_dir() -> Path:
    """``$AAD_CACHE`` if set, else ``~/.cache/aad``."""
    return Path(os.environ.get("AAD_CACHE") or Path.home() / ".cache" / "aad")


def speaker_table(speakers: int = MAX_SPEAKERS) -> list[dict]:
    """The first ``speakers`` speakers: accent x variant pairs in a fixed shuffled order, each with a
    base pitch (0..99, eSpeak units) and rate (words/minute)."""
    if not 1 <= speakers <= MAX_SPEAKERS:
        raise ValueError(f"speakers must be in [1, {MAX_SPEAKERS}], got {speakers}")
    rng = np.random.default_rng(SPEAKER_SEED)
    pairs = [(a, v) for a in ACCENTS for v in VARIANTS]
    order = rng.permutation(len(pairs))
    pitches = rng.integers(25, 80, size=len(pairs))
    rates = rng.integers(125, 186, size=len(pairs))
    table = []
    for speaker_id, i in enumerate(order[:speakers].tolist()):
        accent, variant = pairs[i]
        table.append({"id": speaker_id, "voice": f"{accent}+{variant}",
                      "pitch": int(pitches[i]), "rate": int(rates[i])})
    return table


def take_utterances(speaker: dict, takes: int) -> list[espeak.Utterance]:
    """Every word x take of one speaker; takes jitter rate by up to +-8 % and pitch by up to +-5."""
    utterances = []
    for w, word in enumerate(WORDS):
        for t in range(takes):
            rng = np.random.default_rng([TAKE_SEED, speaker["id"], w, t])
            rate = round(speaker["rate"] * (1 + rng.uniform(-0.08, 0.08)))
            pitch = int(np.clip(speaker["pitch"] + rng.integers(-5, 6), 0, 99))
            utterances.append(espeak.Utterance(word, speaker["voice"], rate, pitch))
    return utterances


def speaker_blocks(table: list[dict], takes: int) -> list[list[espeak.Utterance]]:
    """Utterances grouped into fixed blocks of ``SPEAKERS_PER_PROCESS`` consecutive speakers.

    One block is said by one fresh process, whose hidden state depends only on earlier words of the
    same block; fixed blocks mean a small corpus holds exactly the first speakers of a bigger one.
    """
    blocks = []
    for start in range(0, len(table), SPEAKERS_PER_PROCESS):
        block = table[start: start + SPEAKERS_PER_PROCESS]
        blocks.append([u for speaker in block for u in take_utterances(speaker, takes)])
    return blocks


def load_spoken_digits(cache_dir: str | Path | None = None, speakers: int = MAX_SPEAKERS,
                       takes: int = 2, engine: str | None = None) -> Dataset:
    """Spoken digits, float32 ``[N, 16000]`` at 16 kHz, groups = speaker id. Generated on first use.

    ``speakers`` (1..128) and ``takes`` (>= 1) pick the corpus size; ``engine`` forces
    ``"library"`` or ``"binary"`` (default: the library when installed).
    """
    engine = engine or espeak.available_engine()
    if engine is None:
        raise RuntimeError("no eSpeak NG found: pip install espeakng-loader (or apt-get install espeak-ng)")
    folder = cache_folder(cache_dir, speakers, takes, engine)
    if not (folder / "manifest.json").is_file():
        generate_spoken_digits(folder, speakers=speakers, takes=takes, engine=engine)
    return read_cache(folder)


def cache_folder(cache_dir: str | Path | None, speakers: int, takes: int, engine: str) -> Path:
    """Where one configuration lives: ``<cache>/spoken-digits-v1-library-s128-t2``."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / f"spoken-digits-v{FORMAT_VERSION}-{engine}-s{speakers}-t{takes}"


def generate_spoken_digits(folder: str | Path, speakers: int = MAX_SPEAKERS, takes: int = 2,
                           engine: str | None = None, workers: int = 2) -> dict:
    """Synthesize the corpus into ``folder`` (written atomically); returns the manifest."""
    if takes < 1:
        raise ValueError(f"takes must be >= 1, got {takes}")
    engine = engine or espeak.available_engine()
    if engine is None:
        raise RuntimeError("no eSpeak NG found: pip install espeakng-loader (or apt-get install espeak-ng)")
    started = time.perf_counter()
    table = speaker_table(speakers)
    raw, raw_rate, version = espeak.synthesize_batches(speaker_blocks(table, takes), engine, workers=workers)
    clips = [prepare_clip(c, raw_rate) for batch in raw for c in batch]
    x = np.stack([clip for clip, _ in clips]).astype(np.float32)
    y = np.tile(np.repeat(np.arange(len(WORDS)), takes), len(table)).astype(np.int64)
    groups = np.repeat(np.arange(len(table)), len(WORDS) * takes).astype(np.int64)
    manifest = {
        "name": "spoken-digits", "format_version": FORMAT_VERSION, "engine": version,
        "engine_sample_rate": raw_rate, "sample_rate": SAMPLE_RATE, "clip_seconds": CLIP_SECONDS,
        "words": list(WORDS), "takes": takes, "speakers": table, "clips": len(y),
        "cropped_clips": int(sum(cropped for _, cropped in clips)),
        "sha256": array_sha256(x, y, groups),
        "seconds_to_generate": round(time.perf_counter() - started, 2),
    }
    _write_atomically(Path(folder), x, y, groups, manifest)
    return manifest


def read_cache(folder: Path) -> Dataset:
    """Load a generated corpus, checking the audio against the manifest's sha256."""
    manifest = json.loads((folder / "manifest.json").read_text())
    with np.load(folder / "data.npz") as arrays:
        x, y, groups = arrays["x"], arrays["y"], arrays["groups"]
    if array_sha256(x, y, groups) != manifest["sha256"]:
        raise RuntimeError(f"cache {folder} is corrupt (sha256 mismatch): delete the folder to rebuild it")
    return Dataset(x=torch.from_numpy(x), y=torch.from_numpy(y), classes=tuple(manifest["words"]),
                   modality="audio", name="spoken-digits", sample_rate=manifest["sample_rate"],
                   groups=torch.from_numpy(groups))


def array_sha256(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()


def _write_atomically(folder: Path, x, y, groups, manifest: dict) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        np.savez(tmp / "data.npz", x=x, y=y, groups=groups)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
        os.chmod(tmp, new_mode(directory=True))   # mkdtemp's 0o700 would keep a shared cache private
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "manifest.json").is_file():
                raise
            shutil.rmtree(tmp)   # another process finished first; its result is identical
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---- clip helpers --------------------------------------------------------------------------------
def prepare_clip(raw: np.ndarray, rate: int) -> tuple[np.ndarray, bool]:
    """int16 synthesizer output -> (float64 ``[16000]`` clip, whether it was cropped): edges trimmed,
    resampled to 16 kHz, centered in 1 s, peak-normalized to ``PEAK``."""
    audio = trim_silence(raw.astype(np.float64) / 32768.0)
    audio = resample(audio, rate, SAMPLE_RATE)
    length = round(CLIP_SECONDS * SAMPLE_RATE)
    cropped = len(audio) > length
    return peak_normalize(fit_length(audio, length)), cropped


def trim_silence(audio: np.ndarray, threshold: float = TRIM_THRESHOLD) -> np.ndarray:
    """Drop leading and trailing samples quieter than ``threshold`` x the peak."""
    loud = np.flatnonzero(np.abs(audio) > threshold * np.abs(audio).max()) if audio.size else []
    return audio[loud[0]: loud[-1] + 1] if len(loud) else audio


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling along the last axis (deterministic; ``rate_*`` in Hz)."""
    if rate_in == rate_out:
        return audio
    from scipy.signal import resample_poly

    g = gcd(rate_in, rate_out)
    return resample_poly(audio, rate_out // g, rate_in // g, axis=-1)


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Center-pad with zeros, or keep the first ``length`` samples, along the last axis."""
    n = audio.shape[-1]
    if n >= length:
        return audio[..., :length]
    left = (length - n) // 2
    pad = [(0, 0)] * (audio.ndim - 1) + [(left, length - n - left)]
    return np.pad(audio, pad)


def peak_normalize(audio: np.ndarray, peak: float = PEAK) -> np.ndarray:
    top = np.abs(audio).max() if audio.size else 0.0
    return audio * (peak / top) if top > 0 else audio
