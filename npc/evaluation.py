"""Scores of a set of predictions (accuracy, macro-F1, per-class counts, precision, recall, F1, the
confusion matrix), the most probable classes of each prediction, train/test overlap, and how sure
a score is: an accuracy's Wilson interval, McNemar's exact test of two classifiers."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

__all__ = ["mcnemar_test", "per_class_report", "score_predictions", "shared_texts", "top_classes",
           "wilson_interval"]


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


def wilson_interval(n_correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of an accuracy of ``n_correct`` out of ``n``.

    Unlike the normal approximation ``p +- z * sqrt(p (1 - p) / n)``, it stays inside
    [0, 1] and keeps its coverage near 0 and 1 and on small test sets.

    Parameters
    ----------
    n_correct : int
        Items predicted right.
    n : int
        Items predicted (at least 1).
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : tuple of float

    Notes
    -----
    With ``p = n_correct / n`` and ``z`` the normal quantile of ``(1 + confidence) / 2``:
    ``(p + z^2 / 2n -+ z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n)``
    (Wilson 1927; Newcombe 1998, method 3).

    Examples
    --------
    >>> [round(bound, 4) for bound in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    from scipy.stats import norm

    if n < 1 or not 0 <= n_correct <= n:
        raise ValueError(f"need 0 <= n_correct <= n and n >= 1; got n_correct={n_correct}, n={n}")
    z = norm.ppf((1 + confidence) / 2)
    p, z2 = n_correct / n, z * z
    center = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, float(center - half)), min(1.0, float(center + half))


def mcnemar_test(correct_a, correct_b) -> dict:
    """McNemar's exact test: do two classifiers, scored on the same rows, differ in accuracy?

    Only the discordant rows count: ``a_only`` rows that A got right and B wrong,
    ``b_only`` the reverse. Under the hypothesis of equal accuracy each discordant row is
    a fair coin, so the p-value is the two-sided binomial test of ``a_only`` successes in
    ``a_only + b_only`` trials at 1/2 (1.0 when there is no discordant row).

    Parameters
    ----------
    correct_a, correct_b : array_like of bool, shape (n,)
        Whether each classifier got each row right.

    Returns
    -------
    dict
        ``a_only``, ``b_only`` (int) and ``p_value`` (float).

    Examples
    --------
    >>> mcnemar_test([True] * 5 + [False] * 5, [False] * 5 + [False] * 5)
    {'a_only': 5, 'b_only': 0, 'p_value': 0.0625}
    """
    from scipy.stats import binomtest

    correct_a, correct_b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if correct_a.shape != correct_b.shape or correct_a.ndim != 1:
        raise ValueError(f"correct_a and correct_b must be 1-D and of one length; got shapes {correct_a.shape} "
                         f"and {correct_b.shape}")
    a_only, b_only = int((correct_a & ~correct_b).sum()), int((~correct_a & correct_b).sum())
    p_value = 1.0 if a_only + b_only == 0 else float(binomtest(a_only, a_only + b_only, 0.5).pvalue)
    return {"a_only": a_only, "b_only": b_only, "p_value": p_value}


def per_class_report(y_true, y_pred, class_names=None) -> dict:
    """Precision, recall, F1 and support of each class, and the confusion matrix (scikit-learn's).

    Classes are the union of true and predicted labels, in label order; a class never
    predicted has precision 0 (no warning), one never true recall 0.

    Returns
    -------
    dict
        ``classes`` (names), ``per_class``: a list of ``{"name", "precision", "recall",
        "f1", "support"}``, and ``confusion_matrix``: rows the true class, columns the
        predicted one.

    Examples
    --------
    >>> report = per_class_report([0, 0, 1], [0, 1, 1], class_names=["neg", "pos"])
    >>> report["confusion_matrix"], report["per_class"][1]["precision"]
    ([[1, 1], [0, 1]], 0.5)
    """
    from sklearn.metrics import classification_report, confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.union1d(y_true, y_pred)
    names = [class_names[label] if class_names is not None else str(label) for label in labels.tolist()]
    scores = classification_report(y_true, y_pred, labels=labels, target_names=names, output_dict=True,
                                   zero_division=0)
    per_class = [{"name": name, "precision": scores[name]["precision"], "recall": scores[name]["recall"],
                  "f1": scores[name]["f1-score"], "support": int(scores[name]["support"])} for name in names]
    return {"classes": names, "per_class": per_class,
            "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()}


def top_classes(proba, class_names, n: int) -> list[list[tuple[str, float]]]:
    """The ``n`` most probable classes of each row of ``proba`` with their probabilities, best first.

    Ties keep the order of ``class_names``.

    Examples
    --------
    >>> top_classes(np.array([[0.2, 0.8]]), ["neg", "pos"], 1)
    [[('pos', 0.8)]]
    """
    order = np.argsort(-np.asarray(proba), axis=1, kind="stable")[:, :n]
    return [[(class_names[j], float(row[j])) for j in columns] for row, columns in zip(np.asarray(proba), order)]
