"""The ``aad`` command line: datasets, fit, generate, augment, evaluate."""
from __future__ import annotations

import argparse
import inspect
import json
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import aad

# What `aad fit MODALITY` trains when --augmenter/--dataset are not given.
DEFAULTS = {
    "image": ("mnist", "ConditionalGAN"),
    "text": ("tweets", "MaskedLMReplace"),
    "audio": ("spoken-digits", "SpectrogramGAN"),
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return args.run(args) or 0
    except (ValueError, TypeError, OSError, RuntimeError) as e:   # OSError: missing, existing, unwritable
        print(f"aad {args.command}: error: {e}", file=sys.stderr)
        return 2


def positive_int(text: str) -> int:
    """argparse type: an int >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return int(text)


def non_negative_int(text: str) -> int:
    """argparse type: an int >= 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {text!r}")
    return int(text)


def seed_int(text: str) -> int:
    """argparse type: a seed, an int in [0, 2**64 - 1]."""
    from aad.seeding import MAX_SEED

    if not text.isdigit() or int(text) > MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an int in [0, 2**64 - 1], got {text!r}")
    return int(text)


def class_list(text: str) -> list[str]:
    """argparse type: comma-separated class names or indices, e.g. ``cat,dog`` or ``0,3,7``."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated class names or indices such as 0,3,7, got {text!r}")
    return parts


def class_labels(wanted: list[str], classes: list[str], option: str = "--labels") -> list[int]:
    """Indices of ``wanted`` classes, each a class name or an index into ``classes``."""
    labels = []
    for item in wanted:
        if item in classes:
            labels.append(classes.index(item))
        elif item.isdigit() and int(item) < len(classes):
            labels.append(int(item))
        else:
            raise ValueError(f"{option}: {item!r} is neither a class name nor an index in [0, {len(classes) - 1}]; "
                             f"classes: {classes}")
    return labels


def image_size(text: str) -> int | tuple[int, int]:
    """argparse type: ``N`` (square) or ``H,W`` pixels."""
    parts = text.split(",")
    if len(parts) > 2 or not all(part.strip().isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(f"expected N or H,W positive pixel counts such as 32 or 64,48, got {text!r}")
    return int(parts[0]) if len(parts) == 1 else (int(parts[0]), int(parts[1]))


DATASET_HELP = ("a packaged dataset name (see `aad datasets`), or your own data: a folder with one subfolder "
                "of images or audio files per class, or a CSV file of texts (see --text-col)")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """How --dataset reads your own folder or CSV file (packaged datasets ignore these)."""
    group = parser.add_argument_group("your own data (--dataset PATH)")
    group.add_argument("--text-col", default="text", help="CSV column of the texts (default: text)")
    group.add_argument("--label-col", default="label", help="CSV column of the labels (default: label)")
    group.add_argument("--image-size", type=image_size, metavar="N|H,W",
                       help="resize every image to this size (default: all images must share one size)")
    group.add_argument("--sample-rate", type=positive_int, default=16_000,
                       help="audio is resampled to this rate in Hz (default: 16000)")
    group.add_argument("--clip-seconds", type=float, default=1.0,
                       help="audio clips are padded with silence or cut to this length (default: 1.0)")


def load_dataset(name: str, args):
    """``aad.data.load(name)``, with the own-data options of ``args`` when ``name`` is a path."""
    from aad.data import DATASETS, load

    if name in DATASETS:
        return load(name)
    return load(name, text_col=args.text_col, label_col=args.label_col, image_size=args.image_size,
                sample_rate=args.sample_rate, clip_seconds=args.clip_seconds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aad", description=aad.__doc__)
    parser.add_argument("--version", action="version", version=f"aad {aad.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("datasets", help="list the packaged datasets and whether they are installed")
    p.set_defaults(run=run_datasets)

    p = sub.add_parser("fit", help="fit a learned augmenter on a dataset and save it")
    p.add_argument("modality", choices=sorted(DEFAULTS))
    p.add_argument("--dataset", help=DATASET_HELP + " (default per modality: mnist, tweets, spoken-digits)")
    p.add_argument("--augmenter", help="class exported by the modality, e.g. ConditionalGAN")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="constructor argument (JSON value), repeatable, e.g. --param steps=2000")
    p.add_argument("--shots", type=positive_int, help="fit on k samples per class of the training split")
    p.add_argument("--all", action="store_true",
                   help="fit on every sample; by default the test split `aad evaluate` scores on is held out")
    p.add_argument("--seed", type=seed_int, default=0,
                   help="seeds the augmenter and the --shots draw; the train/test split is the dataset's own")
    p.add_argument("--out", required=True, type=Path, help="folder for the saved augmenter")
    p.add_argument("--overwrite", action="store_true", help="replace the augmenter saved in --out")
    add_data_options(p)
    p.set_defaults(run=run_fit)

    p = sub.add_parser("generate", help="draw labeled samples from a saved generative augmenter")
    p.add_argument("model", type=Path, help="folder written by `aad fit`")
    p.add_argument("--per-class", type=positive_int, default=8, help="samples per class")
    p.add_argument("--labels", type=class_list,
                   help="comma-separated class names, or indices for items that name no class "
                        "(default: every class)")
    p.add_argument("--folders", action="store_true",
                   help="also write each sample to data/<class>/ (PNG or WAV), a folder --dataset reads back")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--device", help="where to load and run the model (e.g. cpu for one fitted on a GPU; "
                                    "default: where it was fitted)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--overwrite", action="store_true", help="replace the samples in --out")
    p.set_defaults(run=run_generate)

    p = sub.add_parser("augment", help="augment samples of a dataset and save before/after examples")
    p.add_argument("model", help="folder of a saved augmenter, or a class name with --param")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--dataset", required=True, help=DATASET_HELP)
    p.add_argument("-n", type=positive_int, default=None,
                   help="number of samples (default: 16, or every sample of a smaller dataset)")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--overwrite", action="store_true", help="replace the examples in --out")
    add_data_options(p)
    p.set_defaults(run=run_augment)

    from aad.eval.main import add_arguments, run

    p = sub.add_parser("evaluate", help="measure the gain of augmenters with downstream classifiers")
    add_arguments(p)
    p.set_defaults(run=run)
    return parser


def run_datasets(args) -> int:
    from aad.data import format_table

    print(format_table())
    return 0


def parse_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param expects KEY=VALUE, got {pair!r}")
        if key == "seed":   # two ways to seed, one silently winning, would be one too many
            raise ValueError("--param seed: pass --seed instead")
        if value in PYTHON_CONSTANTS:   # the README's Python spelling: progress=False, not the string 'False'
            params[key] = PYTHON_CONSTANTS[value]
            continue
        try:
            params[key] = nested_augmenters(json.loads(value), f"--param {key}")
        except json.JSONDecodeError as err:
            if value.lstrip()[:1] in ("[", "{"):   # meant as JSON: a string would hide the typo
                raise ValueError(f"--param {key}: {value!r} is not valid JSON ({err}); JSON quotes with \" "
                                 f"and spells true, false, null") from None
            params[key] = value
    return params


PYTHON_CONSTANTS = {"True": True, "False": False, "None": None}


def nested_augmenters(value, name: str):
    """``value`` with each ``{"class": NAME, "params": {...}}`` in it built into that augmenter, so that
    ``--param fit_augmenter={"class": "RandomAffine", "params": {"shear": [-15, 15]}}`` passes one."""
    if isinstance(value, list):
        return [nested_augmenters(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if not (isinstance(value, dict) and set(value) in ({"class", "params"}, {"class"})):
        return value
    value = {"params": {}, **value}
    if not isinstance(value["class"], str) or not isinstance(value["params"], dict):
        raise TypeError(f"{name}: an augmenter is {{\"class\": NAME, \"params\": {{...}}}}, got {value!r:.120}")
    params = {k: nested_augmenters(v, f"{name}.{k}") for k, v in value["params"].items()}
    try:
        return build_augmenter(resolve_augmenter_class(value["class"]), params)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


def _is_augmenter_class(obj) -> bool:
    from aad.base import Augmenter
    return isinstance(obj, type) and issubclass(obj, Augmenter) and obj is not Augmenter


def resolve_augmenter_class(name: str, modality: str | None = None):
    """``Class`` or ``module:Class``: looked up among the package's own augmenters only."""
    from aad.base import resolve_class

    if ":" in name:
        return resolve_class(name)
    available = []
    # the compositions (Compose, OneOf, Sometimes, Identity) serve every modality
    for module in (f"aad.{modality}", "aad") if modality else ("aad", "aad.image", "aad.text", "aad.audio"):
        package = __import__(module, fromlist=["__all__"])
        exported = [n for n in getattr(package, "__all__", []) if _is_augmenter_class(getattr(package, n))]
        if name in exported:
            return getattr(package, name)
        available += exported
    raise ValueError(f"unknown augmenter {name!r}" + (f" for modality {modality}" if modality else "")
                     + f"; available: {sorted(set(available))}")


def build_augmenter(cls, params: dict):
    """``cls(**params)``; an unknown ``--param`` is named with the valid ones, as ``set_params`` does."""
    defaults = cls._param_defaults()
    for name in params:
        if name not in defaults:
            raise ValueError(f"{cls.__name__} has no parameter {name!r}; valid: {list(defaults)}")
    missing = [name for name, default in defaults.items() if default is inspect.Parameter.empty and name not in params]
    if missing:
        raise ValueError(f"{cls.__name__} needs {', '.join(f'--param {name}=...' for name in missing)} (no default)")
    return cls(**params)


def run_fit(args) -> int:
    from aad.eval.presets import for_data
    from aad.serialization import write_json

    dataset_name, default_class = DEFAULTS[args.modality]
    dataset = load_dataset(args.dataset or dataset_name, args)
    if dataset.modality != args.modality:
        raise ValueError(f"--dataset {dataset.name} is {dataset.modality}, not {args.modality}")
    train = dataset if args.all else dataset.split()[0]   # the split `aad evaluate` uses: its test part stays unseen
    if args.shots is not None:
        part = "" if args.all else "training split"
        train = train.kshot(train.check_shots(args.shots, "--shots", part), seed=args.seed)
    cls = resolve_augmenter_class(args.augmenter or default_class, args.modality)
    params = {"seed": args.seed, **parse_params(args.param)}
    augmenter = for_data(build_augmenter(cls, params), dataset)
    _check_out(args.out, args.overwrite)
    print(f"fitting {augmenter!r} on {len(train)} samples of {dataset.name}", file=sys.stderr)
    augmenter.fit(train.x, train.y)
    few = train.subset(range(min(2, len(train))))
    augmenter.augment(few.x, few.y, rng=0)   # bad parameters fail now, not at the first use of the save
    info = {"name": dataset.name, "classes": list(dataset.classes), "sample_rate": dataset.sample_rate}

    def save(folder: Path) -> list[Path]:
        augmenter.save(folder)
        write_json(folder / "dataset.json", info)  # lets `aad generate` name classes and set the rate
        if not augmenter.generative:
            return []
        x, y = _generate(augmenter, range(len(info["classes"])), per_class=8, seed=args.seed)
        return _save_samples(augmenter, x, y, info, folder / "samples")

    _write_out(args.out, "fit", save)   # only now: a failed fit leaves an earlier save in place
    print(f"saved to {args.out}")
    return 0


def run_generate(args) -> int:
    from aad.export import save_class_folders

    _check_out(args.out, args.overwrite, model=args.model)
    augmenter = _load(args.model, "--device cpu", **({"device": args.device} if args.device else {}))
    if not augmenter.generative:
        raise ValueError(f"{args.model} holds a {type(augmenter).__name__}, which cannot generate")
    meta = args.model / "dataset.json"
    info = json.loads(meta.read_text()) if meta.is_file() else \
        {"classes": [str(c) for c in range(augmenter._num_classes() or 1)], "sample_rate": None}
    n = len(info.get("classes") or [])
    if not n:
        raise ValueError(f"{meta} names no classes: it is not the file `aad fit` writes")
    labels = class_labels(args.labels, list(info["classes"])) if args.labels is not None \
        else _drawable_classes(augmenter, n)
    x, y = _generate(augmenter, labels, args.per_class, args.seed)

    def write(folder: Path) -> list[Path]:
        paths = _save_samples(augmenter, x, y, info, folder)
        if args.folders:
            paths += save_class_folders(x, y, augmenter.modality, folder / "data", info["classes"],
                                        info.get("sample_rate"))
        return paths

    _write_out(args.out, "generate", write)
    return 0


def _drawable_classes(augmenter, n: int):
    """The classes ``augmenter`` can draw: a model fitted on some classes only draws those, and a
    generative ``Compose`` draws from its first augmenter."""
    from aad import Compose
    while isinstance(augmenter, Compose):
        augmenter = augmenter.augmenters[0]
    return getattr(augmenter, "classes_", range(n))


def run_augment(args) -> int:
    import torch

    from aad.audio.functional import fit_length
    from aad.eval.presets import for_data
    from aad.export import save_before_after

    dataset = load_dataset(args.dataset, args)
    if Path(args.model).is_dir():
        augmenter = _load(args.model, "--param device=cpu", **parse_params(args.param))
        _check_modality(augmenter, args.model, dataset)
        _check_fitted_classes(Path(args.model), dataset)
    else:
        cls = resolve_augmenter_class(args.model, dataset.modality)
        augmenter = for_data(build_augmenter(cls, parse_params(args.param)), dataset)
        _check_modality(augmenter, args.model, dataset)
    _check_out(args.out, args.overwrite, model=Path(args.model) if Path(args.model).is_dir() else None)
    n = min(16, len(dataset)) if args.n is None else args.n
    if n > len(dataset):
        raise ValueError(f"-n {n} is more than the {len(dataset)} samples of --dataset {args.dataset}")
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))
    picked = dataset.subset(order[:n])
    if not _usable_unfitted(augmenter):
        augmenter.fit(picked.x, picked.y)
    after = augmenter.augment(picked.x, picked.y, rng=args.seed)
    if isinstance(after, list) and after and isinstance(after[0], torch.Tensor):  # clips of new lengths
        after = torch.nn.utils.rnn.pad_sequence(after, batch_first=True)
        longest = max(after.shape[1], picked.x.shape[1])
        after, picked = fit_length(after, longest), replace(picked, x=fit_length(picked.x, longest))
    _write_out(args.out, "augment", lambda folder: save_before_after(picked, after, folder))
    return 0


