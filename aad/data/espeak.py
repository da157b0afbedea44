"""Synthesize single words with eSpeak NG: the pip library (``espeakng-loader``) through ctypes, or the
Debian ``espeak-ng`` binary as a fallback.

eSpeak NG keeps hidden state between utterances (a pitch-flutter phase, noise generators), so the same
call gives slightly different audio depending on what was said before in the same process. To make
every clip reproducible, each batch of words is synthesized in a fresh child process (library route)
or a fresh binary run per word (binary route), always in the same order.
"""
from __future__ import annotations

import ctypes
import importlib.util
import io
import multiprocessing
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_RATE, ESPEAK_PITCH = 1, 3


@dataclass(frozen=True)
class Utterance:
    """One word to say: ``voice`` like ``"en-us+f3"``, ``rate`` in words/minute, ``pitch`` in 0..99."""

    word: str
    voice: str
    rate: int
    pitch: int


def library_paths() -> tuple[Path, Path] | None:
    """(libespeak-ng.so, espeak-ng-data) from the ``espeakng-loader`` package, found without importing it."""
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    lib, data = root / "libespeak-ng.so", root / "espeak-ng-data"
    return (lib, data) if lib.is_file() and data.is_dir() else None


def binary_path() -> str | None:
    return shutil.which("espeak-ng")


def available_engine() -> str | None:
    """``"library"``, ``"binary"`` or None when neither eSpeak NG route is installed."""
    if library_paths() is not None:
        return "library"
    if binary_path() is not None:
        return "binary"
    return None


def synthesize_batches(batches: list[list[Utterance]], engine: str, workers: int = 2
                       ) -> tuple[list[list[np.ndarray]], int, str]:
    """Say every batch of utterances; returns (int16 clips per batch, sample rate in Hz, engine version).

    With the library, each batch runs in its own fresh process, so a batch's audio does not depend on
    which other batches were asked for.
    """
    if engine == "library":
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=workers, maxtasksperchild=1) as pool:
            results = pool.map(_library_batch, batches, chunksize=1)
        sample_rate, version = results[0][1], results[0][2]
        return [clips for clips, _, _ in results], sample_rate, f"espeak-ng library {version}"
    if engine == "binary":
        clips = [[_binary_say(u)[0] for u in batch] for batch in batches]
        sample_rate = _binary_say(batches[0][0])[1]
        return clips, sample_rate, f"espeak-ng binary {_binary_version()}"
    raise ValueError(f"engine must be 'library' or 'binary', got {engine!r}")


# ---- library route (runs inside a fresh child process) ---------------------------------------------
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def _library_batch(batch: list[Utterance]) -> tuple[list[np.ndarray], int, str]:
    lib_path, data_path = library_paths()
    lib = ctypes.CDLL(str(lib_path))
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), 0)
    if sample_rate <= 0:
        raise RuntimeError(f"espeak_Initialize failed with data path {data_path}")
    chunks: list[np.ndarray] = []

    def collect(wav, n, _events):
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    callback = _CALLBACK(collect)  # kept alive in this frame while synthesizing
    lib.espeak_SetSynthCallback(callback)
    clips = []
    for u in batch:
        if lib.espeak_SetVoiceByName(u.voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {u.voice!r}")
        lib.espeak_SetParameter(ESPEAK_RATE, u.rate, 0)
        lib.espeak_SetParameter(ESPEAK_PITCH, u.pitch, 0)
        chunks.clear()
        text = u.word.encode() + b"\0"
        if lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, 0, None, None) != 0:
            raise RuntimeError(f"espeak_Synth failed for {u}")
        lib.espeak_Synchronize()
        clips.append(np.concatenate(chunks) if chunks else np.zeros(0, np.int16))
    version = lib.espeak_Info(None).decode()
    lib.espeak_Terminate()
    return clips, sample_rate, version


# ---- binary route ------------------------------------------------------------------------------------
def _binary_say(u: Utterance) -> tuple[np.ndarray, int]:
    import soundfile

    cmd = [binary_path(), "-v", u.voice, "-s", str(u.rate), "-p", str(u.pitch), "--stdout", u.word]
    wav = subprocess.run(cmd, check=True, capture_output=True).stdout
    audio, sample_rate = soundfile.read(io.BytesIO(wav), dtype="int16")
    return audio, sample_rate


def _binary_version() -> str:
    out = subprocess.run([binary_path(), "--version"], check=True, capture_output=True, text=True).stdout
    return out.split("\n")[0].strip()
