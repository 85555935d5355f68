"""``npc compare``: every model (or the ones named) fitted and scored on the same rows, one table."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from npc.cli import report
from npc.cli.data import (
    DEFAULT_DATASET,
    add_sample_arguments,
    comparable_labels,
    count,
    describe,
    load,
    source,
)
from npc.cli.errors import EXIT_OK, UsageError
from npc.cli.models import MODELS, default_model
from npc.cli.options import Command, add_common_arguments, check_output_path, note
from npc.comparison import compare_models, format_comparison
from npc.datasets import has_splits

__all__ = ["COMMAND", "DEFAULT_BUDGET"]

DEFAULT_BUDGET = 300.0
"""Seconds the NCD kNN's search may take (estimated from a timed sample) before it is skipped."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", nargs="?", default=DEFAULT_DATASET,
                        help="training data: a data set name (see `npc datasets`), a CSV/TSV/JSON lines/parquet file, "
                             f"or a folder of class folders (default: {DEFAULT_DATASET}, shipped with npc)")
    data = parser.add_argument_group("data")
    data.add_argument("--test", metavar="NAME|PATH", help="labelled test data (default: the test split of DATA)")
    data.add_argument("--test-split", default="test", metavar="SPLIT",
                      help="split of a named test set (default: test; e.g. validation)")
    add_sample_arguments(data, test=True)
    add_common_arguments(data)
    run_group = parser.add_argument_group("run")
    run_group.add_argument("--models", nargs="+", choices=list(MODELS), metavar="MODEL",
                           help=f"models to compare, at their defaults (default: all: {', '.join(MODELS)})")
    run_group.add_argument("--budget", type=float, default=DEFAULT_BUDGET, metavar="SECONDS",
                           help="skip the NCD kNN when its search is estimated to take longer "
                                f"(default {DEFAULT_BUDGET:.0f})")
    run_group.add_argument("--output", metavar="FILE.json", help="write the table, configuration and predictions")


def run(options: argparse.Namespace) -> int:
    started = time.perf_counter()
    if options.n_train is not None and options.n_per_class is not None:
        raise UsageError("give --n-train or --n-per-class, not both")
    if options.budget < 0:
        raise UsageError(f"--budget {options.budget:g}: give a number of seconds, 0 or more")
    if options.output:
        check_output_path("--output", options.output)
    if options.test is None and not has_splits(options.data):
        raise UsageError(f"{options.data} is one split (a single file or folder of class folders); "
                         "give --test FILE to score the models on")
    train = load(options, options.data, "train", options.n_train, options.n_per_class)
    note(options, f"train  {describe(train)}")
    test = load(options, options.test or options.data, options.test_split, options.n_test)
    note(options, f"test   {describe(test)}")
    y_train, y_test, class_names = comparable_labels(train, test)
    names = options.models or list(MODELS)
    models = {name: default_model(name, seed=options.seed, quiet=options.quiet) for name in dict.fromkeys(names)}
    result = compare_models(models, train.texts, y_train, test.texts, y_test, budget=options.budget,
                            note=None if options.quiet else lambda line: print(line, file=sys.stderr, flush=True))
    print(f"{count(len(models), 'model')} on {source(test)} ({count(len(test), 'text')}), trained on "
          f"{source(train)} ({count(len(train), 'text')}); p vs best: McNemar's exact test on the same rows")
    print(format_comparison(result))
    if options.output:
        # Class names in the JSON, as in every npc output.
        named = test.label_names if class_names is not None else (lambda labels: np.asarray(labels).tolist())
        rows = [{**row, "predicted": named(row["predicted"])} if "predicted" in row else row
                for row in result["models"]]
        report.write_json(options.output, {
            **report.environment(),
            "config": {"argv": options.argv, "data": options.data, "test": options.test or options.data,
                       "test_split": test.split, "n_train": len(train), "n_test": len(test), "seed": options.seed,
                       "train_rows": train.rows.tolist(), "test_rows": test.rows.tolist(), "class_names": class_names,
                       "models": {name: model.get_params(deep=False) for name, model in models.items()},
                       "budget_seconds": options.budget},
            "comparison": {**result, "models": rows},
            "true": named(y_test),
            "wall_seconds": time.perf_counter() - started,
        })
        note(options, f"wrote {options.output}")
    return EXIT_OK


COMMAND = Command("compare", "fit and score every model on the same rows: accuracy with its interval, speed, size, "
                  "and a paired test against the best", add_arguments, run)
