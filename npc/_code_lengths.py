"""Scores of class models from their code lengths (bits per text and class), shared by every class model."""

from __future__ import annotations

import numpy as np

__all__ = ["centred_scores"]


def centred_scores(bits: np.ndarray) -> np.ndarray:
    """Minus ``bits`` centred per row, as scikit-learn's ``decision_function`` (one column for two classes).

    Examples
    --------
    >>> centred_scores(np.array([[10.0, 14.0, 12.0]])).tolist()
    [[2.0, -2.0, 0.0]]
    >>> centred_scores(np.array([[10.0, 14.0]])).tolist()
    [-2.0]
    """
    scores = bits.mean(axis=1, keepdims=True) - bits
    return scores[:, 1] if scores.shape[1] == 2 else scores
