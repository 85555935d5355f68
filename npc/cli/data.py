"""Data for a command: one split loaded from the options, and the words that describe it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from npc.cli.errors import UsageError
from npc.cli.options import positive_int
from npc.datasets import _looks_like_path as looks_like_path
from npc.datasets import has_splits, load_dataset

__all__ = ["DEFAULT_DATASET", "add_sample_arguments", "check_data_dir", "check_exists", "comparable_labels", "count",
           "describe", "load", "names_of", "source"]

DEFAULT_DATASET = "imdb-sample"


def check_data_dir(options) -> None:
    """Refuse a ``--data-dir`` that is not a folder (it would be searched in vain, in silence)."""
    if options.data_dir is not None and not Path(options.data_dir).expanduser().is_dir():
        raise UsageError(f"--data-dir {options.data_dir}: no such folder")


def check_exists(option: str, name_or_path) -> None:
    """Refuse a file of ``option`` that does not exist, before any data is loaded.

    ``--predict`` takes only files (or ``-``); other options also take data set names.
    """
    if name_or_path is None or name_or_path == "-" or Path(name_or_path).expanduser().exists():
        return
    if option == "--predict" or looks_like_path(name_or_path):
        where = "" if Path(name_or_path).expanduser().is_absolute() else f" (relative to {Path.cwd()})"
        raise UsageError(f"File not found: {name_or_path}{where}.")


def load(options, source, split, n, n_per_class=None):
    """Load one split with the data options (a :class:`~npc.datasets.DatasetError` says what is wrong)."""
    data = load_dataset(source, split, n=n, n_per_class=n_per_class, seed=options.seed,
                        text_column=options.text_column, label_column=options.label_column,
                        data_dir=options.data_dir)
    if not len(data):
        raise UsageError(f"{source} ({split}) holds no texts")
    return data


def source(data) -> str:
    """The data's name, with its split when the source has several (a single file has none)."""
    return f"{data.name} {data.split}" if has_splits(data.name) else data.name


def count(n: int, noun: str) -> str:
    """``1 text``, ``2 texts``, ``3 classes``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}{'es' if noun.endswith('s') else 's'}"


def describe(data) -> str:
    return f"{source(data)}: {count(len(data), 'text')}, {count(len(np.unique(data.labels)), 'class')}"


def names_of(labels, class_names) -> list[str]:
    """Class names of ``labels``: ids through ``class_names``, other labels as text."""
    labels = np.asarray(labels).tolist()
    return [class_names[label] for label in labels] if class_names is not None else [str(label) for label in labels]


def comparable_labels(train, test):
    """Train and test labels in one vocabulary: ids when both name them alike, else names."""
    if train.class_names == test.class_names and train.labels.dtype.kind == test.labels.dtype.kind:
        return train.labels, test.labels, train.class_names
    return np.asarray(train.label_names()), np.asarray(test.label_names()), None


def add_sample_arguments(group, *, test: bool = False) -> None:
    """The sampling and column options of a command that trains (``--n-test`` too when it tests)."""
    group.add_argument("--n-train", type=positive_int, metavar="N", help="stratified sample of N training texts")
    group.add_argument("--n-per-class", type=positive_int, metavar="N",
                       help="N training texts of each class (few-shot), instead of --n-train")
    if test:
        group.add_argument("--n-test", type=positive_int, metavar="N", help="stratified sample of N test texts")
    group.add_argument("--seed", type=int, default=0, help="seed of the samples and of random tie-breaks (default 0)")
    group.add_argument("--text-column", default="text", help="text column of table files (default: text)")
    group.add_argument("--label-column", default="label", help="label column of table files (default: label)")
