"""``Report``: the rows of an evaluation, their summary over seeds, and its files
(``report.json``, ``report.md``, PNG figures)."""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch

from aad.eval.metrics import mean_std, paired_ci

GROUP = ("modality", "dataset", "model", "protocol", "shots")
# rows of other run settings are never pooled (quick: the judge of the sample metrics)
SETTINGS = ("factor", "steps", "n_test", "repeats", "quick", "minority")
ARM = ("augmenter", "arm_config", "balance")   # an arm: its name and what it runs
# settings an older version did not record, with the value its rows were made with
RECORDED_LATER = {"repeats": 1}
SCORES = ("accuracy", "macro_f1", "balanced_accuracy")
SAMPLE_METRICS = ("cas_accuracy", "frechet_distance", "precision", "recall", "coverage", "inception_score",
                  "label_flip_rate", "distinct_2")
N_SAMPLES = 8


@dataclass
class Report:
    rows: list[dict] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)   # augmenter -> why it did not run
    samples: dict[tuple, dict] = field(default_factory=dict)  # (dataset, augmenter) -> a few examples
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        for i, row in enumerate(self.rows):   # a summary of other dicts failed on KeyError 'seed'
            if not isinstance(row, dict) or not {"augmenter", "seed"} <= row.keys():
                raise ValueError(f"rows[{i}] is not a row evaluate writes (a dict with 'augmenter' and 'seed'), "
                                 f"got {row!r:.100}")

    # ---- building ---------------------------------------------------------------------------------
    def extend(self, other: Report) -> Report:
        self.rows += other.rows
        self.skipped.update(other.skipped)
        self.samples.update(other.samples)
        return self

    def add_samples(self, dataset, augmenter, modality, subset, new_x, new_y, source, sample_rate=None):
        """Keep a few (before, after) examples of an arm for the figures and the Markdown."""
        if new_x is None or not len(new_y):
            return
        pick = torch.linspace(0, len(new_y) - 1, min(N_SAMPLES, len(new_y))).long()
        before = [_reference(subset, int(source[i]), int(new_y[i])) for i in pick]
        after = [new_x[int(i)] for i in pick]
        labels = [int(new_y[i]) for i in pick]
        classes = getattr(subset, "classes", None)
        self.samples[(dataset, augmenter)] = {"modality": modality, "before": before, "after": after,
                                              "labels": labels, "sample_rate": sample_rate,
                                              "names": [str(classes[c]) if classes else str(c) for c in labels]}

    # ---- summary ----------------------------------------------------------------------------------
    def summary(self) -> list[dict]:
        """One entry per (modality, dataset, model, protocol, shots, run settings, augmenter): mean/std
        over seeds of every metric, and for the scores the paired gain over "none" with a 95%
        t-interval. Runs of other settings (``Report.extend``) are kept apart, not pooled as seeds, and so
        are arms of one name with other parameters (named with their ``arm_config`` then); of two rows of
        one seed, the later counts."""
        groups: dict[tuple, dict[tuple, dict[int, dict]]] = defaultdict(lambda: defaultdict(dict))
        for row in self.rows:
            groups[_group_key(row)][tuple(row.get(k) for k in ARM)][row["seed"]] = row
        out = []
        for key, by_arm in groups.items():
            control = {seed: r for (name, *_), rows in by_arm.items() if name == "none"
                       for seed, r in rows.items() if "error" not in r}
            names = Counter(name for name, *_ in by_arm)
            for (arm, config, balance), by_seed in by_arm.items():
                rows = list(by_seed.values())
                ok = [r for r in rows if "error" not in r]
                label = arm if names[arm] == 1 else f"{arm} ({config})"
                entry = {**dict(zip(GROUP + SETTINGS, key)), "augmenter": label, "balance": bool(balance),
                         "n_seeds": len(ok),
                         "errors": sorted({r["error"] for r in rows if "error" in r}),
                         "metrics_errors": sorted({r["metrics_error"] for r in ok if "metrics_error" in r})}
                for metric in SCORES + SAMPLE_METRICS:
                    values = [r[metric] for r in ok if r.get(metric) is not None]
                    if values:
                        entry[metric] = dict(zip(("mean", "std"), mean_std(values)))
                paired = [r for r in ok if r["seed"] in control]
                if arm != "none" and paired:
                    for metric in SCORES:
                        entry[f"gain_{metric}"] = paired_ci([r[metric] for r in paired],
                                                            [control[r["seed"]][metric] for r in paired])
                out.append(entry)
        return out

    # ---- files ------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        rows = [{k: v for k, v in r.items() if k != "traceback"} for r in self.rows]
        return {"meta": self.meta, "skipped": self.skipped, "summary": _finite(self.summary()), "rows": _finite(rows)}

    def save(self, out: str | Path) -> Path:
        """Write report.json, report.md and the figures into folder ``out``; returns it."""
        from aad.eval import plots
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        figures = plots.save_figures(self, out)
        (out / "report.json").write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        (out / "report.md").write_text(self.to_markdown(figures), encoding="utf-8")   # texts, "±", "—"
        return out

    @classmethod
    def from_rows_file(cls, path: str | Path) -> Report:
        try:
            return cls(rows=read_rows(Path(path).read_text()))
        except ValueError as e:
            raise ValueError(f"{path} is not a rows.jsonl of aad evaluate: {e}") from None


    def to_markdown(self, figures: list[str] | None = None) -> str:
        summary = self.summary()
        lines = ["# AAD evaluation report", ""]
        if self.meta.get("command"):
            lines += [f"Command: `{self.meta['command']}`", ""]
        if self.meta.get("wall_seconds"):
            lines += [f"Wall time: {self.meta['wall_seconds'] / 60:.1f} min", ""]
        lines += [("Scores are in points (percent) on the untouched test split, mean ± std over seeds. "
                  "Gain: paired difference with \"none\" (same subset and seed), with a 95% t-interval; "
                  "**bold** when the interval excludes 0; none with one seed, or when every seed gave the same "
                  "difference."), ""]
        if any(r.get("repeats", RECORDED_LATER["repeats"]) > 1 for r in self.rows):
            lines += [("Where a title says N trainings per seed, each seed's scores are the mean of N trainings "
                       "of the downstream model from different initializations (`repeats`); CAS comes from one."),
                      ""]
        tables: dict[tuple, list[dict]] = defaultdict(list)
        for entry in summary:
            tables[tuple(entry[k] for k in GROUP + SETTINGS)].append(entry)
        for key, entries in tables.items():
            lines += _table(dict(zip(GROUP + SETTINGS, key)), entries)
        if self.skipped:
            lines += ["## Skipped augmenters", ""] + [f"- `{k}`: {v}" for k, v in self.skipped.items()] + [""]
        errors = [e for e in summary if e["errors"] or e.get("metrics_errors")]
        if errors:
            lines += ["## Errors", ""]
            lines += [f"- {e['dataset']} / {e['augmenter']} (k={e['shots']}): "
                      + "; ".join(e["errors"] + [f"sample metrics: {m}" for m in e.get("metrics_errors", [])])
                      for e in errors] + [""]
        lines += _text_examples(self.samples)
        if figures:
            lines += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures] + [""]
        return "\n".join(lines)


