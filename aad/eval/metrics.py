"""Classification scores and their summary over seeds: mean, std, and the paired gain over a control."""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def confusion_matrix(y_true: Tensor, y_pred: Tensor, num_classes: int) -> Tensor:
    """Counts int64 ``[num_classes, num_classes]``; rows are true classes, columns predictions."""
    _check_same_shape(y_true, y_pred)
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):  # would wrap around
            raise ValueError(f"{name} must hold class indices in [0, {num_classes - 1}], got range "
                             f"[{int(labels.min())}, {int(labels.max())}]")
    flat = y_true.long() * num_classes + y_pred.long()
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def accuracy(y_true: Tensor, y_pred: Tensor) -> float:
    """Fraction of correct predictions, in [0, 1], as exact as a float64 (float32's rounding made gains
    of equal counts print as -2e-06)."""
    _check_same_shape(y_true, y_pred)   # [N] against [N, 1] would broadcast to N x N comparisons
    return float((y_true == y_pred).double().mean())


def _check_same_shape(y_true: Tensor, y_pred: Tensor) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {tuple(y_true.shape)} and "
                         f"{tuple(y_pred.shape)}")


def macro_f1(y_true: Tensor, y_pred: Tensor, num_classes: int) -> float:
    """Unweighted mean of per-class F1 over the classes present in ``y_true`` or ``y_pred``."""
    cm = confusion_matrix(y_true, y_pred, num_classes).double()
    tp = cm.diag()
    support, predicted = cm.sum(1), cm.sum(0)
    present = (support + predicted) > 0
    f1 = 2 * tp / (support + predicted).clamp(min=1)
    return float(f1[present].mean())


def balanced_accuracy(y_true: Tensor, y_pred: Tensor, num_classes: int) -> float:
    """Mean per-class recall over the classes present in ``y_true``, in [0, 1]."""
    cm = confusion_matrix(y_true, y_pred, num_classes).double()
    support = cm.sum(1)
    present = support > 0
    return float((cm.diag()[present] / support[present]).mean())


def classification_scores(y_true: Tensor, y_pred: Tensor, num_classes: int) -> dict[str, float]:
    """accuracy, macro_f1 and balanced_accuracy, each in [0, 1]."""
    y_true, y_pred = y_true.cpu(), y_pred.cpu()
    return {"accuracy": accuracy(y_true, y_pred),
            "macro_f1": macro_f1(y_true, y_pred, num_classes),
            "balanced_accuracy": balanced_accuracy(y_true, y_pred, num_classes)}


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = [float(v) for v in values]
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def t_quantile(p: float, df: int) -> float:
    """Quantile of Student's t distribution (scipy; falls back to the normal one for large df)."""
    try:
        from scipy.stats import t
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        from statistics import NormalDist
        return NormalDist().inv_cdf(p)
    return float(t.ppf(p, df))


def paired_ci(treatment: Sequence[float], control: Sequence[float], level: float = 0.95) -> dict:
    """Mean paired difference ``treatment - control`` over seeds with a t-interval.

    Returns ``{"gain", "ci_low", "ci_high", "n"}``. The interval is NaN with fewer than two pairs, and
    when every pair differs by the same amount: a spread of 0 says nothing about the noise.
    """
    if len(treatment) != len(control) or not treatment:
        raise ValueError(f"need equal, non-empty lists of paired scores, got {len(treatment)} and {len(control)}")
    diffs = [a - b for a, b in zip(treatment, control)]
    gain, sd = mean_std(diffs)
    n = len(diffs)
    if n < 2 or sd < 1e-9:   # equal differences up to float rounding
        return {"gain": gain, "ci_low": math.nan, "ci_high": math.nan, "n": n}
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return {"gain": gain, "ci_low": gain - half, "ci_high": gain + half, "n": n}
