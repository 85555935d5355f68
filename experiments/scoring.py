"""Evaluation-only rules: the paper's tie counting, expected accuracy of random ties, Wilson intervals.

These need the true labels, so they are not predictors and never live in ``npc``. Every
table that shows :func:`paper_counting_correct` shows the honest numbers beside it.
"""

from __future__ import annotations

import math

import numpy as np

from npc.vote import class_scores

__all__ = ["class_counts", "paper_counting_correct", "random_tie_credit", "wilson_interval"]


def class_counts(neighbor_labels: np.ndarray, k: int, n_classes: int) -> np.ndarray:
    """Votes of each class among the ``k`` nearest (the uniform vote's class scores):
    shape (n_queries, n_classes)."""
    nearest = np.asarray(neighbor_labels)[:, :k]
    return class_scores(nearest, np.ones(nearest.shape), n_classes).astype(np.int64)


def _top_classes(neighbor_labels, k, n_classes):
    counts = class_counts(neighbor_labels, k, n_classes)
    return counts == counts.max(axis=1, keepdims=True)


def paper_counting_correct(neighbor_labels, true_labels, k: int, n_classes: int) -> np.ndarray:
    """The gzip paper's counting ("oracle" tie-break, as in its code): correct when the true
    label is among the classes tied for the most votes of the ``k`` nearest.

    At k=2 this is "the true label is one of the two nearest".
    """
    top = _top_classes(np.asarray(neighbor_labels), k, n_classes)
    return top[np.arange(len(top)), np.asarray(true_labels)]


def random_tie_credit(neighbor_labels, true_labels, k: int, n_classes: int) -> np.ndarray:
    """Expected correctness under a uniform random choice among tied classes: ``1/|tie|``
    when the true label is tied for the most votes, else 0."""
    top = _top_classes(np.asarray(neighbor_labels), k, n_classes)
    hit = top[np.arange(len(top)), np.asarray(true_labels)]
    return hit / top.sum(axis=1)


def wilson_interval(successes: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval (95 % by default) for a proportion ``successes / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))