def _group_key(row: dict) -> tuple:
    return tuple(row.get(k, RECORDED_LATER.get(k)) for k in GROUP + SETTINGS)


def _pct(stat: dict | None) -> str:
    return "" if stat is None else f"{100 * stat['mean']:.1f} ± {100 * stat['std']:.1f}"


def _gain(g: dict | None) -> str:
    if g is None:
        return ""
    text = f"{_points(g['gain'])} [{_points(g['ci_low'])}, {_points(g['ci_high'])}]" \
        if not math.isnan(g["ci_low"]) else _points(g["gain"])
    return f"**{text}**" if g["ci_low"] > 0 or g["ci_high"] < 0 else text


def _points(value: float) -> str:
    """A fraction in points to one decimal; one significant digit where that would print a nonzero
    value as 0.0 (a bold interval must not read "[-8.2, -0.0]"). Below 1e-9 is float rounding: 0."""
    value = 0.0 if abs(value) < 1e-9 else value
    text = f"{100 * value:+.1f}"
    return f"{100 * value:+.1g}" if value and float(text) == 0 else text


def _table(group: dict, entries: list[dict]) -> list[str]:
    extra = [m for m in SAMPLE_METRICS if any(m in e for e in entries)]
    main = headline_metric(group)
    title = (f"## {group['modality']} / {group['dataset']} — model `{group['model']}`, "
             f"{setup_text(group)}{settings_text(group)}")
    head = ["augmenter", "seeds", main.replace("_", " "), "gain", "macro-F1", "gain F1"] + extra
    lines = [title, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in sorted(entries, key=lambda e: (e["augmenter"] != "none", -e.get(main, {"mean": 0})["mean"])):
        name = f"`{e['augmenter']}`" + (" (balancing)" if e.get("balance") else "")
        cells = [name, str(e["n_seeds"]), _pct(e.get(main)), _gain(e.get(f"gain_{main}")),
                 _pct(e.get("macro_f1")), _gain(e.get("gain_macro_f1"))]
        for m in extra:
            stat = e.get(m)
            cells.append("" if stat is None else (_pct(stat) if m == "cas_accuracy" else f"{stat['mean']:.3g}"))
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def headline_metric(group: dict) -> str:
    """Balanced accuracy where the classes are imbalanced (the imbalance protocol, or the whole training
    split of the user's data, as it is), else accuracy."""
    return "balanced_accuracy" if group["protocol"] == "imbalance" or group["shots"] == "all" else "accuracy"


def setup_text(group: dict) -> str:
    """"kshot, 10 shots", "imbalance, 10 shots", or "the whole training split" (and ", imbalance")."""
    if group["shots"] == "all":
        return "the whole training split" + (", imbalance" if group["protocol"] == "imbalance" else "")
    return f"{group['protocol']}, {group['shots']} shots"


def settings_text(group: dict) -> str:
    """", factor 4, 1000 steps, 500 test samples" (and ", 3 trainings per seed" when more than one);
    a setting the rows do not record is left out."""
    words = {"factor": "factor {}", "steps": "{} steps", "n_test": "{} test samples"}
    parts = [text.format(group[k]) for k, text in words.items() if group.get(k) is not None]
    if group.get("minority") is not None:
        parts.append(f"{group['minority']} sample{'s' * (group['minority'] != 1)} per cut class")
    if (group.get("repeats") or 1) > 1:
        parts.append(f"{group['repeats']} trainings per seed")
    if group.get("quick"):
        parts.append("quick")
    return "".join(", " + part for part in parts)


def _text_examples(samples: dict) -> list[str]:
    lines = []
    for (dataset, arm), s in samples.items():
        if s["modality"] != "text":
            continue
        if not lines:
            lines = ["## Text examples (before → after)", ""]
        lines += [f"**{dataset} / `{arm}`**", ""]
        for before, after, label in list(zip(s["before"], s["after"], s["names"]))[:4]:
            source = "*(generated)*" if before is None else _quote(before)
            lines.append(f"- [{label}] {source} → {_quote(after)}")
        lines.append("")
    return lines


def _quote(text: str) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return f"“{text[:160]}”"


def _finite(value):
    """JSON has no NaN: write None instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _reference(subset, source: int, label: int):
    """The real sample shown above a new one: its source, or for a generated sample a real one of
    its class (the first in the subset; None if it has none), so a grid compares like with like."""
    if source < 0:
        same_class = torch.nonzero(subset.y == label).flatten()
        if not len(same_class):
            return None
        source = int(same_class[0])
    return subset.x[source]


def read_rows(text: str) -> list[dict]:
    """The rows of a ``rows.jsonl`` text; a line cut short by an interrupted run is skipped."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return rows
