"""Helpers shared by the benchmark scripts: robust timing and result files with machine info."""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"


def timeit(fn: Callable[[], object], warmup: int = 2, repeats: int = 7) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine_info(**versions: str) -> dict:
    """The machine and library versions a result was measured with; ``versions`` adds the peers'."""
    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "cuda": torch.cuda.is_available(),
            "load_avg_1m": os.getloadavg()[0],   # another job on the machine slows every timing
            **versions}


def results_name(name: str, quick: bool) -> str:
    """What a run's files are named: a smoke run (``--quick``) writes beside the recording, not over it."""
    return f"{name}_quick" if quick else name


def write_results(name: str, markdown: str, **payload) -> Path:
    """Write ``results/<name>.json`` (``payload`` + machine info, unless it brings its own) and
    ``results/<name>.md``; returns the JSON path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    json_path.write_text(json.dumps({"benchmark": name, "machine": machine_info(), **payload}, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown.rstrip() + "\n")
    return json_path


def markdown_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A GitHub table of ``rows``; floats get 4 significant digits."""
    columns = columns or list(rows[0])

    def cell(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
