"""Efficacy: does augmentation help? Runs the evaluation harness (``aad evaluate``) and writes its
report to ``benchmarks/results/<name>.{json,md}`` (plus the figures under
``benchmarks/results/<name>/``). Other arguments go to ``aad evaluate`` (``aad evaluate --help``
lists them and their budgets).

    python benchmarks/bench_efficacy.py --quick          # the recording: results/efficacy.*
    python benchmarks/bench_efficacy.py --name NAME [--quick] [--resume] [aad evaluate arguments]

The default ``--name``, ``efficacy``, is the recording of the README's main job (``--quick`` and
nothing else): any other run must be given its own name, so it cannot replace the recording.

The peers' own augmenters (nlpaug's swap, albumentations' affine + elastic) are arms of the same run,
so their gains sit beside ours.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from aad.eval.main import add_arguments, run

RESULTS = Path(__file__).parent / "results"


RECORDING = "efficacy"


def main() -> int:
    wanted = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    wanted.add_argument("--quick", action="store_true", help="the main job's small budgets (aad evaluate --quick)")
    wanted.add_argument("--resume", action="store_true", help="continue an interrupted run of this --name")
    wanted.add_argument("--name", default=RECORDING,
                        help=f"result files' name (default: {RECORDING}, only for --quick alone)")
    own, rest = wanted.parse_known_args()
    if own.name == RECORDING and (rest or not own.quick):
        wanted.error(f"--name is needed: the default name, {RECORDING}, is the recording of --quick alone, "
                     f"which this run would replace")
    out = RESULTS / own.name
    argv = ["--out", str(out), *(["--quick"] if own.quick else []),
            *(["--resume"] if own.resume else ["--overwrite"]), *rest]
    args = add_arguments(argparse.ArgumentParser(prog="bench_efficacy")).parse_args(argv)
    try:
        code = run(args)
    except (ValueError, TypeError, OSError, RuntimeError) as e:   # one line, as `aad evaluate` gives
        print(f"bench_efficacy: error: {e}", file=sys.stderr)
        return 2
    shutil.copy(out / "report.json", RESULTS / f"{own.name}.json")
    markdown = (out / "report.md").read_text().replace("](", f"]({own.name}/")  # figures stay in <name>/
    (RESULTS / f"{own.name}.md").write_text(markdown)
    return code


if __name__ == "__main__":
    sys.exit(main())
