"""The evaluation harness: does augmentation help, by how much, and is it real?

``evaluate(dataset, {"none": None, "affine": RandomAffine()}, shots=[10], seeds=[0, 1, 2])`` returns a
``Report``; ``aad evaluate`` runs the packaged defaults (see ``aad.eval.presets``).
"""
from aad.eval.harness import evaluate
from aad.eval.presets import PRESETS, Arm
from aad.eval.report import Report

__all__ = ["PRESETS", "Arm", "Report", "evaluate"]
