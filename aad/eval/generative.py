"""Quality of new samples: Frechet distance and k-NN precision/recall in a classifier's feature space,
Inception Score, label-flip rate and distinct-n. CAS (train on generated only) lives in the harness,
since it trains a downstream model."""
from __future__ import annotations

import math
import re

import torch
from torch import Tensor


def frechet_distance(real: Tensor, fake: Tensor) -> float:
    """Frechet distance between Gaussians fitted to two feature sets ``[N, D]`` (FID's formula), >= 0."""
    real, fake = real.double(), fake.double()
    mu_r, mu_f = real.mean(0), fake.mean(0)
    cov_r, cov_f = torch.cov(real.T), torch.cov(fake.T)
    # tr(sqrt(Cr Cf)) from the eigenvalues of Cr Cf, which are real and >= 0 for PSD Cr, Cf.
    eig = torch.linalg.eigvals(cov_r @ cov_f).real.clamp(min=0)
    value = (mu_r - mu_f).pow(2).sum() + cov_r.trace() + cov_f.trace() - 2 * eig.sqrt().sum()
    return max(float(value), 0.0)


def _knn_radii(features: Tensor, k: int) -> Tensor:
    dist = torch.cdist(features, features)
    return dist.kthvalue(min(k + 1, len(features)), dim=1).values  # k+1: the point itself is at 0


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019), each in [0, 1].

    precision: share of fake samples inside some real sample's k-NN ball (fidelity);
    recall: share of real samples inside some fake sample's k-NN ball (diversity).
    """
    real, fake = real.float(), fake.float()
    r_real, r_fake = _knn_radii(real, k), _knn_radii(fake, k)
    cross = torch.cdist(fake, real)  # [F, R]
    precision = (cross <= r_real[None, :]).any(1).float().mean()
    recall = (cross.T <= r_fake[None, :]).any(1).float().mean()
    return {"precision": float(precision), "recall": float(recall)}


def inception_score(probs: Tensor, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))) from class probabilities ``[N, C]``; in [1, C]."""
    probs = probs.double().clamp(min=eps)
    marginal = probs.mean(0, keepdim=True)
    kl = (probs * (probs.log() - marginal.log())).sum(1)
    return math.exp(float(kl.mean()))


def label_flip_rate(pred_new: Tensor, pred_reference: Tensor) -> float:
    """Share of new samples a judge classifies differently from their reference label, in [0, 1]."""
    return float((pred_new.cpu() != pred_reference.cpu()).float().mean())


_WORD = re.compile(r"\w+|[^\w\s]")


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Distinct n-grams / all n-grams over ``texts`` (Li et al., 2016), in [0, 1]; higher is more diverse."""
    grams = []
    for text in texts:
        words = _WORD.findall(text.lower())
        grams.extend(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0
