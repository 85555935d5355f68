"""What a command reports: the text report on stdout, and the JSON file with its provenance."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np

from npc import __version__
from npc.cache import atomic_write
from npc.classifier import NCDClassifier
from npc.evaluation import top_classes

__all__ = ["MAX_CLASSES_PRINTED", "configuration", "environment", "format_cross_validation",
           "format_report", "kernel_summary", "predictions_report", "scores_report", "write_json"]


def kernel_summary(stats) -> dict | None:
    """The kernel's statistics as JSON (None for models without a kernel)."""
    if stats is None:
        return None
    return {"n_pairs": stats.n_pairs, "n_pairs_computed": stats.n_pairs_computed,
            "n_pairs_from_cache": stats.n_pairs - stats.n_pairs_computed, "seconds": stats.seconds,
            "pairs_per_second": stats.n_pairs_computed / stats.seconds if stats.n_pairs_computed else None,
            "cluster": stats.cluster}


# Above this many classes the text report leaves the confusion matrix to the JSON.
MAX_CLASSES_PRINTED = 20


def scores_report(scores: dict, per_class: dict) -> dict:
    """:func:`~npc.evaluation.score_predictions` with each class's precision, recall and F1, and the
    confusion matrix, from :func:`~npc.evaluation.per_class_report` (the same classes, in order)."""
    merged = [{**counts, **{key: entry[key] for key in ("precision", "recall", "f1")}}
              for counts, entry in zip(scores["per_class"], per_class["per_class"], strict=True)]
    return {**scores, "per_class": merged,
            "confusion_matrix": {"classes": per_class["classes"], "matrix": per_class["confusion_matrix"]}}


def predictions_report(labels: list[str], proba, class_names: list[str], top: int | None) -> dict:
    """Each prediction's class name, its probability (None without probabilities) and, with
    ``top``, the ``top`` most probable classes with theirs."""
    report = {"predicted": labels, "probability": None}
    if proba is not None:
        column = {name: j for j, name in enumerate(class_names)}
        report["probability"] = [float(row[column[label]]) for row, label in zip(proba, labels)]
        if top:
            report["top"] = [[{"label": name, "probability": p} for name, p in best]
                             for best in top_classes(proba, class_names, top)]
    return report


def format_report(title: str, scores: dict, kernel: dict | None, wall_seconds: float) -> str:
    """The text report of :func:`scores_report`: scores, the per-class table, the confusion matrix
    (up to :data:`MAX_CLASSES_PRINTED` classes), the kernel's work and the wall time."""
    width = max([5] + [len(entry["name"]) for entry in scores["per_class"]])
    lines = [title, f"accuracy  {scores['accuracy']:.4f}", f"macro-F1  {scores['macro_f1']:.4f}",
             f"{'class':<{width}}  precision  recall      F1  {'support':>8}  {'predicted':>9}  {'correct':>8}"]
    lines += [f"{e['name']:<{width}}  {e['precision']:>9.4f}  {e['recall']:.4f}  {e['f1']:.4f}  {e['support']:>8,}  "
              f"{e['predicted']:>9,}  {e['correct']:>8,}" for e in scores["per_class"]]
    if len(scores["per_class"]) <= MAX_CLASSES_PRINTED:
        lines += _format_confusion(**scores["confusion_matrix"])
    if kernel is not None:
        speed = "" if kernel["pairs_per_second"] is None else f", {kernel['pairs_per_second']:,.0f} pairs/s"
        lines.append(f"pairs     {kernel['n_pairs_computed']:,} computed, {kernel['n_pairs_from_cache']:,} from "
                     f"cache, {kernel['seconds']:.1f} s{speed}")
    lines.append(f"wall time {wall_seconds:.1f} s")
    return "\n".join(lines)


def _format_confusion(classes: list[str], matrix: list[list[int]]) -> list[str]:
    """Rows ``i name`` (the true class), columns ``i`` (the predicted one)."""
    rows = [f"{i} {name}" for i, name in enumerate(classes)]
    label, cell = max(map(len, rows)), max(4, *(len(f"{value:,}") for row in matrix for value in row))
    lines = ["confusion matrix (rows: true class, columns: predicted)",
             " " * label + "".join(f"  {i:>{cell}}" for i in range(len(classes)))]
    lines += [f"{row:<{label}}" + "".join(f"  {value:>{cell},}" for value in values)
              for row, values in zip(rows, matrix)]
    return lines


def format_cross_validation(summary: dict) -> str:
    lines = [f"--k auto: {summary['n_splits']}-fold cross-validation on the training set "
             f"({summary['n_pairs_computed']:,} pairs computed)", "k   mean accuracy  std     rank"]
    lines += [f"{row['params']['n_neighbors']:<3} {row['mean_test_score']:.4f}         {row['std_test_score']:.4f}  "
              f"{row['rank_test_score']}" for row in summary["table"]]
    lines.append(f"chosen k={summary['best_params']['n_neighbors']} (mean accuracy {summary['best_score']:.4f})")
    return "\n".join(lines)


def configuration(options, model, train, target) -> dict:
    """The exact configuration of a run: argv, model and parameters, seed, training rows, target."""
    params = model.get_params() if hasattr(model, "get_params") else {}
    if isinstance(model, NCDClassifier):
        params["compressor"] = model.compressor_.spec
    return {
        "argv": options.argv,
        "model": options.model,
        "parameters": params,
        "seed": options.seed,
        "train": {"data": options.train, "split": train.split, "n_train": options.n_train,
                  "n_per_class": options.n_per_class, "n": len(train), "class_names": train.class_names,
                  "rows": train.rows.tolist()},
        "target": target,
        "text_column": options.text_column,
        "label_column": options.label_column,
    }


def environment() -> dict:
    """npc's version, Python's, the platform and its CPU count."""
    return {"npc_version": __version__, "python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}


def write_json(path, payload: dict) -> None:
    """Write ``payload`` to ``path`` whole or not at all (npc's one atomic writer)."""
    atomic_write(Path(path).expanduser(), json.dumps(payload, indent=1, default=_json_value) + "\n")


def _json_value(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return str(value)
