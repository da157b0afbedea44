"""``aad evaluate``: the command line of the harness. ``add_arguments(parser)`` + ``run(args)``."""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from aad.cli import DATASET_HELP, add_data_options, load_dataset
from aad.eval.presets import DEFAULT_DATASETS, MODALITIES, MODELS, PRESETS, balanced, build_presets, members

if TYPE_CHECKING:
    from aad.data import Dataset

# --quick: the README's main command, all three modalities in minutes on 2 CPU cores.
QUICK = {"shots": [10], "seeds": [0, 1, 2], "test_size": 1000}
FULL = {"shots": [5, 10, 50], "seeds": [0, 1, 2, 3, 4], "test_size": None}


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--modality", choices=(*MODALITIES, "all"), default=None,
                        help="which modality to evaluate (default: all, or the one of --dataset)")
    parser.add_argument("--dataset", default=None,
                        help=DATASET_HELP + " (default per modality: "
                             + ", ".join(f"{m}={d}" for m, d in DEFAULT_DATASETS.items()) + ")")
    parser.add_argument("--augmenters", nargs="+", default=None, metavar="NAME",
                        help="a subset of the preset augmenters (default: all); 'none' is always run. "
                             + "; ".join(f"{m}: {' '.join(n for n in PRESETS[m] if n != 'none')}"
                                         for m in MODALITIES))
    parser.add_argument("--shots", nargs="+", type=shot_count, default=None,
                        help="samples per class, e.g. 5 10 50; 'all': the whole training split, as imbalanced as it is")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="one k-shot subset per seed")
    parser.add_argument("--factor", type=int, default=4, help="new samples per real one (default 4)")
    parser.add_argument("--protocol", choices=("kshot", "imbalance"), default="kshot")
    parser.add_argument("--balance", action="store_true",
                        help="every arm tops each class up to (1 + factor) times the largest class's count, "
                             "instead of adding factor new samples per real one: with --protocol imbalance, "
                             "the augmenters fill the cut classes")
    parser.add_argument("--minority", type=int, default=2,
                        help="imbalance protocol: samples kept in the cut classes (default 2)")
    parser.add_argument("--models", nargs="+", default=None,
                        help="downstream models (image/audio: cnn; text: bag minilm; default: all of them)")
    parser.add_argument("--test-size", type=int, default=None, help="cap on test samples (quick: 1000)")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps of every downstream model (default: ~60 epochs of the subset, "
                             "300-400 under --quick, 1000-3000 otherwise); augmented arms need more to pay off")
    parser.add_argument("--repeats", type=int, default=1,
                        help="downstream trainings per subset and augmenter, each from its own init; scores "
                             "are their mean (default 1). The init alone moves 10-shot mnist accuracy by about "
                             "two points: repeats cut that noise, at N times the training time")
    parser.add_argument("--quick", action="store_true",
                        help="10 shots, 3 seeds, small budgets for learned augmenters: minutes, not hours")
    parser.add_argument("--out", required=True, help="output folder (report.json, report.md, PNGs)")
    parser.add_argument("--overwrite", action="store_true", help="start again in an existing --out folder")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    parser.add_argument("--device", default="cpu",
                        help="torch device (cpu, cuda) of the downstream models and the learned augmenters")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's, one per core; on 2 cores the masked LM "
                             "and the CNNs train 1.5x faster than on one). Give 1 to run two jobs side by side")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_data_options(parser)
    return parser


def shot_count(value: str) -> int | str:
    return value if value == "all" else int(value)


def _option(argument: str) -> str:
    """The command-line option of an ``evaluate`` argument, for error messages."""
    return "--" + argument.replace("_", "-")


def _models(args, modality: str, running: list[str]) -> list[str]:
    """--models that apply to ``modality`` (all of its models by default). A name that is a model of
    none of the ``running`` modalities is an error: a typo must not fall back to the default model."""
    if args.models is None:
        return list(MODELS[modality])
    choices = {m: MODELS[m] for m in running}
    bad = sorted(set(args.models) - {name for names in choices.values() for name in names})
    if bad:
        raise ValueError(f"--models {bad} are models of no modality that runs; choose from {choices}")
    return [m for m in args.models if m in MODELS[modality]] or [MODELS[modality][0]]


def _plan(args) -> list[tuple[str, str, Dataset | None]]:
    """(modality, dataset name, the dataset if already loaded) to run: --dataset is read once, here,
    to learn its modality (a large image folder takes a while); packaged defaults load when they run."""
    modality = args.modality
    if args.dataset is not None:
        data = load_dataset(args.dataset, args)
        if modality not in (None, "all", data.modality):
            raise ValueError(f"--dataset {args.dataset!r} is {data.modality} data, not {modality}")
        return [(data.modality, args.dataset, data)]
    modalities = MODALITIES if modality in (None, "all") else (modality,)
    return [(m, DEFAULT_DATASETS[m], None) for m in modalities]


