"""Efficacy: does augmentation help? Runs the evaluation harness (``aad evaluate``) and writes its
report to ``benchmarks/results/efficacy.{json,md}`` (plus the figures under
``benchmarks/results/efficacy/``).

    python benchmarks/bench_efficacy.py [--quick] [--resume]

The peers' own augmenters (nlpaug) are arms of the same run, so their gains sit beside ours.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from aad.eval.main import add_arguments, run

RESULTS = Path(__file__).parent / "results"


def main() -> int:
    wanted = argparse.ArgumentParser(description=__doc__)
    wanted.add_argument("--quick", action="store_true")
    wanted.add_argument("--resume", action="store_true")
    own, rest = wanted.parse_known_args()
    out = RESULTS / "efficacy"
    argv = ["--out", str(out), *(["--quick"] if own.quick else []),
            *(["--resume"] if own.resume else ["--overwrite"]), *rest]
    args = add_arguments(argparse.ArgumentParser(prog="bench_efficacy")).parse_args(argv)
    code = run(args)
    shutil.copy(out / "report.json", RESULTS / "efficacy.json")
    markdown = (out / "report.md").read_text().replace("](", "](efficacy/")  # figures stay in efficacy/
    (RESULTS / "efficacy.md").write_text(markdown)
    return code


if __name__ == "__main__":
    sys.exit(main())
