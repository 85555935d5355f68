"""Scores of a set of predictions (accuracy, macro-F1, per-class counts) and train/test overlap."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

__all__ = ["score_predictions", "shared_texts"]


def score_predictions(y_true, y_pred, class_names=None) -> dict:
    """Accuracy, macro-F1 and, per class, how many items it has, got and got right.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n,)
        True and predicted labels (same kind: both ids or both strings).
    class_names : list of str, optional
        Names of integer class ids, used for the ``name`` of each class.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1`` (over the union of true and predicted classes, as
        scikit-learn's default) and ``per_class``: a list of ``{"label", "name",
        "support", "predicted", "correct"}`` in label order.

    Examples
    --------
    >>> scores = score_predictions([0, 0, 1], [0, 1, 1], class_names=["neg", "pos"])
    >>> round(scores["accuracy"], 3), [c["correct"] for c in scores["per_class"]]
    (0.667, [1, 1])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.union1d(y_true, y_pred)
    per_class = []
    for label in labels.tolist():
        is_true, is_pred = y_true == label, y_pred == label
        per_class.append({
            "label": label,
            "name": class_names[label] if class_names is not None else str(label),
            "support": int(is_true.sum()),
            "predicted": int(is_pred.sum()),
            "correct": int((is_true & is_pred).sum()),
        })
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": per_class,
    }


def shared_texts(texts, reference) -> np.ndarray:
    """Which of ``texts`` appear verbatim in ``reference``.

    Exact duplicates across a train/test split are legitimate input, but a duplicate is
    its own nearest neighbour, so published scores of data sets with many of them are
    partly memory; reports say how many there are.

    Returns
    -------
    ndarray of bool, shape (len(texts),)

    Examples
    --------
    >>> shared_texts(["a cat", "a dog"], ["a dog", "stocks"]).tolist()
    [False, True]
    """
    seen = set(reference)
    return np.fromiter((text in seen for text in texts), dtype=bool, count=len(texts))
