"""Several models fitted and scored on the same rows: which one to pick, and how sure that is.

:func:`compare_models` fits each model on one training set and predicts one test set,
recording accuracy with its Wilson 95 % interval, macro-F1, fit seconds, milliseconds per
prediction, the size of the saved model file, and McNemar's exact p-value of each model
against the most accurate one (the same rows, so a difference of a few rows is not
over-read). An NCD kNN whose estimated search time exceeds a budget is skipped with a
note instead of run. :func:`format_comparison` prints the result as one table.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import clone

from npc._validation import InvalidInputError
from npc.classifier import NCDClassifier
from npc.evaluation import mcnemar_test, score_predictions, wilson_interval
from npc.model_files import save_model
from npc.model_selection import NCDClassifierCV

__all__ = ["compare_models", "estimate_search_seconds", "format_comparison", "format_duration", "format_size"]

# The timed sample of the estimate (as `npc classify` announces big jobs).
SAMPLE_QUERIES, SAMPLE_REFERENCES = 16, 256


def _spread(items, m: int) -> list:
    positions = np.unique(np.linspace(0, len(items) - 1, min(len(items), m)).astype(np.int64))
    return [items[i] for i in positions]


def estimate_search_seconds(model, X_train, X_test) -> float | None:
    """Estimated seconds of an NCD model's neighbour searches; ``None`` for other models.

    A :class:`~npc.NCDClassifier` searches ``len(X_test) * len(X_train)`` pairs; an
    :class:`~npc.NCDClassifierCV` first searches the training set against itself. The
    seconds per pair are timed on a sample (:meth:`NCDClassifier.seconds_per_pair`: up to
    16 queries x 256 training texts) and divided among the model's ``n_jobs`` workers.
    """
    if not isinstance(model, (NCDClassifier, NCDClassifierCV)):
        return None
    probe = NCDClassifier(1, compressor=model.compressor, level=model.level, sep=model.sep)
    references = _spread(list(X_train), SAMPLE_REFERENCES)
    probe.fit(references, np.zeros(len(references), dtype=np.int64))
    n_pairs = len(X_test) * len(X_train)
    seconds = n_pairs * probe.seconds_per_pair(X_test, n_queries=SAMPLE_QUERIES, n_references=SAMPLE_REFERENCES)
    if isinstance(model, NCDClassifierCV):
        seconds += len(X_train) ** 2 * probe.seconds_per_pair(X_train, n_queries=SAMPLE_QUERIES,
                                                              n_references=SAMPLE_REFERENCES)
    return seconds / effective_n_jobs(model.n_jobs)


def _file_bytes(model) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.npc")
        save_model(model, path)
        return os.path.getsize(path)


def _fit_and_score(model, X_train, y_train, X_test, y_test) -> dict:
    started = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(X_test)
    predict_seconds = time.perf_counter() - started
    scores = score_predictions(y_test, predicted)
    n_correct = int(np.sum(np.asarray(predicted) == np.asarray(y_test)))
    low, high = wilson_interval(n_correct, len(y_test))
    return {"status": "ok", "accuracy": scores["accuracy"], "accuracy_low": low, "accuracy_high": high,
            "macro_f1": scores["macro_f1"], "fit_seconds": fit_seconds,
            "ms_per_prediction": 1000 * predict_seconds / len(y_test), "model_bytes": _file_bytes(model),
            "predicted": np.asarray(predicted)}


def compare_models(models: dict, X_train, y_train, X_test, y_test, *, budget: float | None = None,
                   note: Callable[[str], None] | None = None) -> dict:
    """Fit and score each model on the same training and test rows.

    Parameters
    ----------
    models : dict of str to estimator
        Name -> unfitted estimator (each is cloned, so the caller's stay unfitted).
    X_train, y_train : training texts and labels
    X_test, y_test : test texts and labels
    budget : float, optional
        Seconds an NCD kNN's neighbour search may take by :func:`estimate_search_seconds`;
        a model over it is skipped (its row says so). ``None``: no limit.
    note : callable, optional
        Called with a line of progress before each model (e.g. ``print`` to stderr).

    Returns
    -------
    dict
        ``n_train``, ``n_test``, ``budget_seconds``, ``best`` (the most accurate model run;
        the first listed among equals) and ``models``: one row per model, in the order
        given, with ``name``, ``status`` (``"ok"`` or ``"skipped"``: over the budget, or a
        model that refuses these rows, e.g. too few texts for its folds), ``note``,
        ``estimated_seconds`` (NCD models, else None) and, when run, ``accuracy``,
        ``accuracy_low``/``accuracy_high`` (Wilson 95 %), ``macro_f1``, ``fit_seconds``,
        ``ms_per_prediction``, ``model_bytes`` (the :func:`~npc.save_model` file),
        ``predicted`` and, against the best, ``a_only``/``b_only`` (rows only this model /
        only the best got right) and ``p_value`` (McNemar exact; None for the best).

    Examples
    --------
    >>> from npc import CompressorClassifier, PPMClassifier
    >>> texts = ["the cat sat", "a cat ran", "stocks fell", "shares fell"]
    >>> labels = ["pets", "pets", "finance", "finance"]
    >>> result = compare_models({"ppm": PPMClassifier(), "zstd": CompressorClassifier()},
    ...                         texts, labels, ["a cat sat", "stocks fell"], ["pets", "finance"])
    >>> [(row["name"], row["accuracy"], row["p_value"]) for row in result["models"]]
    [('ppm', 1.0, None), ('zstd', 0.5, 1.0)]
    >>> result["best"]
    'ppm'
    """
    y_test = np.asarray(y_test)
    rows = []
    for name, estimator in models.items():
        model = clone(estimator)
        row = {"name": name, "status": "ok", "note": None,
               "estimated_seconds": estimate_search_seconds(model, X_train, X_test)}
        if budget is not None and row["estimated_seconds"] is not None and row["estimated_seconds"] > budget:
            row.update(status="skipped", note=f"skipped: its NCD search would take about "
                                              f"{format_duration(row['estimated_seconds'])}, over the budget of "
                                              f"{format_duration(budget)}")
        else:
            if note is not None:
                note(f"{name}: fitting {len(X_train):,} texts, predicting {len(X_test):,}")
            try:
                row.update(_fit_and_score(model, X_train, y_train, X_test, y_test))
            except InvalidInputError as error:  # this model cannot take these rows; the others still run
                row.update(status="skipped", note=f"skipped: {error}")
        rows.append(row)
    run = [row for row in rows if row["status"] == "ok"]
    best = max(run, key=lambda row: row["accuracy"], default=None)  # max keeps the first of equals
    for row in run:
        if row is not best:
            test = mcnemar_test(row["predicted"] == y_test, best["predicted"] == y_test)
            row.update(a_only=test["a_only"], b_only=test["b_only"], p_value=test["p_value"])
        else:
            row.update(a_only=None, b_only=None, p_value=None)
    return {"n_train": len(X_train), "n_test": len(y_test), "budget_seconds": budget,
            "best": None if best is None else best["name"], "models": rows}


def format_duration(seconds: float) -> str:
    """``42 s``, ``12 min``, ``1.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_size(n_bytes: int) -> str:
    """``512 B``, ``2.5 kB``, ``1.2 MB``, ``3.0 GB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} B"


def format_comparison(result: dict) -> str:
    """The comparison as a plain-text table, best first by accuracy, skipped models last with their note.

    Examples
    --------
    >>> row = {"name": "ppm", "status": "ok", "note": None, "accuracy": 0.75, "accuracy_low": 0.6,
    ...        "accuracy_high": 0.86, "macro_f1": 0.74, "fit_seconds": 1.5, "ms_per_prediction": 0.25,
    ...        "model_bytes": 2_500_000, "p_value": None}
    >>> print(format_comparison({"n_train": 100, "n_test": 50, "best": "ppm", "models": [row]}))
    model  accuracy  95% interval   macro-F1  fit s  ms/text  size    p vs best
    ppm    0.7500    0.6000-0.8600  0.7400    1.5    0.25     2.5 MB  best
    """
    run = sorted((row for row in result["models"] if row["status"] == "ok"), key=lambda row: -row["accuracy"])
    header = ("model", "accuracy", "95% interval", "macro-F1", "fit s", "ms/text", "size", "p vs best")
    table = [header] + [
        (row["name"], f"{row['accuracy']:.4f}", f"{row['accuracy_low']:.4f}-{row['accuracy_high']:.4f}",
         f"{row['macro_f1']:.4f}", f"{row['fit_seconds']:.1f}", f"{row['ms_per_prediction']:.2f}",
         format_size(row["model_bytes"]), "best" if row["p_value"] is None else f"{row['p_value']:.3g}")
        for row in run]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    lines += [f"{row['name']}: {row['note']}" for row in result["models"] if row["status"] != "ok"]
    return "\n".join(lines)