def _check_modality(augmenter, model, dataset) -> None:
    if augmenter.modality not in (None, dataset.modality):   # None: a composition that takes any batch
        raise ValueError(f"{model} augments {augmenter.modality} data, but --dataset {dataset.name} "
                         f"is {dataset.modality} data")


def _check_fitted_classes(model: Path, dataset) -> None:
    """A model ``aad fit`` saved knows its classes by index only: on data of other classes it would
    match them by position (a GAN's digits in place of shirts)."""
    meta = model / "dataset.json"
    if not meta.is_file():
        return
    fitted = json.loads(meta.read_text())
    if list(fitted.get("classes") or dataset.classes) != list(dataset.classes):
        raise ValueError(f"{model} was fitted on {fitted.get('name')!r}, whose classes {fitted['classes'][:4]}... "
                         f"are not those of --dataset {dataset.name} ({list(dataset.classes)[:4]}...); pass "
                         f"--dataset {fitted.get('name')} or data of the same classes")


def _usable_unfitted(augmenter) -> bool:
    """Whether ``augmenter`` can augment as it is: a transform, a fitted model, or a masked LM whose
    base model has its head (fitting it on the few examples shown would only make it worse)."""
    from aad.base import NotFittedError
    try:
        augmenter._check_fitted()
    except NotFittedError:
        return False
    return True


