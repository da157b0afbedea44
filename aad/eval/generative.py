"""Quality of new samples: Frechet distance and k-NN precision/recall in a classifier's feature space,
Inception Score, label-flip rate and distinct-n. CAS (train on generated only) lives in the harness,
since it trains a downstream model."""
from __future__ import annotations

import math
import re

import torch
from torch import Tensor

from aad.seeding import make_generator


def _feature_set(features: Tensor, name: str) -> Tensor:
    """``[N, D]`` features with N >= 2 (a covariance needs two samples), as float64."""
    if features.dim() != 2 or len(features) < 2:
        raise ValueError(f"{name} must be features [N, D] with N >= 2, got shape {tuple(features.shape)}")
    return features.double()


def frechet_distance(real: Tensor, fake: Tensor) -> float:
    """Frechet distance between Gaussians fitted to two feature sets ``[N, D]`` (FID's formula), >= 0."""
    real, fake = _feature_set(real, "real"), _feature_set(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must have the same feature size, got {real.shape[1]} and {fake.shape[1]}")
    mu_r, mu_f = real.mean(0), fake.mean(0)
    cov_r, cov_f = torch.cov(real.T), torch.cov(fake.T)
    # tr(sqrt(Cr Cf)) from the eigenvalues of Cr Cf, which are real and >= 0 for PSD Cr, Cf.
    eig = torch.linalg.eigvals(cov_r @ cov_f).real.clamp(min=0)
    value = (mu_r - mu_f).pow(2).sum() + cov_r.trace() + cov_f.trace() - 2 * eig.sqrt().sum()
    return max(float(value), 0.0)


CHUNK = 2048  # rows of a distance matrix held at once: memory O(CHUNK * N), not O(N^2)


def _knn_radii(features: Tensor, k: int) -> Tensor:
    kth = min(k + 1, len(features))  # k+1: the point itself is at 0
    return torch.cat([torch.cdist(part, features).kthvalue(kth, dim=1).values for part in features.split(CHUNK)])


def _covered(points: Tensor, centres: Tensor, radii: Tensor) -> Tensor:
    """bool ``[len(points)]``: whether each point lies in some centre's ball."""
    return torch.cat([(torch.cdist(part, centres) <= radii[None, :]).any(1) for part in points.split(CHUNK)])


def _holding(centres: Tensor, radii: Tensor, points: Tensor) -> Tensor:
    """bool ``[len(centres)]``: whether each centre's ball holds some point."""
    return torch.cat([(torch.cdist(part, points) <= r[:, None]).any(1)
                      for part, r in zip(centres.split(CHUNK), radii.split(CHUNK))])


def _at_most(features: Tensor, n: int) -> Tensor:
    if len(features) <= n:
        return features
    return features[torch.randperm(len(features), generator=make_generator(0))[:n]]


def precision_recall(real: Tensor, fake: Tensor, k: int = 3, max_samples: int = 10_000) -> dict[str, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019) and coverage (Naeem et al., 2020),
    each in [0, 1].

    precision: share of fake samples inside some real sample's k-NN ball (fidelity);
    recall: share of real samples inside some fake sample's k-NN ball (diversity);
    coverage: share of real samples whose own k-NN ball holds some fake sample (diversity). Recall
    collapses when the fakes come in near-copies: with more than ``k`` copies of each source (an
    augmenter's ``factor``), each fake's ball shrinks to its copies' spread. Coverage measures
    balls around the real samples only, so it does not.
    Each set is cut to a fixed random ``max_samples`` (time grows with the square of the count; the
    radii shrink as samples grow, so compare sets of equal size).
    """
    real, fake = _at_most(real.float(), max_samples), _at_most(fake.float(), max_samples)
    r_real, r_fake = _knn_radii(real, k), _knn_radii(fake, k)
    precision = _covered(fake, real, r_real).float().mean()
    recall = _covered(real, fake, r_fake).float().mean()
    coverage = _holding(real, r_real, fake).float().mean()
    return {"precision": float(precision), "recall": float(recall), "coverage": float(coverage)}


def inception_score(probs: Tensor, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))) from class probabilities ``[N, C]``; in [1, C]."""
    probs = probs.double()
    ones = torch.ones((), dtype=probs.dtype, device=probs.device)
    if probs.dim() != 2 or (probs < 0).any() or not torch.allclose(probs.sum(1), ones, atol=1e-3):
        raise ValueError("probs must be class probabilities [N, C] whose rows sum to 1 (softmax the logits)")
    probs = probs.clamp(min=eps)
    marginal = probs.mean(0, keepdim=True)
    kl = (probs * (probs.log() - marginal.log())).sum(1)
    return math.exp(float(kl.mean()))


def label_flip_rate(pred_new: Tensor, pred_reference: Tensor) -> float:
    """Share of new samples a judge classifies differently from their reference label, in [0, 1]."""
    if pred_new.shape != pred_reference.shape:  # [N, 1] against [N] would broadcast to N x N pairs
        raise ValueError(f"pred_new and pred_reference must have the same shape, got {tuple(pred_new.shape)} "
                         f"and {tuple(pred_reference.shape)}")
    return float((pred_new.cpu() != pred_reference.cpu()).float().mean())


_WORD = re.compile(r"\w+|[^\w\s]")


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Distinct n-grams / all n-grams over ``texts`` (Li et al., 2016), in [0, 1]; higher is more diverse."""
    grams = []
    for text in texts:
        words = _WORD.findall(text.lower())
        grams.extend(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0
