"""Scores of class models from their code lengths (bits per text and class), shared by every class model."""

from __future__ import annotations

import numpy as np

__all__ = ["centred_scores"]


def centred_scores(bits: np.ndarray) -> np.ndarray:
    """Minus ``bits`` centred per row, as scikit-learn's ``decision_function``.

    For two classes, one column as scikit-learn's binary classifiers give: the second
    class's score, the first class's bits minus the second's (as ``PPMClassifier``'s).

    Examples
    --------
    >>> centred_scores(np.array([[10.0, 14.0, 12.0]])).tolist()
    [[2.0, -2.0, 0.0]]
    >>> centred_scores(np.array([[10.0, 14.0]])).tolist()
    [-4.0]
    """
    if bits.shape[1] == 2:
        return bits[:, 0] - bits[:, 1]
    return bits.mean(axis=1, keepdims=True) - bits
