"""What a command reports: the text report on stdout, and the JSON file with its provenance."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np

from npc import __version__
from npc.classifier import NCDClassifier

__all__ = ["configuration", "duration", "environment", "format_cross_validation", "format_report", "kernel_summary",
           "write_json"]


def duration(seconds: float) -> str:
    """``42 s``, ``12 min``, ``1.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def kernel_summary(stats) -> dict | None:
    """The kernel's statistics as JSON (None for models without a kernel)."""
    if stats is None:
        return None
    return {"n_pairs": stats.n_pairs, "n_pairs_computed": stats.n_pairs_computed,
            "n_pairs_from_cache": stats.n_pairs - stats.n_pairs_computed, "seconds": stats.seconds,
            "pairs_per_second": stats.n_pairs_computed / stats.seconds if stats.n_pairs_computed else None,
            "cluster": stats.cluster}


def format_report(title: str, scores: dict, kernel: dict | None, wall_seconds: float) -> str:
    width = max([5] + [len(entry["name"]) for entry in scores["per_class"]])
    lines = [title, f"accuracy  {scores['accuracy']:.4f}", f"macro-F1  {scores['macro_f1']:.4f}",
             f"{'class':<{width}}  {'support':>8}  {'predicted':>9}  {'correct':>8}"]
    lines += [f"{e['name']:<{width}}  {e['support']:>8,}  {e['predicted']:>9,}  {e['correct']:>8,}"
              for e in scores["per_class"]]
    if kernel is not None:
        speed = "" if kernel["pairs_per_second"] is None else f", {kernel['pairs_per_second']:,.0f} pairs/s"
        lines.append(f"pairs     {kernel['n_pairs_computed']:,} computed, {kernel['n_pairs_from_cache']:,} from "
                     f"cache, {kernel['seconds']:.1f} s{speed}")
    lines.append(f"wall time {wall_seconds:.1f} s")
    return "\n".join(lines)


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
    """Write ``payload`` to ``path`` whole or not at all (through ``PATH.partial``)."""
    path = Path(path).expanduser()
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(payload, indent=1, default=_json_value) + "\n")
    partial.replace(path)


def _json_value(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return str(value)
