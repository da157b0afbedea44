"""Efficacy: does augmentation help? Runs the evaluation harness (``aad evaluate``) and writes its
report to ``benchmarks/results/<name>.{json,md}`` (plus the figures under
``benchmarks/results/<name>/``); ``--name`` defaults to ``efficacy``. Other arguments go to
``aad evaluate``.

    python benchmarks/bench_efficacy.py [--quick] [--resume] [--name NAME] [aad evaluate arguments]

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


def main() -> int:
    wanted = argparse.ArgumentParser(description=__doc__)
    wanted.add_argument("--quick", action="store_true")
    wanted.add_argument("--resume", action="store_true")
    wanted.add_argument("--name", default="efficacy", help="result files' name (default: efficacy)")
    own, rest = wanted.parse_known_args()
    out = RESULTS / own.name
    argv = ["--out", str(out), *(["--quick"] if own.quick else []),
            *(["--resume"] if own.resume else ["--overwrite"]), *rest]
    args = add_arguments(argparse.ArgumentParser(prog="bench_efficacy")).parse_args(argv)
    code = run(args)
    shutil.copy(out / "report.json", RESULTS / f"{own.name}.json")
    markdown = (out / "report.md").read_text().replace("](", f"]({own.name}/")  # figures stay in <name>/
    (RESULTS / f"{own.name}.md").write_text(markdown)
    return code


if __name__ == "__main__":
    sys.exit(main())
