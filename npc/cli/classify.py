"""``npc classify``: fit a model on a training set, then score it on a test set or label new texts."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from npc.cli import report
from npc.cli.data import (
    DEFAULT_DATASET,
    check_data_dir,
    check_exists,
    comparable_labels,
    count,
    describe,
    load,
    names_of,
    source,
)
from npc.cli.errors import EXIT_OK, UsageError
from npc.cli.models import AUTO_FOLDS, MODELS, add_model_arguments, apply_model_options, models_help
from npc.cli.options import Command, add_common_arguments, flag, note, positive_int
from npc.cli.running import add_cluster_arguments, announce_compilation, cross_validation, on_cluster, predict
from npc.datasets import has_splits, load_texts
from npc.evaluation import per_class_report, score_predictions, shared_texts

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = models_help()
    data = parser.add_argument_group("data")
    data.add_argument("--train", metavar="NAME|PATH", default=DEFAULT_DATASET,
                      help=f"training data: a data set name (see `npc datasets`), a CSV/TSV/JSON lines/parquet "
                           f"file, or a folder of class folders (default: {DEFAULT_DATASET}, shipped with npc)")
    target = data.add_mutually_exclusive_group()
    target.add_argument("--test", metavar="NAME|PATH",
                        help="labelled test data (default: the test split of --train)")
    target.add_argument("--predict", metavar="FILE",
                        help="label unlabelled texts instead of testing: one text per line (.txt, or - for stdin) "
                             "or a table with a text column; labels go to stdout, one per input text")
    data.add_argument("--test-split", metavar="SPLIT",
                      help="split of a named test set (default: test; e.g. validation)")
    data.add_argument("--n-train", type=positive_int, metavar="N", help="stratified sample of N training texts")
    data.add_argument("--n-per-class", type=positive_int, metavar="N",
                      help="N training texts of each class (few-shot), instead of --n-train")
    data.add_argument("--n-test", type=positive_int, metavar="N", help="stratified sample of N test texts")
    data.add_argument("--seed", type=int, default=0, help="seed of the samples and of random tie-breaks (default 0)")
    data.add_argument("--text-column", default="text", help="text column of table files (default: text)")
    data.add_argument("--label-column", default="label", help="label column of table files (default: label)")
    add_common_arguments(data)
    model = parser.add_argument_group("model")
    run = parser.add_argument_group("run")
    add_model_arguments(model, run)
    add_cluster_arguments(run)
    run.add_argument("--output", metavar="FILE.json",
                     help="write the report, the exact configuration and every prediction (its class and "
                          "probability) as JSON")
    run.add_argument("--top", type=positive_int, metavar="N",
                     help="with --output: also the N most probable classes of each prediction, with theirs")


def run(options: argparse.Namespace) -> int:
    started = time.perf_counter()
    model = _check(options)
    with on_cluster(options):
        return _classify(options, model, started)


def _check(options: argparse.Namespace):
    """Refuse what cannot run as given before connecting to a cluster or loading any data; return the model."""
    if options.n_train is not None and options.n_per_class is not None:
        raise UsageError("give --n-train or --n-per-class, not both")
    if options.output and not Path(options.output).expanduser().parent.is_dir():
        raise UsageError(f"--output {options.output}: its folder does not exist")
    if options.top is not None and not options.output:
        raise UsageError("--top lists classes in the --output JSON; give --output FILE.json")
    check_data_dir(options)
    for option in ("--train", "--test", "--predict"):
        check_exists(option, getattr(options, option[2:]))
    if options.predict is not None:
        for name in ("n_test", "test_split"):
            if getattr(options, name) is not None:
                raise UsageError(f"{flag(name)} is for the test set; --predict labels every text of {options.predict}")
    elif options.test is None and not has_splits(options.train):
        raise UsageError(f"--train {options.train} is one split (a single file or folder of class folders); "
                         "give --test FILE to evaluate or --predict FILE to label new texts")
    if options.test_split is None:
        options.test_split = "test"
    apply_model_options(options)
    model = MODELS[options.model].build(options)
    if options.top is not None and not hasattr(model, "predict_proba"):
        raise UsageError(f"--top needs class probabilities; --model {options.model} gives none")
    return model


def _classify(options: argparse.Namespace, model, started: float) -> int:
    train = load(options, options.train, "train", options.n_train, options.n_per_class)
    note(options, f"train  {describe(train)}")
    _check_neighbours(options, train)
    if options.predict is not None:
        return _run_prediction(options, model, train, started)
    test = load(options, options.test or options.train, options.test_split, options.n_test)
    note(options, f"test   {describe(test)}")
    shared = shared_texts(test.texts, train.texts)
    if shared.any():
        texts_appear = "test text appears" if shared.sum() == 1 else "test texts appear"
        neighbour = "; each is its own nearest neighbour" if MODELS[options.model].votes_among_neighbours else ""
        note(options, f"note: {shared.sum():,} {texts_appear} ({shared.mean():.1%}) verbatim in the training "
                      f"data{neighbour}")
    y_train, y_test, class_names = comparable_labels(train, test)
    unseen = np.setdiff1d(y_test, y_train)
    if len(unseen):
        note(options, f"note: test labels never seen in training: {', '.join(names_of(unseen[:10], class_names))}; "
                      "those items cannot be predicted right")
    announce_compilation(options, options.model)
    model.fit(train.texts, y_train)
    predicted, proba, stats = predict(options, model, test.texts)
    wall_seconds = time.perf_counter() - started
    scores = report.scores_report(score_predictions(y_test, predicted, class_names),
                                  per_class_report(y_test, predicted, class_names))
    kernel = report.kernel_summary(stats)
    title = (f"{options.model} on {source(test)} ({count(len(test), 'text')}), trained on {source(train)} "
             f"({count(len(train), 'text')})")
    cv = cross_validation(model)
    if cv:
        print(report.format_cross_validation(cv))
    print(report.format_report(title, scores, kernel, wall_seconds))
    if options.output:
        target = {"data": options.test or options.train, "split": test.split, "n_test": options.n_test,
                  "n": len(test), "class_names": test.class_names}
        report.write_json(options.output, {
            **report.environment(),
            "config": report.configuration(options, model, train, target),
            "report": {**scores, "kernel": kernel, "wall_seconds": wall_seconds,
                       "test_texts_in_train": int(shared.sum()), "cross_validation": cv},
            "predictions": {"rows": test.rows, "true": names_of(y_test, class_names),
                            **report.predictions_report(names_of(predicted, class_names), proba,
                                                        names_of(model.classes_, class_names), options.top)},
        })
        note(options, f"wrote {options.output}")
    return EXIT_OK


def _check_neighbours(options, train) -> None:
    """``--k`` against the training set, in option names (the estimators would say ``n_neighbors``)."""
    if not MODELS[options.model].votes_among_neighbours:
        return
    if options.k != "auto":
        if options.k > len(train):
            raise UsageError(f"--k {options.k} is larger than the training set ({count(len(train), 'text')})")
        return
    counts = train.class_counts()
    if max(counts.values()) < AUTO_FOLDS:
        raise UsageError(f"--k auto chooses k by {AUTO_FOLDS}-fold cross-validation: it needs a class with at least "
                         f"{AUTO_FOLDS} training texts (the largest has {max(counts.values())}); give a number, --k 1 "
                         "or more")
    # scikit-learn would warn about "the least populated class" and n_splits: say it in npc's words, or not at all
    warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
    for name, size in counts.items():
        if size < AUTO_FOLDS:
            note(options, f"note: class {name!r} has {count(size, 'training text')}, fewer than the {AUTO_FOLDS} folds "
                          "of --k auto: some folds test none of it")


def _run_prediction(options, model, train, started) -> int:
    texts = load_texts(options.predict, text_column=options.text_column)
    if not texts:
        raise UsageError(f"--predict {options.predict} holds no text")
    note(options, f"predict {options.predict}: {len(texts):,} texts")
    announce_compilation(options, options.model)
    model.fit(train.texts, train.labels)
    cv = cross_validation(model)
    if cv:
        note(options, report.format_cross_validation(cv))
    predicted, proba, stats = predict(options, model, texts)
    names = train.label_names(predicted)
    sys.stdout.write("".join(f"{name}\n" for name in names))
    wall_seconds = time.perf_counter() - started
    note(options, f"labelled {len(texts):,} texts in {wall_seconds:.1f} s")
    if options.output:
        target = {"predict": options.predict, "n": len(texts)}
        report.write_json(options.output, {
            **report.environment(),
            "config": report.configuration(options, model, train, target),
            "report": {"kernel": report.kernel_summary(stats), "wall_seconds": wall_seconds,
                       "cross_validation": cv},
            "predictions": report.predictions_report(names, proba, train.label_names(model.classes_), options.top),
        })
    return EXIT_OK


COMMAND = Command("classify", "classify a test set (or new texts) by compression distance and report scores",
                  add_arguments, run)