def _augmenter_names(plan, names: list[str] | None) -> dict[str, list[str] | None]:
    """--augmenters per planned modality: each runs the names it has; a name no modality has is an error,
    and a modality with none of the names is left out."""
    if names is None:
        return {modality: None for modality, *_ in plan}
    unknown = sorted(set(names) - {n for modality, *_ in plan for n in PRESETS[modality]})
    if unknown:
        available = {modality: sorted(PRESETS[modality]) for modality, *_ in plan}
        raise ValueError(f"--augmenters {unknown} are not preset augmenters; available: {available}")
    return {modality: [n for n in names if n in PRESETS[modality]] for modality, *_ in plan
            if any(n in PRESETS[modality] and n != "none" for n in names) or names == ["none"]}


def _learns(augmenters: dict) -> bool:
    """Whether any of the arms (an Augmenter, an Arm of them, or None) fits a model."""
    return any(part is not None and part.learned for arm in augmenters.values() for part in members(arm))


def command_line(argv: list[str]) -> str:
    """The command as a person would type it again: ``python -m aad`` runs ``aad/__main__.py``, and
    a script (``benchmarks/bench_efficacy.py``) runs under ``python3``."""
    program = Path(argv[0])
    if program.name == "__main__.py":
        head = "python3 -m aad"
    elif program.suffix == ".py":
        head = f"python3 {shlex.quote(argv[0])}"
    else:
        head = program.name
    return " ".join([head, *map(shlex.quote, argv[1:])])


def run(args) -> int:
    """Run the evaluation ``args`` describe; writes the report into ``args.out``. Returns an exit code."""
    import torch

    from aad.checks import check_int
    from aad.eval.harness import check_arguments, evaluate, plan_rows
    from aad.eval.report import Report
    from aad.eval.runs import check_resumable, prepare_out

    if args.threads is not None:
        torch.set_num_threads(check_int(args.threads, "--threads", 1))
    defaults = QUICK if args.quick else FULL
    settings = {"shots": args.shots or defaults["shots"], "seeds": args.seeds or defaults["seeds"],
                "factor": args.factor, "protocol": args.protocol, "minority": args.minority,
                "test_size": args.test_size if args.test_size is not None else defaults["test_size"],
                "steps": args.steps, "device": args.device, "repeats": args.repeats}
    plan = _plan(args)
    names = _augmenter_names(plan, args.augmenters)
    jobs, planned = [], {}   # every argument is checked here, before prepare_out makes or clears the folder
    for modality, dataset, data in plan:
        if modality not in names:
            continue
        if data is None:
            data = load_dataset(dataset, args)
        augmenters, skipped = build_presets(modality, args.quick, names[modality], data=data,
                                            device=args.device)
        if args.balance:
            augmenters = {name: balanced(augmenter) for name, augmenter in augmenters.items()}
        models = _models(args, modality, list(names))
        train, test, arms, shots, seeds, models = check_arguments(data, augmenters, models=models, **settings,
                                                                  option=_option)
        if args.resume:   # rows of other settings would stop the run at their dataset, after the others ran
            planned.update(plan_rows(train, test, arms, shots, seeds, models, quick=args.quick,
                                     **{k: settings[k] for k in ("factor", "protocol", "minority", "repeats",
                                                                 "steps")})[2])
        jobs.append((modality, data, augmenters, skipped, models))
    if args.resume:
        check_resumable(Path(args.out) / "rows.jsonl", planned)
    out = prepare_out(args.out, resume=args.resume, overwrite=args.overwrite)
    if not args.quick and any(_learns(augmenters) for _, _, augmenters, _, _ in jobs):
        runs = len(jobs) * len(settings["shots"]) * len(settings["seeds"])
        print(f"aad evaluate: full run, {runs} (dataset, shots, seed) settings x every augmenter; learned "
              f"augmenters train at full budget, which can take hours on a CPU. Rows are saved as they "
              f"finish: re-run with --resume to continue.", file=sys.stderr)
    report = Report(meta={"command": command_line(sys.argv),
                          "shots": settings["shots"], "seeds": settings["seeds"], "factor": args.factor,
                          "quick": args.quick})
    started = time.perf_counter()
    for modality, data, augmenters, skipped, models in jobs:
        report.extend(evaluate(data, augmenters, models=models, quick=args.quick, out=out, resume=True,
                               progress=not args.no_progress, **settings,
                               skipped={f"{modality}/{k}": v for k, v in skipped.items()}))
    report.meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    report.save(out)
    print(f"wrote {Path(out) / 'report.md'} and report.json ({len(report.rows)} rows, "
          f"{report.meta['wall_seconds'] / 60:.1f} min)")
    failed = {r["augmenter"]: r["error"] for r in report.rows if r.get("error")}
    if failed:  # the others ran and are reported, but a script (or CI) must see that an arm crashed
        print(f"aad evaluate: {len(failed)} augmenter(s) failed (details in report.md): "
              + "; ".join(f"{name}: {error}" for name, error in failed.items()), file=sys.stderr)
        return 1
    return 0
