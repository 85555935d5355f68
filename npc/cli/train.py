"""``npc train``: fit a model on a training set and save it to a model file for ``npc predict``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from npc.cli import report
from npc.cli.data import add_sample_arguments, count, describe, load
from npc.cli.errors import EXIT_OK, UsageError
from npc.cli.models import MODELS, add_model_arguments, apply_model_options, models_help
from npc.cli.options import Command, add_common_arguments, check_output_path, note
from npc.cli.running import cross_validation
from npc.comparison import format_size
from npc.model_files import save_model

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = models_help()
    parser.add_argument("data", metavar="DATA",
                        help="training data: a data set name (its train split; see `npc datasets`), a CSV/TSV/JSON "
                             "lines/parquet file, or a folder of class folders")
    parser.add_argument("--save", metavar="MODEL", required=True,
                        help="the model file to write (it loads without running code: `npc predict MODEL INPUT`)")
    data = parser.add_argument_group("data")
    add_sample_arguments(data)
    add_common_arguments(data)
    model = parser.add_argument_group("model")
    add_model_arguments(model, parser.add_argument_group("run"))


def run(options: argparse.Namespace) -> int:
    started = time.perf_counter()
    if options.n_train is not None and options.n_per_class is not None:
        raise UsageError("give --n-train or --n-per-class, not both")
    check_output_path("--save", options.save)
    apply_model_options(options)
    train = load(options, options.data, "train", options.n_train, options.n_per_class)
    note(options, f"train  {describe(train)}")
    model = MODELS[options.model].build(options)
    # The model learns the class names, so that what it predicts reads the same everywhere.
    labels = np.asarray(train.label_names())
    model.fit(train.texts, labels)
    cv = cross_validation(model)
    if cv:
        note(options, report.format_cross_validation(cv))
    save_model(model, options.save, X=train.texts, y=labels)
    size = Path(options.save).expanduser().stat().st_size
    note(options, f"saved {options.save}: {options.model}, {count(len(model.classes_), 'class')}, "
                  f"{format_size(size)}, in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


COMMAND = Command("train", "fit a model on a training set and save it (then `npc predict MODEL INPUT`)",
                  add_arguments, run)