def _load(model, device_option: str, **overrides):
    """``Augmenter.load``; a model fitted on a GPU this machine lacks names ``device_option``, the
    command's way to load it on the CPU, unless a device was given."""
    from aad.base import Augmenter

    try:
        return Augmenter.load(model, **overrides)
    except ValueError as e:
        if "device" in overrides or "CUDA is not available" not in str(e):
            raise
        raise ValueError(f"{model} was fitted on a GPU this machine lacks: pass {device_option}") from e


# What each command writes into --out: its --overwrite replaces these and leaves every other file alone
# (another command's outputs, a model saved there, a fit's checkpoints).
OUTPUTS = {
    "fit": ("config.json", "model.safetensors", "dataset.json", "samples"),
    "generate": ("grid.png", "spectrograms.png", "wav", "samples.txt", "data"),
    "augment": ("before_after.png", "before_after.md", "wav"),
}


def _check_out(out: Path, overwrite: bool, model: Path | None = None) -> None:
    """Refuse a non-empty folder unless ``overwrite``, and a folder that cannot be made: called before
    the work, which touches nothing. ``model``: the saved augmenter the command reads."""
    from aad.checks import check_folder

    check_folder(out, "--out")
    if model is not None and out.resolve() == model.resolve():
        raise ValueError(f"--out must be another folder than the model's ({str(model)!r}): replacing "
                         f"its outputs would delete the saved model")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"--out folder {str(out)!r} is not empty: pass --overwrite to replace "
                              f"what an earlier run wrote there")


def _write_out(out: Path, command: str, write) -> None:
    """After the work (``_check_out`` came before it): ``write(folder)`` writes the outputs into a
    staging folder inside ``out`` and returns their paths; only when it succeeds do they replace the
    command's earlier outputs, so a failed ``--overwrite`` run leaves those in place, and a second run
    never leaves the first run's files beside its own (a WAV per sample, an older model's weights)."""
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".aad-staging-", dir=out))
    try:
        written = write(staging)
        for name in OUTPUTS[command]:
            old = out / name
            shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
        for new in staging.iterdir():
            new.rename(out / new.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made and not any(out.iterdir()):
            out.rmdir()
    for path in written:
        print(out / Path(path).relative_to(staging))


def _generate(augmenter, labels, per_class: int, seed: int):
    import torch

    y = torch.tensor(list(labels), dtype=torch.long).repeat_interleave(per_class)
    return augmenter.generate(y, rng=seed), y


def _save_samples(augmenter, x, y, info: dict, out: Path) -> list[Path]:
    from aad.export import save_samples

    return save_samples(x, y, augmenter.modality, out, classes=info["classes"], sample_rate=info.get("sample_rate"))


if __name__ == "__main__":
    sys.exit(main())
